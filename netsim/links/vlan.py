"""802.1q sub-interface: tagged frames reach the sub-interfaces of the same VLAN id on the
segment (modelled directly between them). This machine's kernel has no 8021q."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model


def transmit(f: Frames, iface: Iface) -> list[State]:
    return [("rx", n) for n in f.vlan_peers(iface)]


def build(b: Build, model: Model, i: Iface) -> None:
    lower = model.iface(i.parent)
    ipr = b.sock(lower.ns)
    idx = ipr.link_lookup(ifname=lower.name)[0]
    ipr.link("add", ifname=i.name, kind="vlan", link=idx, vlan_id=i.vlan_id, mtu=i.mtu)


KIND = LinkKind(IfKind.VLAN, transmit, build, Style(":", "802.1q"), phase=2,
                unsupported="802.1q VLAN links (macvlan parent like eth0.10)")
