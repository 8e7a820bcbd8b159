"""Lab: the one object notebooks and the CLI use. A thin façade over the pipeline stages:
scenario -> runtime (model) -> observers (predicted, kernel) -> reports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from netsim.model.graph import Model, NodeKind
from netsim.probe import plan
from netsim.probe.observe import Predicted, observe
from netsim.report.compare import Row
from netsim.report.reports import CheckReport, RunReport
from netsim.runtime import registry as runtime
from netsim.scenario.load import Loaded, from_text, load


class Lab:
    """`Lab.load(path)`, then `check()` (no root) or `run()` (root: up, probe, down)."""

    def __init__(self, loaded: Loaded):
        self.loaded = loaded
        self._model: Model | None = None
        self._names: dict[str, str] | None = None
        self._last: RunReport | None = None

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
            self._model = runtime.build(self.loaded)
        return self._model

    def check(self, full_matrix: bool = True) -> CheckReport:
        """Validate, model and predict every expectation (and the full matrix); no root."""
        start = time.perf_counter()
        model = self.model
        expect = plan.expectations(self.loaded, model)
        grid = plan.matrix(model) if full_matrix else []
        rows = [Row(p, o) for p, o in zip(expect + grid, observe(Predicted(model), expect + grid),
                                          strict=True)]
        return CheckReport(self.name, model.profile, model, rows[:len(expect)],
                           rows[len(expect):], list(model.warnings), time.perf_counter() - start)

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
        if not self._names:
            from netsim.errors import NetsimError

            raise NetsimError(f"lab {self.name} is not up: use `with lab.up(): ...`")
        return self._names

    def probe(self, full_matrix: bool = False) -> RunReport:
        """Probe the running lab (expectations, and the full matrix if asked)."""
        self._last = probe_lab(self, self._running(), full_matrix)
        return self._last

    def report(self) -> CheckReport | RunReport:
        """The last report: the last probe, else a fresh check."""
        return self._last or self.check()

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
        if kind == "heatmap":
            fig = pictures.heatmap(report.rows, title=f"{self.name}: reachability (ping)")
        elif kind.startswith("path"):
            fig = pictures.path(report.expectations[int(kind.split()[1])])
        else:
            fig = pictures.topology(self.model, report.rows)
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


def probe_lab(lab: Lab, names: dict[str, str], full_matrix: bool = True) -> RunReport:
    """Probe a lab that is up: every expectation and (optionally) the full matrix."""
    from netsim.probe.engine import Prober
    from netsim.probe.observe import Kernel
    from netsim.realize import lifecycle, sandbox

    start = time.perf_counter()
    check = lab.check(full_matrix=full_matrix)
    rows = check.rows
    for row in rows:  # ARP-decided verdicts must meet cold caches (see engine._waves)
        if row.predicted.cold_arp:
            row.probe = replace(row.probe, cold=True)
    # a namespace lab runs no dockerd: whether `docker run` fails is the model's word only,
    # so those rows stay unobserved (a real engine observes them)
    live = [r for r in rows if r.probe.proto != "run"]
    prober = Prober(names, lifecycle.flush_targets(lab.model, names))
    try:
        kernel = Kernel(prober, names, sandbox.files_dir(lab.name))
        for row, seen in zip(live, observe(kernel, [r.probe for r in live]), strict=True):
            row.seen = seen
    finally:
        prober.close()
    journal = sandbox.read_journal(lab.name)
    findings = list(journal.get("findings") or [])
    said = [(str(p), str(t)) for p, t in journal.get("plugin_warnings") or []]
    return RunReport(lab.name, lab.model.profile, lab.model, check.expectations, check.matrix,
                     [*check.warnings, *said], time.perf_counter() - start, findings=findings)


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
    names = {ns_id: sandbox.ns_name(name, ns_id) for ns_id in lab.model.ns}
    missing = [n for n in names.values() if not (sandbox.NETNS_DIR / n).exists()]
    if missing:
        from netsim.errors import EnvironmentProblem

        raise EnvironmentProblem(f"lab '{name}' is incomplete: namespace {missing[0]} is gone "
                                 f"({len(missing)} missing)", f"netsim down {name}, then up")
    return lab, names
