"""The seed notes' own examples, as printed, built and probed for real (root)."""

from __future__ import annotations

import os

import pytest

from netsim.lab import Lab
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def test_the_macvlan_example_as_printed_runs_with_lan_out_of_the_way() -> None:
    lab = Lab.load(SCENARIOS / "seed-macvlan.yml")
    codes = {code: text for code, text in lab.model.warnings}
    assert "192.168.1.254, not 192.168.1.2" in codes["lan"]
    assert "docker1 (192.168.1.10)" in codes["P33"]
    report = lab.run()
    assert report.ok, [r.probe.label for r in report.failed]
    first = report.expectations[1]  # lan -> c1: the address Docker gave c1 is .2
    assert str(first.probe.dst) == "192.168.1.2" and first.observed == "reach"
