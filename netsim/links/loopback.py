"""lo: every namespace's own; the kernel makes it, nothing leaves it."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return []


def build(b: Build, model: Model, i: Iface) -> None:
    return None  # exists with the namespace; brought up with the rest


KIND = LinkKind(IfKind.LOOPBACK, transmit, build, Style("-", "loopback"), phase=0)
