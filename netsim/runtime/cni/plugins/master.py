"""What macvlan, ipvlan and vlan share: a link made from the node's `master` link and moved
into the container. The master is looked up as the plugins look it up; the child gets the
IPAM plugin's address and routes, and the result is the same shape for all three."""

from __future__ import annotations

from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add, Lease
from netsim.runtime.cni.plugins import ipam


def lookup(a: Add) -> Iface:
    """The node's `master` link (its default-route link when none is named)."""
    master = str(a.plugin.get("master") or a.node.spec.interface)
    lower = a.cni.model.ns[a.node.ns].ifaces.get(master)
    if lower is None:
        raise a.cni.error((*a.path, "master"), f'failed to lookup master "{master}": Link not '
                          "found", a.node.spec.interface)
    return lower


def attach(a: Add, kind: IfKind, lower: Iface, got: Lease | None, **link) -> dict:
    """The child link in the container with the lease's address and routes (none without a
    lease: an L2-only link); its result."""
    model = a.cni.model
    model.add_iface(Iface(a.ns, a.ifname, kind, mtu=int(a.plugin.get("mtu", lower.mtu)),
                          parent=lower.id, addrs=[got.address] if got else [], built_by="cni",
                          network=a.conflist["name"], **link))
    for dst, gw in got.routes if got else ():
        model.ns[a.ns].routes.append(Route(dst, a.ifname, via=gw or got.gateway))
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": a.ifname, "sandbox": a.ns}],
            "ips": [ipam.ip_entry(got.address, got.gateway, 0)] if got else []}
