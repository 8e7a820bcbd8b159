"""calico-node on every CNI node, as netsim plays it: calico-ipam's tunnel address first (when
the pool encapsulates), then, once the pods exist, the routes between nodes — by BIRD (BGP,
no encapsulation: netsim writes BIRD's configuration as confd does and the real BIRD installs
the routes), or as felix programs VXLAN (`vxlan.calico`) and IPIP (`tunl0`) — felix's
`cali-nat-outgoing`, and felix's filter chains with the NetworkPolicies (felix.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.model.assembly import ANY
from netsim.model.graph import Iface, IfKind, Listener, Route
from netsim.runtime.cni.calico import bird, felix
from netsim.runtime.cni.calico.ipam import Ipam
from netsim.runtime.cni.calico.resources import Pool, Resources, read
from netsim.runtime.cni.context import Cni
from netsim.scenario import kubernetes as k8s

DAEMON = "calico-node"
WRITER = "calico"  # felix's rules (netsim replays them with iptables-restore)
VXLAN_DEV, VXLAN_VNI, VXLAN_PORT = "vxlan.calico", 4096, 4789
IPIP_DEV = "tunl0"
FELIX_PROTO = 80  # the kernel's `proto 80` of felix's routes
OVERHEAD = {"vxlan": 50, "ipip": 20, None: 0}
MAX_POLICY_PODS = 250_000  # policies x pods felix's chains may hold for one scenario


@dataclass
class Endpoint:
    """A workload endpoint: a pod as felix knows it."""

    container: str
    node: str
    ip: IPv4Address
    iface: str  # the host side: caliXXXXXXXXXXX
    namespace: str
    name: str
    labels: dict[str, str]


@dataclass
class Node:
    name: str
    ip: IPv4Address
    uplink: str
    mtu: int  # its uplink's
    tunnel: IPv4Address | None = None
    vtep_mac: str = ""


@dataclass
class Calico:
    res: Resources
    ipam: Ipam
    cluster: k8s.Cluster
    canal: bool = False  # flannel routes (CALICO_NETWORKING_BACKEND=none): felix polices only
    nodes: dict[str, Node] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)

    @property
    def pool(self) -> Pool | None:
        return next((p for p in self.res.pools if not p.disabled), None)

    @property
    def encap(self) -> str | None:
        """What felix encapsulates with: nothing in Canal, where flannel carries the pods."""
        return None if self.canal or self.pool is None else self.pool.encap

    def mtu(self, node: str) -> int:
        """/var/lib/calico/mtu as felix writes it: the host's MTU less felix's own
        encapsulation's (flannel.1 is not a host interface to felix's auto-detection)."""
        return self.uplink_mtu(node) - OVERHEAD[self.encap]

    def uplink_mtu(self, node: str) -> int:
        return self.nodes[node].mtu

    def endpoint(self, container: str, node: str, ip: IPv4Address, iface: str, namespace: str,
                 name: str, labels: dict[str, str]) -> None:
        self.endpoints[container] = Endpoint(container, node, ip, iface, namespace, name,
                                             labels)


def start(cni: Cni, hosts: list[str]) -> None:
    """On every node where the scenario says `calico:` or a conflist runs the calico plugin;
    with flanneld up (Canal), as policy only."""
    asm = cni.asm
    res = read(asm, getattr(asm.sc, "calico", None))
    if res is None and not any(c["plugins"][0]["type"] == "calico"
                               for c in cni.conflists.values()):
        return
    res = res or Resources()
    cluster = cni.cluster
    cal = Calico(res, Ipam(res.pools), cluster, canal=cni.flannel is not None)
    cni.calico = cal
    for name in hosts:
        uplink = asm.model.ns[name].ifaces[asm.sc.hosts[name].interface]
        ip = next(a.ip for a in uplink.addrs if a.version == 4)
        node = cal.nodes[name] = Node(name, ip, uplink.name, uplink.mtu)
        if cal.encap:  # calico-node's tunnel address: ordinal 0 of the node's block
            node.tunnel = cal.ipam.assign(name, [cal.pool])
            node.vtep_mac = asm.mac(("calico-vtep", name))
    for name in hosts:
        with _writing(cni, name):
            felix.base(cni, cal, name)


class _writing:
    """Rules written as felix's (replayed by netsim with iptables-restore)."""

    def __init__(self, cni: Cni, node: str):
        self.ns = cni.model.ns[node]

    def __enter__(self) -> None:
        self.was = self.ns.rules.writer
        self.ns.rules.writer = WRITER

    def __exit__(self, *exc: object) -> None:
        self.ns.rules.writer = self.was


