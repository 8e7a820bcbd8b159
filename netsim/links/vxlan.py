"""VXLAN: a frame sent on it reaches the VXLAN devices of the same VNI on the peers it was
programmed with; it travels inside a UDP packet on the underlay (the predictor sends that
packet for real, so underlay filters and MTU decide)."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style, Tunnel
from netsim.model.graph import Iface, IfKind, Model

PORT = 4789  # IANA VXLAN (Docker's overlay; flannel uses 8472)
OVERHEAD = 50  # inner Ethernet 14 + outer IPv4 20 + UDP 8 + VXLAN 8 (spec §7.4); IPv6: 70


def transmit(f: Frames, iface: Iface) -> list[State]:
    return [("rx", n) for n in f.tunnel_peers(iface)]


def build(b: Build, model: Model, i: Iface) -> None:
    """Created by the host's socket so its UDP socket lives with the underlay (spec §7.3)."""
    host = model.ns[i.ns].host
    # Docker's vxlan0 (a bridge port) answers ARP from its neighbour table; flannel's device is
    # routed to through permanent neighbours, never ARPed across
    local = {"vxlan_local6" if i.vtep.version == 6 else "vxlan_local": str(i.vtep)}
    b.sock(host).link("add", ifname=i.name, kind="vxlan", vxlan_id=i.vni,
                      vxlan_port=port(i), vxlan_learning=0, **local,
                      vxlan_proxy=int(i.master is not None), net_ns_fd=b.fd(i.ns), mtu=i.mtu,
                      **({"address": i.mac} if i.mac else {}))


def port(i: Iface) -> int:
    return i.port or PORT


KIND = LinkKind(IfKind.VXLAN, transmit, build, Style("--", "VXLAN"), phase=2,
                tunnel=Tunnel("VXLAN", "udp", OVERHEAD, port))
