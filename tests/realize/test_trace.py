"""`netsim trace`: one probe traced through the real kernel. Each test asserts on the trace
events nftables gave, the conntrack entries the kernel kept and the bridges' forwarding
tables, never on what netsim wrote."""

from __future__ import annotations

import json
import subprocess

import pytest

from netsim.lab import Lab, probe_lab
from netsim.realize import sandbox
from tests.conftest import SCENARIOS, needs_root

pytestmark = needs_root


@pytest.fixture(scope="module")
def bridge():
    lab = Lab.load(SCENARIOS / "bridge.yml")
    with lab.up():
        yield lab


def _hop(trace, label):
    return next(h for h in trace.hops if h.label == label)


def test_a_published_port_shows_dnat_in_the_host_and_the_rewrite_in_conntrack(bridge) -> None:
    t = bridge.trace("lan", "docker1", "8080/tcp").trace
    assert t.observed.result == "open" and t.difference is None
    host = _hop(t, "docker1")
    dnat = [s for s in host.steps if s.table == "nat" and "dnat to 172.17.0.2:80" in s.text]
    assert dnat, [s.text for s in host.steps]
    entry = next(c for c in host.conntrack if "192.168.1.10:8080" in c)
    assert "reply 172.17.0.2:80 > 192.168.1.2:" in entry  # the container answers the LAN
    assert any(s.kind == "packet" for s in _hop(t, "web").steps)  # it arrived
    from netsim.probe.trace import TABLE
    from netsim.realize import nft

    for node in ("docker1", "web", "_lan"):  # the trace table is gone from the kernel again
        assert TABLE not in nft.listing(sandbox.ns_name(bridge.name, node))


def test_egress_shows_masquerade_with_the_hosts_lan_address(bridge) -> None:
    t = bridge.trace("web", "outside", "80/tcp").trace
    assert t.observed.result == "open" and t.difference is None
    host = _hop(t, "docker1")
    assert any(s.table == "nat" and s.chain == "POSTROUTING" and "masquerade" in s.text
               for s in host.steps), [s.text for s in host.steps]
    assert any("reply 203.0.113.10:80 > 192.168.1.10:" in c for c in host.conntrack)
    assert str(t.observed.source_seen) == "192.168.1.10"


def test_a_blocked_path_shows_the_rule_the_model_names(tmp_path) -> None:
    lab = Lab.load(SCENARIOS / "user-bridges.yml")
    with lab.up():
        t = lab.trace("web", "db").trace  # isolation between bridges (Docker §3.3)
    assert t.observed.result == "blocked"
    assert t.predicted.dropped_by is not None
    node, table, chain, _ = t.predicted.dropped_by
    drop = next(h for h in t.hops if h.node == node).dropped
    assert drop is not None and (drop.table, drop.chain) == (table, chain)
    assert t.difference is None


def test_an_overlay_path_crosses_both_hosts_as_vxlan() -> None:
    lab = Lab.load(SCENARIOS / "overlay.yml")
    with lab.up():
        t = lab.trace("web2", "web", "80/tcp").trace  # docker3 -> docker1
    assert t.observed.result == "open"
    for host, peer in (("docker3", "192.168.1.10"), ("docker1", "192.168.1.12")):
        steps = _hop(t, host).steps
        assert any("udp dport 4789" in s.text and peer in s.text for s in steps), host
    learned = [f for h in t.hops for f in h.fdb if "web2" in f]
    assert learned  # the overlay's br0 (no netfilter there) forwarded web2's frames
    from rich.console import Console

    from netsim.report import trace_view

    console = Console(record=True, width=200)
    console.print(trace_view.table(t))
    frontend = next(line for line in console.export_text().splitlines() if "frontend" in line)
    assert "VXLAN 192.168.1.12 > 192.168.1.10:4789, seen on" in frontend  # one leg, outer


