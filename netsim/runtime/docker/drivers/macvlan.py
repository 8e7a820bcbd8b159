"""Docker's macvlan driver (spec §6). Containers get their own MAC on the host's parent link;
no NAT, no rules; the kernel keeps parent and children apart (P01)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.docker.context import Daemon, Docker, Join, NetState
from netsim.runtime.docker.drivers import parent as parents
from netsim.scenario.schema import Network

# spec §6.1: can two children of one parent reach each other without leaving the host?
MODES = {
    "bridge": "directly, inside the kernel",
    "private": "never, not even through a hairpin switch",
    "vepa": "only through an upstream switch that reflects frames (hairpin)",
    "passthru": "one child per parent",
}
DEFAULT_MODE = "bridge"


def _mode(spec: Network) -> str:
    return spec.mode or spec.options.get("macvlan_mode") or DEFAULT_MODE


def validate(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    mode = _mode(spec)
    if mode not in MODES:
        raise dk.error((*path, "mode"), f"requested macvlan mode '{mode}' is not valid, 'bridge' "
                      "mode is the macvlan driver default", ", ".join(MODES))
    if spec.hosts is not None:
        raise dk.error((*path, "hosts"), "a macvlan network belongs to one host: use host:",
                      at_key=True)


def create(dk: Docker, d: Daemon, st: NetState, spec: Network) -> None:
    mode = _mode(spec)
    st.net.options = {**st.net.options, "parent": parents.given(spec) or "", "macvlan_mode": mode}
    parent = parents.resolve(dk, d, st, spec, mode)
    st.extra.update(parent=parent, mode=mode, children=0)
    st.net.device = parent
    if spec.shim:
        _shim(dk, d, st, spec)


def _shim(dk: Docker, d: Daemon, st: NetState, spec: Network) -> None:
    """The usual workaround (spec §6.4): the host's own macvlan child in bridge mode on the same
    parent, a /32 address, and a route to the containers' range through it."""
    net = st.net
    if st.extra["mode"] != "bridge":
        raise dk.error((*st.path, "shim"), f"a shim reaches {st.extra['mode']}-mode containers "
                      "no better than the host does", "shim: true with mode: bridge")
    ip = spec.aux_addresses.get("host") or _free_top(dk, st)
    st.pool.reserve(ip)
    name = f"shim-{net.id[:10]}"
    uplink = dk.model.ns[d.ns].ifaces[st.extra["parent"]]
    dk.model.add_iface(Iface(d.ns, name, IfKind.MACVLAN, mtu=uplink.mtu, parent=uplink.id,
                             mode="bridge", mac=dk.asm.mac(("shim", d.name, net.name)),
                             addrs=[IPv4Interface(f"{ip}/32")], network=net.name,
                             by_hand=True))
    dst = net.ip_range or net.subnet
    host = dk.model.ns[d.ns]
    same = [i.name for i in host.ifaces.values() for a in i.addrs if a.network == dst]
    if same or any(r.dst == dst for r in host.routes):  # `ip route add` would say EEXIST
        raise dk.error((*st.path, "shim"), f"the shim's route {dst} dev {name} is already "
                       f"{d.name}'s route (on {same[0] if same else 'another link'}): "
                       "\"RTNETLINK answers: File exists\"",
                       "an ip_range for the containers' part of the LAN, e.g. "
                       f"{dst.network_address + 192}/27")
    host.routes.append(Route(dst, name))
    st.extra["shim"] = ip


def _free_top(dk: Docker, st: NetState) -> IPv4Address:
    """The highest address of the subnet that neither Docker nor the LAN uses."""
    net = st.net.subnet
    for ip in reversed(list(net.hosts())):
        if int(ip) not in st.pool.used and ip not in dk.asm.used_lan and (
                st.net.ip_range is None or ip not in st.net.ip_range):
            return ip
    raise dk.error((*st.path, "shim"), "no free address for the shim",
                  "aux_addresses: {host: <free address>}")


def attach(j: Join) -> Iface:
    dk, st = j.dk, j.st
    parent = dk.model.ns[j.daemon.ns].ifaces[st.extra["parent"]]
    if st.extra["mode"] == "passthru" and st.extra["children"]:
        raise dk.error(("containers", j.container), "failed to create the macvlan port: device "
                       "or resource busy (passthru takes one container per parent)")
    st.extra["children"] += 1
    iface = Iface(j.ns, j.ifname, IfKind.MACVLAN, mtu=parent.mtu, parent=parent.id,
                  mode=st.extra["mode"], mac=dk.mac(("endpoint", j.container, st.net.name), j.ip),
                  addrs=[IPv4Interface(f"{j.ip}/{st.net.subnet.prefixlen}")], network=st.net.name)
    return dk.model.add_iface(iface)


def gives_gateway(dk: Docker, st: NetState) -> bool:
    return not st.net.internal and st.net.gateway is not None
