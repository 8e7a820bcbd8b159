"""Docker's overlay driver (spec §7): one namespace per network per host with `br0` and
`vxlan0`, static VXLAN peers, MTU 1450, egress through `docker_gwbridge`."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.links.vxlan import OVERHEAD as VXLAN_OVERHEAD
from netsim.links.vxlan import PORT as VXLAN_PORT
from netsim.model.graph import Iface, IfKind, Listener, NetRecord, NodeKind
from netsim.runtime.docker.context import Daemon, Docker, Join, NetState
from netsim.runtime.docker.drivers import mtu as mtu_option
from netsim.runtime.docker.ipam import GLOBAL_POOLS, IpamError, SubnetAllocator
from netsim.scenario.schema import Network

INGRESS = IPv4Network("10.0.0.0/24")  # swarm init takes it first (spec §7.1)
GWBRIDGE = {"com.docker.network.bridge.enable_icc": "false",
            "com.docker.network.bridge.enable_ip_masquerade": "true",
            "com.docker.network.bridge.name": "docker_gwbridge"}


def validate(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    if spec.host is not None:
        raise dk.error((*path, "host"), "overlay is swarm-scoped: it spans the swarm's hosts, "
                      "not one", "remove host:, or list the hosts with hosts: [docker1, docker2]",
                      at_key=True)
    for key in ("parent", "mode"):
        if getattr(spec, key) is not None:
            raise dk.error((*path, key), f"'{key}' is a macvlan/ipvlan option", at_key=True)
    for i, h in enumerate(spec.hosts or []):
        if h not in dk.daemons:
            raise dk.error((*path, "hosts", i), f"no Docker host named '{h}'",
                           ", ".join(dk.daemons))


def swarm_init(dk: Docker, path: tuple) -> None:
    """First overlay: every host joins the swarm; each gets docker_gwbridge (ingress_sbox takes
    its .2) and a VXLAN socket; the ingress network takes 10.0.0.0/24 and VNI 4096."""
    dk.swarm_pool = SubnetAllocator(GLOBAL_POOLS, [dk.sc.lan.subnet], dk.profile.pool_exhausted)
    dk.swarm_pool.claim(INGRESS)
    for d in dk.daemons.values():
        d.gwbridge = dk.local_network(d, "docker_gwbridge", Network(options=GWBRIDGE), path)
        d.gwbridge.pool.next()  # ingress_sbox's endpoint (docker-observed §3 overlay)
        dk.model.ns[d.ns].listeners.append(Listener(IPv4Address("0.0.0.0"), VXLAN_PORT, "udp",
                                                   "vxlan", None, "dockerd VXLAN data path"))


def _mtu(dk: Docker, spec: Network, path: tuple) -> int:
    """The overlay driver's own parse (ov_network.go), its own words."""
    return mtu_option.parse(dk, spec.options, path, 'failed to parse {text}: strconv.Atoi: parsing '
                     '"{text}": invalid syntax', "invalid MTU value: {mtu}")


