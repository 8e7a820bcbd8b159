"""Every Docker network mode, predicted. Cases are (scenario, probe, expected result, expected
source seen), keyed by the spec section or the docker-observed note they come from."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from tests.conftest import lab

MODES = """
name: modes
hosts: {docker1: {address: 192.168.1.10, listen: [7000/tcp]}}
containers:
  base: {ports: ["8080:80"], listen: [80/tcp]}
  side: {network: "container:base", listen: [9000/tcp]}
  hostapp: {network: host, listen: [8077/tcp]}
  iso: {network: none, listen: [80/tcp]}
"""

MACVLAN = """
name: mv
lan: {{peers: {{laptop: 192.168.1.50}}, hairpin: {hairpin}}}
hosts: {{docker1: {{address: 192.168.1.10}}}}
networks:
  pub:
    driver: macvlan
    parent: eth0
    mode: {mode}
    subnet: 192.168.1.0/24
    gateway: 192.168.1.1
    ip_range: 192.168.1.192/27
containers:
  m1: {{network: pub}}
  m2: {{network: pub}}
"""

OVERLAY = """
name: ov
lan: {{mtu: {mtu}, block: [{block}]}}
hosts:
  docker1: {{address: 192.168.1.10}}
  docker2: {{address: 192.168.1.11}}
networks:
  ovl: {{driver: overlay}}
  other: {{driver: overlay}}
containers:
  o1: {{host: docker1, network: ovl, ports: ["8094:80"], listen: [80/tcp]}}
  o2: {{host: docker2, network: ovl}}
  x1: {{host: docker2, network: other}}
"""


def probe(text: str, src: str, dst: str, port: str | None = None, size: int | None = None):
    line = f"  - {{from: {src}, to: '{dst}', result: {'open' if port else 'reach'}"
    line += f", port: {port}" if port else ""
    line += f", size: {size}" if size is not None else ""
    scenario = lab(text + "expect:\n" + line + "}\n")
    return scenario.check(full_matrix=False).expectations[0].predicted


CASES = [
    # spec §5.3 / observed: container: shares the namespace, address and ports
    ("container: same address", MODES, "side", "base", None, "reach", None),
    ("container: its listener on base's address", MODES, "docker1", "base", "9000/tcp", "open",
     "172.17.0.1"),
    ("container: base's port at 127.0.0.1", MODES, "side", "127.0.0.1", "80/tcp", "open",
     "127.0.0.1"),
    # spec §5.1: host mode is the host: LAN sees no NAT
    ("host: LAN reaches the app", MODES, "lan", "hostapp", "8077/tcp", "open", "192.168.1.2"),
    ("host: container reaches it by the host address", MODES, "base", "hostapp", "8077/tcp",
     "open", "172.17.0.2"),
    ("host: egress as the host", MODES, "hostapp", "outside", "80/tcp", "open", "192.168.1.10"),
    # spec §5.2: none has lo only
    ("none: nothing out", MODES, "iso", "outside", None, "blocked", None),
    ("none: lo works", MODES, "iso", "127.0.0.1", "80/tcp", "open", "127.0.0.1"),
    ("none: nothing in", MODES, "docker1", "base", None, "reach", None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_host_none_container(case) -> None:
    _, text, src, dst, port, result, seen = case
    got = probe(text, src, dst, port)
    assert got.result == result, got.why
    if seen:
        assert got.source_seen == IPv4Address(seen), got.why


def mv(mode: str = "bridge", hairpin: bool = False) -> str:
    return MACVLAN.format(mode=mode, hairpin=str(hairpin).lower())


def test_macvlan_host_isolation_spec_6_4() -> None:
    assert probe(mv(), "docker1", "m1").result == "blocked"
    assert probe(mv(), "m1", "docker1").result == "blocked"
    assert "ARP" in probe(mv(), "m1", "docker1").why


def test_macvlan_lan_sees_the_container_itself_no_nat() -> None:
    got = probe(mv(), "m1", "laptop", "80/tcp")
    assert got.result == "open" and got.source_seen == IPv4Address("192.168.1.192")
    got = probe(mv(), "m1", "outside", "80/tcp")
    assert got.result == "open" and got.source_seen == IPv4Address("192.168.1.192")
    assert probe(mv(), "laptop", "m2").result == "reach"


@pytest.mark.parametrize(("mode", "hairpin", "siblings"), [
    ("bridge", False, "reach"), ("private", False, "blocked"), ("private", True, "blocked"),
    ("vepa", False, "blocked"), ("vepa", True, "reach")])
def test_macvlan_sibling_rule_per_mode(mode: str, hairpin: bool, siblings: str) -> None:
    assert probe(mv(mode, hairpin), "m1", "m2").result == siblings


def test_macvlan_ports_do_nothing() -> None:
    text = mv().replace("m1: {network: pub}", 'm1: {network: pub, ports: ["8080:80"]}')
    model = lab(text).model
    assert any(pid == "P26" for pid, _ in model.warnings)
    assert not model.containers["m1"].ports


def ov(mtu: int = 1500, block: str = "") -> str:
    return OVERLAY.format(mtu=mtu, block=block)


def test_overlay_cross_host_and_isolation() -> None:
    assert probe(ov(), "o1", "o2", "80/tcp").result == "closed"  # reached; nothing listens
    got = probe(ov(), "o1", "o2")
    assert got.result == "reach" and got.source_seen == IPv4Address("10.0.1.2")
    assert probe(ov(), "o1", "x1").result == "blocked"


def test_overlay_addresses_vni_and_mtu() -> None:
    model = lab(ov()).model
    net = model.networks["swarm/ovl"]
    assert (str(net.subnet), net.vni) == ("10.0.1.0/24", 4097)
    assert model.networks["swarm/other"].vni == 4098
    # o1 .2, docker1's load balancer .3, o2 .4 (docker-observed §3 overlay)
    assert [str(model.endpoints[c].addresses["ovl"]) for c in ("o1", "o2")] == [
        "10.0.1.2", "10.0.1.4"]
    assert model.ns["o1"].ifaces["eth0"].mtu == 1450
    assert model.ns["o1"].ifaces["eth0"].mac == "02:42:0a:00:01:02"


def test_overlay_egress_via_gwbridge_is_masqueraded() -> None:
    got = probe(ov(), "o2", "outside", "80/tcp")
    assert got.result == "open" and got.source_seen == IPv4Address("192.168.1.11")


def test_overlay_published_port_through_gwbridge() -> None:
    got = probe(ov(), "lan", "docker1", "8094/tcp")
    assert got.result == "closed" or got.result == "open", got.why
    assert got.result == "open"


def test_overlay_blocked_vxlan_port_kills_the_overlay_not_the_lan() -> None:
    got = probe(ov(block="4789/udp"), "o1", "o2")
    assert got.result == "blocked" and "4789" in got.why
    assert probe(ov(block="4789/udp"), "docker1", "docker2").result == "reach"


def test_overlay_pmtu_edge() -> None:
    # 1450-byte inner packets fit: ping payload 1422 + 28 = 1450; one byte more does not
    assert probe(ov(), "o1", "o2", size=1422).result == "reach"
    assert probe(ov(), "o1", "o2", size=1423).result == "blocked"


def test_overlay_underlay_mtu_blackhole() -> None:
    small = ov(mtu=1400)
    assert probe(small, "o1", "o2").result == "reach"
    got = probe(small, "o1", "o2", size=1400)
    assert got.result == "blocked" and "blackhole" in got.why
    assert any(pid == "P13" for pid, _ in lab(small).model.warnings)


def test_userland_proxy_off_changes_sources_and_cross_network_access() -> None:
    text = """name: x
