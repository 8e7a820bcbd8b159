"""What a report judges: the exit code, the JUnit file (valid against Jenkins' junit-10.xsd)
and the JSON report (valid against `netsim schema --report`) say the same, for checks and for
runs whose kernel disagreed, left a probe inconclusive or found something; warnings carry
their file:line and meaning, and `--fail-on` makes them failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from netsim.answer.outcome import Outcome
from netsim.answer.pitfalls import PITFALLS
from netsim.answer.verdict import Verdict
from netsim.cli import main
from netsim.lab import Lab
from netsim.report import jsonout, judgement, junit
from tests.conftest import SCENARIOS
from tests.report.junit_xsd import junit_cases, junit_failures, parsed
from tests.test_session import FakeKernel, _session

ROOT = Path(__file__).resolve().parents[2]


def _check(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, ["check", *args])
    return r.exit_code, r.output


def _reports(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    j, x = tmp_path / "r.json", tmp_path / "r.xml"
    return j, x, ["--json", str(j), "--junit", str(x)]


def test_the_pitfall_table_is_the_one_the_docs_print() -> None:
    doc = (ROOT / "docs" / "docker-behaviour.md").read_text()
    rows = re.findall(r"^\| ([A-Z]\d\d) \| (.*) \|\s*$", doc, re.M)
    assert {code: tuple(cells.split(" | ")) if " | " in cells else (cells, None)
            for code, cells in rows} == PITFALLS


def test_every_code_netsim_warns_with_is_explained() -> None:
    said = set()
    for path in (ROOT / "netsim").rglob("*.py"):
        said |= set(re.findall(r'(?:warn|append)\(\(?\s*"([A-Z]\d\d)"', path.read_text()))
        said |= set(re.findall(r'_warn\(\w+, "([A-Z]\d\d)"', path.read_text()))
    assert len(said) > 30 and said <= set(PITFALLS), said - set(PITFALLS)


def test_the_report_schema_is_valid_and_knows_every_verdict() -> None:
    schema = jsonout.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["$defs"]["verdict"]["enum"]) == {v.value for v in Verdict}
    r = CliRunner().invoke(main, ["schema", "--report"])
    assert r.exit_code == 0 and json.loads(r.output) == schema


def test_a_warning_says_its_file_line_and_meaning_and_fails_only_when_asked(
        tmp_path: Path) -> None:
    path = str(SCENARIOS / "overlay-mtu.yml")
    j, x, out = _reports(tmp_path)
    code, said = _check(path, "-q", *out)
    assert code == 0 and junit_failures(x) == 0 and junit_cases(x, "warnings") == 2
    assert f"warning [P13] {path}:10: networks.ovl: overlay MTU 1450" in said
    report = json.loads(j.read_text())
    jsonschema.validate(report, jsonout.schema())
    p13 = report["warnings"][0]
    assert (p13["code"], p13["file"], p13["line"]) == ("P13", path, 10)
    assert p13["explained"] == PITFALLS["P13"][0] and p13["anchor"].endswith("#9-pitfalls")
    for chosen in ("P13", "warning", "P01,P13"):
        code, said = _check(path, "-q", "--fail-on", chosen, *out)
        assert code == 1 and junit_failures(x) == 2, chosen
        assert "--fail-on: 2 warnings (P13) fail this report" in said
        judged = json.loads(j.read_text())["judged"]
        assert judged["exit_code"] == 1 and judged["by_suite"]["warnings"]["failures"] == 2
    code, _ = _check(path, "-q", "--fail-on", "P01", *out)
    assert code == 0 and junit_failures(x) == 0  # a code that was not warned fails nothing


def test_fail_on_a_word_that_is_no_code_is_bad_input() -> None:
    code, said = _check(str(SCENARIOS / "bridge.yml"), "--fail-on", "P99")
    assert code == 2 and "'P99' is neither `warning` nor a warning code" in said
    assert "P13" in said


def test_a_broken_expectation_is_one_failed_case(tmp_path: Path) -> None:
    path = tmp_path / "w.yml"
    path.write_text("name: w\ncontainers: {aa: {}, bb: {}}\nexpect:\n"
                    "  - {from: aa, to: bb, result: reach}\n"
                    "  - {from: lan, to: aa, result: reach}\n")
    j, x, out = _reports(tmp_path)
    code, _ = _check(str(path), "-q", *out)
    assert code == 1 and junit_failures(x) == 1
    failed = [c for c in parsed(x).iter("testcase") if c.find("failure") is not None]
    assert failed[0].get("name") == "expect[1]: lan -> aa icmp"
    assert "expected reach, predicted blocked" in failed[0].find("failure").get("message")
    judged = json.loads(j.read_text())["judged"]
    assert judged["failed"] == [{"suite": "expectations", "name": "expect[1]: lan -> aa icmp",
                                 "failure": failed[0].find("failure").get("message")}]


@pytest.fixture
def bridge() -> Lab:
    return Lab.load(SCENARIOS / "bridge.yml")


def _written(report, tmp_path: Path) -> tuple[list[judgement.Case], dict, int]:
    judged = judgement.cases(report)
    junit.write(tmp_path / "r.xml", report.lab, judged, report.seconds)
    jsonout.report(tmp_path / "r.json", report, judged, "run")
    data = json.loads((tmp_path / "r.json").read_text())
    jsonschema.validate(data, jsonout.schema())
    return judged, data, junit_failures(tmp_path / "r.xml")


def test_a_run_that_agrees_passes_everywhere(bridge: Lab, tmp_path: Path) -> None:
    report = _session(bridge, FakeKernel(bridge)).probe(bridge.check(by_class=False))
    judged, data, failures = _written(report, tmp_path)
    assert report.ok and judgement.exit_code(judged) == 0 and failures == 0
    assert data["judged"]["exit_code"] == 0 and data["engines"] == ["fake 1"]
    assert junit_cases(tmp_path / "r.xml", "matrix") == 1  # the matrix, passed, as one case


def test_a_forced_disagreement_fails_the_exit_code_the_junit_and_the_json(
        bridge: Lab, tmp_path: Path) -> None:
    report = _session(bridge, FakeKernel(bridge, flip=lambda p: p.proto == "icmp")).probe(
        bridge.check(by_class=False))
    judged, data, failures = _written(report, tmp_path)
    bad = [r for r in report.rows if not r.ok]
    assert bad and not report.ok and judgement.exit_code(judged) == 1
    assert failures == len(bad) == data["judged"]["failures"]
    assert all("observed blocked" in c.failure or "expected" in c.failure
               for c in judged if c.failure)


def test_an_inconclusive_probe_and_a_finding_are_failures(bridge: Lab, tmp_path: Path) -> None:
    report = _session(bridge, FakeKernel(bridge), findings=["host-local gave .9"]).probe(
        bridge.check(by_class=False))
    report.matrix[0].seen = Outcome(Verdict.INCONCLUSIVE, None, [], evidence=["no answer, "
                                                                            "no counter"])
    _, data, failures = _written(report, tmp_path)
    assert not report.ok and failures == 2 == data["judged"]["failures"]
    suites = {c["suite"]: c["failure"] for c in data["judged"]["failed"]}
    assert suites["matrix"].startswith("inconclusive: no answer, no counter")
    assert "finding" in suites["findings"] and data["findings"] == ["host-local gave .9"]


def test_a_scenario_from_standard_input(tmp_path: Path) -> None:
    text = (SCENARIOS / "bridge.yml").read_text()
    r = CliRunner().invoke(main, ["check", "-q", "-"], input=text)
    assert r.exit_code == 0 and "bridge: 15/15 expectations predicted to hold" in r.output
    r = CliRunner().invoke(main, ["check", "-q", "-"], input="name: x\ncontainers:\n  a: {nett: 1}\n")
    assert r.exit_code == 2 and "<stdin>:3:7: containers.a.nett: unknown key" in r.output
    r = CliRunner().invoke(main, ["check", "-"], input="")
    assert r.exit_code == 2 and "standard input is empty" in r.output


def test_inspect_ls_and_import_speak_json() -> None:
    r = CliRunner().invoke(main, ["inspect", str(SCENARIOS / "bridge.yml"), "--json"])
    data = json.loads(r.output)
    forward = data["hosts"]["docker1"]["tables"]["filter"]["FORWARD"]
    assert forward["policy"] == "DROP" and "-j DOCKER-USER" in forward["rules"]
    assert data["hosts"]["docker1"]["text"].startswith("*raw")
    r = CliRunner().invoke(main, ["ls", "--json"])
    assert r.exit_code == 0 and isinstance(json.loads(r.output), list)
    r = CliRunner().invoke(main, ["import", "cluster", str(ROOT / "tests" / "clusters" /
                                                           "flannel"), "--json"])
    scenario = json.loads(r.stdout)
    assert scenario["hosts"] and CliRunner().invoke(
        main, ["check", "-q", "-"], input=r.stdout).exit_code == 0
