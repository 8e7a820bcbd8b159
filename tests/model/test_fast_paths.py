"""The predictor's shortcuts give what the full walk gives: every matrix probe of every shipped
scenario, and of generated ones, predicted with and without them (no root). The shortcuts:
the L2 fast path past the frame search, and netfilter's memo of a chain's decisions by what
its rules can see (against every rule run for every packet)."""

from __future__ import annotations

import random
from ipaddress import IPv4Address

import pytest
import yaml

from netsim.lab import Lab
from netsim.predict.netfilter import Netfilter, Seen
from netsim.predict.walk import Predictor
from netsim.probe import plan
from tests.conftest import SCENARIOS, lab

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


def _same(model) -> int:
    """Every matrix probe with and without the shortcuts; how many decisions were remembered."""
    probes = plan.matrix(model)
    fast, slow = Predictor(model), Predictor(model)
    slow.fast_l2 = False
    for nf in slow.nf.values():
        nf.use_memo = False
    for p in probes:
        a = fast.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
        b = slow.probe(p.src_ns, p.dst, p.proto, p.port, p.size)
        assert (a.result, a.source_seen, a.path, a.why, a.dropped_by) == (
            b.result, b.source_seen, b.path, b.why, b.dropped_by), p.label
    assert probes
    return sum(nf.remembered() for nf in fast.nf.values())


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_fast_l2_paths_equal_the_frame_search_on_shipped_scenarios(path) -> None:
    _same(Lab.load(path).model)


def test_the_memo_is_used_where_chains_are_long() -> None:
    """Docker's FORWARD with its isolation chains is long enough to be remembered."""
    assert _same(Lab.load(SCENARIOS / "user-bridges.yml").model) > 0


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


def _ports(ruleset) -> list[int | None]:
    rules = [r for t in ruleset.tables.values() for c in t.values() for r in c.rules]
    named = {p for r in rules for p in (r.match.dport, r.match.sport) if p is not None}
    listed = {q for r in rules for p in r.match.dports or ()
              for q in (p if isinstance(p, tuple) else (p,))}  # a range: its ends
    return [*sorted(named | listed), None, 53, 80]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_netfilter_memo_decides_as_every_rule_on_random_packets(path) -> None:
    """Random packets (drawn from small pools, so that many share a key) at every chain: the
    same decision and the same mark as running every rule."""
    _random_packets(path)


def test_random_packets_reach_remembered_chains() -> None:
    assert _random_packets(SCENARIOS / "user-bridges.yml") > 0


def _random_packets(path) -> int:
    model = Lab.load(path).model
    rng = random.Random(path.stem)
    addrs = sorted({int(a.ip) for ns in model.ns.values() for i in ns.ifaces.values()
                    for a in i.addrs} | {int(IPv4Address(a)) for a in ("8.8.8.8", "127.0.0.11")})
    remembered = 0
    for ns in model.ns.values():
        fast, plain = Netfilter(ns.rules), Netfilter(ns.rules)
        plain.use_memo = False
        names, ports = ["", *sorted(ns.ifaces)], _ports(ns.rules)
        for table, chains in ns.rules.tables.items():
            for chain in chains:
                for _ in range(120):
                    args = (rng.choice(names), rng.choice(names), rng.choice(addrs),
                            rng.choice(addrs), rng.choice(["tcp", "udp", "icmp"]),
                            rng.choice(ports), rng.choice(ports),
                            rng.choice(["new", "established", "related"]),
                            rng.random() < 0.3, rng.random() < 0.3,
                            rng.choice([0, 0x2000, 0x4000, 0x10000]))
                    a, b = Seen(*args), Seen(*args)
                    assert fast.decide(table, chain, a) == plain.decide(table, chain, b), \
                        (ns.id, table, chain, args)
                    assert a.mark == b.mark
        remembered += fast.remembered()
    return remembered
