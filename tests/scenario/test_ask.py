"""`ask:`: an expectation that is a question (a lesson's exercise): probed and reported, its
answer not written in the scenario."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from tests.conftest import lab

HEAD = "name: q\ncontainers: {aa: {}, bb: {}}\nexpect:\n"


def test_a_question_is_probed_with_no_expected_answer() -> None:
    report = lab(HEAD + "  - {from: aa, to: bb, ask: result}\n"
                        "  - {from: aa, to: outside, port: 80/tcp, ask: source}\n").check()
    first, second = report.expectations
    assert first.probe.ask == "result" and first.probe.expected is None and first.ok
    assert first.predicted.result == "reach"
    assert second.probe.ask == "source" and str(second.predicted.source_seen) == "192.168.1.10"
    assert not report.failed


@pytest.mark.parametrize(("line", "said"), [
    ("{from: aa, to: bb, ask: result, result: reach}", "a question has no result or source"),
    ("{from: aa, to: bb, ask: source, source: aa}", "a question has no result or source"),
    ("{from: aa, to: bb, ask: why}", "'why' is not a question netsim can check (valid: "
                                     "result, source)"),
    ("{run: aa, error: x, ask: result}", "ask: is for a probe"),
    ("{to: bb, ask: result}", "missing required key 'from'"),
])
def test_a_question_that_gives_its_answer_or_asks_nothing_is_refused(line, said) -> None:
    with pytest.raises(ScenarioError, match=said.replace("(", r"\(").replace(")", r"\)")):
        lab(HEAD + f"  - {line}\n").model  # noqa: B018 - building it is the check