hosts: {docker1: {address: 192.168.1.10, userland_proxy: false}}
networks: {neta: {}}
containers:
  web: {ports: ["8080:80"], listen: [80/tcp]}
  peer: {}
  other: {network: neta}
"""
    same = probe(text, "peer", "192.168.1.10", "8080/tcp")
    assert same.result == "open" and same.source_seen == IPv4Address("172.17.0.3")
    assert probe(text, "other", "192.168.1.10", "8080/tcp").result == "blocked"
    local = probe(text, "docker1", "127.0.0.1", "8080/tcp")
    assert local.result == "open" and local.source_seen == IPv4Address("172.17.0.1")


def test_internal_network_default_route_per_profile() -> None:
    text = "name: x\ndocker: '{p}'\nnetworks: {{i: {{internal: true}}}}\ncontainers: {{cc: {{network: i}}}}\n"
    new = probe(text.format(p="28"), "cc", "docker1")
    assert new.result == "blocked" and "no route" in new.why
    old = probe(text.format(p="20.10"), "cc", "docker1")
    assert old.result == "reach"  # 20.10 kept the default route: the host's other address


def test_overlay_subnet_overlapping_the_lan_is_flagged_and_predicted() -> None:
    text = """name: x
hosts: {docker1: {}, docker2: {}}
lan: {peers: {nas: 192.168.1.60}}
networks:
  ovl: {driver: overlay, subnet: 192.168.1.0/24}
containers:
  aa: {host: docker1, network: ovl}
"""
    model = lab(text).model
    assert any(pid == "P15" and "overlaps the LAN" in t for pid, t in model.warnings)
    got = probe(text, "aa", "nas", "80/tcp")  # the overlay's own route hides the LAN machine
    assert got.result == "blocked"


def test_proxy_off_self_hairpin_needs_hairpin_mode_on_the_port() -> None:
    text = """name: x
hosts: {docker1: {address: 192.168.1.10, userland_proxy: false}}
containers:
  web: {ports: ["8080:80"], listen: [80/tcp]}
"""
    model = lab(text).model
    from netsim.predict.walk import Predictor

    port = next(i for i in model.ns["docker1"].ifaces.values() if i.peer == "web/eth0")
    assert port.hairpin  # Docker sets it when the userland proxy is off
    host = model.endpoints["docker1"].primary
    assert Predictor(model).probe("web", host, "tcp", 8080).result == "open"
    port.hairpin = False
    got = Predictor(model).probe("web", host, "tcp", 8080)
    assert got.result == "blocked" and "hairpin" in got.why


def test_macvlan_passthru_takes_the_link_from_the_host() -> None:
    text = mv("passthru").replace("  m2: {network: pub}\n", "")
    assert probe(text, "laptop", "m1").result == "reach"
    got = probe(text, "laptop", "docker1")
    assert got.result == "blocked"
    assert any(pid == "passthru" for pid, _ in lab(text).model.warnings)
