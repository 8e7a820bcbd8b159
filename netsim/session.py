"""One probing of a lab that is up: which observer answers each row, the drop counters the
model points at, the mismatches traced (within a budget), and one report per engine merged.

Observers are passed in, as httpx takes a transport: `Lab` gives the kernel's (real packets,
real libc, nftrace), a test gives a fake one, so everything here runs without root. What an
engine can do comes from the `Running` it returned (`counts_drops`, `traces`), never from
its name.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.errors import EnvironmentProblem
from netsim.model.graph import Model
from netsim.probe.observe import Observer, observe
from netsim.probe.running import Running
from netsim.report.compare import Row
from netsim.report.reports import CheckReport, RunReport

TRACED = 10  # mismatches traced per run, at most (a trace costs a probe and a second)
TRACEABLE = ("icmp", "tcp", "udp")  # a lookup or a `docker run` has no packet to follow
ANY_TRIES = 30  # connections an `any:` expectation may take: 1 way in 3 is missed < 1e-5

Tracer = Callable[[Probe, Outcome], object]  # (probe, predicted) -> a probe.trace.Trace


@dataclass
class Observers:
    """Who answers a run's probes. `kernel`: probes from inside the lab's namespaces;
    `tracer`: one probe sent again, followed hop by hop (None: not here); `dead`: the lab's
    own processes that died meanwhile (their answers are then no evidence)."""

    kernel: Observer
    tracer: Tracer | None = None
    dead: Callable[[], list[str]] = field(default=lambda: [])


class Session:
    def __init__(self, lab: str, model: Model, running: Running, observers: Observers):
        self.lab, self.model, self.running, self.observers = lab, model, running, observers

    def probe(self, check: CheckReport) -> RunReport:
        """Observe every row of a check (made with `by_class=False`: one row per probe)."""
        start = time.perf_counter()
        for row in check.rows:  # ARP-decided verdicts must meet cold caches (engine._waves)
            if row.predicted.cold_arp:
                row.probe = replace(row.probe, cold=True)
            elif self.running.counts_drops and row.predicted.dropped_by:
                row.probe = replace(row.probe, drop=self._counter(row.predicted))
        where = {id(r): self._vantage(r.probe) for r in check.rows}
        # a vantage point the engine does not give (the LAN of an existing engine): the matrix
        # leaves it out, an expectation from it is inconclusive
        matrix = [r for r in check.matrix if where[id(r)] is not None]
        rows = check.expectations + matrix
        by = {k: [r for r in rows if where[id(r)] == k] for k in ("run", "exec", "kernel", None)}
        for row in by[None]:
            row.seen = Outcome(Verdict.INCONCLUSIVE, None, [row.probe.src], evidence=[
                f"{row.probe.src} is no vantage point of {self.running.engine}"])
        # without an engine that runs containers, whether `docker run` fails is the model's
        # word only: those rows stay unobserved (a real engine observes them)
        if self.running.failed_runs is not None:
            for row in by["run"]:
                row.seen = self._run_seen(row.probe.src)
        if by["exec"]:  # names too are asked of it directly: inconclusive, not unresolved
            assert self.running.exec_observer is not None
            self._observe(self.running.exec_observer, by["exec"], direct=True)
        self._observe(self.observers.kernel, by["kernel"])
        self._until_one_way(by["kernel"])
        gone = self.observers.dead()
        if gone:  # what it served now answers nothing: no row of this run is evidence
            raise EnvironmentProblem(f"{', '.join(gone)} of lab {self.lab} died while netsim "
                                     "probed it: the probes are no evidence of the scenario",
                                     "see the daemon's log (netsim run --keep keeps it), then "
                                     "run again")
        if self.observers.tracer is not None and self.running.traces:
            self._trace([r for r in by["kernel"] if r.mismatch])
        report = RunReport(self.lab, self.model.profile, self.model, check.expectations,
                           matrix, [*check.warnings, *self.running.warnings],
                           time.perf_counter() - start, check.positions,
                           findings=list(self.running.findings))
        report.engine = self.running.engine
        report.own = self.running.own
        return report

    @staticmethod
    def _observe(observer: Observer, rows: list[Row], direct: bool = False) -> None:
        probes = [r.probe for r in rows]
        seen = observer.run(probes) if direct else observe(observer, probes)
        for row, got in zip(rows, seen, strict=True):
            row.seen = got

    def _until_one_way(self, rows: list[Row]) -> None:
        """An `any:` expectation the kernel's first choice did not meet is no verdict yet: the
        probe again, until a connection takes a way that meets it or ANY_TRIES are spent;
        the evidence says how many connections it took and which endpoints served them."""
        todo = [r for r in rows if r.probe.any and r.seen is not None and len(
            r.predicted.choices) > 1 and not r.expected_met]
        tries = {id(r): [r.seen] for r in todo}
        for _ in range(ANY_TRIES - 1):
            if not todo:
                break
            for r, got in zip(todo, observe(self.observers.kernel, [r.probe for r in todo]),
                              strict=True):
                tries[id(r)].append(got)
                r.seen = got
            todo = [r for r in todo if not r.expected_met]
        for r in rows:
            seen = tries.get(id(r))
            if seen and r.seen is not None:
                by = sorted({str(o.served_by) for o in seen if o.served_by is not None})
                r.seen.attempts = sum(o.attempts for o in seen)
                r.seen.evidence = [*r.seen.evidence, f"any: {len(seen)} connection(s), served "
                                   f"by {', '.join(by) or 'no endpoint that answered'}"]

    def _trace(self, rows: list[Row]) -> None:
        """Send each disagreeing probe once more, traced, so the report says where the kernel
        left the prediction (JSON: `trace`); a by-name probe is traced at the address it got."""
        assert self.observers.tracer is not None
        for row in rows[:TRACED]:
            probe = row.probe if row.seen is None or row.seen.dst is None else replace(
                row.probe, dst=row.seen.dst)
            if probe.proto not in TRACEABLE or probe.dst is None:
                continue
            row.trace = self.observers.tracer(replace(probe, name=None), row.predicted)

    def _counter(self, predicted: Outcome) -> tuple | None:
        """Where the kernel counts the drop the model predicts: a rule netsim loaded with nft
        (each carries a counter; a drop policy has one after the chain's last rule)."""
        assert predicted.dropped_by is not None
        ns_id, table, chain, index = predicted.dropped_by
        names = self.running.names
        if ns_id not in names:
            return None
        ns = self.model.ns[ns_id]
        if table == "snmp":  # no route: the kernel counts it per namespace
            return (names[ns_id], table, chain, index, "(no route)")
        if ns.rules_by:  # iptables written by a runtime's own tool: no counter netsim placed
            return None
        family, _, name = table.rpartition(" ")  # "ip6 filter": ip6tables' (walk.py)
        rules = ns.rules6 if family == "ip6" else ns.rules
        last = len(rules.tables[name][chain].rules)
        return (names[ns_id], table, chain, index,
                "policy" if index == last else f"rule {index + 1}")

    def _vantage(self, p: Probe) -> str | None:
        """How a probe is observed: "run" (the engine's `docker run`), "kernel" (from inside a
        namespace), "exec" (inside the container by the engine), or None (no vantage point)."""
        if p.proto == "run":
            return "run"
        if p.src_ns in self.running.names:
            return "kernel"
        return "exec" if p.src in self.running.exec_sources else None

    def _run_seen(self, name: str) -> Outcome:
        why = (self.running.failed_runs or {}).get(name)
        said = why or f"docker run {name}: started ({self.running.engine})"
        return Outcome(Verdict.FAILED if why else Verdict.STARTED, None, [name], said,
                       evidence=[said])


def merged(reports: list[RunReport]) -> RunReport:
    """One report for `--engine a,b`: the first engine's rows, each carrying what the others
    observed for the same probe (`Row.also`), their findings and timings."""
    first, *rest = reports
    rows = {(r.probe.origin, r.probe.label): r for r in first.rows}
    for other in rest:
        first.also.append(other.engine)
        first.own = False
        for r in other.rows:
            if r.seen is not None and (r.probe.origin, r.probe.label) in rows:
                rows[r.probe.origin, r.probe.label].also[other.engine] = r.seen
        first.findings += [f"{other.engine}: {f}" for f in other.findings]
        first.timings |= other.timings
        first.warnings += [w for w in other.warnings if w not in first.warnings]
    return first
