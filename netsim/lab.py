"""Lab: the one object notebooks and the CLI use. A thin façade over the pipeline stages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address
from pathlib import Path

from netsim.model import dns
from netsim.model.build import build
from netsim.model.graph import Model, NodeKind
from netsim.model.predict import Outcome, Predictor
from netsim.probe import plan
from netsim.report.compare import Row
from netsim.scenario.load import Loaded, from_text, load


@dataclass
class CheckReport:
    lab: str
    profile: str
    model: Model
    expectations: list[Row]
    matrix: list[Row]
    warnings: list[tuple[str, str]]
    seconds: float
    extra: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.expectations if not r.ok]

    def _repr_html_(self) -> str:
        from netsim.report.html import rows_table

        held = len(self.expectations) - len(self.failed)
        return rows_table(self.expectations, False, f"{self.lab}: {held}/"
                          f"{len(self.expectations)} expectations predicted to hold "
                          f"(docker {self.profile}, no root needed)")


class Lab:
    """`Lab.load(path)`, then `check()` (no root) or `run()` (root: up, probe, down)."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self._model: Model | None = None

    @classmethod
    def load(cls, path: str | Path) -> Lab:
        return cls(load(path))

    @classmethod
    def from_yaml(cls, text: str, name: str = "<scenario>") -> Lab:
        return cls(from_text(text, name))

    @property
    def name(self) -> str:
        return self.loaded.scenario.name

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = build(self.loaded)
        return self._model

    def check(self, full_matrix: bool = True) -> CheckReport:
        """Validate, model and predict every expectation (and the full matrix); no root."""
        start = time.perf_counter()
        model = self.model
        predictor = Predictor(model)
        expect = [Row(p, _predict(predictor, p)) for p in plan.expectations(self.loaded, model)]
        grid = [Row(p, _predict(predictor, p)) for p in plan.matrix(model)] if full_matrix else []
        return CheckReport(self.name, model.profile, model, expect, grid, list(model.warnings),
                           time.perf_counter() - start)

    # --- live: `with lab.up(): lab.probe(); lab.exec("web", ["ip", "addr"])` ---------------
    @staticmethod
    def can_build() -> tuple[bool, str]:
        """Can this machine build labs? (root and nft); the reason when it cannot."""
        import os
        import shutil

        if os.geteuid() != 0:
            return False, "live probes need root: these are predictions only"
        if not shutil.which("nft"):
            return False, "live probes need nft (apt-get install nftables)"
        return True, ""

    @contextmanager
    def up(self) -> Iterator[Lab]:
        """Build it; always tear it down at the end of the `with` block."""
        from netsim.realize import lifecycle

        self._names = up_lab(self)
        try:
            yield self
        finally:
            self._names = None
            lifecycle.down(self.name)

    def _running(self) -> dict[str, str]:
        if not getattr(self, "_names", None):
            from netsim.errors import NetsimError

            raise NetsimError(f"lab {self.name} is not up: use `with lab.up(): ...`")
        return self._names

    def probe(self, full_matrix: bool = False) -> RunReport:
        """Probe the running lab (expectations, and the full matrix if asked)."""
        self._last = probe_lab(self, self._running(), full_matrix)
        return self._last

    def report(self) -> CheckReport | RunReport:
        """The last report: the last probe, else a fresh check."""
        return getattr(self, "_last", None) or self.check()

    def exec(self, node: str, argv: list[str], timeout: float = 10.0) -> str:
        """Run a command inside a node's namespace (e.g. ["ip", "addr"]) and return its output."""
        import subprocess

        from netsim.realize import sandbox

        ns = self._running()[self.model.endpoints[node].ns]

        def run() -> str:
            with sandbox.in_netns(ns):
                r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            return r.stdout + r.stderr

        return sandbox.in_thread(run)

    def rules(self, host: str | None = None, nft: bool = False) -> str:
        """The rules Docker would install on a host: iptables-save text, or netsim's nft script."""
        from netsim.realize import iptables_save
        from netsim.realize import nft as nftables

        host = host or next(n.id for n in self.model.ns.values() if n.kind == NodeKind.HOST)
        rules = self.model.ns[host].rules
        return nftables.render(rules) if nft else iptables_save.render(rules)

    def draw(self, kind: str = "topology", report: CheckReport | RunReport | None = None):
        """A matplotlib figure: "topology" (with the report's results), "heatmap", or "path N"
        (the path of expectation N)."""
        from netsim.report import draw as pictures

        report = report or self.report()
        rows = report.expectations + report.matrix
        if kind == "heatmap":
            fig = pictures.heatmap(rows, title=f"{self.name}: reachability (ping)")
        elif kind.startswith("path"):
            fig = pictures.path(report.expectations[int(kind.split()[1])])
        else:
            fig = pictures.topology(self.model, rows)
        return pictures.Picture(fig)

    def run(self, full_matrix: bool = True, keep: bool = False) -> RunReport:
        """Build it for real, probe every expectation and the matrix, tear it down."""
        from netsim.realize import lifecycle

        t0 = time.perf_counter()
        names = up_lab(self)
        t_up = time.perf_counter() - t0
        try:
            report = probe_lab(self, names, full_matrix)
        finally:
            if not keep:
                t1 = time.perf_counter()
                lifecycle.down(self.name)
                t_down = time.perf_counter() - t1
        report.timings = {"up": t_up, "probe": report.seconds}
        if not keep:
            report.timings["down"] = t_down
        return report


