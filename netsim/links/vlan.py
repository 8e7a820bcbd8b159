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


def lint(model: Model, iface: Iface) -> str | None:
    """A VLAN nothing else on the LAN is on: what hangs off it reaches only itself."""
    if any(i.kind == iface.kind and i.vlan_id == iface.vlan_id and i.ns != iface.ns
           for ns in model.ns.values() for i in ns.ifaces.values()):
        return None
    return (f"{model.ns[iface.ns].label}: {iface.name} tags VLAN {iface.vlan_id}, but nothing "
            f"else on the LAN is on VLAN {iface.vlan_id}: what uses it reaches only its own "
            f"host's VLAN {iface.vlan_id} links (give the LAN the VLAN: lan: {{vlans: "
            f"{{{iface.vlan_id}: {{subnet: ..., peers: ...}}}}}})")


KIND = LinkKind(IfKind.VLAN, transmit, build, Style(":", "802.1q"), phase=2,
                unsupported="802.1q VLAN links (macvlan parent like eth0.10)", lint=lint)