def create_swarm(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    if dk.swarm_pool is None:
        swarm_init(dk, path)
    if name in dk.swarm:
        raise dk.error(path, f"network with name {name} already exists", at_key=True)
    try:
        subnet = dk.swarm_pool.claim(spec.subnet) if spec.subnet else dk.swarm_pool.allocate()
    except IpamError as e:
        raise dk.error((*path, "subnet"), f"Error response from daemon: {e}") from None
    pool, gateway = dk.address_pool(subnet, spec, path)
    mtu = _mtu(dk, spec, path) - VXLAN_OVERHEAD
    net = NetRecord(
        name=name, driver="overlay", scope="swarm", id=dk.digest("network", "swarm", name),
        subnet=subnet, gateway=gateway, gateway_in_config=spec.gateway is not None,
        ip_range=spec.ip_range, internal=spec.internal, options=dict(spec.options), host=None,
        device="br0", vni=dk.next_vni, hosts=tuple(spec.hosts or dk.daemons))
    dk.next_vni += 1
    st = NetState(net, pool, path, user_subnet=spec.subnet is not None)
    st.extra.update(mtu=mtu, attachable=spec.attachable)
    dk.swarm[name] = st
    dk.model.add_network(f"swarm/{name}", net)


def _sandbox(dk: Docker, d: Daemon, st: NetState) -> str:
    """Docker's `1-<netid>` namespace on this host: br0 + vxlan0, peers programmed statically."""
    net, mtu = st.net, st.extra["mtu"]
    ns_id = f"_ov-{net.name}@{d.name}"
    dk.asm.add_ns(ns_id, NodeKind.OVERLAY, f"1-{net.id[:10]} on {d.name}", host=d.name,
                  bridge_nf=False)
    dk.model.add_iface(Iface(ns_id, "br0", IfKind.BRIDGE, mtu=mtu, network=net.name,
                             addrs=[IPv4Interface(f"{net.gateway}/{net.subnet.prefixlen}")],
                             mac=dk.asm.mac(("br0", d.name, net.name))))
    vx = dk.model.add_iface(Iface(ns_id, "vxlan0", IfKind.VXLAN, mtu=mtu, master="br0",
                                  vni=net.vni, vtep=d.address, network=net.name))
    for other in st.overlay_ns.values():
        dk.model.link_tunnel(vx.id, f"{other}/vxlan0")
    st.overlay_ns[d.name] = ns_id
    return ns_id


def attach(j: Join) -> Iface:
    dk, d, st, name, ip = j.dk, j.daemon, j.st, j.container, j.ip
    net = st.net
    if d.name not in net.hosts:
        raise dk.error(("containers", name), f"network {net.name} not found on {d.name} "
                       f"(the overlay spans {', '.join(net.hosts)})")
    if not st.extra["attachable"]:
        raise dk.error(("containers", name), f"Could not attach to network {net.name}: rpc "
                       f"error: code = PermissionDenied desc = network {net.name} not manually "
                       "attachable")
    first_here = d.name not in st.overlay_ns
    ns_id = st.overlay_ns.get(d.name) or _sandbox(dk, d, st)
    if first_here:
        st.pool.next()  # the host's load-balancer endpoint lb_<netid> (docker-observed §3)
    mtu = st.extra["mtu"]
    index = sum(1 for i in dk.model.ns[ns_id].ifaces.values() if i.kind == IfKind.VETH)
    outer = Iface(ns_id, f"veth{index}", IfKind.VETH, mtu=mtu, master="br0", network=net.name)
    inner = Iface(j.ns, j.ifname, IfKind.VETH, mtu=mtu, network=net.name,
                  mac=dk.asm.mac(("endpoint", name, net.name), ip),  # overlays keep 02:42+IP
                  addrs=[IPv4Interface(f"{ip}/{net.subnet.prefixlen}")])
    dk.model.add_iface(outer)
    dk.model.add_iface(inner)
    dk.model.link_veth(outer, inner)
    return inner


def gives_gateway(dk: Docker, st: NetState) -> bool:
    return False


def program_peers(dk: Docker) -> None:
    """What NetworkDB gossip would program: in each host's sandbox, for every container of the
    network on another host, a permanent neighbour (IP -> MAC on vxlan0) and a bridge FDB
    entry (MAC -> that host's VTEP) (spec §7.3 peerdb)."""
    for st in dk.swarm.values():
        for host, ns_id in st.overlay_ns.items():
            ns = dk.model.ns[ns_id]
            for name, addr in st.net.endpoints.items():
                remote = dk.model.containers[name].host
                if remote == host:
                    continue
                mac = dk.model.ns[dk.model.endpoints[name].ns].ifaces[_ifname(dk, name, st)].mac
                ns.neighbours.append(("vxlan0", addr.ip, mac))
                ns.fdb.append(("vxlan0", mac, dk.daemons[remote].address))


def _ifname(dk: Docker, name: str, st: NetState) -> str:
    ns = dk.model.ns[dk.model.endpoints[name].ns]
    for i in ns.ifaces.values():
        if i.network == st.net.name:
            return i.name
    raise KeyError(f"{name} has no interface on {st.net.name}")
