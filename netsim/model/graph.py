"""The model: a networkx graph of namespaces, interfaces and Docker networks, with typed payloads.

Node ids: a namespace is its netsim name ("docker1", "web", "router", "ov-appnet@docker1");
an interface is "<ns>/<ifname>"; a Docker network is "net:<host or swarm>/<name>".
Every node carries `kind=` (NodeKind) and `obj=` (its payload dataclass); every edge `kind=`.
The predictor walks this graph; the realizer (issue 3) builds exactly these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import networkx as nx

from netsim.model.rules import Ruleset


class NodeKind(StrEnum):
    HOST = "host"  # a Docker host's network namespace
    CONTAINER = "container"  # a container's own namespace (bridge, macvlan, overlay, none)
    OVERLAY = "overlay"  # Docker's per-overlay-network namespace (spec §7.3)
    SWITCH = "switch"  # the LAN: a namespace holding one bridge
    ROUTER = "router"
    LAN_PEER = "lan_peer"  # `lan` and the scenario's peers
    OUTSIDE = "outside"
    IFACE = "iface"
    NETWORK = "network"  # a Docker network, for reading and drawing (not built)


NAMESPACE_KINDS = frozenset(NodeKind) - {NodeKind.IFACE, NodeKind.NETWORK}


class EdgeKind(StrEnum):
    HAS = "has"  # namespace -> its interface
    VETH = "veth"  # veth end <-> veth end
    BRIDGE_PORT = "bridge_port"  # port -> bridge device (same namespace)
    MACVLAN = "macvlan"  # child -> parent link
    VXLAN = "vxlan"  # vxlan device <-> vxlan device of the same VNI on another host
    SHARED_NETNS = "shared_netns"  # container: mode / host mode -> the namespace it joins
    ATTACH = "attach"  # Docker network -> interface that is an endpoint of it


class IfKind(StrEnum):
    LOOPBACK = "loopback"
    VETH = "veth"
    BRIDGE = "bridge"
    MACVLAN = "macvlan"
    VXLAN = "vxlan"
    VLAN = "vlan"  # 802.1q sub-interface (modelled; this kernel cannot build it)
    DUMMY = "dummy"  # macvlan without parent (modelled; this kernel cannot build it)


@dataclass
class Iface:
    ns: str
    name: str
    kind: IfKind
    addrs: list[IPv4Interface] = field(default_factory=list)
    mac: str | None = None
    mtu: int = 1500
    master: str | None = None  # bridge name in the same namespace
    peer: str | None = None  # veth: node id of the other end
    parent: str | None = None  # macvlan / vlan: node id of the lower link
    mode: str | None = None  # macvlan mode
    vni: int | None = None  # vxlan
    vtep: IPv4Address | None = None  # vxlan: local underlay address
    hairpin: bool = False  # bridge port reflects frames back out (VEPA switch)
    route_localnet: bool = False
    network: str | None = None  # Docker network name this interface serves

    @property
    def id(self) -> str:
        return f"{self.ns}/{self.name}"


@dataclass(frozen=True)
class Route:
    dst: IPv4Network
    dev: str
    via: IPv4Address | None = None
    src: IPv4Address | None = None


@dataclass(frozen=True)
class Listener:
    """A socket in a namespace: an echo service, Docker's userland proxy, or a VXLAN endpoint."""

    ip: IPv4Address  # 0.0.0.0 = any
    port: int
    proto: str
    role: str  # "echo" | "proxy" | "vxlan"
    target: tuple[IPv4Address, int] | None = None  # proxy: container address and port
    origin: str = ""


@dataclass
class Netns:
    id: str
    kind: NodeKind
    label: str  # what the user calls it
    host: str | None = None  # the Docker host it belongs to
    forwarding: bool = False
    bridge_nf: bool = False  # bridged IPv4 traverses this namespace's ip hooks (br_netfilter)
    routes: list[Route] = field(default_factory=list)
    rules: Ruleset = field(default_factory=Ruleset)
    listeners: list[Listener] = field(default_factory=list)
    ifaces: dict[str, Iface] = field(default_factory=dict)
    # static entries a control plane would program (overlay peers, spec §7.3)
    neighbours: list[tuple[str, IPv4Address, str]] = field(default_factory=list)  # dev, ip, mac
    fdb: list[tuple[str, str, IPv4Address]] = field(default_factory=list)  # dev, mac, remote VTEP


@dataclass
class DockerNetwork:
    """What `docker network inspect` shows, per host for local networks, once for overlays."""

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


@dataclass
class Endpoint:
    """A probe target / source: where it lives and its addresses."""

    name: str
    kind: NodeKind
    ns: str
    addresses: dict[str, IPv4Address]  # network (or role) -> address
    primary: IPv4Address | None


class Model:
    """The graph plus typed indexes over it. Built by netsim.model.build, read by everything else."""

    def __init__(self, lab: str, profile: str):
        self.lab = lab
        self.profile = profile
        self.graph = nx.MultiGraph()
        self.ns: dict[str, Netns] = {}
        self.networks: dict[str, DockerNetwork] = {}  # key: "<host>/<name>" or "swarm/<name>"
        self.endpoints: dict[str, Endpoint] = {}
        self.container_meta: dict[str, dict] = {}  # container -> id, hostname, mode, ports...
        self.warnings: list[tuple[str, str]] = []  # (pitfall id, sentence)
        self.names: dict = {}  # container -> dns.NameView
        self.lan_dns: dict | None = None  # the router's records (None: no DNS server)

    # --- building -------------------------------------------------------------------
    def add_ns(self, ns: Netns) -> Netns:
        if ns.id in self.ns:
            raise ValueError(f"namespace {ns.id} exists")
        self.ns[ns.id] = ns
        self.graph.add_node(ns.id, kind=ns.kind, obj=ns)
        return ns

    def add_iface(self, iface: Iface) -> Iface:
        owner = self.ns[iface.ns]
        if iface.name in owner.ifaces:
            raise ValueError(f"{iface.id} exists")
        owner.ifaces[iface.name] = iface
        self.graph.add_node(iface.id, kind=NodeKind.IFACE, obj=iface)
        self.graph.add_edge(iface.ns, iface.id, kind=EdgeKind.HAS)
        if iface.master:
            self.graph.add_edge(iface.id, f"{iface.ns}/{iface.master}", kind=EdgeKind.BRIDGE_PORT)
        if iface.parent:
            self.graph.add_edge(iface.id, iface.parent, kind=EdgeKind.MACVLAN)
        return iface

    def link_veth(self, a: Iface, b: Iface) -> None:
        a.peer, b.peer = b.id, a.id
        self.graph.add_edge(a.id, b.id, kind=EdgeKind.VETH)

    def iface(self, node_id: str) -> Iface:
        ns, _, name = node_id.rpartition("/")
        return self.ns[ns].ifaces[name]

    def local_addresses(self, ns_id: str) -> set[IPv4Address]:
        return {a.ip for i in self.ns[ns_id].ifaces.values() for a in i.addrs}
