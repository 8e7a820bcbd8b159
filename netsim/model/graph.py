"""The model: a networkx graph of namespaces, interfaces and networks, with typed payloads.

It knows no runtime: a Docker daemon (netsim.runtime.docker) or, later, a CNI runtime fills it
with the same objects. Node ids: a namespace is its netsim name ("docker1", "web", "router",
"_ov-appnet@docker1"); an interface is "<ns>/<ifname>"; a network is "net:<host or swarm>/<name>".
Every node carries `kind=` (NodeKind) and `obj=` (its payload dataclass); every edge `kind=`.
The predictor walks this graph; the realizer builds exactly these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
)
from typing import TYPE_CHECKING

from netsim.model.dns import NameView
from netsim.model.lazy_graph import LazyGraph
from netsim.model.rules import Ruleset
from netsim.model.zone import Zone

if TYPE_CHECKING:
    import networkx as nx

# both families: a model holds IPv4 and, where a scenario asks for it, IPv6 (dual stack)
IPAddress = IPv4Address | IPv6Address
IPInterface = IPv4Interface | IPv6Interface
IPNetwork = IPv4Network | IPv6Network
ANY6 = IPv6Address("::")

class NodeKind(StrEnum):
    HOST = "host"  # a container host's network namespace (Docker host, CNI node)
    CONTAINER = "container"  # a container's own namespace (bridge, macvlan, overlay, none)
    OVERLAY = "overlay"  # a per-network namespace a runtime keeps (Docker's `1-<id>`, spec §7.3)
    SWITCH = "switch"  # the LAN: a namespace holding one bridge
    ROUTER = "router"
    LAN_PEER = "lan_peer"  # `lan` and the scenario's peers
    OUTSIDE = "outside"
    IFACE = "iface"
    NETWORK = "network"  # a runtime's network, for reading and drawing (not built)


class EdgeKind(StrEnum):
    HAS = "has"  # namespace -> its interface
    VETH = "veth"  # veth end <-> veth end
    BRIDGE_PORT = "bridge_port"  # port -> bridge device (same namespace)
    MACVLAN = "macvlan"  # child -> parent link
    VXLAN = "vxlan"  # vxlan device <-> vxlan device of the same VNI on another host
    SHARED_NETNS = "shared_netns"  # container: mode / host mode -> the namespace it joins
    ATTACH = "attach"  # network -> interface that is an endpoint of it


class IfKind(StrEnum):
    """Link kinds; what each one does lives in netsim.links (one module per kind)."""

    LOOPBACK = "loopback"
    VETH = "veth"
    BRIDGE = "bridge"
    MACVLAN = "macvlan"
    IPVLAN = "ipvlan"
    VXLAN = "vxlan"
    VLAN = "vlan"  # 802.1q sub-interface
    DUMMY = "dummy"
    IFB = "ifb"  # intermediate functional block: where tc shapes a link's ingress
    VRF = "vrf"  # an L3 master device: its links route in its own table (l3mdev)
    IPIP = "ipip"  # an L3 tunnel (Calico's tunl0): IPv4 in IPv4, no link layer


@dataclass
class Iface:
    ns: str
    name: str
    kind: IfKind
    addrs: list[IPInterface] = field(default_factory=list)  # IPv4 first, then IPv6
    mac: str | None = None
    mtu: int = 1500
    master: str | None = None  # bridge name in the same namespace
    peer: str | None = None  # veth: node id of the other end
    parent: str | None = None  # macvlan / ipvlan / vlan: node id of the lower link
    mode: str | None = None  # macvlan mode (bridge, private, ...) or ipvlan mode (l2, l3)
    vlan_id: int | None = None  # vlan: the 802.1q tag
    vni: int | None = None  # vxlan
    vtep: IPAddress | None = None  # vxlan: local underlay address (its family: the underlay's)
    port: int | None = None  # vxlan: its UDP port (None: IANA's 4789, as Docker sets it)
    hairpin: bool = False  # bridge port reflects frames back out (VEPA switch)
    route_localnet: bool = False
    proxy_arp: bool = False  # answers ARP for what it routes out of another link (Calico)
    network: str | None = None  # the network this interface serves
    built_by: str | None = None  # a runtime's own tool makes it (the CNI plugins), not netsim
    by_hand: bool = False  # the user's own link on a host (a macvlan shim), not the runtime's:
    # on a real engine netsim makes it as the user would (`ip link add ... type macvlan`)
    prefix_route: bool = True  # False: its addresses add no route for their subnet (ptp)
    # (namespace, name) where netsim makes it before a runtime's tool moves it here (the
    # host-device plugin takes a node's NIC into a pod); None: made where it lives
    born: tuple[str, str] | None = None
    vrf: str | None = None  # the VRF device it is enslaved to (l3mdev), in the same namespace
    table: int | None = None  # vrf: its routing table
    id: str = field(init=False, repr=False)  # "<ns>/<name>", the graph node id

    def __post_init__(self) -> None:
        self.id = f"{self.ns}/{self.name}"  # computed once: read on every predicted frame


MAIN_TABLE = 254  # the kernel's main routing table (`ip route` shows it)
MAIN_PRIORITY = 32766  # the rule `from all lookup main`


@dataclass(frozen=True)
class Route:
    dst: IPNetwork  # its family is the route's: `ip -6 route` for an IPv6 one
    dev: str
    via: IPAddress | None = None
    src: IPAddress | None = None
    onlink: bool = False  # the gateway is on the link though no address says so (flannel)
    table: int = MAIN_TABLE  # another table is read only when a PolicyRule points at it
    blackhole: bool = False  # `ip route add blackhole DST`: a match that discards (no dev)
    proto: str | None = None  # who installs it when not netsim ("bird": BIRD learned it)
    rtproto: int = 3  # the kernel's `proto` of a route netsim makes for a tool (felix: 80)


@dataclass(frozen=True)
class PolicyRule:
    """`ip rule add from SRC lookup TABLE pref PRIORITY`: traffic from SRC looks up TABLE
    first. An unbound socket's lookup has no source yet, so no `from` rule matches it."""

    priority: int
    src: IPv4Network
    table: int


