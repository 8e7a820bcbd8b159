"""IPIP (`tunl0`, Calico's ipipMode): an L3 tunnel with no link layer. A packet routed to it
`via <remote node> onlink` rides the underlay inside an IPv4 packet of protocol 4 to that node,
whose tunl0 takes it (the predictor sends that packet, so underlay filters and MTU decide).
This machine's kernel has no `ipip` module: `run` refuses it (exit 3), `check` predicts it."""

from __future__ import annotations

import os

from netsim.links.kind import Build, Frames, LinkKind, State, Style, Tunnel
from netsim.model.graph import Iface, IfKind, Model

OVERHEAD = 20  # the outer IPv4 header
PROTO = "ipip"  # IP protocol 4, as the model's packets name it


def transmit(f: Frames, iface: Iface) -> list[State]:
    return [("rx", n) for n in f.tunnel_peers(iface)]


def build(b: Build, model: Model, i: Iface) -> None:
    b.sock(i.ns).link("add", ifname=i.name, kind="ipip", mtu=i.mtu)


def _missing() -> str | None:
    """The kernel's ipip support: its module loaded or loadable, or built in (tunl0 exists in
    every namespace then)."""
    if os.path.exists("/sys/module/ipip"):
        return None
    release = os.uname().release
    for where in (f"/lib/modules/{release}/kernel/net/ipv4/ipip.ko",
                  f"/lib/modules/{release}/kernel/net/ipv4/ipip.ko.xz",
                  f"/lib/modules/{release}/kernel/net/ipv4/ipip.ko.zst"):
        if os.path.exists(where):
            return None
    return "IPIP tunnels (the kernel's ipip module, CONFIG_NET_IPIP)"


KIND = LinkKind(IfKind.IPIP, transmit, build, Style("--", "IPIP"), phase=2,
                tunnel=Tunnel("IPIP", PROTO, OVERHEAD, lambda i: None),
                unsupported=_missing())
