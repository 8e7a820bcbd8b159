"""The matrix by classes (netsim.predict.class_matrix, report.matrix_rows) gives exactly what a
walk per probe gives: the same probes, and for each the same verdict, source seen, path, why
and dropping rule; and its counts, made without the rows, equal counting the rows. On every
shipped scenario and on generated ones (no root)."""

from __future__ import annotations

from collections import Counter

import pytest

from netsim import lab as lab_module
from netsim.lab import Lab
from netsim.predict.twins import Twins
from netsim.report.matrix_rows import MatrixRows
from tests.conftest import SCENARIOS, lab
from tests.model.test_twins import _generated, _publishers

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


def _key(r) -> tuple:
    return (r.probe.src, r.probe.to, r.probe.proto, r.probe.port, r.probe.family)


def _compare(scenario: Lab, monkeypatch) -> MatrixRows:
    walked = scenario.check(by_class=False).matrix
    monkeypatch.setattr(lab_module, "CLASS_MATRIX_FROM", 0)
    classed = scenario.check().matrix
    assert isinstance(classed, MatrixRows)
    rows = list(classed)
    assert len(rows) == len(classed) == len(walked)
    by_key = {_key(r): r.predicted for r in rows}
    assert len(by_key) == len(rows)
    for r in walked:
        assert by_key[_key(r)] == r.predicted, (r.probe.label, by_key[_key(r)], r.predicted)
    group = {n: n[:2] for n in scenario.model.endpoints}  # any key: grouping is the caller's
    counted = Counter((group.get(r.probe.src, r.probe.src), group.get(r.probe.to, r.probe.to),
                       r.predicted.result) for r in walked)
    assert classed.counts(lambda n: group.get(n, n)) == counted
    return classed


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_class_matrix_equals_the_walks_on_shipped_scenarios(path, monkeypatch) -> None:
    _compare(Lab.load(path), monkeypatch)


@pytest.mark.parametrize("seed", range(8))
def test_the_class_matrix_equals_the_walks_on_generated_scenarios(seed, monkeypatch) -> None:
    classed = _compare(lab(_generated(seed)), monkeypatch)
    if seed % 4:  # distinct subnets: twins there are, so fewer walks than pairs
        assert sum(c.walks for c in classed.classes) < sum(len(c) for c in classed.classes)


@pytest.mark.parametrize("docker", ["20.10", "26", "28"])
@pytest.mark.parametrize("proxy", [True, False])
def test_publishers_are_twins_and_their_own_port_comes_back_to_each(docker, proxy,
                                                                    monkeypatch) -> None:
    scenario = lab(_publishers(docker, proxy))
    tw = Twins(scenario.model)
    assert tw.cls.get("p1") is not None and tw.cls["p1"] == tw.cls["p2"] == tw.cls["p3"]
    _compare(scenario, monkeypatch)
