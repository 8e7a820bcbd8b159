"""Link kinds as data: one module per kind, one line per kind here (see kind.py).

The predictor walks `LINKS[kind].transmit`, the realizer calls `LINKS[kind].build`, pictures
take `LINKS[kind].style`, lint asks `LINKS[kind].lint`; a test fails when a kind of
netsim.model.graph.IfKind has no entry.
"""

from __future__ import annotations

from netsim.links import (
    bridge,
    dummy,
    ifb,
    ipip,
    ipvlan,
    loopback,
    macvlan,
    veth,
    vlan,
    vrf,
    vxlan,
)
from netsim.links.kind import LinkKind
from netsim.model.graph import Model

LINKS: dict[str, LinkKind] = {m.KIND.kind: m.KIND for m in (
    loopback, veth, bridge, macvlan, ipvlan, vxlan, vlan, dummy, ifb, vrf, ipip)}


def lint(model: Model) -> list[tuple[str, str]]:
    """The kinds' own warnings, and one per link this machine's kernel cannot build."""
    out = []
    for ns in model.ns.values():
        for i in ns.ifaces.values():
            kind = LINKS[i.kind]
            if kind.unsupported:
                out.append(("kernel", f"{ns.label}: {i.name} needs {kind.unsupported}; this "
                            "machine's kernel cannot build it, so `netsim run` will refuse "
                            "this scenario"))
            text = kind.lint(model, i)
            if text:
                out.append((i.kind.value, text))
    return out
