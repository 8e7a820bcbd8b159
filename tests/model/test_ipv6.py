"""IPv6 and dual stack in the model (no root): the LAN's addresses in both families, what an
expectation's `family` asks for, each family's own routes and rules in the walk, host-local's
range sets."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from netsim.errors import ScenarioError
from netsim.model.rules import Drop, Match, Rule
from netsim.predict.walk import Predictor
from netsim.probe import plan
from tests.conftest import SCENARIOS, lab

DUAL = """
name: dual
lan: {ipv6: "2001:db8:1::/64", peers: {laptop: 192.168.1.50,
      nas: {address: 192.168.1.60, address6: "2001:db8:1::beef"}}}
hosts: {docker1: {listen: [9000/tcp]}, docker2: {address6: "2001:db8:1::99"}}
expect:
  - {from: laptop, to: docker1, port: 9000/tcp, family: both, result: open, source: laptop}
  - {from: laptop, to: "2001:db8:ffff::10", result: reach}
"""


def _v6(scenario, name: str) -> str:
    return str(scenario.model.endpoints[name].primary6)


def test_every_lan_machine_gets_the_prefix_plus_its_ipv4_host_digits() -> None:
    s = lab(DUAL)
    assert {n: _v6(s, n) for n in ("router", "lan", "laptop", "nas", "docker1", "docker2",
                                   "outside")} == {
        "router": "2001:db8:1::1", "lan": "2001:db8:1::2", "laptop": "2001:db8:1::50",
        "nas": "2001:db8:1::beef", "docker1": "2001:db8:1::10", "docker2": "2001:db8:1::99",
        "outside": "2001:db8:ffff::10"}
    routes = [(str(r.dst), str(r.via)) for r in s.model.ns["docker1"].routes]
    assert ("::/0", "2001:db8:1::1") in routes and ("0.0.0.0/0", "192.168.1.1") in routes
    assert s.model.ns["router"].forwarding6


def test_a_lan_without_ipv6_is_unchanged_and_refuses_address6() -> None:
    s = lab("name: v4\nhosts: {docker1: {}}\n")
    assert s.model.endpoints["docker1"].primary6 is None
    assert not any(s.model.ipv6_on(n) for n in s.model.ns)
    with pytest.raises(ScenarioError, match="the LAN has no IPv6 prefix") as e:
        assert lab("name: v4\nhosts: {docker1: {address6: '2001:db8:1::10'}}\n").model
    assert e.value.valid == "lan: {ipv6: 2001:db8:1::/64}"


def test_family_both_probes_each_family_and_a_literal_keeps_its_own() -> None:
    s = lab(DUAL)
    probes = plan.expectations(s.loaded, s.model)
    assert [(p.family, str(p.dst)) for p in probes] == [
        (4, "192.168.1.10"), (6, "2001:db8:1::10"), (6, "2001:db8:ffff::10")]
    assert probes[1].label == "laptop -> docker1 (IPv6):9000/tcp"
    assert probes[0].source_ips == probes[1].source_ips == {
        ip_address("192.168.1.50"), ip_address("2001:db8:1::50")}
    assert all(r.ok for r in s.check().expectations)


@pytest.mark.parametrize("bad, words", [
    ("{from: lan, to: '2001:db8:1::10', family: 4, result: reach}",
     "2001:db8:1::10 is an IPv6 address; family: 4 asks for another"),
    ("{from: lan, to: docker1, family: 6, result: reach}", "docker1 has no IPv6 address"),
    ("{from: lan, to: docker1, family: 5, result: reach}", "'5' is not an address family"),
    ("{from: lan, resolve: docker1, family: both, result: nxdomain}",
     "resolve asks one family at a time"),
])
def test_a_family_the_target_cannot_have_is_refused_at_its_line(bad, words) -> None:
    text = f"name: fam\nhosts: {{docker1: {{}}}}\nexpect:\n  - {bad}\n"
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(")) as e:
        lab(text).check()
    assert e.value.where.line == 4


def test_each_family_has_its_own_rules_and_routes() -> None:
    """A drop in ip6tables stops IPv6 only; IPv4 is judged by iptables alone."""
    s = lab(DUAL)
    s.model.ns["docker1"].rules6.append("filter", "INPUT", Rule(
        Match(proto="tcp", dport=9000), Drop(), "test: IPv6 9000 dropped"))
    p = Predictor(s.model)
    v6 = p.probe("laptop", ip_address("2001:db8:1::10"), "tcp", 9000)
    v4 = p.probe("laptop", ip_address("192.168.1.10"), "tcp", 9000)
    assert (v6.result, v4.result) == ("blocked", "open")
    assert v6.dropped_by == ("docker1", "ip6 filter", "INPUT", 0)
    assert p.probe("laptop", ip_address("2001:db8:1::10"), "icmp").source_seen == \
        ip_address("2001:db8:1::50")
    gone = p.probe("laptop", ip_address("fd00:99::1"), "icmp")  # only a default route: router
    assert gone.result == "blocked" and "router has no route to fd00:99::1" in gone.why


def test_an_ipv6_packet_larger_than_a_link_is_too_big_never_fragmented() -> None:
    p = Predictor(lab(DUAL).model)
    fits = p.probe("laptop", ip_address("2001:db8:ffff::10"), "icmp", size=1452)  # 1500
    big = p.probe("laptop", ip_address("2001:db8:ffff::10"), "icmp", size=1453)
    assert fits.result == "reach" and big.result == "blocked"
    assert big.why == "1501-byte packet, MTU 1500 on laptop eth0: ICMPv6 packet too big " \
        "(IPv6 routers never fragment)"


def test_the_dual_stack_cni_scenario_predicts_both_families() -> None:
    from netsim.lab import Lab

    s = Lab.load(SCENARIOS / "cni-dualstack.yml")
    report = s.check()
    assert all(r.ok for r in report.expectations)
    six = [r for r in report.matrix if r.probe.family == 6]
    assert len(six) > 30  # ICMPv6, each listened port, each IPv6 hostPort
    web = s.model.endpoints["web"]
    assert (str(web.primary), str(web.primary6)) == ("10.88.0.2", "2001:4860:4860::2")
    assert sorted(str(pb.host_ip) for pb in s.model.containers["web"].ports) == [
        "0.0.0.0", "0.0.0.0", "127.0.0.1", "::", "::"]


def test_a_public_ipv6_range_is_said_and_googles_dns_prefix_named() -> None:
    from netsim.lab import Lab

    s = Lab.load(SCENARIOS / "cni-dualstack.yml")
    said = [w for c, w in s.model.warnings if c == "C07"]
    assert len(said) == 1 and "2001:4860:4860::/64 is Google Public DNS's prefix" in said[0]
    dns = next(r for r in s.check().expectations if str(r.probe.dst) == "2001:4860:4860::8888")
    assert dns.predicted.why == "web: no answer to neighbour solicitation for " \
        "2001:4860:4860::8888 on eth0"
    ula = lab("name: ula\nhosts: {node1: {runtime: cni}}\ncni: {n: {cniVersion: 1.0.0, "
              "plugins: [{type: bridge, isGateway: true, ipam: {type: host-local, ranges: "
              "[[{subnet: 'fd00:88::/64'}]]}}]}}\ncontainers: {p: {}}\n")
    assert not [w for c, w in ula.model.warnings if c == "C07"]
