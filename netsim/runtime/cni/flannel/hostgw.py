"""flannel's host-gw backend (pkg/backend/hostgw, routenetwork.go): a route per remote node's
subnet via that node's address. The kernel takes it only when that address is on the
node's link; otherwise flanneld logs the error and goes on, and that node's pods are
unreachable from here (the pitfall: host-gw across a router)."""

from __future__ import annotations

from netsim.model.graph import Route
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel.flanneld import Flannel, Lease


def on_link(cni: Cni, lease: Lease, other: Lease) -> bool:
    uplink = cni.model.ns[lease.node].ifaces[lease.uplink]
    return any(other.public_ip in a.network for a in uplink.addrs)


def direct(cni: Cni, lease: Lease, other: Lease) -> None:
    """The route to a node's pods via that node's address (host-gw, or vxlan's
    DirectRouting)."""
    cni.model.ns[lease.node].routes.append(Route(other.subnet, lease.uplink,
                                                 via=other.public_ip))


def program(cni: Cni, fl: Flannel, lease: Lease) -> None:
    for other in fl.leases.values():
        if other.node == lease.node:
            continue
        if on_link(cni, lease, other):
            direct(cni, lease, other)
        else:
            cni.warn("F01", f"{lease.node}: flanneld (host-gw): Error adding route to "
                     f"{other.subnet} via {other.public_ip}: network is unreachable — "
                     f"{other.node} is not on {lease.node}'s L2 segment, so its pods are "
                     "unreachable from here; host-gw needs every node on one segment (use "
                     "Backend vxlan, with DirectRouting for the nodes that share one)")
