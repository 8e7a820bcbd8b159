"""IPv6 and dual stack on the real kernel and the real CNI plugins: what the kernel holds and
what the probes see, each family on its own, against the model."""

from __future__ import annotations

import json
import subprocess

import pytest

from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import SCENARIOS, needs_root

pytestmark = needs_root
plugins = pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                             reason="apt-get install containernetworking-plugins")


def inside(ns: str, *argv: str) -> str:
    def run() -> str:
        with sandbox.in_netns(ns):
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout

    return sandbox.in_thread(run)


def _addresses(ns: str, ifname: str) -> list[str]:
    """The link's global addresses as the kernel lists them (`ip -j addr`)."""
    links = json.loads(inside(ns, "ip", "-j", "addr", "show", "dev", ifname))
    return [f"{a['local']}/{a['prefixlen']}" for a in links[0]["addr_info"]
            if a.get("scope") == "global"]


@plugins
def test_containerds_conflist_as_shipped_runs_dual_stack_with_every_expectation_met() -> None:
    lab = Lab.load(SCENARIOS / "cni-dualstack.yml")
    report = lab.run(full_matrix=True)
    assert report.ok and not report.findings, report.findings
    six = [r for r in report.expectations if r.probe.family == 6]
    assert len(six) >= 5 and all(r.observed == r.predicted.result for r in six)
    assert not [r.probe.label for r in report.rows if r.mismatch]


@plugins
def test_the_addresses_and_routes_host_local_and_bridge_give_are_the_models_in_both_families(
) -> None:
    lab = Lab.load(SCENARIOS / "cni-dualstack.yml")
    with lab.up():
        pods = {p: _addresses(sandbox.ns_name(lab.name, p), "eth0") for p in ("web", "client")}
        bridge = _addresses(sandbox.ns_name(lab.name, "node1"), "cni0")
        route6 = inside(sandbox.ns_name(lab.name, "web"), "ip", "-6", "route", "show", "default")
        fwd6 = inside(sandbox.ns_name(lab.name, "node1"), "sysctl", "-n",
                      "net.ipv6.conf.all.forwarding")
    for p, got in pods.items():
        assert sorted(got) == sorted(str(a) for a in lab.model.ns[p].ifaces["eth0"].addrs), p
    assert sorted(bridge) == sorted(str(a) for a in lab.model.ns["node1"].ifaces["cni0"].addrs)
    assert "2001:4860:4860::3/64" in pods["client"]  # the second pod: ::3, as host-local does
    assert route6.startswith("default via 2001:4860:4860::1 dev eth0")
    assert fwd6.strip() == "1" and lab.model.ns["node1"].forwarding6


def test_an_ipv6_drop_is_proven_by_its_rules_counter(tmp_path) -> None:
    """lan.block filters both families on the LAN's switch (ip6tables through br_netfilter):
    the blocked IPv6 probe is decided by the counter of the rule the model names."""
    (tmp_path / "s.yml").write_text(
        "name: v6block\nlan: {ipv6: '2001:db8:1::/64', block: [9000/tcp],\n"
        "      peers: {laptop: 192.168.1.50}}\n"
        "hosts: {docker1: {listen: [9000/tcp, 9001/tcp]}}\n"
        "expect:\n"
        "  - {from: laptop, to: docker1, port: 9000/tcp, family: both, result: blocked}\n"
        "  - {from: laptop, to: docker1, port: 9001/tcp, family: 6, result: open, "
        "source: '2001:db8:1::50'}\n"
        "  - {from: docker1, to: '2001:db8:ffff::10', result: reach}\n")
    report = Lab.load(tmp_path / "s.yml").run(full_matrix=False)
    assert report.ok, [(r.probe.label, r.observed, r.notes) for r in report.rows]
    blocked6 = next(r for r in report.rows if r.probe.family == 6 and r.probe.port == 9000)
    assert blocked6.seen.counted
    assert any("counter of ip6 filter FORWARD" in e for e in blocked6.notes), blocked6.notes
