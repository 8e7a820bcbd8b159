"""A LAN that carries 802.1Q VLANs (`lan.vlans`): the router's sub-interface is each VLAN's
gateway, VLAN peers sit on their VLAN only, a macvlan on `eth0.<id>` joins it; no root."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab

BASE = """
name: vl
lan:
  vlans:
    10: {subnet: 10.10.0.0/24, peers: {pc10: 10.10.0.50}}
    20: {subnet: 10.20.0.0/24, gateway: 10.20.0.254}
hosts: {h1: {}}
networks:
  v10: {driver: macvlan, parent: eth0.10, subnet: 10.10.0.0/24, gateway: 10.10.0.1}
  v30: {driver: macvlan, parent: eth0.30, subnet: 10.30.0.0/24}
containers:
  ca: {host: h1, network: v10}
  cb: {host: h1, network: v30}
"""


def _check(extra: str = ""):
    return Lab.from_yaml(BASE + extra).check(full_matrix=False)


def test_a_vlan_is_routed_by_the_router_and_reached_from_its_peers_only_through_it() -> None:
    report = _check("""expect:
  - {from: pc10, to: ca, result: reach}
  - {from: lan, to: ca, result: reach}
  - {from: ca, to: outside, result: reach}
  - {from: h1, to: ca, result: reach}
  - {from: cb, to: ca, result: blocked}
  - {from: lan, to: cb, result: blocked}
""")
    assert [r.predicted.result for r in report.expectations] == [
        "reach", "reach", "reach", "reach", "blocked", "blocked"]
    router = report.model.ns["router"].ifaces
    assert (router["eth0.10"].vlan_id, str(router["eth0.20"].addrs[0])) == (10, "10.20.0.254/24")


def test_a_vlan_nothing_else_is_on_is_named_and_a_routed_vlan_keeps_no_p01() -> None:
    warnings = dict(_check().warnings)
    text = " ".join(t for k, t in _check().warnings if k == "vlan")
    assert "eth0.30 tags VLAN 30, but nothing else on the LAN is on VLAN 30" in text
    assert "VLAN 10," not in text
    p01 = " ".join(t for k, t in _check().warnings if k == "P01")
    assert "v10" not in p01 and "v30" in p01
    assert "kernel" in warnings  # run needs 8021q here


@pytest.mark.parametrize(("change", "words"), [
    ("subnet: 10.10.0.0/24, peers: {pc10: 10.10.0.50}",
     "subnet: 192.168.1.0/25, peers: {pc10: 192.168.1.50}"),
    ("peers: {pc10: 10.10.0.50}", "peers: {pc10: 10.10.0.1}"),
    ("peers: {pc10: 10.10.0.50}", "peers: {pc10: 10.99.0.5}"),
    ("peers: {pc10: 10.10.0.50}", "peers: {h1: 10.10.0.5}"),
])
def test_a_vlan_that_cannot_be_is_refused_at_its_line(change: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        _ = Lab.from_yaml(BASE.replace(change, words)).model
    assert e.value.where.line == 5


def test_docker_ipam_clashing_with_a_vlan_peer_is_named_with_the_vlan() -> None:
    text = BASE.replace("pc10: 10.10.0.50", "pc10: 10.10.0.2")
    with pytest.raises(ScenarioError, match="pc10 already uses it on VLAN 10"):
        _ = Lab.from_yaml(text).model
