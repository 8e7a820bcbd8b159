"""Lab: the one object notebooks and the CLI use. A thin façade over the pipeline stages:
scenario -> runtime (model) -> observers (predicted, kernel) -> reports."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netsim.answer.outcome import Outcome
from netsim.gcpause import paused
from netsim.model.graph import Model, NodeKind
from netsim.probe import plan
from netsim.probe.observe import Predicted, observe
from netsim.probe.running import Running
from netsim.report.compare import Row
from netsim.report.reports import CheckReport, RunReport
from netsim.runtime import registry as runtime
from netsim.runtime.schema import from_text, load
from netsim.scenario.load import Loaded
from netsim.session import TRACEABLE, Observers, Session, merged

if TYPE_CHECKING:
    import networkx as nx

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

    @property
    def graph(self) -> nx.MultiGraph:
        """The topology as networkx sees it: namespaces, interfaces, networks and containers
        that share a namespace, joined by what links them (EdgeKind); `model.wires()` is the
        part a frame crosses, to ask for paths and neighbours. Written only through the
        model's own methods, with its indexes."""
        return self.model.graph

    def _for_engine(self) -> Loaded:
        """A real engine is predicted as the version it is: the runtime it runs says how
        (Docker: that version's profile, whatever the scenario's `docker:` names)."""
        from netsim.engine import registry as engines

        if self._engine_loaded is not None:
            return self._engine_loaded
        version = self._engine_version or next(
            (v for e in self.engines if (v := engines.get(e).version(self.options))), None)
        if version is None:  # no real engine: the scenario's own profile
            return self.loaded
        self._engine_version = version
        self._engine_loaded = runtime.as_engine(self.loaded, version)
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
                           list(model.warnings), time.perf_counter() - start,
                           self.loaded.positions)

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

    def hosts(self) -> list[str]:
        """The scenario's hosts (and nodes), as its files name them."""
        return [ns.label for ns in self.model.ns.values() if ns.kind == NodeKind.HOST]

    def host(self, name: str | None) -> str:
        """`name`, checked; None: the only host (several: say which)."""
        from netsim.errors import NetsimError

        known = self.hosts()
        if name is None and len(known) != 1:
            raise NetsimError(f"{self.name} has {len(known)} hosts: say which with --host "
                              f"(valid: {', '.join(known)})")
        if name is not None and name not in known:
            raise NetsimError(f"--host {name}: no such host in {self.name} (valid: "
                              f"{', '.join(known)})")
        return name or known[0]

    def rules(self, host: str | None = None, nft: bool = False) -> str:
        """The rules a host's runtimes install: iptables-save text, or netsim's nft script
        (default host: the first)."""
        from netsim.realize import iptables_save
        from netsim.realize import nft as nftables

        host = self.host(host) if host is not None else self.hosts()[0]  # a wrong name: said
        ns = next(n for n in self.model.ns.values() if n.kind == NodeKind.HOST and n.label == host)
        return nftables.render(ns.rules) if nft else iptables_save.render(ns.rules)

    def docker(self, words: list[str], host: str | None = None) -> str:
        """What `docker network inspect NET` / `docker port NAME` would print on a host."""
        from netsim.runtime.docker import inspect

        return inspect.render(self.model, self.host(host), words)

    def draw(self, kind: str = "topology", report: CheckReport | RunReport | None = None,
             results: bool = True, rows: list[Row] | None = None):
        """A matplotlib figure: "topology" (with the report's results, unless `results` is
        False: the network alone, for a question asked before the answer), "heatmap", or
        "path N" (the path of expectation N; with the observed path under it when the lab
        is up, traced then, or when the run traced it as a mismatch). `rows`: a report's
        rows read back from its JSON instead."""
        from netsim.report import draw as pictures

        if kind == "topology" and not results:
            return pictures.Picture(pictures.topology(self.model))
        arrows = rows  # a report read back: every row it has is an arrow
        if rows is None:
            report = report or self.report()
            rows = [*report.expectations, *report.matrix]
        expectations = [r for r in rows if r.probe.origin != "matrix"]
        if kind == "heatmap":
            fig = pictures.heatmap(rows, title=f"{self.name}: reachability (ping)")
        elif kind.startswith("path"):
            from netsim.errors import NetsimError

            words = kind.split()
            if len(words) != 2 or not words[1].isdigit() or \
                    not 0 <= int(words[1]) < len(expectations):
                raise NetsimError(
                    f"--kind {kind}: the path of which expectation? (valid: path 0 .. path "
                    f"{len(expectations) - 1}, the # column of the report)" if expectations
                    else f"--kind {kind}: {self.name} has no expectations")
            row = expectations[int(words[1])]
            traced = row.trace
            if traced is None and self._running is not None and row.probe.proto in (
                    TRACEABLE) and self._running.traces:
                from netsim.probe import trace as tracer

                traced = tracer.run(self.model, self._running.names, row.probe, row.predicted)
            fig = pictures.path(row, traced)
        else:  # the expectations are the arrows (a large check's matrix is never made here)
            fig = pictures.topology(self.model, expectations if arrows is None else arrows)
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
        return merged(reports)


