"""Docker's overlay driver (spec §7): one namespace per network per host with `br0` and
`vxlan0`, static VXLAN peers, MTU 1450, egress through `docker_gwbridge`."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import TYPE_CHECKING

from netsim.model.graph import DockerNetwork, EdgeKind, Iface, IfKind, Listener, NodeKind
from netsim.model.ipam import GLOBAL_POOLS, IpamError, SubnetAllocator
from netsim.scenario.schema import Network

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon, NetState

VXLAN_PORT = 4789
VXLAN_OVERHEAD = 50  # inner Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8 (spec §7.4)
INGRESS = IPv4Network("10.0.0.0/24")  # swarm init takes it first (spec §7.1)
GWBRIDGE = {"com.docker.network.bridge.enable_icc": "false",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.name": "docker_gwbridge"}


def validate(b: Builder, name: str, spec: Network, path: tuple) -> None:
    if spec.host is not None:
        raise b.error((*path, "host"), "overlay is swarm-scoped: it spans the swarm's hosts, "
                      "not one", "remove host:, or list the hosts with hosts: [docker1, docker2]",
                      at_key=True)
    for key in ("parent", "mode"):
        if getattr(spec, key) is not None:
            raise b.error((*path, key), f"'{key}' is a macvlan option", at_key=True)
    for i, h in enumerate(spec.hosts or []):
        if h not in b.daemons:
            raise b.error((*path, "hosts", i), f"no Docker host named '{h}'", ", ".join(b.daemons))


def swarm_init(b: Builder, path: tuple) -> None:
    """First overlay: every host joins the swarm; each gets docker_gwbridge (ingress_sbox takes
    its .2) and a VXLAN socket; the ingress network takes 10.0.0.0/24 and VNI 4096."""
    b.swarm_pool = SubnetAllocator(GLOBAL_POOLS, [b.sc.lan.subnet], b.profile.pool_exhausted)
    b.swarm_pool.claim(INGRESS)
    for d in b.daemons.values():
        d.gwbridge = b.local_network(d, "docker_gwbridge", Network(options=GWBRIDGE), path)
        d.gwbridge.pool.next()  # ingress_sbox's endpoint (docker-observed §3 overlay)
        b.model.ns[d.ns].listeners.append(Listener(IPv4Address("0.0.0.0"), VXLAN_PORT, "udp",
                                                   "vxlan", None, "dockerd VXLAN data path"))


def create_swarm(b: Builder, name: str, spec: Network, path: tuple) -> None:
    if b.swarm_pool is None:
        swarm_init(b, path)
    if name in b.swarm:
        raise b.error(path, f"network with name {name} already exists", at_key=True)
    try:
        subnet = b.swarm_pool.claim(spec.subnet) if spec.subnet else b.swarm_pool.allocate()
    except IpamError as e:
        raise b.error((*path, "subnet"), f"Error response from daemon: {e}") from None
    pool, gateway = b.address_pool(subnet, spec, path)
    mtu = int(spec.options.get("com.docker.network.driver.mtu") or 1500) - VXLAN_OVERHEAD
    net = DockerNetwork(
        name=name, driver="overlay", scope="swarm", id=b.digest("network", "swarm", name),
        subnet=subnet, gateway=gateway, gateway_in_config=spec.gateway is not None,
        ip_range=spec.ip_range, internal=spec.internal, options=dict(spec.options), host=None,
        device="br0", vni=b.next_vni, hosts=tuple(spec.hosts or b.daemons))
    b.next_vni += 1
    from netsim.model.build import NetState

    st = NetState(net, pool, path, user_subnet=spec.subnet is not None)
    st.extra.update(mtu=mtu, attachable=spec.attachable)
    b.swarm[name] = st
    b.model.networks[f"swarm/{name}"] = net
    b.model.graph.add_node(f"net:swarm/{name}", kind=NodeKind.NETWORK, obj=net)


def _sandbox(b: Builder, d: Daemon, st: NetState) -> str:
    """Docker's `1-<netid>` namespace on this host: br0 + vxlan0, peers programmed statically."""
    net, mtu = st.net, st.extra["mtu"]
    ns_id = f"_ov-{net.name}@{d.name}"
    b.add_ns(ns_id, NodeKind.OVERLAY, f"1-{net.id[:10]} on {d.name}", host=d.name,
             bridge_nf=False)
    b.model.add_iface(Iface(ns_id, "br0", IfKind.BRIDGE, mtu=mtu, network=net.name,
                            addrs=[IPv4Interface(f"{net.gateway}/{net.subnet.prefixlen}")],
                            mac=b.mac(("br0", d.name, net.name), None, random=True)))
    vx = b.model.add_iface(Iface(ns_id, "vxlan0", IfKind.VXLAN, mtu=mtu, master="br0",
                                 vni=net.vni, vtep=d.address, network=net.name))
    for other in st.overlay_ns.values():
        b.model.graph.add_edge(vx.id, f"{other}/vxlan0", kind=EdgeKind.VXLAN)
    st.overlay_ns[d.name] = ns_id
    return ns_id


