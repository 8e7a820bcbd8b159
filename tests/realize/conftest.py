"""Every lab a kernel test runs is judged as the CLI would judge it: its JUnit file is valid
against Jenkins' junit-10.xsd, its JSON report against `netsim schema --report`, and both say
what the exit code says (0 exactly when the run is ok), on every shipped scenario these tests
build, failing runs included."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from netsim.lab import Lab
from netsim.report import jsonout, judgement, junit
from netsim.report.reports import RunReport
from tests.report.junit_xsd import junit_failures


def judged_as_the_cli_would(report: RunReport, where: Path) -> None:
    cases = judgement.cases(report)
    code = judgement.exit_code(cases)
    assert code == (0 if report.ok else 1), (report.lab, [c for c in cases if c.failure])
    junit.write(where / "run.xml", report.lab, cases, report.seconds)
    assert (junit_failures(where / "run.xml") > 0) == (code == 1)
    jsonout.report(where / "run.json", report, cases, "run")
    data = json.loads((where / "run.json").read_text())
    jsonschema.validate(data, jsonout.schema())
    assert data["judged"]["exit_code"] == code


@pytest.fixture(autouse=True)
def _every_run_judged(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    real = Lab.run

    def run(self: Lab, *args, **kwargs) -> RunReport:
        report = real(self, *args, **kwargs)
        judged_as_the_cli_would(report, tmp_path_factory.mktemp("judged"))
        return report

    monkeypatch.setattr(Lab, "run", run)
