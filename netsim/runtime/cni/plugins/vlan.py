"""`vlan` (containernetworking/plugins plugins/main/vlan): an 802.1q sub-interface of the
node's `master` with `vlanId`, made and moved into the container; the IPAM plugin's address
and routes. Modelled with the vlan link kind; this machine's kernel has no 8021q, so
`netsim run` refuses it (exit 3)."""

from __future__ import annotations

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import bridge, ipam, macvlan


def add(a: Add) -> dict:
    p, model = a.plugin, a.cni.model
    vid = p.get("vlanId")
    if not isinstance(vid, int) or not 0 <= vid <= 4094:
        raise a.cni.error((*a.path, "vlanId"), "invalid VLAN ID " + str(vid) + " (must be "
                          "between 0 and 4094 inclusive)", "0-4094")
    lower = macvlan.master_of(a)
    got = ipam.lease(a)
    model.add_iface(Iface(a.ns, a.ifname, IfKind.VLAN, mtu=int(p.get("mtu", lower.mtu)),
                          parent=lower.id, vlan_id=vid, addrs=[got.address], built_by="cni",
                          mac=a.cni.asm.mac(("cni-vlan", a.container)),
                          network=a.conflist["name"]))
    for dst, gw in got.routes:
        model.ns[a.ns].routes.append(Route(dst, a.ifname, via=gw or got.gateway))
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": a.ifname, "sandbox": a.ns}],
            "ips": [bridge.ip_result(got.address, got.gateway, 0)]}
