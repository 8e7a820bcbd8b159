"""A Linux bridge: sends to every port; a port's frame goes to the bridge device and to the
other ports (back out its own port only in hairpin mode)."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return [("tx", p.id) for p in f.ports(iface.id)]


def forward(f: Frames, port: Iface) -> list[State]:
    """A frame that arrived at an enslaved port."""
    bridge = f"{port.ns}/{port.master}"
    return [("rx", bridge)] + [("tx", p.id) for p in f.ports(bridge)
                               if p.id != port.id or p.hairpin]


def build(b: Build, model: Model, i: Iface) -> None:
    kw = {"address": i.mac} if i.mac else {}
    b.sock(i.ns).link("add", ifname=i.name, kind="bridge", mtu=i.mtu, br_stp_state=0,
                      br_forward_delay=0, index=b.new_index(i), state="up", **kw)
    b.up.add(i.id)


KIND = LinkKind(IfKind.BRIDGE, transmit, build, Style("-", "bridge"), phase=0, forward=forward)