@dataclass(frozen=True)
class Listener:
    """A socket in a namespace: an echo service, Docker's userland proxy, or a VXLAN endpoint.
    `::` takes IPv4 too (as Linux's bindv6only=0 does) unless `v6only`; netsim's own echo
    services (role echo) at 0.0.0.0 answer over IPv6 too wherever the namespace has IPv6:
    the realizer binds a [::] twin for each (Model.ipv6_on)."""

    ip: IPAddress  # 0.0.0.0 = any IPv4 address; :: = any
    port: int
    proto: str
    role: str  # "echo" | "proxy" | "vxlan"
    target: tuple[IPv4Address, int] | None = None  # proxy: container address and port
    origin: str = ""
    routed_reply: bool = False  # answers from the route's source address, not the one asked
    v6only: bool = False  # IPV6_V6ONLY (Go's "tcp6" listeners: docker-proxy on [::])


@dataclass
class Netns:
    id: str
    kind: NodeKind
    label: str  # what the user calls it
    host: str | None = None  # the Docker host it belongs to
    forwarding: bool = False
    # who turned IPv4 forwarding on, first: "boot" (on before any runtime), a runtime's name
    # ("docker": then dockerd also set FORWARD DROP), None while it is off
    forwarding_by: str | None = None
    bridge_nf: bool = False  # bridged IPv4 traverses this namespace's ip hooks (br_netfilter)
    # a real tool configures IPv6 here that the model does not hold: IPv6 stays on
    carries_ipv6: bool = False
    forwarding6: bool = False  # net.ipv6.conf.all.forwarding
    routes: list[Route] = field(default_factory=list)
    policy: list[PolicyRule] = field(default_factory=list)  # ip rules besides local/main
    rules: Ruleset = field(default_factory=Ruleset)
    rules6: Ruleset = field(default_factory=lambda: Ruleset(family="ip6"))  # ip6tables
    listeners: list[Listener] = field(default_factory=list)
    ifaces: dict[str, Iface] = field(default_factory=dict)
    rules_by: str | None = None  # a runtime's tool installs these rules itself (CNI plugins)
    # static entries a control plane would program (overlay peers, spec §7.3)
    neighbours: list[tuple[str, IPAddress, str]] = field(default_factory=list)  # dev, ip, mac
    fdb: list[tuple[str, str, IPAddress]] = field(default_factory=list)  # dev, mac, remote VTEP

    def ruleset(self, family: int) -> Ruleset:
        """iptables' rules (family 4) or ip6tables' (6)."""
        return self.rules6 if family == 6 else self.rules

    def forward_on(self, by: str) -> None:
        """sysctl net.ipv4.ip_forward=1 by `by`; the first to turn it on is remembered."""
        self.forwarding = True
        self.forwarding_by = self.forwarding_by or by


