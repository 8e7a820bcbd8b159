"""ipvlan: children share the lower link's MAC (spec §8.1). l2 switches like macvlan in bridge
mode; l3 routes: a child's packets leave through the lower link's namespace, whose routing
decides, and packets for a child's address arriving on the lower link are handed to it by
address (no ARP, no broadcast). Either way the lower link's own stack never meets its
children. This machine's kernel has no ipvlan: modelled and predicted, refused at `run`."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model, NodeKind


def transmit(f: Frames, iface: Iface) -> list[State]:
    lower = f.iface(iface.parent)
    siblings = [("rx", c.id) for c in f.children(lower.id)
                if c.id != iface.id and c.kind == IfKind.IPVLAN and c.mode == iface.mode]
    if iface.mode == "l3":
        return siblings  # off-host traffic is routed by the lower link's namespace
    return f.transmit(lower) + siblings


def accepts(child: Iface, origin: Iface, isolated: str | None) -> bool:
    return child.id != origin.id and child.mode == "l2"  # l3 children answer no ARP


def routed_by_lower(iface: Iface) -> bool:
    return iface.mode == "l3"


def build(b: Build, model: Model, i: Iface) -> None:
    lower = model.iface(i.parent)
    ipr = b.sock(lower.ns)
    idx = ipr.link_lookup(ifname=lower.name)[0]
    ipr.link("add", ifname=i.name, kind="ipvlan", link=idx, ipvlan_mode=0 if i.mode == "l2" else 1,
             net_ns_fd=b.fd(i.ns), mtu=i.mtu)


def lint(model: Model, iface: Iface) -> str | None:
    """l3: the LAN reaches the child only by a route to its address via the host."""
    if iface.mode != "l3" or not iface.addrs:
        return None
    ip = iface.addrs[0].ip
    peers = [ns for ns in model.ns.values() if ns.kind in (NodeKind.LAN_PEER, NodeKind.ROUTER)]
    if all(any(ip in r.dst and r.dst.prefixlen > 0 for r in ns.routes) for ns in peers):
        return None
    host = model.ns[model.iface(iface.parent).ns].label
    return (f"{iface.ns}: ipvlan l3 address {ip} is reached from the LAN only through {host}: "
            f"add lan.routes: {{{iface.addrs[0].network}: {host}}}")


KIND = LinkKind(IfKind.IPVLAN, transmit, build, Style((0, (3, 1, 1, 1, 1, 1)), "ipvlan"),
                phase=2, accepts=accepts, routed_by_lower=routed_by_lower,
                unsupported="ipvlan links (\"failed to create the ipvlan port: operation not "
                            "supported\", as Docker reports it here)", lint=lint)