def attach(b: Builder, d: Daemon, st: NetState, name: str, ip: IPv4Address, ifname: str,
           cns: str) -> Iface:
    net = st.net
    if d.name not in net.hosts:
        raise b.error(("containers", name), f"network {net.name} not found on {d.name} "
                      f"(the overlay spans {', '.join(net.hosts)})")
    if not st.extra["attachable"]:
        raise b.error(("containers", name), f"Could not attach to network {net.name}: rpc error: "
                      f"code = PermissionDenied desc = network {net.name} not manually attachable")
    first_here = d.name not in st.overlay_ns
    ns_id = st.overlay_ns.get(d.name) or _sandbox(b, d, st)
    if first_here:
        st.pool.next()  # the host's load-balancer endpoint lb_<netid> (docker-observed §3)
    mtu = st.extra["mtu"]
    index = sum(1 for i in b.model.ns[ns_id].ifaces.values() if i.kind == IfKind.VETH)
    outer = Iface(ns_id, f"veth{index}", IfKind.VETH, mtu=mtu, master="br0", network=net.name)
    mac = "02:42:" + ":".join(f"{x:02x}" for x in ip.packed)  # overlay keeps IP-derived MACs
    inner = Iface(cns, ifname, IfKind.VETH, mtu=mtu, mac=mac, network=net.name,
                  addrs=[IPv4Interface(f"{ip}/{net.subnet.prefixlen}")])
    b.model.add_iface(outer)
    b.model.add_iface(inner)
    b.model.link_veth(outer, inner)
    return inner


def provides_gateway(b: Builder, st: NetState) -> bool:
    return False


def program_peers(b: Builder) -> None:
    """What NetworkDB gossip would program: in each host's sandbox, for every container of the
    network on another host, a permanent neighbour (IP -> MAC on vxlan0) and a bridge FDB
    entry (MAC -> that host's VTEP) (spec §7.3 peerdb)."""
    for st in b.swarm.values():
        for host, ns_id in st.overlay_ns.items():
            ns = b.model.ns[ns_id]
            for name, addr in st.net.endpoints.items():
                remote = b.model.container_meta[name]["host"]
                if remote == host:
                    continue
                mac = b.model.ns[b.model.endpoints[name].ns].ifaces[_ifname(b, name, st)].mac
                ns.neighbours.append(("vxlan0", addr.ip, mac))
                ns.fdb.append(("vxlan0", mac, b.daemons[remote].address))


def _ifname(b: Builder, name: str, st: NetState) -> str:
    ns = b.model.ns[b.model.endpoints[name].ns]
    for i in ns.ifaces.values():
        if i.network == st.net.name:
            return i.name
    raise KeyError(f"{name} has no interface on {st.net.name}")