@dataclass
class NetRecord:
    """A network as its runtime reports it (`docker network inspect`): per host for local
    networks, once for swarm-scoped ones."""

    name: str
    driver: str
    scope: str  # local | swarm
    id: str
    subnet: IPv4Network | None
    gateway: IPv4Address | None
    gateway_in_config: bool
    ip_range: IPv4Network | None
    internal: bool
    options: dict[str, str]
    host: str | None  # None for overlay
    device: str | None  # docker0 / br-<id12> / parent link / br0
    endpoints: dict[str, IPv4Interface] = field(default_factory=dict)  # container -> address
    vni: int | None = None
    hosts: tuple[str, ...] = ()
    subnet6: IPv6Network | None = None  # --ipv6 --subnet <v6>
    gateway6: IPv6Address | None = None
    endpoints6: dict[str, IPv6Interface] = field(default_factory=dict)


@dataclass(frozen=True)
class PortBinding:
    """A published port: host address and port -> container address and port."""

    host_ip: IPAddress
    host_port: int
    proto: str
    container: str
    container_ip: IPAddress
    container_port: int
    network: str
    spec: str  # as the user wrote it ("8080:80", "-P")


@dataclass
class ContainerInfo:
    """A container as its runtime reports it (`docker inspect`): where and how it is wired."""

    name: str
    id: str
    host: str
    runtime: str  # "docker"
    mode: str  # networks | host | none | container
    hostname: str | None = None
    networks: list[str] = field(default_factory=list)
    ports: list[PortBinding] = field(default_factory=list)
    joins: str | None = None  # container: mode, the container whose namespace it shares
    # its runtime names it nowhere but by its addresses, ports and name (no chain named by
    # a hash of its id): two such containers may be twins (predict/twins.py)
    swappable: bool = False

    @property
    def short_id(self) -> str:
        return self.id[:12]


@dataclass
class ToolRun:
    """One thing a runtime's real tool must be asked while the lab is built (a CNI ADD),
    with what the model expects it to give; the runtime's own record subclasses it, and the
    runner its `tool` names (the runtime's `tools` table) reads it."""

    tool: str
    container: str
    node: str  # the namespace the tool runs in


@dataclass(frozen=True)
class NodeFile:
    """A file a runtime's node daemon writes (flanneld's /run/flannel/subnet.env): the realizer
    writes it under the lab's files directory, where the real plugin reads it."""

    node: str
    path: str  # absolute, as on the node
    text: str
    daemon: str  # who writes it


