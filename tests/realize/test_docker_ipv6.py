"""Docker's IPv6 realized on the real kernel (20.10 and 28 as ipv6.md observed them): every
expectation and matrix probe of both scenarios in both families, the kernel's addresses and
ip6tables-save against the model, an IPv6 neighbour solicitation's drop proven by its
counter."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from netsim.lab import Lab
from netsim.links.limits import IPV6_MIN_MTU
from netsim.realize import nft, sandbox
from tests.conftest import SCENARIOS, needs_root
from tests.realize.test_ipv6 import _addresses, inside

pytestmark = needs_root


@pytest.mark.parametrize("which", ["ipv6-bridge", "ipv6-2010"])
def test_every_expectation_is_met_and_every_observation_is_the_prediction(which) -> None:
    report = Lab.load(SCENARIOS / f"{which}.yml").run(full_matrix=True)
    assert report.ok and not report.findings, report.findings
    assert not [r.probe.label for r in report.rows if r.mismatch]
    six = [r for r in report.rows if r.probe.family == 6]
    assert len(six) > 100 and {r.observed for r in six} >= {"open", "blocked"}


@pytest.mark.parametrize("which", ["ipv6-bridge", "ipv6-2010"])
def test_the_kernels_addresses_and_rules_are_the_models_in_both_families(which) -> None:
    lab = Lab.load(SCENARIOS / f"{which}.yml")
    hosts = [h for h in lab.model.ns if h.startswith("docker")]
    with lab.up():
        listed = {h: json.loads(inside(sandbox.ns_name(lab.name, h), "nft", "-j", "list",
                                       "ruleset"))["nftables"] for h in hosts}
        b1 = _addresses(sandbox.ns_name(lab.name, "b1"), "eth0")
        docker0 = inside(sandbox.ns_name(lab.name, "docker1"), "ip", "-6", "-o", "addr",
                         "show", "dev", "docker0")
        fwd6 = inside(sandbox.ns_name(lab.name, "docker1"), "sysctl", "-n",
                      "net.ipv6.conf.all.forwarding")
        floor = _ipv6_under_1280(sandbox.ns_name(lab.name, "docker1"))
    for h in hosts:
        assert _kernel(listed[h]) == _model(lab, h), h
    assert sorted(b1) == sorted(str(a) for a in lab.model.ns["b1"].ifaces["eth0"].addrs)
    assert fwd6.strip() == "1"
    # the floor netsim refuses a scenario at (limits.IPV6_MIN_MTU): the kernel's own
    assert floor == (f"MTU {IPV6_MIN_MTU - 1}: invalid argument", f"MTU {IPV6_MIN_MTU}: ok")
    if which == "ipv6-2010":  # the MAC-derived address; fe80::1 on the bridge; no ip6 rules
        assert "fd00:d0c::242:ac11:2/64" in b1 and "fe80::1/64" in docker0
        assert not any(k[0] == "ip6" for k in _kernel(listed["docker1"]))
        assert any(k[0] == "ip6" for k in _kernel(listed["docker2"]))
    else:
        assert "fd00:d0c::2/64" in b1 and "fe80::1/64" not in docker0
        assert len(_kernel(listed["docker1"])["ip6", "raw", "PREROUTING"]) == 7  # b1 web api q1 q2 lo6 h6


def _ipv6_under_1280(ns: str) -> tuple[str, ...]:
    """A scratch veth pair at 1279 and at 1280 bytes, asked for an IPv6 address."""
    def run() -> tuple[str, ...]:
        out = []
        with sandbox.in_netns(ns):
            for mtu in (IPV6_MIN_MTU - 1, IPV6_MIN_MTU):
                subprocess.run(["ip", "link", "add", "floor6a", "mtu", str(mtu), "type", "veth",
                                "peer", "name", "floor6b", "mtu", str(mtu)], check=True)
                got = subprocess.run(["ip", "addr", "add", "fd00:99::1/64", "dev", "floor6a"],
                                     capture_output=True, text=True)
                subprocess.run(["ip", "link", "del", "floor6a"], check=True)
                out.append(f"MTU {mtu}: " + ("ok" if got.returncode == 0 else
                                             got.stderr.strip().split(": ")[-1].lower()))
        return tuple(out)

    return sandbox.in_thread(run)


def _kernel(listing: list[dict]) -> dict[tuple[str, str, str], list[str]]:
    """Each chain's rules as the kernel lists them (by the comment each carries)."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for item in listing:
        if "chain" in item:
            c = item["chain"]
            out.setdefault((c["family"], c["table"], c["name"]), [])
        if "rule" in item:
            r = item["rule"]
            out.setdefault((r["family"], r["table"], r["chain"]), []).append(r.get("comment", ""))
    return out


def _model(lab: Lab, host: str) -> dict[tuple[str, str, str], list[str]]:
    """The same from the model's rulesets in both families, as the realizer renders them."""
    out: dict[tuple[str, str, str], list[str]] = {}
    for rules in (lab.model.ns[host].rules, lab.model.ns[host].rules6):
        key = None
        for line in nft.render(rules).splitlines():
            if m := re.match(r"table (\w+) (\w+) \{", line):
                family, table = m.groups()
            elif m := re.match(r"\s+chain (\S+) \{", line):
                key = (family, table, m.group(1))
                out[key] = []
            elif key and (m := re.search(r'comment "(.*)"$', line)):
                out[key].append(m.group(1))
    return out


def test_a_dropped_neighbour_solicitation_is_proven_by_the_rules_counter() -> None:
    """20.10 with ip6tables: two peers of an --internal network cannot resolve each other
    over IPv6; the verdict rests on the counter of the DOCKER-ISOLATION-STAGE-1 rule."""
    report = Lab.load(SCENARIOS / "ipv6-2010.yml").run(full_matrix=False)
    row = next(r for r in report.expectations
               if r.probe.src == "j1" and r.probe.family == 6)
    assert row.observed == "blocked" and row.seen.counted
    assert any("counter of ip6 filter DOCKER-ISOLATION-STAGE-1" in n for n in row.notes), \
        row.notes
    ipv4 = next(r for r in report.expectations if r.probe.src == "j1" and r.probe.family == 4)
    assert ipv4.observed == "open"
