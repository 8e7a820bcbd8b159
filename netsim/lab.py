"""Lab: the one object notebooks and the CLI use. A thin façade over the pipeline stages:
scenario -> runtime (model) -> observers (predicted, kernel) -> reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from netsim.answer.outcome import Outcome
from netsim.answer.verdict import Verdict
from netsim.gcpause import paused
from netsim.model.graph import Model, NodeKind
from netsim.probe import plan
from netsim.probe.observe import Predicted, observe
from netsim.probe.running import Running
from netsim.report.compare import Row
from netsim.report.reports import CheckReport, RunReport
from netsim.runtime import registry as runtime
from netsim.scenario.load import Loaded, from_text, load

CLASS_MATRIX_FROM = 200  # containers from which check's matrix goes by classes of twins


class Lab:
    """`Lab.load(path)`, then `check()` (no root) or `run()` (root: up, probe, down)."""

    def __init__(self, loaded: Loaded, engine: str = "netns", **options: str | None):
        """`engine`: "netns" (netsim builds it) or "docker" (real engines: `dockerd=PATH`,
        or an existing one at `docker_host=URL`)."""
        self.loaded = loaded
        self.engines = engine.split(",")  # `run` takes several: each builds, probes, goes
        self.engine = self.engines[0]
        self.options = {k: v for k, v in options.items() if v}
        self._model: Model | None = None
        self._running: Running | None = None
        self._last: RunReport | None = None
        self._engine_version: str | None = None
        self._engine_loaded: Loaded | None = None

    @classmethod
    def load(cls, path: str | Path, engine: str = "netns", **options: str | None) -> Lab:
        return cls(load(path), engine, **options)

    @classmethod
    def from_yaml(cls, text: str, name: str = "<scenario>", engine: str = "netns",
                  **options: str | None) -> Lab:
        return cls(from_text(text, name), engine, **options)

    @property
    def name(self) -> str:
        return self.loaded.scenario.name

    @property
    def model(self) -> Model:
        if self._model is None:
            self._model = runtime.build(self._for_engine())
        return self._model

    def _for_engine(self) -> Loaded:
        """A real engine is predicted with its own version's profile (the scenario's
        `docker:` says which Docker to imitate; a real engine is the one it is)."""
        from netsim.engine import registry as engines

        if self._engine_loaded is not None:
            return self._engine_loaded
        version = self._engine_version or next(
            (v for e in self.engines if (v := engines.get(e).version(self.options))), None)
        if version is None:  # no real engine: the scenario's own profile
            return self.loaded
        from netsim.runtime.docker.profiles import for_version

        self._engine_version = version
        profile, named = for_version(version), self.loaded.scenario.docker
        notes = self.loaded.notes
        if named and named != profile:
            notes = (*notes, ("engine", f"the scenario names Docker {named}; the engine is "
                              f"{version}: predicted with the {profile} profile"))
        self._engine_loaded = replace(self.loaded, scenario=self.loaded.scenario.model_copy(
            update={"docker": profile}), notes=notes)
        return self._engine_loaded

    @paused()
    def check(self, full_matrix: bool = True, by_class: bool = True) -> CheckReport:
        """Validate, model and predict every expectation (and the full matrix); no root.
        From CLASS_MATRIX_FROM containers (and `by_class`), the container -> container part
        of the matrix is predicted per pair of classes of twins and its rows made when read
        (report.matrix is then a MatrixRows)."""
        start = time.perf_counter()
        model = self.model
        expect = plan.expectations(self.loaded, model) + plan.typed(self.loaded, model)
        lazy = by_class and full_matrix and len(model.containers) >= CLASS_MATRIX_FROM
        grid, blocks = plan.matrix_parts(model, lazy) if full_matrix else ([], [])
        predicted = Predicted(model)
        rows = [Row(p, o) for p, o in zip(expect + grid, observe(predicted, expect + grid),
                                          strict=True)]
        matrix = rows[len(expect):]
        if lazy:
            from netsim.predict.class_matrix import ClassMatrix
            from netsim.report.matrix_rows import MatrixRows

            sources = [n for n, ep in model.endpoints.items() if ep.kind == NodeKind.CONTAINER]
            matrix = MatrixRows(matrix, [
                ClassMatrix(predicted.twins(), sources, predicted.one, proto, port, targets)
                for proto, port, targets in blocks])
        return CheckReport(self.name, model.profile, model, rows[:len(expect)], matrix,
                           list(model.warnings), time.perf_counter() - start)

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
        from netsim.engine import registry as engines

        if len(self.engines) > 1:
            from netsim.errors import NetsimError

            raise NetsimError("a lab is up on one engine at a time; `run` takes several "
                              f"({','.join(self.engines)})")
        try:
            self._running = up_lab(self)
            yield self
        finally:
            self._running = None
            engines.down_if_mine(self.name)

    def _live(self) -> Running:
        if not self._running:
            from netsim.errors import NetsimError

            raise NetsimError(f"lab {self.name} is not up: use `with lab.up(): ...`")
        return self._running

    def probe(self, full_matrix: bool = False) -> RunReport:
        """Probe the running lab (expectations, and the full matrix if asked)."""
        self._last = probe_lab(self, self._live(), full_matrix)
        return self._last

    def trace(self, frm: str, to: str, port: str | None = None):
        """Send one probe (`port` like "8080/tcp"; none: a ping) with nftables tracing in
        every namespace of the running lab: the hops it really took, the rules and rewrites
        it met, beside the prediction (a TraceReport: a table in Jupyter; `.trace` is the
        netsim.probe.trace.Trace)."""
        from netsim.report.trace_view import TraceReport

        return TraceReport(trace_probe(self, self._live(), frm, to, port))

    def report(self) -> CheckReport | RunReport:
        """The last report: the last probe, else a fresh check."""
        return self._last or self.check()

    def exec(self, node: str, argv: list[str], timeout: float = 10.0) -> str:
        """Run a command inside a node's namespace (e.g. ["ip", "addr"]) and return its output."""
        import subprocess

        from netsim.realize import sandbox

        ns = self._live().names[self.model.endpoints[node].ns]

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

    def draw(self, kind: str = "topology", report: CheckReport | RunReport | None = None,
             results: bool = True):
        """A matplotlib figure: "topology" (with the report's results, unless `results` is
        False: the network alone, for a question asked before the answer), "heatmap", or
        "path N" (the path of expectation N; with the observed path under it when the lab
        is up, traced then, or when the run traced it as a mismatch)."""
        from netsim.report import draw as pictures

        if kind == "topology" and not results:
            return pictures.Picture(pictures.topology(self.model))
        report = report or self.report()
        if kind == "heatmap":
            fig = pictures.heatmap(report.rows, title=f"{self.name}: reachability (ping)")
        elif kind.startswith("path"):
            row = report.expectations[int(kind.split()[1])]
            traced = row.trace
            if traced is None and self._running is not None and row.probe.proto in (
                    "icmp", "tcp", "udp") and self._running.engine == "netns":
                from netsim.probe import trace as tracer

                traced = tracer.run(self.model, self._running.names, row.probe, row.predicted)
            fig = pictures.path(row, traced)
        else:  # the expectations are the arrows (a large check's matrix is never made here)
            fig = pictures.topology(self.model, report.expectations)
        return pictures.Picture(fig)

    def run(self, full_matrix: bool = True, keep: bool = False,
            progress: Callable[[int, int], None] | None = None) -> RunReport:
        """Build it for real, probe every expectation and the matrix, tear it down."""
        from netsim.engine import registry as engines
        from netsim.realize import sandbox

        reports = []
        for i, engine in enumerate(self.engines):
            last = i == len(self.engines) - 1
            t_up = t_down = 0.0
            try:  # up inside: an interruption right after it returns still tears it down
                t0 = time.perf_counter()
                running = up_lab(self, engine)
                t_up = time.perf_counter() - t0
                report = probe_lab(self, running, full_matrix, progress)
            except BaseException:
                engines.down_if_mine(self.name)
                raise
            if not (keep and last):
                t1 = time.perf_counter()
                engines.down(self.name)
                t_down = time.perf_counter() - t1
            else:
                sandbox.keep(self.name)
            tag = "" if len(self.engines) == 1 else f" ({engine})"
            report.timings = {f"up{tag}": t_up, f"probe{tag}": report.seconds}
            if not (keep and last):
                report.timings[f"down{tag}"] = t_down
            reports.append(report)
        return _merged(reports)


