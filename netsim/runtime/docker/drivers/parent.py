"""The parent link of a macvlan or ipvlan network (spec §6.2, §8.1): the host's uplink, an
802.1q sub-interface Docker creates (`eth0.10`), or a dummy link when none is given (the
network is then internal). Both drivers word the same rules the same way."""

from __future__ import annotations

from netsim.model.graph import Iface, IfKind
from netsim.runtime.docker.context import Daemon, Docker, NetState
from netsim.scenario.schema import Network

DUMMY_PREFIX = {"macvlan": "dm-", "ipvlan": "di-"}  # libnetwork's dummyPrefix per driver


def given(spec: Network) -> str | None:
    return spec.parent or spec.options.get("parent")


def resolve(dk: Docker, d: Daemon, st: NetState, spec: Network, mode: str) -> str:
    """The parent's interface name on the host, created in the model when Docker makes it."""
    net, driver = st.net, st.net.driver
    parent = given(spec)
    if parent is None:  # Docker makes a dummy parent and an internal network
        parent = f"{DUMMY_PREFIX[driver]}{net.id[:12]}"
        dk.model.add_iface(Iface(d.ns, parent, IfKind.DUMMY, network=net.name))
        net.internal = True
        net.gateway = None
    elif parent == "lo":
        raise dk.error((*st.path, "parent"),
                       f"loopback interface is not a valid {driver} parent link")
    elif parent != d.spec.interface:
        _vlan(dk, d, st, parent)
    for other in d.nets.values():
        if other is st or other.net.driver != driver or other.extra.get("parent") != parent:
            continue
        if "passthru" in (mode, other.extra.get("mode")):
            raise dk.error((*st.path, "parent"), f"Error response from daemon: {driver} network "
                           f"{other.net.name} is already using parent interface {parent}"
                           + (" in mode passthru" if other.extra.get("mode") == "passthru" else ""))
        if not dk.profile.macvlan_share_parent:
            raise dk.error((*st.path, "parent"), f"Error response from daemon: network "
                           f"{DUMMY_PREFIX[driver]}{other.net.id[:12]} is already using parent "
                           f"interface {parent}")
    return parent


def _vlan(dk: Docker, d: Daemon, st: NetState, parent: str) -> None:
    """`-o parent=eth0.10`: Docker makes the 802.1q link itself."""
    ppath, uplink = (*st.path, "parent"), d.spec.interface
    base, dot, vid = parent.rpartition(".")
    if not dot:
        raise dk.error(ppath, f"Error response from daemon: invalid subinterface vlan name "
                       f"{parent}, example formatting is eth0.10", f"{uplink} or {uplink}.<vlan>")
    if not vid.isdigit():
        raise dk.error(ppath, f"Error response from daemon: unable to parse a valid vlan id from: "
                       f"{parent} (ex. eth0.10 for vlan 10)")
    if not 1 <= int(vid) <= 4094:
        raise dk.error(ppath, f"Error response from daemon: vlan id must be between 1-4094, "
                       f"received: {int(vid)}")
    if base != uplink:
        raise dk.error(ppath, f"Error response from daemon: -o parent interface was not found on "
                       f"the host: {base}", uplink)
    if parent not in dk.model.ns[d.ns].ifaces:
        dk.model.add_iface(Iface(d.ns, parent, IfKind.VLAN, parent=f"{d.ns}/{uplink}",
                                 vlan_id=int(vid), mtu=dk.model.ns[d.ns].ifaces[uplink].mtu))
