"""macvlan: a child with its own MAC on a lower link (spec §6.1). The kernel never passes
frames between a child and its lower link's own stack (P01); siblings meet inside the kernel
in bridge mode only; private children never meet, not even through a hairpin switch; a
passthru child takes the lower link whole."""

from __future__ import annotations

from netsim.links.kind import Build, Frames, LinkKind, State, Style
from netsim.model.graph import Iface, IfKind, Model

SEPARATED = ("private", "vepa", "passthru")  # siblings only meet outside the host, if at all


def transmit(f: Frames, iface: Iface) -> list[State]:
    lower = f.iface(iface.parent)
    out = f.transmit(lower)
    if iface.mode == "bridge":
        out += [("rx", c.id) for c in f.children(lower.id)
                if c.id != iface.id and c.kind == IfKind.MACVLAN and c.mode == "bridge"]
    return out


def accepts(child: Iface, origin: Iface, isolated: str | None) -> bool:
    """Frames from the wire reach children by MAC; a private sibling's never come back."""
    return child.id != origin.id and not (isolated == child.parent and child.mode == "private")


def unheard(src: Iface, node: str, broadcast: bool) -> bool:
    """A private child's broadcast reflected by the switch goes back to that child only:
    neither siblings nor the lower link's stack see it (kernel macvlan)."""
    return broadcast and src.mode == "private" and node == src.parent


def isolated_lower(src: Iface) -> str | None:
    return src.parent if src.mode in SEPARATED else None


def steals_lower(child: Iface) -> bool:
    return child.mode == "passthru"  # every frame the lower link receives is the child's


def build(b: Build, model: Model, i: Iface) -> None:
    lower = model.iface(i.parent)
    ipr = b.sock(lower.ns)
    idx = ipr.link_lookup(ifname=lower.name)[0]
    kw = {"address": i.mac} if i.mac else {}
    ipr.link("add", ifname=i.name, kind="macvlan", link=idx, macvlan_mode=i.mode,
             net_ns_fd=b.fd(i.ns), mtu=i.mtu, **kw)


KIND = LinkKind(IfKind.MACVLAN, transmit, build, Style(":", "macvlan"), phase=2,
                accepts=accepts, unheard=unheard, steals_lower=steals_lower,
                isolated_lower=isolated_lower)
