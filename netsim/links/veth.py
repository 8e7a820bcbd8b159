"""veth: a pair of interfaces; what one end sends, the other receives."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return [("rx", iface.peer)] if iface.peer else []


def build(b: Build, model: Model, i: Iface) -> None:
    """One request: one end born up (and enslaved), its peer born in the other namespace.
    Built from the enslaved end when there is one, so the bridge port is up at birth."""
    if i.id in b.done:
        return
    peer = model.iface(i.peer)
    if peer.master and not i.master:
        i, peer = peer, i
    ns, name = peer.born or (peer.ns, peer.name)  # where a runtime's tool will take it from
    spec = {"ifname": name, "net_ns_fd": b.fd(ns), "mtu": peer.mtu}
    if peer.mac:
        spec["address"] = peer.mac
    kw = {"address": i.mac} if i.mac else {}
    if i.master:
        kw["master"] = b.index[f"{i.ns}/{i.master}"]
    b.sock(i.ns).link("add", ifname=i.name, kind="veth", mtu=i.mtu, peer=spec,
                      index=b.new_index(i), state="up", **kw)
    b.up.add(i.id)
    b.done |= {i.id, peer.id}


KIND = LinkKind(IfKind.VETH, transmit, build, Style("-", "veth"))
