"""flannel's vxlan backend (pkg/backend/vxlan): `flannel.<VNI>` on the node, learning off, the
lease's .0 as a /32; per remote node a route to its subnet via its .0 `onlink`, a permanent
neighbour (.0 -> its VTEP MAC) and an FDB entry (MAC -> its public address). DirectRouting:
a node on the same subnet gets a plain route instead, as host-gw would."""

from __future__ import annotations

from ipaddress import IPv4Interface

from netsim.model.assembly import ANY
from netsim.model.graph import Iface, IfKind, Listener, Route
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel import hostgw
from netsim.runtime.cni.flannel.flanneld import Flannel, Lease


def device(fl: Flannel) -> str:
    return f"flannel.{fl.conf.vni}"


def program(cni: Cni, fl: Flannel, lease: Lease) -> None:
    model, name = cni.model, device(fl)
    vx = model.add_iface(Iface(lease.node, name, IfKind.VXLAN, mtu=lease.mtu,
                               addrs=[IPv4Interface(f"{lease.subnet.network_address}/32")],
                               mac=lease.vtep_mac, vni=fl.conf.vni, vtep=lease.public_ip,
                               port=fl.conf.port, prefix_route=False, network="flannel"))
    # the kernel's VXLAN socket: what the predictor's underlay probe must reach
    model.ns[lease.node].listeners.append(Listener(ANY, fl.conf.port, "udp", "vxlan", None,
                                                   f"{name}: the kernel's VXLAN socket"))
    ns = model.ns[lease.node]
    for other in fl.leases.values():
        if other.node == lease.node:
            continue
        if fl.conf.direct_routing and hostgw.on_link(cni, lease, other):
            hostgw.direct(cni, lease, other)
            continue
        gw = other.subnet.network_address
        ns.routes.append(Route(other.subnet, name, via=gw, onlink=True))
        ns.neighbours.append((name, gw, other.vtep_mac))
        ns.fdb.append((name, other.vtep_mac, other.public_ip))
        peer = f"{other.node}/{name}"
        if peer in model.graph:
            model.link_tunnel(vx.id, peer)
