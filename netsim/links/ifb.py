"""ifb: the device the CNI bandwidth plugin redirects a pod's egress to, to shape it with tbf.
It carries no address and goes nowhere the predictor walks; traffic is shaped, not stopped."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return []


def build(b: Build, model: Model, i: Iface) -> None:
    b.sock(i.ns).link("add", ifname=i.name, kind="ifb", mtu=i.mtu, index=b.new_index(i))


KIND = LinkKind(IfKind.IFB, transmit, build, Style(":", "ifb"), phase=1)