def probe_lab(lab: Lab, running: Running, full_matrix: bool = True,
              progress: Callable[[int, int], None] | None = None) -> RunReport:
    """Probe a lab that is up: every expectation and (optionally) the full matrix, observed
    by the kernel (real packets from inside its namespaces, the containers' real libc)."""
    from netsim.probe.engine import Prober
    from netsim.probe.observe import Kernel
    from netsim.realize import sandbox

    check = lab.check(full_matrix=full_matrix, by_class=False)  # every probe a row
    prober = Prober(running.names, running.flush, progress=progress)
    try:
        observers = Observers(Kernel(prober, running.names, sandbox.files_dir(lab.name)),
                              tracer=lambda p, predicted: _tracer(lab, running, p, predicted),
                              dead=lambda: sandbox.dead(lab.name))
        return Session(lab.name, lab.model, running, observers).probe(check)
    finally:
        prober.close()


def _tracer(lab: Lab, running: Running, probe, predicted: Outcome):
    from netsim.probe import trace as tracer

    return tracer.run(lab.model, running.names, probe, predicted)


def trace_probe(lab: Lab, running: Running, frm: str, to: str, port: str | None = None):
    from netsim.errors import NetsimError
    from netsim.probe import trace as tracer

    if not running.traces:
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
    lab._engine_version = eng.get("version")  # a real engine's: predicted as that one
    names = {ns_id: sandbox.ns_name(name, ns_id) for ns_id in lab.model.ns}
    running = engines.get(kind).attach(journal, lab.model, names)
    missing = [n for n in dict.fromkeys(running.names.values())
               if not (sandbox.NETNS_DIR / n).exists()]
    if missing:
        from netsim.errors import EnvironmentProblem

        raise EnvironmentProblem(f"lab '{name}' is incomplete: namespace {missing[0]} is gone "
                                 f"({len(missing)} missing)", f"netsim down {name}, then up")
    return lab, running


# --- labs that are up, by name (netsim ls, down, cleanup) -----------------------------------
@dataclass(frozen=True)
class UpLab:
    """A lab that is up, as its journal says; `broken`: why the journal could not be read."""

    name: str
    engine: str = ""
    namespaces: int = 0
    keeper: int | None = None  # the services' process
    path: str = ""
    broken: str = ""


@dataclass(frozen=True)
class Cleaned:
    name: str
    removed: int | None = None  # namespaces removed (None: left alone or skipped)
    busy: str = ""  # why it counts as in use (up, or a running netsim's)
    skipped: str = ""  # why it could not be cleaned (a broken journal)


def labs() -> list[UpLab]:
    from netsim.engine import registry as engines
    from netsim.realize import sandbox

    out = []
    for name in sandbox.labs():
        try:
            j = sandbox.read_journal(name)
        except sandbox.BrokenJournal as e:
            out.append(UpLab(name, broken=str(e)))
            continue
        out.append(UpLab(name, engines.describe(j), len(j.namespaces),
                         j.keeper.pid if j.keeper else None, j.path or ""))
    return out


def down(name: str) -> list[str]:
    """Tear down a lab that is up (root): the namespaces its journal names, removed."""
    from netsim.engine import registry as engines
    from netsim.errors import ScenarioError
    from netsim.realize import lifecycle, sandbox

    lifecycle.require_root("down")
    if name not in sandbox.labs():
        raise ScenarioError(f"no lab named '{name}' is up",
                            valid=", ".join(sandbox.labs()) or "none is up")
    return engines.down(name)


def cleanup(everything: bool = False) -> Iterator[Cleaned]:
    """What crashed runs left, from their journals (root), one lab at a time: labs up or in
    use are left alone unless `everything`; a broken journal is skipped, the rest go on."""
    from netsim.engine import registry as engines
    from netsim.realize import lifecycle, sandbox

    lifecycle.require_root("cleanup")
    for name in sandbox.labs():
        try:
            busy = sandbox.status(name)
            if busy and not everything:
                yield Cleaned(name, busy=busy)
                continue
            yield Cleaned(name, len(engines.down(name)), busy=busy)
        except (sandbox.BrokenJournal, OSError) as e:
            yield Cleaned(name, skipped=str(e))
