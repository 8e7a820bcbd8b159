"""Prediction by classes of twins gives exactly what a walk per probe gives: every field of
every outcome, on the full matrix and the expectations of every shipped scenario and of
generated ones (no root)."""

from __future__ import annotations

import random

import pytest
import yaml

from netsim.lab import Lab
from netsim.predict.twins import Twins
from netsim.probe import observe as observe_module
from netsim.probe import plan
from netsim.probe.observe import Predicted, observe
from tests.conftest import SCENARIOS, lab

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


@pytest.fixture(autouse=True)
def _always_by_class(monkeypatch) -> None:
    """However few the probes, go by classes: that is what is compared here."""
    monkeypatch.setattr(observe_module, "BY_CLASS_FROM", 0)


def _same(model, expect: list | None = None) -> Twins:
    probes = plan.matrix(model) + (expect or [])
    grouped = observe(Predicted(model), probes)
    walked = observe(Predicted(model, by_class=False), probes)
    for p, a, b in zip(probes, grouped, walked, strict=True):
        assert a == b, (p.label, a, b)
    return Twins(model)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_classes_equal_the_walks_on_shipped_scenarios(path) -> None:
    scenario = Lab.load(path)
    _same(scenario.model, plan.expectations(scenario.loaded, scenario.model))


def _generated(seed: int) -> str:
    rng = random.Random(seed)
    nets = {f"n{i}": {"driver": "bridge", "host": rng.choice(["h1", "h2"]),
                      # the same default subnet on two hosts makes no twins: mostly distinct
                      **({"subnet": f"10.{10 + i}.0.0/24"} if seed % 4 else {}),
                      **({"internal": True} if rng.random() < 0.2 else {})} for i in range(3)}
    if seed % 3 == 0:
        nets["mv"] = {"driver": "macvlan", "host": "h1", "parent": "eth0",
                      "subnet": "192.168.1.0/24", "ip_range": "192.168.1.128/27"}
    containers = {}
    for c in range(16):
        net = rng.choice(sorted(nets))
        spec: dict = {"host": nets[net]["host"], "network": net,
                      "listen": rng.choice([["80/tcp"], ["80/tcp", "53/udp"], []])}
        if rng.random() < 0.15:
            spec["ports"] = [f"{8000 + c}:80"]
        containers[f"c{c}"] = spec
    containers["two"] = {"host": "h1", "networks": {n: {} for n in sorted(nets)[:2]
                                                    if nets[n]["host"] == "h1"} or None,
                         "listen": ["80/tcp"]}
    if not containers["two"]["networks"]:
        del containers["two"]
    return yaml.safe_dump({"name": "gen", "docker": rng.choice(["20.10", "26", "28"]),
                           "hosts": {"h1": {"icc": seed % 2 == 0}, "h2": {}},
                           "networks": nets, "containers": containers})


def _publishers(docker: str, proxy: bool) -> str:
    """Containers publishing the same container port on different host ports, twins of
    each other: each sends to its own host port (a hairpin, back to itself) and to the
    others'."""
    containers = {f"p{i}": {"network": "aa", "listen": ["80/tcp"], "ports": [f"808{i}:80"]}
                  for i in range(1, 4)}
    containers |= {f"c{i}": {"network": "aa", "listen": ["80/tcp"]} for i in range(1, 3)}
    return yaml.safe_dump({"name": "pub", "docker": docker,
                           "hosts": {"docker1": {"userland_proxy": proxy}},
                           "networks": {"aa": {}}, "containers": containers})


@pytest.mark.parametrize("seed", range(10))
def test_classes_equal_the_walks_on_generated_scenarios(seed) -> None:
    tw = _same(lab(_generated(seed)).model)
    assert len(tw.cls) >= 2 or seed % 4 == 0  # twins there were, relabelled


def test_twins_are_found_and_singled_out_as_they_must_be() -> None:
    text = yaml.safe_dump({"name": "tw", "networks": {"aa": {}}, "containers": {
        "a1": {"network": "aa", "listen": ["80/tcp"]}, "a2": {"network": "aa", "listen": ["80/tcp"]},
        "a3": {"network": "aa", "listen": ["80/tcp"]}, "pub": {"network": "aa", "ports": ["80"]},
        "quiet": {"network": "aa"}}})
    tw = Twins(lab(text).model)
    assert tw.cls["a1"] == tw.cls["a2"] == tw.cls["a3"]
    assert "pub" not in tw.cls and "quiet" not in tw.cls  # the one publisher; listens on nothing


@pytest.mark.parametrize("docker", ["20.10", "28"])
@pytest.mark.parametrize("proxy", [True, False])
def test_publishers_are_twins_and_a_probe_to_its_own_port_is_its_own(docker, proxy) -> None:
    tw = _same(lab(_publishers(docker, proxy)).model)
    assert tw.cls["p1"] == tw.cls["p2"] == tw.cls["p3"] != tw.cls["c1"]
