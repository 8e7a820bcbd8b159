"""A trace for people: each hop of the path, what the model says happens there beside what
the kernel's trace events, conntrack and bridges show, and the first difference."""

from __future__ import annotations

import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from netsim.answer.says import place, say
from netsim.probe.trace import Hop, Trace


def predicted_at(trace: Trace) -> dict[str, list[str]]:
    """The model's reasons, each given to the hop of the path where it happened (its step's
    place), else to the last."""
    path = trace.predicted.path
    out: dict[str, list[str]] = {h: [] for h in path}
    for step in trace.predicted.steps:
        where = place(step)
        out.setdefault(where if where in out else path[-1] if path else "", []).append(say(step))
    return out


PACKET = re.compile(r"ip6? saddr (\S+) ip6? daddr (\S+).*?(?:(tcp|udp) sport (\d+) \3 dport (\d+)|"
                    r"(icmp|icmpv6) type (\S+))")


def seen_as(hop: Hop) -> str | None:
    """The packet as this namespace first saw it: addresses after the rewrites before it."""
    for s in hop.steps:
        m = PACKET.search(s.text) if s.kind == "packet" else None
        if m:
            src, dst, proto, sport, dport, icmp, kind = m.groups()
            return (f"seen {src} > {dst} {proto} {sport} > {dport}" if proto
                    else f"seen {src} > {dst} {icmp} {kind}")
    return None


def observed_at(hop: Hop) -> list[str]:
    first = seen_as(hop)
    lines = [first] if first else []
    lines += [f"{s.table} {s.chain}: policy {s.verdict}" if s.kind == "policy" else
              f"{s.table} {s.chain}: {s.text} -> {s.verdict}" for s in hop.decisions()]
    if hop.packets > 1:
        lines.append(f"(+{hop.packets - 1} more packets of the flow: replies, handshake)")
    lines += [f"conntrack {c}" for c in hop.conntrack]
    lines += hop.fdb
    return lines or (["seen"] if hop.saw else ["-"])


TUNNEL = re.compile(r"^seen (\S+) > (\S+) udp \d+ > (\d+)$")


def _between(extra: list[Hop], tunnels: dict[tuple[str, int | None], str]) -> list[str]:
    """What the namespaces off the predicted path saw, for the in-between hop they serve (a
    bridge, an overlay): the encapsulated leg as one line with its outer addresses."""
    legs: dict[str, list[str]] = {}
    lines = []
    for hop in extra:
        seen = seen_as(hop)
        m = TUNNEL.match(seen or "")
        name = tunnels.get(("udp", int(m.group(3)))) if m else None
        if m and name:
            legs.setdefault(f"{name} {m.group(1)} > {m.group(2)}:{m.group(3)}", []).append(
                hop.label)
            continue
        lines += [f"{hop.label}: {line}" for line in observed_at(hop)]
    return [f"{leg}, seen on {', '.join(on)}" for leg, on in legs.items()] + lines


def table(trace: Trace) -> Table:
    p, pred, seen = trace.probe, trace.predicted, trace.observed
    title = (f"trace {p.label}: predicted {pred.result}, observed {seen.result}"
             + (f" (the server saw {seen.source_seen})" if seen.source_seen else ""))
    # cells are Text: an IPv6 endpoint "[fd00::2]:80" is not markup, a MAC's ":ab:" no emoji
    t = Table(title=Text(title), show_lines=True, title_justify="left")
    for col in ("hop", "predicted", "observed (nft trace, conntrack, bridge)"):
        t.add_column(col, overflow="fold")
    said = predicted_at(trace)
    by_label = {h.label: h for h in trace.hops}
    extra = [h for h in trace.hops if h.label not in pred.path and h.saw]
    rows: list[tuple[str, list[str]]] = []
    for label in dict.fromkeys(pred.path):
        hop = by_label.get(label)
        if hop is not None:
            rows.append((label, observed_at(hop) if hop.saw else ["did not see it"]))
        elif extra:  # an in-between hop (a bridge, an overlay): what served it
            rows.append((label, _between(extra, trace.tunnels)))
            extra = []
        else:
            rows.append((label, ["(inside a namespace: no hook of its own)"]))
    rows += [(h.label, observed_at(h)) for h in extra]  # seen, though not on the path
    for label, observed in rows:
        mark = "red" if trace.difference and label in trace.difference.split(" ")[:8] else ""
        t.add_row(Text(label, style=mark), Text("\n".join(said.get(label) or ["-"])),
                  Text("\n".join(observed)))
    return t


def render(trace: Trace, console: Console) -> None:
    console.print(table(trace))
    if trace.difference:
        console.print(Text(f"first difference: {trace.difference}", style="bold red"))
    else:
        console.print("the packet went as predicted")


class TraceReport:
    """What `Lab.trace` returns: the trace, shown as a table in Jupyter and on a terminal."""

    def __init__(self, trace: Trace):
        self.trace = trace

    def __getattr__(self, name: str):
        return getattr(self.trace, name)

    def _repr_html_(self) -> str:
        console = Console(record=True, width=140, file=_Null(), force_jupyter=False, emoji=False)
        render(self.trace, console)
        return console.export_html(inline_styles=True)

    def __repr__(self) -> str:
        console = Console(record=True, width=140, file=_Null(), force_jupyter=False, emoji=False)
        render(self.trace, console)
        return console.export_text()


class _Null:
    def write(self, _text: str) -> int:
        return 0

    def flush(self) -> None:
        pass
