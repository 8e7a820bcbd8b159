"""What a change does to who can talk to whom: two checks' matrices compared flow by flow.

Flows are matched by who sends, to whom (by name), the protocol, port and family, so a
container whose address changed is the same flow. A change is a flow that became reachable or
blocked, another verdict, a different NAT source, a flow that only one side has (a node added
or removed); published ports are compared too (`netsim diff`, netsim/diff.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.answer.verdict import Verdict
from netsim.report.compare import Row
from netsim.report.reports import CheckReport

REACHED = {Verdict.REACH, Verdict.OPEN}  # the flows a connectivity diff says are "reachable"
KINDS = ("now reachable", "now blocked", "verdict", "nat source", "added", "removed")

Key = tuple[str, str, str, int | None, int | None]


@dataclass(frozen=True)
class Change:
    kind: str  # one of KINDS
    src: str
    to: str
    proto: str
    port: int | None
    family: int | None
    before: str | None  # the verdict (None: no such flow)
    after: str | None
    source_before: str | None = None
    source_after: str | None = None

    @property
    def flow(self) -> str:
        port = f":{self.port}/{self.proto}" if self.port is not None else f" {self.proto}"
        return f"{self.src} -> {self.to}{port}" + (f" (IPv{self.family})"
                                                   if self.family == 6 else "")

    def to_json(self) -> dict:
        return {"kind": self.kind, "flow": self.flow, "from": self.src, "to": self.to,
                "proto": self.proto, "port": self.port, "family": self.family,
                "before": self.before, "after": self.after,
                "source_before": self.source_before, "source_after": self.source_after}


@dataclass(frozen=True)
class Broken:
    origin: str  # "old expect[3]" (carried over) or "expect[1]" (the new scenario's own)
    label: str
    expected: str
    now: str  # what the new scenario predicts, or why it cannot be asked


@dataclass
class Diff:
    old: CheckReport
    new: CheckReport
    changes: list[Change] = field(default_factory=list)
    ports_added: list[str] = field(default_factory=list)
    ports_removed: list[str] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(c.kind == k for c in self.changes) for k in KINDS}


def _key(r: Row) -> Key:
    p = r.probe
    return (p.src, p.to, p.proto, p.port, r.family)


def _source(r: Row) -> str | None:
    s = r.predicted.source_seen
    return str(s) if s is not None else None


def _kind(before: str, after: str) -> str | None:
    if before == after:
        return None
    if after in REACHED and before not in REACHED:
        return "now reachable"
    if before in REACHED and after not in REACHED:
        return "now blocked"
    return "verdict"


def flows(old: CheckReport, new: CheckReport) -> list[Change]:
    before = {_key(r): r for r in old.matrix}
    after = {_key(r): r for r in new.matrix}
    out = []
    for key, a in after.items():
        b = before.get(key)
        if b is None:
            out.append(Change("added", *key, None, a.predicted.result, None, _source(a)))
            continue
        kind = _kind(b.predicted.result, a.predicted.result)
        if kind is None and a.predicted.result in REACHED and None not in (
                _source(a), _source(b)) and _source(a) != _source(b):
            kind = "nat source"  # both known: the model says no source where none is seen
        if kind is not None:
            out.append(Change(kind, *key, b.predicted.result, a.predicted.result, _source(b),
                              _source(a)))
    out += [Change("removed", *key, b.predicted.result, None, _source(b), None)
            for key, b in before.items() if key not in after]
    return sorted(out, key=lambda c: (KINDS.index(c.kind), c.src, c.to, c.proto, c.port or 0))


def ports(report: CheckReport) -> set[str]:
    return {f"{c.host} {pb.container} {pb.container_port}/{pb.proto} -> {pb.host_ip}:"
            f"{pb.host_port}" for c in report.model.containers.values() for pb in c.ports}


