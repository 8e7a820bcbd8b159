"""An outcome's path as typed steps: `why` is their rendering by one function (says.render),
each kind of step has one sentence, and a reader asks a step's kind and place, not its words."""

from __future__ import annotations

import re
from ipaddress import IPv4Address

import pytest

from netsim.answer import says
from netsim.answer.step import Step
from netsim.answer.verdict import Verdict
from netsim.lab import Lab
from netsim.predict import walk
from netsim.probe import plan
from netsim.probe.observe import Predicted
from tests.architecture.test_imports import ROOT
from tests.model.test_graph import SCENARIOS


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_why_is_the_rendering_of_the_steps_on_every_shipped_scenario(path) -> None:
    model = Lab.load(path).model
    for got in Predicted(model, by_class=False).run(plan.matrix(model)):
        assert got.why == (says.render(got.steps) or "delivered"), got
        assert all(s.kind in says.SAYS for s in got.steps)


def test_every_sentence_has_a_step_that_says_it_and_no_step_goes_unsaid() -> None:
    source = (ROOT / "predict" / "walk.py").read_text()
    made = set(re.findall(r'Step\(\s*(?:_family\()?"(\w+)"', source)) | set(
        re.findall(r'"(wrong_reply\w*)"', source)) | set(walk.IN_IPV6.values())
    assert made == set(says.SAYS), (made ^ set(says.SAYS))


def test_a_step_renders_its_inner_connection_and_knows_its_place() -> None:
    inner = Step("no_route", "c1", (IPv4Address("10.0.0.9"),))
    step = Step("no_reply", "", ((inner,),))
    assert says.say(step) == "no reply: c1 has no route to 10.0.0.9 (Network is unreachable)"
    assert says.place(step) == "c1" and says.place(Step("loop")) == ""


def test_a_drop_is_a_step_with_its_table_chain_and_rule() -> None:
    lab = Lab.load(ROOT.parent / "scenarios" / "user-bridges.yml")
    rows = lab.check(full_matrix=False).expectations
    [row] = [r for r in rows if r.probe.src == "web" and r.probe.to == "db"][:1]
    assert row.predicted.result == Verdict.BLOCKED
    [step] = row.predicted.steps
    assert step.kind == "dropped" and step.ns == "docker1"
    table, chain, rule = step.args
    ns, *_, index = row.predicted.dropped_by
    assert (ns, table, chain) == ("docker1", *row.predicted.dropped_by[1:3])
    assert rule == lab.model.ns[ns].rules.tables[table][chain].rules[index].origin
