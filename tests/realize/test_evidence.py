"""A blocked verdict rests on evidence: the counter of the rule the model says drops the probe
(netsim's nft rules carry counters; a drop policy one after the chain's rules), or the
kernel's own no-route count, or the timeout it then waits out. Real kernel (root)."""

from __future__ import annotations

import time
from dataclasses import replace

from netsim.lab import Lab, up_lab
from netsim.probe import plan
from netsim.probe.engine import Prober
from netsim.realize import lifecycle
from tests.conftest import SCENARIOS, needs_root

pytestmark = needs_root


def test_blocked_probes_are_proven_by_the_counters_and_end_the_wave_early() -> None:
    lab = Lab.load(SCENARIOS / "user-bridges.yml")
    with lab.up():
        t0 = time.perf_counter()
        report = lab.probe(full_matrix=True)
        took = time.perf_counter() - t0
    assert report.ok
    blocked = [r for r in report.rows if r.seen and r.seen.result == "blocked"]
    counted = [r for r in blocked if r.seen.counted]
    assert len(counted) >= len(blocked) // 2 > 10
    assert all("rose by" in r.seen.evidence[-1] for r in counted)
    assert not any("no answer" in e or "no echo" in e for r in counted for e in r.seen.evidence)
    assert any("IpExt InNoRoutes" in r.seen.evidence[-1] for r in counted)  # the router
    assert any("DOCKER-ISOLATION" in r.seen.evidence[-1] or "raw PREROUTING" in
               r.seen.evidence[-1] for r in counted)
    assert took < 2.0  # two 1 s timeouts per wave before


def test_a_counter_that_does_not_rise_proves_nothing_the_probe_waits_its_timeout() -> None:
    """The model's word is only where to look: point it at a rule the packet never meets
    and the verdict comes from the timeout, as without counters."""
    lab = Lab.load(SCENARIOS / "user-bridges.yml")
    running = up_lab(lab)
    names = running.names
    try:
        [p] = [q for q in plan.matrix(lab.model) if q.src == "web" and q.to == "db"
               and q.proto == "icmp"]
        wrong = replace(p, drop=(names["docker1"], "filter", "INPUT", 0, "rule 1"))
        prober = Prober(names, running.flush, timeout=0.3)
        try:
            t0 = time.perf_counter()
            [seen] = prober.run([wrong])
            took = time.perf_counter() - t0
        finally:
            prober.close()
    finally:
        lifecycle.down(lab.name)
    assert seen.result == "blocked" and not seen.counted
    assert any("no echo reply" in e for e in seen.evidence) and seen.attempts == 2
    assert took >= 0.6
