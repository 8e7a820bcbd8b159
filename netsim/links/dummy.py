"""dummy: a link that goes nowhere (Docker's parent for a macvlan / ipvlan network without
one). This machine's kernel has no dummy module."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return []


def build(b: Build, model: Model, i: Iface) -> None:
    b.sock(i.ns).link("add", ifname=i.name, kind="dummy", mtu=i.mtu, index=b.new_index(i))


KIND = LinkKind(IfKind.DUMMY, transmit, build, Style(":", "dummy"), phase=1,
                unsupported="dummy links (macvlan or ipvlan without parent)")
