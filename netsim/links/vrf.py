"""vrf: an L3 master device (l3mdev). The links enslaved to it route in its table, and the
kernel's rule `1000: from all lookup [l3mdev-table]` sends their traffic there; a socket not
bound to the VRF hears no TCP or UDP that arrives by them (tcp/udp_l3mdev_accept=0). It
carries no frames itself. This machine's kernel has no VRF support: `run` refuses it."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return []


def build(b: Build, model: Model, i: Iface) -> None:
    b.sock(i.ns).link("add", ifname=i.name, kind="vrf", vrf_table=i.table,
                      index=b.new_index(i))


KIND = LinkKind(IfKind.VRF, transmit, build, Style(":", "vrf"), phase=1,
                unsupported="VRF devices (l3mdev)")
