"""flannel's vxlan backend (pkg/backend/vxlan): per family a VXLAN device on the node
(`flannel.<VNI>`, and `flannel-v6.<VNI>` over the IPv6 underlay with EnableIPv6), learning
off, the lease's first address as a /32 (/128); per remote node a route to its subnet via
that address `onlink`, a permanent neighbour (-> its VTEP MAC) and an FDB entry (MAC -> its
public address of that family). DirectRouting: a node on the same subnet gets a plain route
instead, as host-gw would."""

from __future__ import annotations

from ipaddress import ip_interface

from netsim.model.assembly import ANY
from netsim.model.graph import ANY6, Iface, IfKind, Listener, Route
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel import hostgw
from netsim.runtime.cni.flannel.flanneld import Flannel, Lease

# the kernel's room for VXLAN's headers, per underlay family (VXLAN_HEADROOM,
# VXLAN6_HEADROOM): a device bound to its uplink is clamped to the uplink's MTU minus this,
# whatever MTU flanneld asked for (observed: 1500 - 70 = 1430 for flannel-v6.1)
HEADROOM = {4: 50, 6: 70}


def device(fl: Flannel, family: int = 4) -> str:
    return f"flannel.{fl.conf.vni}" if family == 4 else f"flannel-v6.{fl.conf.vni}"


def program(cni: Cni, fl: Flannel, lease: Lease) -> None:
    for family in fl.conf.families:
        _program(cni, fl, lease, family)


def _program(cni: Cni, fl: Flannel, lease: Lease, family: int) -> None:
    model, name = cni.model, device(fl, family)
    ns = model.ns[lease.node]
    subnet = lease.subnets[family]
    uplink = ns.ifaces[lease.uplink].mtu
    vx = model.add_iface(Iface(lease.node, name, IfKind.VXLAN,
                               mtu=min(lease.mtu, uplink - HEADROOM[family]),
                               addrs=[ip_interface((subnet.network_address,
                                                    subnet.max_prefixlen))],
                               mac=lease.vtep_macs[family], vni=fl.conf.vni,
                               vtep=lease.public[family], port=fl.conf.port,
                               prefix_route=False, network="flannel"))
    # the kernel's VXLAN socket (IPv6-only for the IPv6 device): what the predictor's
    # underlay probe must reach
    ns.listeners.append(Listener(ANY if family == 4 else ANY6, fl.conf.port, "udp", "vxlan",
                                 None, f"{name}: the kernel's VXLAN socket",
                                 v6only=family == 6))
    for other in fl.leases.values():
        if other.node == lease.node:
            continue
        if fl.conf.direct_routing and hostgw.on_link(cni, lease, other, family):
            hostgw.direct(cni, lease, other, family)
            continue
        theirs = other.subnets[family]
        gw = theirs.network_address
        ns.routes.append(Route(theirs, name, via=gw, onlink=True))
        ns.neighbours.append((name, gw, other.vtep_macs[family]))
        ns.fdb.append((name, other.vtep_macs[family], other.public[family]))
        peer = f"{other.node}/{name}"
        if model.has_iface(peer):
            model.link_tunnel(vx.id, peer)
