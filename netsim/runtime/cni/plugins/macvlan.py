"""`macvlan` (containernetworking/plugins plugins/main/macvlan): a child of the node's `master`
link (its default-route link when none is named) with its own MAC, moved into the container;
host-local's address and routes. The kernel keeps the node and its children apart (P01)."""

from __future__ import annotations

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import bridge, ipam

MODES = ("bridge", "private", "vepa", "passthru")


def master_of(a: Add) -> Iface:
    """The node's `master` link (its default-route link when none is named), as macvlan,
    ipvlan and vlan look it up."""
    master = str(a.plugin.get("master") or a.node.spec.interface)
    lower = a.cni.model.ns[a.node.ns].ifaces.get(master)
    if lower is None:
        raise a.cni.error((*a.path, "master"), f'failed to lookup master "{master}": Link not '
                          "found", a.node.spec.interface)
    return lower


def add(a: Add) -> dict:
    p, model = a.plugin, a.cni.model
    mode = str(p.get("mode", "bridge"))
    if mode not in MODES:
        raise a.cni.error((*a.path, "mode"), f"unknown macvlan mode: {mode}", ", ".join(MODES))
    lower = master_of(a)
    got = ipam.lease(a)
    addr, gateway = got.address, got.gateway
    holder = a.cni.asm.used_lan.get(addr.ip)
    if holder:
        raise a.cni.error((*a.path, "ipam"), f"host-local gives {a.container} {addr.ip}, but "
                          f"{holder} already uses it on the LAN: host-local does not know the "
                          "LAN", "narrow the range with rangeStart / rangeEnd")
    a.cni.asm.used_lan[addr.ip] = a.container
    model.add_iface(Iface(a.ns, a.ifname, IfKind.MACVLAN, mtu=int(p.get("mtu", lower.mtu)),
                          parent=lower.id, mode=mode, addrs=[addr], built_by="cni",
                          mac=a.cni.asm.mac(("cni-macvlan", a.container)),
                          network=a.conflist["name"]))
    for dst, gw in got.routes:
        model.ns[a.ns].routes.append(Route(dst, a.ifname, via=gw or gateway))
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": a.ifname, "sandbox": a.ns}],
            "ips": [bridge.ip_result(addr, gateway, 0)]}
