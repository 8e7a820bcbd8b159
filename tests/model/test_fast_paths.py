"""The predictor's shortcuts give what the full walk gives: every matrix probe of every shipped
scenario, and of generated ones, predicted with and without them (no root)."""

from __future__ import annotations

import random

import pytest
import yaml

from netsim.lab import Lab
from netsim.model.predict import Predictor
from netsim.probe import plan
from tests.conftest import SCENARIOS, lab

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


def _same(model) -> None:
    probes = plan.matrix(model)
    fast, slow = Predictor(model), Predictor(model)
    slow.fast_l2 = False
    for p in probes:
        a = fast.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
        b = slow.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
        assert (a.result, a.source_seen, a.path, a.why) == (b.result, b.source_seen, b.path,
                                                            b.why), p.label
    assert probes


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_fast_l2_paths_equal_the_frame_search_on_shipped_scenarios(path) -> None:
    _same(Lab.load(path).model)


@pytest.mark.parametrize("seed", range(6))
def test_fast_l2_paths_equal_the_frame_search_on_generated_scenarios(seed) -> None:
    rng = random.Random(seed)
    nets = {f"n{i}": {"driver": "bridge", "host": rng.choice(["h1", "h2"]),
                      **({"internal": True} if rng.random() < 0.2 else {})} for i in range(4)}
    containers = {}
    for c in range(14):
        on = rng.sample(sorted(nets), rng.choice([1, 1, 2]))
        hosts = {nets[n]["host"] for n in on}
        if len(hosts) > 1:
            on = on[:1]
        spec: dict = {"host": nets[on[0]]["host"], "listen": ["80/tcp"]}
        spec |= {"network": on[0]} if len(on) == 1 else {"networks": {n: {} for n in on}}
        if rng.random() < 0.3:
            spec["ports"] = [f"{8000 + c}:80"]
        containers[f"c{c}"] = spec
    containers["dflt"] = {"host": "h1", "ports": ["9000:80"], "listen": ["80/tcp"]}
    doc = {"name": "gen", "hosts": {"h1": {}, "h2": {"userland_proxy": bool(seed % 2)}},
           "networks": nets, "containers": containers}
    _same(lab(yaml.safe_dump(doc)).model)
