"""Docker's networking tutorials, their command lines pasted as printed (tests/corpus/tutorials):
read-only lines noted, lines typed into an attached container noted, every outcome the tutorial
states predicted, and, as root, observed on the real kernel."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest
import yaml

from netsim.lab import Lab
from tests.conftest import needs_root

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "tutorials"
TUTORIALS = [e["file"] for e in yaml.safe_load((CORPUS / "SOURCES.yml").read_text())]


@pytest.mark.parametrize("name", TUTORIALS)
def test_every_outcome_a_tutorial_states_is_predicted(name: str) -> None:
    report = Lab.load(CORPUS / name).check(full_matrix=False)
    assert report.expectations and all(r.predicted.result == r.probe.expected
                                       for r in report.expectations)


def test_the_addresses_are_the_ones_docker_network_inspect_printed() -> None:
    lab = Lab.load(CORPUS / "standalone-default-bridge.yml")
    ep = lab.model.endpoints
    assert (ep["alpine1"].primary, ep["alpine2"].primary) == (IPv4Address("172.17.0.2"),
                                                              IPv4Address("172.17.0.3"))
    net = Lab.load(CORPUS / "standalone-user-bridge.yml").model.networks["docker1/alpine-net"]
    assert (str(net.subnet), str(net.gateway)) == ("172.18.0.0/16", "172.18.0.1")


def test_read_only_lines_and_typed_lines_are_noted_not_refused() -> None:
    notes = [w for c, w in Lab.load(CORPUS / "standalone-default-bridge.yml").model.warnings
             if c == "command"]
    assert any("line 11: shows what is there and changes nothing" in n for n in notes)
    assert not any("typed into" in n and "#" in n for n in notes)  # `# ...` lines: comments


@needs_root
@pytest.mark.parametrize("name", TUTORIALS)
def test_a_tutorial_run_for_real_meets_every_outcome_it_states(name: str) -> None:
    report = Lab.load(CORPUS / name).run(full_matrix=False)
    assert report.expectations and report.ok, [(r.probe.label, r.observed)
                                                for r in report.expectations]