@dataclass
class Endpoint:
    """A probe target / source: where it lives and its addresses."""

    name: str
    kind: NodeKind
    ns: str
    addresses: dict[str, IPv4Address]  # network (or role) -> address
    primary: IPv4Address | None
    addresses6: dict[str, IPv6Address] = field(default_factory=dict)  # the same, IPv6
    primary6: IPv6Address | None = None

    def of(self, family: int) -> IPAddress | None:
        """Its address in one family (4 or 6), None when it has none there."""
        return self.primary if family == 4 else self.primary6


class Model:
    """The graph plus typed indexes over it. Built by netsim.runtime, read by everything else."""

    def __init__(self, lab: str, profile: str):
        self.lab = lab
        self.profile = profile  # the version a runtime reproduces (Docker's "28"): reports name it
        self._graph = LazyGraph()  # written here, made into networkx when first read
        self.ns: dict[str, Netns] = {}
        self.networks: dict[str, NetRecord] = {}  # key: "<host>/<name>" or "swarm/<name>"
        self.endpoints: dict[str, Endpoint] = {}
        # addresses no namespace holds that a rule answers for (a Service's ClusterIP):
        # the words expectations use for them (`svc/web`) -> the address
        self.virtual: dict[str, IPv4Address] = {}
        # what the matrix probes besides the nodes' own ports: (label, address, proto, port),
        # a Service's ClusterIP port ("svc/web") and its NodePort on each node ("node1")
        self.entries: list[tuple[str, IPv4Address, str, int]] = []
        self.containers: dict[str, ContainerInfo] = {}
        self.failed_runs: dict[str, str] = {}  # containers the runtime refused to start: why
        # what a runtime's own tool must be asked at `up` (CNI: one ADD per container), with
        # the model's expected result to compare the real one with
        self.tool_runs: list[ToolRun] = []
        self.behaviours: list[str] = []  # whose behaviour each runtime reproduces
        self.warnings: list[tuple[str, str]] = []  # (pitfall id, sentence)
        self.names: dict[str, NameView] = {}  # container -> what it resolves, and how
        self.lan_dns: dict | None = None  # the router's records (None: no DNS server)
        self.zones: dict[str, Zone] = {}  # namespace -> the cluster zone it serves on 53/udp
        self.files: list[NodeFile] = []  # what node daemons write (flanneld's subnet.env)

    @property
    def graph(self) -> nx.MultiGraph:
        return self._graph.get()

    def wires(self) -> nx.MultiGraph:
        """What a frame can cross, for paths and neighbours (a read-only view): links, bridge
        ports, tunnels, and a namespace joined to the interfaces that have an address (it
        routes between them); without the networks' and shared containers' nodes (records)."""
        nodes, edges = self.graph.nodes, self.graph.edges

        def routed(u: str, v: str, k: int) -> bool:
            if edges[u, v, k]["kind"] != EdgeKind.HAS:
                return True
            iface = nodes[v if nodes[v]["kind"] == NodeKind.IFACE else u]["obj"]
            return bool(iface.addrs)

        import networkx as nx

        return nx.subgraph_view(
            self.graph, filter_node=lambda n: nodes[n]["kind"] != NodeKind.NETWORK
            and not str(n).startswith("ctr:"), filter_edge=routed)

    def file(self, node: str, path: str) -> str | None:
        return next((f.text for f in self.files if (f.node, f.path) == (node, path)), None)

    # --- building -------------------------------------------------------------------
    def add_ns(self, ns: Netns) -> Netns:
        if ns.id in self.ns:
            raise ValueError(f"namespace {ns.id} exists")
        self.ns[ns.id] = ns
        self._graph.add_node(ns.id, kind=ns.kind, obj=ns)
        return ns

    def add_iface(self, iface: Iface) -> Iface:
        owner = self.ns[iface.ns]
        if iface.name in owner.ifaces:
            raise ValueError(f"{iface.id} exists")
        owner.ifaces[iface.name] = iface
        self._graph.add_node(iface.id, kind=NodeKind.IFACE, obj=iface)
        self._graph.add_edge(iface.ns, iface.id, kind=EdgeKind.HAS)
        if iface.master:
            self._graph.add_edge(iface.id, f"{iface.ns}/{iface.master}", kind=EdgeKind.BRIDGE_PORT)
        if iface.parent:
            self._graph.add_edge(iface.id, iface.parent, kind=EdgeKind.MACVLAN)
        return iface

    def move_iface(self, old: Iface, new: Iface) -> None:
        """`ip link set OLD netns NS name NEW` (the host-device plugin): the link leaves its
        namespace, and the routes through it with it; a veth's peer now names the new end."""
        owner = self.ns[old.ns]
        del owner.ifaces[old.name]
        owner.routes[:] = [r for r in owner.routes if r.dev != old.name]
        self._graph.remove_node(old.id)
        new.peer = old.peer
        self.add_iface(new)
        if new.peer:
            self.link_veth(self.iface(new.peer), new)

    def link_veth(self, a: Iface, b: Iface) -> None:
        a.peer, b.peer = b.id, a.id
        self._graph.add_edge(a.id, b.id, kind=EdgeKind.VETH)

    def link_tunnel(self, a: str, b: str) -> None:
        """Two tunnel devices of one segment on two hosts (a VXLAN's VNI)."""
        self._graph.add_tunnel(a, b, kind=EdgeKind.VXLAN)

    def add_network(self, key: str, net: NetRecord) -> NetRecord:
        """`key`: "<host>/<name>", or "swarm/<name>" for a network that spans hosts."""
        self.networks[key] = net
        self._graph.add_node(f"net:{key}", kind=NodeKind.NETWORK, obj=net)
        return net

    def attach(self, key: str, iface_id: str) -> None:
        """An interface that is an endpoint of (or the device of) network `key`."""
        self._graph.add_edge(f"net:{key}", iface_id, kind=EdgeKind.ATTACH)

    def join(self, container: str, ns_id: str) -> None:
        """A container with no namespace of its own (host mode, container: mode)."""
        self._graph.add_node(f"ctr:{container}", kind=NodeKind.CONTAINER, obj=None)
        self._graph.add_edge(f"ctr:{container}", ns_id, kind=EdgeKind.SHARED_NETNS)

    def leave(self, container: str) -> None:
        self._graph.remove_node(f"ctr:{container}")

    def remove_iface(self, iface_id: str) -> None:
        ns_id, _, name = iface_id.rpartition("/")
        ns = self.ns.get(ns_id)
        if ns is not None and name in ns.ifaces:
            del ns.ifaces[name]
            self._graph.remove_node(iface_id)

    def remove_ns(self, ns_id: str) -> None:
        for i in list(self.ns[ns_id].ifaces.values()):
            self._graph.remove_node(i.id)
        self._graph.remove_node(ns_id)
        del self.ns[ns_id]

    def has_iface(self, node_id: str) -> bool:
        ns, _, name = node_id.rpartition("/")
        return ns in self.ns and name in self.ns[ns].ifaces

    def tunnel_peers(self, iface_id: str) -> list[str]:
        """The tunnel devices of other hosts on this one's segment (link_tunnel)."""
        return self._graph.tunnel_peers(iface_id)

    def iface(self, node_id: str) -> Iface:
        ns, _, name = node_id.rpartition("/")
        return self.ns[ns].ifaces[name]

    def behaviour(self) -> str:
        """Whose behaviour this model reproduces, as each runtime says it."""
        return ", ".join(self.behaviours) or "no runtime"

    def local_addresses(self, ns_id: str) -> set[IPAddress]:
        return {a.ip for i in self.ns[ns_id].ifaces.values() for a in i.addrs}

    def ipv6_on(self, ns_id: str) -> bool:
        """IPv6 is on in the namespace: it holds an IPv6 address, or a real tool puts one."""
        ns = self.ns[ns_id]
        return ns.carries_ipv6 or any(a.version == 6 for i in ns.ifaces.values()
                                      for a in i.addrs)