def settle(cni: Cni) -> None:
    """Once every pod is up: routes between nodes, NAT, policy (felix converges)."""
    cal = cni.calico
    if cal is None:
        return
    pairs = len(cal.cluster.policies) * len(cal.endpoints)
    if pairs > MAX_POLICY_PODS:  # each pair can be a rule in an endpoint chain: bound it first
        raise cni.asm.error(("kubernetes",), f"{len(cal.cluster.policies)} NetworkPolicies over "
                            f"{len(cal.endpoints)} pods: more than the {MAX_POLICY_PODS} "
                            "policy-pod pairs netsim renders", "fewer policies or pods")
    encap = cal.encap
    for name in cal.nodes:
        if cal.canal or cal.pool is None:
            pass  # flanneld routes between nodes (Canal); nothing was assigned otherwise
        elif encap == "vxlan":
            _vxlan(cni, cal, name)
        elif encap == "ipip":
            _ipip(cni, cal, name)
        else:
            _bgp(cni, cal, name)
        with _writing(cni, name):
            felix.nat_outgoing(cni, cal, name)
            felix.endpoints(cni, cal, name)
    if encap != "vxlan" and not cal.canal and cal.pool is not None:  # the bird backend
        bird.plan(cni, cal)


def _blocks(cal: Calico, node: str) -> list[IPv4Network]:
    return sorted(b.cidr for b in cal.ipam.affine(node))


def _same_subnet(cni: Cni, cal: Calico, a: str, b: str) -> bool:
    uplink = cni.model.ns[a].ifaces[cal.nodes[a].uplink]
    return any(cal.nodes[b].ip in x.network for x in uplink.addrs if x.version == 4)


def _gateway(cni: Cni, node: str) -> IPv4Address | None:
    """Where the node's default route points (BIRD resolves a next hop that is not on-link
    through it: `gateway recursive`)."""
    for r in cni.model.ns[node].routes:
        if r.dst.prefixlen == 0 and r.dst.version == 4 and r.via is not None:
            return r.via  # type: ignore[return-value]
    return None


def _bgp(cni: Cni, cal: Calico, name: str) -> None:
    """What BIRD installs: a blackhole for each own block, each remote block via its node
    (recursively: via the router when that node is not on-link)."""
    ns, node = cni.model.ns[name], cal.nodes[name]
    for block in _blocks(cal, name):
        ns.routes.append(Route(block, "", blackhole=True, proto="bird"))
    for other in cal.nodes.values():
        if other.name == name:
            continue
        via = other.ip if _same_subnet(cni, cal, name, other.name) else _gateway(cni, name)
        for block in _blocks(cal, other.name):
            ns.routes.append(Route(block, node.uplink, via=via, proto="bird"))


def _vxlan(cni: Cni, cal: Calico, name: str) -> None:
    """vxlan_mgr.go: the device, then per remote node a permanent neighbour, an FDB entry and
    a route `onlink`; CrossSubnet: a node of the same subnet gets a plain route instead."""
    model, node = cni.model, cal.nodes[name]
    ns = model.ns[name]
    vx = model.add_iface(Iface(name, VXLAN_DEV, IfKind.VXLAN, mtu=cal.uplink_mtu(name) - 50,
                               addrs=[IPv4Interface(f"{node.tunnel}/32")], mac=node.vtep_mac,
                               vni=VXLAN_VNI, vtep=node.ip, port=VXLAN_PORT,
                               prefix_route=False, network="calico"))
    ns.listeners.append(Listener(ANY, VXLAN_PORT, "udp", "vxlan", None,
                                 f"{VXLAN_DEV}: the kernel's VXLAN socket"))
    for block in _blocks(cal, name):
        ns.routes.append(Route(block, "", blackhole=True, rtproto=FELIX_PROTO))
    for other in cal.nodes.values():
        if other.name == name:
            continue
        if cal.pool.cross_subnet and _same_subnet(cni, cal, name, other.name):
            for block in _blocks(cal, other.name):
                ns.routes.append(Route(block, node.uplink, via=other.ip, onlink=True,
                                       rtproto=FELIX_PROTO))
            continue
        ns.neighbours.append((VXLAN_DEV, other.tunnel, other.vtep_mac))
        ns.fdb.append((VXLAN_DEV, other.vtep_mac, other.ip))
        for block in _blocks(cal, other.name):
            ns.routes.append(Route(block, VXLAN_DEV, via=other.tunnel, onlink=True,
                                   rtproto=FELIX_PROTO))
        peer = f"{other.name}/{VXLAN_DEV}"
        if model.has_iface(peer):
            model.link_tunnel(vx.id, peer)