def test_a_rule_removed_by_hand_is_where_the_run_says_reality_left_the_prediction() -> None:
    text = (SCENARIOS / "bridge.yml").read_text().replace("name: bridge", "name: broken")
    lab = Lab.from_yaml(text, "broken.yml")
    with lab.up() as up:
        ns = sandbox.ns_name(lab.name, "docker1")
        listing = subprocess.run(["nsenter", f"--net=/run/netns/{ns}", "nft", "-a", "-j",
                                  "list", "chain", "ip", "filter", "DOCKER"],
                                 capture_output=True, text=True, check=True).stdout
        rules = [e["rule"] for e in json.loads(listing)["nftables"] if "rule" in e]
        accepts = [r for r in rules if "accept" in json.dumps(r["expr"])
                   and '"dport"' in json.dumps(r["expr"])]  # one per binding of web's :80
        assert accepts
        for rule in accepts:
            subprocess.run(["nsenter", f"--net=/run/netns/{ns}", "nft", "delete", "rule", "ip",
                            "filter", "DOCKER", "handle", str(rule["handle"])], check=True)
        report = probe_lab(lab, up._running, full_matrix=False)
    row = next(r for r in report.expectations if r.probe.label == "lan -> docker1:8080/tcp")
    assert row.mismatch and row.observed == "blocked"
    assert row.trace is not None
    assert row.trace.difference.startswith("docker1 dropped it in filter DOCKER")


def test_the_path_picture_draws_the_observed_hops_under_the_predicted(bridge) -> None:
    fig = bridge.draw("path 4").figure  # lan -> docker1:8080/tcp, traced now: the lab is up
    patches = [p.get_gid() for ax in fig.axes for p in ax.patches]
    assert patches.count("observed-hop") >= 3  # lan, the LAN switch, docker1, web
    notes = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "trace-note"]
    assert any("dnat to 172.17.0.2:80" in " ".join(n.split()) for n in notes), notes


@pytest.mark.parametrize("which", ["modes", "macvlan", "cni-bridge", "flannel"])
def test_traces_agree_with_the_prediction_across_modes_and_runtimes(which) -> None:
    """host, container:, none, macvlan, a CNI node, flannel across nodes: each traced probe
    ends as predicted and no hop leaves the prediction."""
    lab = Lab.load(SCENARIOS / f"{which}.yml")
    rows = [r for r in lab.check(full_matrix=False).expectations
            if r.probe.proto in ("icmp", "tcp", "udp") and not r.probe.name][:4]
    assert rows
    from netsim.probe import trace as tracer

    with lab.up() as up:
        for row in rows:
            t = tracer.run(lab.model, up._running.names, row.probe, row.predicted)
            assert t.observed.result == row.predicted.result, (row.probe.label, t.observed)
            assert t.difference is None, (row.probe.label, t.difference)
            assert t.hops and t.hops[0].saw  # the source namespace at least


def test_ipv6_is_traced_as_ipv4_is_dnat_nat66_and_a_raw_drop() -> None:
    """The trace table is `inet`: IPv6 packets, ICMPv6 echoes, ip6 conntrack entries; and
    the view prints an IPv6 endpoint as written, not as rich markup."""
    lab = Lab.load(SCENARIOS / "ipv6-bridge.yml")
    with lab.up():
        dnat = lab.trace("laptop", "2001:db8:1::10", "8091/tcp")
        egress = lab.trace("web", "2001:db8:ffff::10", "80/tcp").trace
        raw = lab.trace("laptop", "fd00:30::2").trace
        unrouted = lab.trace("i1", "2001:db8:ffff::10").trace
    t = dnat.trace
    assert t.observed.result == "open" and t.difference is None
    assert str(t.observed.source_seen) == "2001:db8:1::50"  # DNAT keeps the LAN's address
    host = _hop(t, "docker1")
    assert any(s.table == "nat" and "ip6 daddr 2001:db8:1::10" in s.text for s in host.steps)
    assert any("[2001:db8:1::10]:8091" in c and "reply [fd00:30::5]:80" in c
               for c in host.conntrack), host.conntrack
    assert "-> [fd00:30::5]:80" in repr(dnat)
    assert egress.difference is None and str(egress.observed.source_seen) == "2001:db8:1::10"
    assert raw.observed.result == "blocked" and raw.difference is None
    assert _hop(raw, "docker1").dropped.chain == "PREROUTING"
    assert unrouted.observed.result == "blocked" and unrouted.difference is None
