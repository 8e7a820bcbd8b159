"""The run path without root: a probe session with a fake observer passed in, as httpx takes a
mock transport. Vantage dispatch, drop counters, mismatches and their trace budget, dead
daemons, findings, merging two engines, and every report format, from one shipped scenario."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.errors import EnvironmentProblem
from netsim.lab import Lab
from netsim.probe.observe import Predicted
from netsim.probe.running import Running
from netsim.report import jsonout, judgement, junit, terminal
from netsim.session import TRACED, Observers, Session, merged

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


class FakeKernel:
    """Answers as the model would, but for the probes `flip` names: those come back the
    other way, as if the kernel disagreed. Records every probe it was asked."""

    def __init__(self, lab: Lab, flip=lambda p: False):
        self.model = Predicted(lab.model)
        self.flip, self.asked = flip, []

    def run(self, probes: list[Probe]) -> list[Outcome]:
        self.asked += probes
        out = []
        for p, got in zip(probes, self.model.run(probes), strict=True):
            if self.flip(p) and got.result in (Verdict.REACH, Verdict.OPEN):
                got = Outcome(Verdict.BLOCKED, None, evidence=["fake: no answer"], dst=got.dst)
            got.evidence = got.evidence or ["fake"]
            out.append(got)
        return out


def _session(lab: Lab, kernel, *, leave_out: str | None = None, dead=(), traced=None,
             **running) -> Session:
    names = {ns: f"fake-{ns}" for ns in lab.model.ns if ns != leave_out}
    run = Running(names, [], engine=running.pop("engine", "fake 1"), **running)
    tracer = (lambda p, pred: traced.append(p) or f"trace of {p.label}") \
        if traced is not None else None
    return Session(lab.name, lab.model, run, Observers(kernel, tracer, lambda: list(dead)))


@pytest.fixture
def bridge() -> Lab:
    return Lab.load(SCENARIOS / "bridge.yml")


def test_a_run_that_agrees_with_the_model_passes_with_every_row_observed(bridge: Lab) -> None:
    kernel = FakeKernel(bridge)
    report = _session(bridge, kernel, counts_drops=True, traces=True, own=True).probe(
        bridge.check(by_class=False))
    assert report.ok and report.rows and all(r.seen is not None for r in report.rows)
    assert not any(r.mismatch for r in report.rows) and not any(r.trace for r in report.rows)
    assert len(kernel.asked) >= len(report.rows)  # by-name probes ask twice (resolve, send)
    # the drop the model names is where the kernel's counter is read: in the engine's names
    drops = [r.probe.drop for r in report.rows if r.predicted.dropped_by]
    assert drops and all(d is None or d[0].startswith("fake-") for d in drops)
    assert any(d is not None for d in drops)


def test_without_counters_no_probe_is_given_a_rule_to_read(bridge: Lab) -> None:
    report = _session(bridge, FakeKernel(bridge)).probe(bridge.check(by_class=False))
    assert all(r.probe.drop is None for r in report.rows)


def test_a_disagreement_fails_the_run_and_is_traced_within_the_budget(bridge: Lab) -> None:
    traced: list[Probe] = []
    kernel = FakeKernel(bridge, flip=lambda p: True)  # every answered probe now blocked
    report = _session(bridge, kernel, traced=traced, traces=True).probe(
        bridge.check(by_class=False))
    wrong = [r for r in report.rows if r.mismatch]
    assert len(wrong) > TRACED and not report.ok
    assert len(traced) == TRACED and [r.trace for r in wrong[:TRACED]] == [
        f"trace of {p.label}" for p in traced]
    assert all(r.trace is None for r in wrong[TRACED:])
    assert all(p.name is None for p in traced)  # a by-name probe is traced at its address


def test_an_engine_that_cannot_trace_is_not_asked_to(bridge: Lab) -> None:
    traced: list[Probe] = []
    report = _session(bridge, FakeKernel(bridge, flip=lambda p: True), traced=traced).probe(
        bridge.check(by_class=False))
    assert any(r.mismatch for r in report.rows) and not traced


def test_a_node_the_engine_does_not_give_is_inconclusive_and_left_out_of_the_matrix(
        bridge: Lab) -> None:
    check = bridge.check(by_class=False)
    source = check.expectations[0].probe.src_ns
    report = _session(bridge, FakeKernel(bridge), leave_out=source).probe(check)
    gone = [r for r in report.expectations if r.probe.src_ns == source]
    assert gone and all(r.observed == Verdict.INCONCLUSIVE for r in gone)
    assert not report.ok and not any(r.probe.src_ns == source for r in report.matrix)


def test_a_dead_daemon_makes_the_run_no_evidence(bridge: Lab) -> None:
    session = _session(bridge, FakeKernel(bridge), dead=["dockerd on docker1"])
    with pytest.raises(EnvironmentProblem, match=r"dockerd on docker1 of lab .* died"):
        session.probe(bridge.check(by_class=False))


def test_findings_travel_from_the_engine_to_the_report_and_fail_it(bridge: Lab) -> None:
    report = _session(bridge, FakeKernel(bridge), findings=["web: the engine gave 10.0.0.9"]
                      ).probe(bridge.check(by_class=False))
    assert report.findings == ["web: the engine gave 10.0.0.9"] and not report.ok


def test_two_engines_merge_into_one_report_row_by_row(bridge: Lab) -> None:
    first = _session(bridge, FakeKernel(bridge), engine="netns", own=True).probe(
        bridge.check(by_class=False))
    flip = {first.expectations[0].probe.label}
    second = _session(bridge, FakeKernel(bridge, flip=lambda p: p.label in flip),
                      engine="docker 28", findings=["x"]).probe(bridge.check(by_class=False))
    one = merged([first, second])
    assert one.also == ["docker 28"] and not one.own and one.findings == ["docker 28: x"]
    assert all("docker 28" in r.also for r in one.rows)
    row = one.expectations[0]
    assert row.predicted.result in (Verdict.REACH, Verdict.OPEN)  # what the flip turns
    assert row.seen.result == row.predicted.result
    assert row.also["docker 28"].result == Verdict.BLOCKED


def test_every_report_format_renders_a_faked_run(bridge: Lab, tmp_path: Path) -> None:
    report = _session(bridge, FakeKernel(bridge, flip=lambda p: p.proto == "icmp")).probe(
        bridge.check(by_class=False))
    out = StringIO()
    terminal.print_run(report, Console(file=out, width=160), False, "auto")
    assert "fake 1" in out.getvalue() and "differ" in out.getvalue()
    judged = judgement.cases(report)
    jsonout.report(tmp_path / "r.json", report, judged, "run")
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["mismatches"] == sum(r.mismatch for r in report.rows) > 0
    assert data["engines"] == [report.engine] and data["judged"]["exit_code"] == 1
    junit.write(tmp_path / "r.xml", report.lab, judged, report.seconds)
    suites = ET.parse(tmp_path / "r.xml").getroot()
    assert int(suites.get("failures")) == sum(c.failure is not None for c in judged) > 0


def test_each_family_is_a_row_of_its_own_in_every_report(tmp_path: Path) -> None:
    from netsim.report.html import rows_table

    report = Lab.load(SCENARIOS / "ipv6-bridge.yml").check()
    rows = [r for r in report.rows if r.probe.expected is not None]
    assert {r.family for r in rows} == {4, 6}
    assert any(r.probe.family == 0 for r in rows)  # by name: the family it resolved to
    judged = [c for c in judgement.cases(report) if c.suite == "expectations"]
    junit.write(tmp_path / "r.xml", report.lab, judged, report.seconds)
    cases = ET.parse(tmp_path / "r.xml").getroot().iter("testcase")
    families = [c.find("system-out").text.splitlines()[0] for c in cases]
    assert families == [f"family: IPv{r.family}" for r in rows]
    html = rows_table(rows, False, "t")
    assert "<th>family</th>" in html and "<td>IPv6</td>" in html and "<td>IPv4</td>" in html
    jsonout.stream(tmp_path / "r.json", {"lab": report.lab}, rows, {}, report.seconds)
    data = json.loads((tmp_path / "r.json").read_text())
    assert [r["family"] for r in data["probes"]] == [r.family for r in rows]


def test_a_host_the_lab_has_not_is_said_with_the_valid_ones(bridge: Lab) -> None:
    from netsim.errors import NetsimError

    assert bridge.rules("docker1") == bridge.rules() and "*filter" in bridge.rules()
    with pytest.raises(NetsimError, match=r"--host nope: no such host in .* \(valid: "):
        bridge.rules("nope")


class Split:
    """A kernel whose split takes the ways of an `any:` probe in turn (from `start`), or
    always the first (`stuck`); every other probe as the model says."""

    def __init__(self, lab: Lab, stuck: bool = False):
        self.model, self.stuck, self.asked = Predicted(lab.model), stuck, 0

    def run(self, probes: list[Probe]) -> list[Outcome]:
        out = []
        for p, got in zip(probes, self.model.run(probes), strict=True):
            if p.any:
                got = got.choices[0 if self.stuck else self.asked % len(got.choices)]
                self.asked += 1
            got.evidence = got.evidence or ["fake"]
            out.append(got)
        return out


@pytest.mark.parametrize("stuck", [False, True])
def test_an_any_expectation_is_probed_until_a_way_meets_it(stuck: bool) -> None:
    """services.yml's hairpin through web's three endpoints: one way comes back to web-1
    from its node. Taken in turn, the third connection meets it; a kernel that never takes
    that way fails the row after ANY_TRIES connections, and says which endpoints it saw."""
    from netsim.session import ANY_TRIES

    lab = Lab.load(SCENARIOS / "services.yml")
    kernel = Split(lab, stuck)
    report = _session(lab, kernel).probe(lab.check(by_class=False))
    row = next(r for r in report.expectations if r.probe.any)
    assert row.expected_met is (not stuck)
    assert kernel.asked == (ANY_TRIES if stuck else 3)
    said = row.seen.evidence[-1]
    assert said.startswith(f"any: {kernel.asked} connection(s), served by ")
    assert said.count(",") == (1 if stuck else 3)           # one endpoint, or all three
