"""`ipvlan` (containernetworking/plugins plugins/main/ipvlan): a child of the node's `master`
link sharing its MAC, moved into the container, in mode l2 (default), l3 or l3s; the IPAM
plugin's address and routes. It cannot reach its master. Modelled with the ipvlan link kind;
this machine's kernel has no ipvlan, so `netsim run` refuses it (exit 3)."""

from __future__ import annotations

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import bridge, ipam, macvlan

MODES = ("l2", "l3", "l3s")


def add(a: Add) -> dict:
    p, model = a.plugin, a.cni.model
    mode = str(p.get("mode", "l2"))
    if mode not in MODES:
        raise a.cni.error((*a.path, "mode"), f"unknown ipvlan mode: {mode}", ", ".join(MODES))
    lower = macvlan.master_of(a)
    got = ipam.lease(a)
    model.add_iface(Iface(a.ns, a.ifname, IfKind.IPVLAN, mtu=int(p.get("mtu", lower.mtu)),
                          parent=lower.id, mode=mode, addrs=[got.address], built_by="cni",
                          mac=lower.mac, network=a.conflist["name"]))
    for dst, gw in got.routes:
        model.ns[a.ns].routes.append(Route(dst, a.ifname, via=gw or got.gateway))
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": a.ifname, "sandbox": a.ns}],
            "ips": [bridge.ip_result(got.address, got.gateway, 0)]}