def _ipip(cni: Cni, cal: Calico, name: str) -> None:
    """tunl0 with the tunnel address; each remote block via its node `onlink` (felix's
    ProgramClusterRoutes; BIRD's krt_tunnel in older releases: the same kernel routes)."""
    model, node = cni.model, cal.nodes[name]
    ns = model.ns[name]
    tun = model.add_iface(Iface(name, IPIP_DEV, IfKind.IPIP, mtu=cal.uplink_mtu(name) - 20,
                                addrs=[IPv4Interface(f"{node.tunnel}/32")], prefix_route=False,
                                vtep=node.ip, network="calico"))
    ns.listeners.append(Listener(ANY, None, "ipip", "ipip", None,  # type: ignore[arg-type]
                                 f"{IPIP_DEV}: the kernel's IPIP receiver"))
    for block in _blocks(cal, name):
        ns.routes.append(Route(block, "", blackhole=True, proto="bird"))
    for other in cal.nodes.values():
        if other.name == name:
            continue
        direct = cal.pool.cross_subnet and _same_subnet(cni, cal, name, other.name)
        for block in _blocks(cal, other.name):
            ns.routes.append(Route(block, node.uplink if direct else IPIP_DEV, via=other.ip,
                                   onlink=True, rtproto=FELIX_PROTO))
        peer = f"{other.name}/{IPIP_DEV}"
        if not direct and model.has_iface(peer):
            model.link_tunnel(tun.id, peer)


def lint(cni: Cni) -> None:
    cal = cni.calico
    if cal is None:
        return
    if cal.canal:
        _canal_mtu(cni, cal)
    if cal.pool is None or cal.canal:
        return
    if not cal.pool.nat_outgoing and not cni.asm.sc.lan.routes:
        cni.warn("K06", f"IPPool {cal.pool.name}: natOutgoing is off and the LAN has no route "
                 f"back to {cal.pool.cidr}: pods reach the nodes, but nothing beyond them answers "
                 "(set natOutgoing: true, or lan.routes to the nodes)")
    if cal.encap is None:
        for name in cal.nodes:
            for other in cal.nodes:
                if other != name and not _same_subnet(cni, cal, name, other):
                    cni.warn("K05", f"{name}: BGP next hop {cal.nodes[other].ip} ({other}) is "
                             "not on this node's subnet: BIRD resolves it through the default "
                             f"route, and the router, which does not peer BGP, has no route to "
                             f"{other}'s pods (use vxlanMode: CrossSubnet, or peer the router)")
                    break


def _canal_mtu(cni: Cni, cal: Calico) -> None:
    """Canal: felix's MTU auto-detection sees the uplinks, not flannel.1, so the pods' veths
    get the host's MTU while flannel's VXLAN carries 50 bytes less (rancher/rancher#13984)."""
    fl = cni.flannel
    if len(fl.leases) < 2:
        return  # no other node to carry anything to
    for name in cal.nodes:
        lease = fl.leases.get(name)
        mine = [e for e in cal.endpoints.values() if e.node == name]
        pod_mtu = cni.model.ns[name].ifaces[mine[0].iface].mtu if mine else None
        if lease is None or pod_mtu is None or pod_mtu <= lease.mtu:
            continue
        cni.warn("K07", f"Canal on {name}: the pods' MTU is {pod_mtu} (felix detects the "
                 f"host's), flannel carries {lease.mtu} between nodes: larger packets to "
                 "other nodes' pods rely on path MTU discovery, and a DF-less UDP datagram is "
                 f"fragmented (set veth_mtu: \"{lease.mtu}\" in canal-config, or the "
                 "conflist's mtu)")
        return