def probe_lab(lab: Lab, running: Running, full_matrix: bool = True,
              progress: Callable[[int, int], None] | None = None) -> RunReport:
    """Probe a lab that is up: every expectation and (optionally) the full matrix."""
    from netsim.probe.engine import Prober
    from netsim.probe.observe import Kernel
    from netsim.realize import sandbox

    start = time.perf_counter()
    check = lab.check(full_matrix=full_matrix, by_class=False)  # every probe a row
    rows = check.rows
    names = running.names
    for row in rows:  # ARP-decided verdicts must meet cold caches (see engine._waves)
        if row.predicted.cold_arp:
            row.probe = replace(row.probe, cold=True)
        elif running.engine == "netns" and row.predicted.dropped_by:
            row.probe = replace(row.probe, drop=_counter(lab.model, running, row.predicted))
    where = {id(r): _vantage(r.probe, running) for r in check.rows}
    # a vantage point the engine does not give (the LAN of an existing engine): the matrix
    # leaves it out, an expectation from it is inconclusive
    matrix = [r for r in check.matrix if where[id(r)] is not None]
    rows = check.expectations + matrix
    by = {k: [r for r in rows if where[id(r)] == k] for k in ("run", "exec", "kernel", None)}
    for row in by[None]:
        row.seen = Outcome(Verdict.INCONCLUSIVE, None, [row.probe.src], evidence=[
            f"{row.probe.src} is no vantage point of {running.engine}"])
    # a namespace lab runs no dockerd: whether `docker run` fails is the model's word only,
    # so those rows stay unobserved there (a real engine observes them)
    if running.failed_runs is not None:
        for row in by["run"]:
            row.seen = _run_seen(row.probe.src, running)
    if by["exec"]:  # names too are asked of it directly: it says inconclusive, not unresolved
        for row, seen in zip(by["exec"], running.exec_observer.run(
                [r.probe for r in by["exec"]]), strict=True):
            row.seen = seen
    live = by["kernel"]
    prober = Prober(names, running.flush, progress=progress)
    try:
        kernel = Kernel(prober, names, sandbox.files_dir(lab.name))
        for row, seen in zip(live, observe(kernel, [r.probe for r in live]), strict=True):
            row.seen = seen
    finally:
        prober.close()
    gone = sandbox.dead(lab.name)
    if gone:  # what it served now answers nothing: no row of this run is evidence
        from netsim.errors import EnvironmentProblem

        raise EnvironmentProblem(f"{', '.join(gone)} of lab {lab.name} died while netsim "
                                 "probed it: the probes are no evidence of the scenario",
                                 "see the daemon's log (netsim run --keep keeps it), then run "
                                 "again")
    if running.engine == "netns":
        _trace_mismatches(lab, running, [r for r in live if r.mismatch])
    report = RunReport(lab.name, lab.model.profile, lab.model, check.expectations,
                       matrix, [*check.warnings, *running.warnings],
                       time.perf_counter() - start, findings=list(running.findings))
    report.engine = running.engine
    return report


