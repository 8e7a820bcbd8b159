"""flannel's host-gw backend (pkg/backend/hostgw, routenetwork.go): per family a route per
remote node's subnet via that node's address of the family. The kernel takes it only when
that address is on the node's link; otherwise flanneld logs the error and goes on, and that
node's pods are unreachable from here (the pitfall: host-gw across a router)."""

from __future__ import annotations

from netsim.model.graph import Route
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel.flanneld import Flannel, Lease


def on_link(cni: Cni, lease: Lease, other: Lease, family: int = 4) -> bool:
    uplink = cni.model.ns[lease.node].ifaces[lease.uplink]
    return any(other.public[family] in a.network for a in uplink.addrs
               if a.version == family)


def direct(cni: Cni, lease: Lease, other: Lease, family: int = 4) -> None:
    """The route to a node's pods via that node's address (host-gw, or vxlan's
    DirectRouting)."""
    cni.model.ns[lease.node].routes.append(Route(other.subnets[family], lease.uplink,
                                                 via=other.public[family]))


def program(cni: Cni, fl: Flannel, lease: Lease) -> None:
    for family in fl.conf.families:
        for other in fl.leases.values():
            if other.node == lease.node:
                continue
            if on_link(cni, lease, other, family):
                direct(cni, lease, other, family)
            else:
                cni.warn("F01", f"{lease.node}: flanneld (host-gw): Error adding route to "
                         f"{other.subnets[family]} via {other.public[family]}: network is "
                         f"unreachable — {other.node} is not on {lease.node}'s L2 segment, so "
                         "its pods are unreachable from here; host-gw needs every node on one "
                         "segment (use Backend vxlan, with DirectRouting for the nodes that "
                         "share one)")