def _predict(predictor: Predictor, p: plan.Probe) -> Outcome:
    if p.name is None:
        return predictor.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
    answer = dns.predict(predictor.model, predictor, p.src, p.name)
    if p.proto == "dns":
        return Outcome(answer.result, None, [p.src], answer.why, p.dst)
    if not answer.addresses:
        return Outcome("unresolved", None, [p.src], f"{p.name} does not resolve "
                       f"({answer.result}): {answer.why}", None)
    got = predictor.probe(p.src_ns, answer.addresses[0], p.proto, p.port, p.size)
    got.why = f"{p.name} -> {answer.addresses[0]} ({answer.why}); {got.why}"
    return got


@dataclass
class RunReport(CheckReport):
    """A check whose rows carry observations too."""

    timings: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> list[Row]:
        return self.expectations + self.matrix

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if not r.ok or r.observed == "inconclusive"]

    def _repr_html_(self) -> str:
        from netsim.report.html import rows_table

        met = sum(1 for r in self.expectations if r.ok and r.observed != "inconclusive")
        same = sum(1 for r in self.rows if r.observed == r.predicted.result)
        bad = [r for r in self.matrix if not r.ok]
        html = rows_table(self.expectations, True, f"{self.lab}: {met}/{len(self.expectations)} "
                          f"expectations met; {same}/{len(self.rows)} observations equal the "
                          "prediction")
        if bad:
            html += rows_table(bad, True, "matrix probes where the kernel disagreed")
        return html


def probe_lab(lab: Lab, names: dict[str, str], full_matrix: bool = True) -> RunReport:
    """Probe a lab that is up: every expectation and (optionally) the full matrix."""
    from netsim.probe.engine import Prober
    from netsim.realize import lifecycle

    start = time.perf_counter()
    check = lab.check(full_matrix=full_matrix)
    rows = check.expectations + check.matrix
    for row in rows:  # ARP-decided verdicts must meet cold caches (see engine._waves)
        if row.predicted.cold_arp:
            row.probe = replace(row.probe, cold=True)
    prober = Prober(names, lifecycle.flush_targets(lab.model, names))
    by_name = [r for r in rows if r.probe.name and r.probe.proto != "dns"]
    direct = [r for r in rows if r not in by_name]
    try:
        for row, obs in zip(direct, prober.run([r.probe for r in direct]), strict=True):
            _fill(row, obs)
        _probe_by_name(lab, prober, by_name)
    finally:
        prober.close()
    return RunReport(lab.name, lab.model.profile, lab.model, check.expectations, check.matrix,
                     check.warnings, time.perf_counter() - start)


def _fill(row: Row, obs, notes: list[str] | None = None) -> None:
    row.observed = obs.result
    row.source_seen = obs.source_seen
    row.attempts = obs.attempts
    row.notes = (notes or []) + obs.evidence


def _probe_by_name(lab: Lab, prober, rows: list[Row]) -> None:
    """Resolve inside each source first, through its own resolver; then probe the address."""
    if not rows:
        return
    lookups = prober.run([replace(r.probe, proto="dns", port=53, size=None,
                                  dst=lab.model.names[r.probe.src].nameserver) for r in rows])
    second: list[tuple[Row, plan.Probe, list[str]]] = []
    for row, ans in zip(rows, lookups, strict=True):
        notes = [f"{row.probe.name}: {'; '.join(ans.evidence)}"]
        try:
            ip = IPv4Address(ans.result)
        except ValueError:
            row.observed, row.attempts, row.notes = "unresolved", ans.attempts, notes
            continue
        second.append((row, replace(row.probe, dst=ip), notes))
    for (row, _, notes), obs in zip(second, prober.run([p for _, p, _ in second]), strict=True):
        _fill(row, obs, notes)


def up_lab(lab: Lab) -> dict[str, str]:
    from netsim.realize import lifecycle

    return lifecycle.up(lab.model, lab.name, lab.loaded.text, lab.loaded.path).names


def attach(name: str) -> tuple[Lab, dict[str, str]]:
    """A lab that `netsim up` left running, rebuilt from the scenario kept in its journal."""
    from netsim.errors import ScenarioError
    from netsim.realize import sandbox

    journal = sandbox.read_journal(name)
    if not journal.get("namespaces") or not journal.get("scenario"):
        raise ScenarioError(f"no lab named '{name}' is up", valid=", ".join(sandbox.labs()) or
                            "none is up; netsim up FILE")
    lab = Lab.from_yaml(journal["scenario"], journal.get("path") or name)
    from netsim.realize.sandbox import ns_name

    return lab, {ns_id: ns_name(name, ns_id) for ns_id in lab.model.ns}