TRACED = 10  # mismatches traced per run, at most (a trace costs a probe and a second)


def _trace_mismatches(lab: Lab, running: Running, rows: list[Row]) -> None:
    """Send each disagreeing probe once more, traced, so the report says where the kernel
    left the prediction (JSON: `trace`); by-name probes are traced at the address they got."""
    from netsim.probe import trace as tracer

    for row in rows[:TRACED]:
        probe = row.probe if row.seen is None or row.seen.dst is None else replace(
            row.probe, dst=row.seen.dst)
        if probe.proto not in ("icmp", "tcp", "udp") or probe.dst is None:
            continue
        row.trace = tracer.run(lab.model, running.names, replace(probe, name=None),
                               row.predicted)


def _counter(model: Model, running: Running, predicted: Outcome) -> tuple | None:
    """Where the kernel counts the drop the model predicts: a rule netsim loaded with nft
    (each carries a counter; a drop policy has one after the chain's last rule)."""
    ns_id, table, chain, index = predicted.dropped_by
    ns = model.ns[ns_id]
    if ns_id not in running.names:
        return None
    if table == "snmp":  # no route: the kernel counts it per namespace, rate limit or not
        return (running.names[ns_id], table, chain, index, "(no route)")
    if ns.rules_by:  # iptables written by a runtime's own tool: no counter netsim placed
        return None
    what = "policy" if index == len(ns.rules.tables[table][chain].rules) else f"rule {index + 1}"
    return (running.names[ns_id], table, chain, index, what)


