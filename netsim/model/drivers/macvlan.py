"""Docker's macvlan driver (spec §6). Containers get their own MAC on the host's parent link;
no NAT, no rules; the kernel keeps parent and children apart (P01)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from typing import TYPE_CHECKING

from netsim.model.graph import Iface, IfKind, Route

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon, NetState
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


def _parent(spec: Network) -> str | None:
    return spec.parent or spec.options.get("parent")


def validate(b: Builder, name: str, spec: Network, path: tuple) -> None:
    mode = _mode(spec)
    if mode not in MODES:
        raise b.error((*path, "mode"), f"requested macvlan mode '{mode}' is not valid, 'bridge' "
                      "mode is the macvlan driver default", ", ".join(MODES))
    if spec.hosts is not None:
        raise b.error((*path, "hosts"), "a macvlan network belongs to one host: use host:",
                      at_key=True)


def create(b: Builder, d: Daemon, st: NetState, spec: Network) -> None:
    path, net = st.path, st.net
    mode, parent = _mode(spec), _parent(spec)
    uplink = d.spec.interface
    net.options = {**net.options, "parent": parent or "", "macvlan_mode": mode}
    if parent is None:  # Docker makes a dummy parent and an internal network (spec §6.2)
        parent = f"dm-{net.id[:12]}"
        b.model.add_iface(Iface(d.ns, parent, IfKind.DUMMY, network=net.name))
        net.internal = True
        net.gateway = None
    elif parent == "lo":
        raise b.error((*path, "parent"), "loopback interface is not a valid macvlan parent link")
    elif parent != uplink:
        _vlan_parent(b, d, st, parent, uplink)
    for other in d.nets.values():
        if other is st or other.net.driver != "macvlan" or other.extra.get("parent") != parent:
            continue
        if "passthru" in (mode, other.extra["mode"]):
            raise b.error((*path, "parent"), f"Error response from daemon: macvlan network "
                          f"{other.net.name} is already using parent interface {parent}"
                          + (" in mode passthru" if other.extra["mode"] == "passthru" else ""))
        if not b.profile.macvlan_share_parent:
            raise b.error((*path, "parent"), f"Error response from daemon: network "
                          f"dm-{other.net.id[:12]} is already using parent interface {parent}")
    st.extra.update(parent=parent, mode=mode, children=0)
    net.device = parent
    if spec.shim:
        _shim(b, d, st, spec)


def _shim(b: Builder, d: Daemon, st: NetState, spec: Network) -> None:
    """The usual workaround (spec §6.4): the host's own macvlan child in bridge mode on the same
    parent, a /32 address, and a route to the containers' range through it."""
    net = st.net
    if st.extra["mode"] != "bridge":
        raise b.error((*st.path, "shim"), f"a shim reaches {st.extra['mode']}-mode containers "
                      "no better than the host does", "shim: true with mode: bridge")
    ip = spec.aux_addresses.get("host") or _free_top(b, st)
    st.pool.reserve(ip)
    name = f"shim-{net.id[:10]}"
    uplink = b.model.ns[d.ns].ifaces[st.extra["parent"]]
    b.model.add_iface(Iface(d.ns, name, IfKind.MACVLAN, mtu=uplink.mtu, parent=uplink.id,
                            mode="bridge", mac=b.mac(("shim", d.name, net.name), None, random=True),
                            addrs=[IPv4Interface(f"{ip}/32")], network=net.name))
    b.model.ns[d.ns].routes.append(Route(net.ip_range or net.subnet, name))
    st.extra["shim"] = ip


def _free_top(b: Builder, st: NetState) -> IPv4Address:
    """The highest address of the subnet that neither Docker nor the LAN uses."""
    net = st.net.subnet
    for ip in reversed(list(net.hosts())):
        if int(ip) not in st.pool.used and ip not in b.used_lan and (
                st.net.ip_range is None or ip not in st.net.ip_range):
            return ip
    raise b.error((*st.path, "shim"), "no free address for the shim",
                  "aux_addresses: {host: <free address>}")


def _vlan_parent(b: Builder, d: Daemon, st: NetState, parent: str, uplink: str) -> None:
    """`-o parent=eth0.10`: Docker makes the 802.1q link itself (spec §6.2)."""
    ppath = (*st.path, "parent")
    base, dot, vid = parent.rpartition(".")
    if not dot:
        raise b.error(ppath, f"Error response from daemon: invalid subinterface vlan name "
                      f"{parent}, example formatting is eth0.10", f"{uplink} or {uplink}.<vlan>")
    if not vid.isdigit():
        raise b.error(ppath, f"Error response from daemon: unable to parse a valid vlan id from: "
                      f"{parent} (ex. eth0.10 for vlan 10)")
    if not 1 <= int(vid) <= 4094:
        raise b.error(ppath, f"Error response from daemon: vlan id must be between 1-4094, "
                      f"received: {int(vid)}")
    if base != uplink:
        raise b.error(ppath, f"Error response from daemon: -o parent interface was not found on "
                      f"the host: {base}", uplink)
    if parent not in b.model.ns[d.ns].ifaces:
        b.model.add_iface(Iface(d.ns, parent, IfKind.VLAN, parent=f"{d.ns}/{uplink}",
                                mode=vid, mtu=b.model.ns[d.ns].ifaces[uplink].mtu))


def attach(b: Builder, d: Daemon, st: NetState, name: str, ip: IPv4Address, ifname: str,
           cns: str) -> Iface:
    parent = b.model.ns[d.ns].ifaces[st.extra["parent"]]
    if st.extra["mode"] == "passthru" and st.extra["children"]:
        raise b.error(("containers", name), "failed to create the macvlan port: device or "
                      "resource busy (passthru takes one container per parent)")
    st.extra["children"] += 1
    iface = Iface(cns, ifname, IfKind.MACVLAN, mtu=parent.mtu, parent=parent.id,
                  mode=st.extra["mode"], mac=b.mac(("endpoint", name, st.net.name), ip),
                  addrs=[IPv4Interface(f"{ip}/{st.net.subnet.prefixlen}")], network=st.net.name)
    return b.model.add_iface(iface)


def provides_gateway(b: Builder, st: NetState) -> bool:
    return not st.net.internal and st.net.gateway is not None
