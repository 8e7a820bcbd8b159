"""Docker's ipvlan driver (spec §8.1), l2 and l3, predicted without root; refused at `run`
on this kernel, which has no ipvlan (docker-observed: "failed to create the ipvlan port:
operation not supported")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest

from netsim.errors import EnvironmentProblem, ScenarioError
from netsim.model.graph import IfKind
from netsim.realize import netlink
from tests.conftest import lab

TWO_HOSTS = """
name: ipv
lan: {{peers: {{laptop: 192.168.1.50}}{routes}}}
hosts: {{docker1: {{}}, docker2: {{}}}}
networks:
  l2net: {{driver: ipvlan, host: docker1, parent: eth0, subnet: 192.168.1.0/24,
           gateway: 192.168.1.1, ip_range: 192.168.1.192/27}}
  l3net: {{driver: ipvlan, host: docker2, parent: eth0, mode: l3, subnet: 10.10.0.0/24}}
containers:
  aa: {{host: docker1, network: l2net}}
  bb: {{host: docker1, network: l2net}}
  cc: {{host: docker2, network: l3net}}
  dd: {{host: docker2, network: l3net}}
"""
ROUTED = ", routes: {10.10.0.0/24: docker2}"


def model(routes: str = ROUTED):
    return lab(TWO_HOSTS.format(routes=routes)).model


def predict(m, src: str, dst: str, proto: str = "icmp", port: int | None = None):
    from netsim.predict.walk import Predictor

    return Predictor(m).probe(m.endpoints[src].ns, m.endpoints[dst].primary, proto, port)


def test_children_share_the_parents_mac_and_l3_has_no_gateway() -> None:
    m = model()
    host_mac = m.ns["docker1"].ifaces["eth0"].mac
    a = m.ns["aa"].ifaces["eth0"]
    assert a.kind == IfKind.IPVLAN and a.mode == "l2" and a.mac == host_mac
    assert a.addrs[0].ip == IPv4Address("192.168.1.192")
    [l2_default] = [r for r in m.ns["aa"].routes if r.dst.prefixlen == 0]
    assert l2_default.via == IPv4Address("192.168.1.1")
    [l3_default] = [r for r in m.ns["cc"].routes if r.dst.prefixlen == 0]
    assert l3_default.via is None and l3_default.dev == "eth0"  # `default dev eth0`
    assert m.networks["docker2/l3net"].gateway is None


@pytest.mark.parametrize(("src", "dst", "result"), [
    ("aa", "bb", "reach"),         # l2 siblings meet inside the kernel
    ("laptop", "aa", "reach"),    # on the LAN at its own address
    ("docker1", "aa", "blocked"),  # the host never meets its children (P01)
    ("aa", "docker1", "blocked"),
    ("aa", "outside", "reach"),   # the LAN's router is the gateway, no NAT
    ("cc", "dd", "reach"),         # l3 siblings: routed by the parent
    ("laptop", "cc", "reach"),    # through the route via docker2
    ("cc", "outside", "reach"),   # the parent's namespace routes it to the LAN's router
])
def test_reachability(src: str, dst: str, result: str) -> None:
    got = predict(model(), src, dst)
    assert got.result == result, got.why


def test_no_nat_the_server_sees_the_containers_own_address() -> None:
    m = model()
    assert predict(m, "aa", "outside", "tcp", 80).source_seen == IPv4Address("192.168.1.192")
    assert predict(m, "cc", "outside", "tcp", 80).source_seen == IPv4Address("10.10.0.2")


def test_l3_without_a_route_on_the_lan_is_unreachable_and_lint_says_so() -> None:
    m = model(routes="")
    assert predict(m, "laptop", "cc").result == "blocked"
    assert predict(m, "cc", "outside").result == "blocked"  # the reply has no way back
    texts = [t for pid, t in m.warnings if pid == "ipvlan"]
    assert any("lan.routes" in t and "10.10.0.2" in t for t in texts), m.warnings
    assert not [t for pid, t in model().warnings if pid == "ipvlan"]


def test_docker_words_for_bad_modes_and_parents() -> None:
    bad = TWO_HOSTS.format(routes="").replace("mode: l3", "mode: l4")
    with pytest.raises(ScenarioError, match="requested ipvlan mode 'l4' is not valid"):
        _ = lab(bad).model
    lo = TWO_HOSTS.format(routes="").replace("host: docker2, parent: eth0", "host: docker2, "
                                             "parent: lo")
    with pytest.raises(ScenarioError, match="loopback interface is not a valid ipvlan parent"):
        _ = lab(lo).model


def test_without_parent_docker_makes_a_dummy_and_an_internal_network() -> None:
    text = "name: ipd\nnetworks: {n: {driver: ipvlan}}\ncontainers: {xx: {network: n}}\n"
    m = lab(text).model
    net = m.networks["docker1/n"]
    assert net.internal and net.gateway is None and net.device == f"di-{net.id[:12]}"
    assert not [r for r in m.ns["xx"].routes if r.dst == IPv4Network("0.0.0.0/0")]


def test_published_ports_do_nothing_on_ipvlan() -> None:
    text = TWO_HOSTS.format(routes="").replace("a: {host: docker1, network: l2net}",
                                               "a: {host: docker1, network: l2net, "
                                               "ports: ['8080:80']}")
    m = lab(text).model
    assert not m.containers["aa"].ports
    assert any(pid == "P26" and "ipvlan has no NAT" in t for pid, t in m.warnings)


def test_run_refuses_it_on_this_kernel_before_building_anything() -> None:
    m = model()
    assert any(pid == "kernel" and "ipvlan" in t for pid, t in m.warnings)
    with pytest.raises(EnvironmentProblem, match="ipvlan") as e:
        netlink.check_kernel(m)
    assert e.value.exit_code == 3