def _vantage(p, running: Running) -> str | None:
    """How a probe is observed: "run" (the engine's `docker run`), "kernel" (from inside a
    namespace), "exec" (docker exec in the container), or None (no vantage point there)."""
    if p.proto == "run":
        return "run"
    if p.src_ns in running.names:
        return "kernel"
    return "exec" if p.src in running.exec_sources else None


def _merged(reports: list[RunReport]) -> RunReport:
    """One report for `--engine a,b`: the first engine's rows, each carrying what the others
    observed for the same probe (`Row.also`), their findings and timings."""
    first, *rest = reports
    rows = {(r.probe.origin, r.probe.label): r for r in first.rows}
    for other in rest:
        first.also.append(other.engine)
        for r in other.rows:
            if r.seen is not None and (r.probe.origin, r.probe.label) in rows:
                rows[r.probe.origin, r.probe.label].also[other.engine] = r.seen
        first.findings += [f"{other.engine}: {f}" for f in other.findings]
        first.timings |= other.timings
        first.warnings += [w for w in other.warnings if w not in first.warnings]
    return first


def _run_seen(name: str, running: Running) -> Outcome:
    why = (running.failed_runs or {}).get(name)
    said = why or f"docker run {name}: started ({running.engine})"
    return Outcome(Verdict.FAILED if why else Verdict.STARTED, None, [name], said, evidence=[said])


def trace_probe(lab: Lab, running: Running, frm: str, to: str, port: str | None = None):
    from netsim.errors import NetsimError
    from netsim.probe import trace as tracer

    if running.engine != "netns":
        raise NetsimError(f"trace follows packets through the namespaces netsim builds; this "
                          f"lab runs on {running.engine} (up it with --engine netns)")
    probe = plan.single(lab.model, frm, to, port)
    predicted = Predicted(lab.model).run([probe])[0]
    return tracer.run(lab.model, running.names, probe, predicted)


def up_lab(lab: Lab, engine: str | None = None) -> Running:
    from netsim.engine import registry as engines

    return engines.get(engine or lab.engine).up(lab._for_engine(), lab.model, lab.options)


def attach(name: str) -> tuple[Lab, Running]:
    """A lab that `netsim up` left running, rebuilt from the scenario kept in its journal."""
    from netsim.engine import registry as engines
    from netsim.errors import ScenarioError
    from netsim.realize import sandbox

    journal = sandbox.read_journal(name)
    if not journal.scenario:
        raise ScenarioError(f"no lab named '{name}' is up", valid=", ".join(sandbox.labs()) or
                            "none is up; netsim up FILE")
    kind = engines.kind_of(journal)
    eng = journal.engine
    lab = Lab.from_yaml(journal.scenario, journal.path or name, kind,
                        docker_host=eng.get("docker_host"))
    if kind != "netns":
        lab._engine_version = eng.get("version")
    names = {ns_id: sandbox.ns_name(name, ns_id) for ns_id in lab.model.ns}
    running = engines.get(kind).attach(journal, lab.model, names)
    missing = [n for n in dict.fromkeys(running.names.values())
               if not (sandbox.NETNS_DIR / n).exists()]
    if missing:
        from netsim.errors import EnvironmentProblem

        raise EnvironmentProblem(f"lab '{name}' is incomplete: namespace {missing[0]} is gone "
                                 f"({len(missing)} missing)", f"netsim down {name}, then up")
    return lab, running
