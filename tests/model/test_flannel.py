"""flannel as netsim plays it: flanneld's leases, subnet.env, links, routes and rules, and the
flannel plugin's delegation, in the model (no root)."""

from __future__ import annotations

import json
import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address

import pytest
import yaml

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.model.graph import IfKind
from netsim.predict.walk import Predictor
from netsim.realize.iptables_save import render
from tests.conftest import SCENARIOS, lab

CONFLIST = json.dumps({"cniVersion": "0.3.1", "plugins": [
    {"type": "flannel", "delegate": {"hairpinMode": True, "isDefaultGateway": True}},
    {"type": "portmap", "capabilities": {"portMappings": True}}]})


def cluster(flannel: str = "{Network: 10.244.0.0/16, Backend: {Type: vxlan}}",
            hosts: str = "node1: {runtime: cni}, node2: {runtime: cni}", extra: str = "",
            containers: str = "pa: {host: node1, listen: [80/tcp]}, pb: {host: node2}") -> str:
    return (f"name: fl\n{extra}hosts: {{{hosts}}}\nflannel: {flannel}\n"
            f"cni: {{cbr0: {CONFLIST}}}\ncontainers: {{{containers}}}\n")


def test_leases_in_node_order_and_subnet_env_as_flanneld_writes_it() -> None:
    m = lab(cluster(hosts="node1: {runtime: cni}, node2: {runtime: cni}, "
                    "node3: {runtime: cni, pod_cidr: 10.244.7.0/24}")).model
    assert m.endpoints["pa"].primary == IPv4Address("10.244.0.2")
    assert m.endpoints["pb"].primary == IPv4Address("10.244.1.2")
    assert m.file("node2", "/run/flannel/subnet.env") == (
        "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n"
        "FLANNEL_IPMASQ=true\n")
    assert "FLANNEL_SUBNET=10.244.7.1/24" in m.file("node3", "/run/flannel/subnet.env")


def test_vxlan_device_routes_neighbours_and_fdb_per_remote_node() -> None:
    m = lab(cluster()).model
    node1 = m.ns["node1"]
    vx = node1.ifaces["flannel.1"]
    assert (vx.kind, vx.vni, vx.port, vx.mtu, str(vx.vtep)) == (IfKind.VXLAN, 1, 8472, 1450,
                                                              "192.168.1.10")
    assert [str(a) for a in vx.addrs] == ["10.244.0.0/32"] and not vx.built_by
    [route] = [r for r in node1.routes if r.dev == "flannel.1"]
    assert (str(route.dst), str(route.via), route.onlink) == ("10.244.1.0/24", "10.244.1.0", True)
    mac2 = m.ns["node2"].ifaces["flannel.1"].mac
    assert node1.neighbours == [("flannel.1", IPv4Address("10.244.1.0"), mac2)]
    assert node1.fdb == [("flannel.1", mac2, IPv4Address("192.168.1.11"))]
    assert any(lst.port == 8472 and lst.role == "vxlan" for lst in node1.listeners)


def test_the_flannel_plugin_delegates_to_bridge_as_the_real_one_does() -> None:
    m = lab(cluster()).model
    run = m.tool_runs[0]
    bridge, portmap = run.conflist["plugins"]
    assert bridge == {"hairpinMode": True, "isDefaultGateway": True, "name": "cbr0",
                      "type": "bridge", "ipMasq": False, "mtu": 1450, "isGateway": True,
                      "cniVersion": "0.3.1",
                      "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]],
                               "routes": [{"dst": "10.244.0.0/16"}]}}
    assert portmap["type"] == "portmap"
    assert m.ns["pa"].ifaces["eth0"].mtu == 1450 and m.ns["node1"].ifaces["cni0"].mtu == 1450


def test_ip_masq_off_gives_the_bridge_its_masquerade() -> None:
    m = lab(cluster("{Network: 10.244.0.0/16, Backend: {Type: vxlan}, ip_masq: false}")).model
    assert m.tool_runs[0].conflist["plugins"][0]["ipMasq"] is True
    assert not m.ns["node1"].rules.has("nat", "FLANNEL-POSTRTG")
    assert "FLANNEL_IPMASQ=false" in m.file("node1", "/run/flannel/subnet.env")


def test_rules_in_flanneld_order_as_iptables_save_shows_them() -> None:
    text = render(lab(cluster()).model.ns["node1"].rules)
    assert ('-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment '
            '"flanneld masq" -j MASQUERADE --random-fully') in text
    assert ('-A FLANNEL-POSTRTG -s 10.244.0.0/24 -d 10.244.0.0/16 -m comment --comment '
            '"flanneld masq" -j RETURN') in text
    assert '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD' in text
    assert text.index("-A FLANNEL-FWD -s 10.244.0.0/16") < text.index("-A FLANNEL-FWD -d")


def test_pod_to_pod_across_nodes_keeps_its_source_egress_leaves_as_the_node() -> None:
    m = lab(cluster(containers="pa: {host: node1, listen: [80/tcp]}, pb: {host: node2}")).model
    p = Predictor(m)
    across = p.probe("pb", IPv4Address("10.244.0.2"), "tcp", 80)
    assert across.result == "open" and across.source_seen == IPv4Address("10.244.1.2")
    out = p.probe("pb", IPv4Address("203.0.113.10"), "tcp", 80)
    assert out.result == "open" and out.source_seen == IPv4Address("192.168.1.11")
    node = p.probe("node2", IPv4Address("10.244.0.2"), "tcp", 80)
    assert node.source_seen == IPv4Address("10.244.1.0")  # flannel.1's address


def test_blocked_vxlan_port_kills_cross_node_only_and_lint_says_so() -> None:
    m = lab(cluster(extra="lan: {block: [8472/udp]}\n",
                    containers="pa: {host: node1, listen: [80/tcp]}, pc: {host: node1}, "
                               "pb: {host: node2}")).model
    p = Predictor(m)
    assert p.probe("pb", IPv4Address("10.244.0.2"), "tcp", 80).result == "blocked"
    assert p.probe("pc", IPv4Address("10.244.0.2"), "tcp", 80).result == "open"
    assert any(pid == "F02" for pid, _ in m.warnings)


def test_mtu_edge_and_its_lint() -> None:
    m = lab(cluster(extra="lan: {mtu: 1400}\n",
                    hosts="node1: {runtime: cni, mtu: 1500}, node2: {runtime: cni, mtu: 1500}")
            ).model
    p = Predictor(m)
    dst = IPv4Address("10.244.0.2")
    assert p.probe("pb", dst, size=1326).result == "reach"  # 1354 + 50 = 1404 = 1400 + 4
    assert p.probe("pb", dst, size=1327).result == "blocked"
    assert [pid for pid, _ in m.warnings].count("F03") == 2


def test_direct_routing_routes_same_segment_nodes_plainly() -> None:
    m = lab(cluster("{Network: 10.244.0.0/16, Backend: {Type: vxlan, DirectRouting: true}}",
                    hosts="node1: {runtime: cni}, node2: {runtime: cni}, "
                          "node3: {runtime: cni, address: 192.168.2.13}")).model
    routes = {str(r.dst): (r.dev, str(r.via)) for r in m.ns["node1"].routes if r.dst.prefixlen
              == 24 and r.dst.subnet_of(IPv4Network("10.244.0.0/16"))}
    assert routes == {"10.244.1.0/24": ("eth0", "192.168.1.11"),
                      "10.244.2.0/24": ("flannel.1", "10.244.2.0")}


def test_host_gw_across_a_router_loses_those_routes_with_flanneld_words() -> None:
    m = Lab.load(SCENARIOS / "flannel-hostgw.yml").model
    assert not any(r.dst == IPv4Network("10.244.2.0/24") for r in m.ns["node1"].routes)
    assert any(r.dst == IPv4Network("10.244.1.0/24") and str(r.via) == "192.168.1.11"
               for r in m.ns["node1"].routes)
    words = [t for pid, t in m.warnings if pid == "F01"]
    assert len(words) == 4 and "Error adding route to 10.244.2.0/24 via 192.168.2.13" in words[0]
    assert "flannel.1" not in m.ns["node1"].ifaces


def test_docker_on_the_node_is_no_c04_flannel_fwd_accepts_the_pods() -> None:
    m = lab(cluster(hosts="node1: {runtime: [docker, cni]}, node2: {runtime: cni}",
                    containers="pa: {host: node1, network: cbr0, listen: [80/tcp]}, "
                               "pb: {host: node2}, dk: {host: node1}")).model
    assert m.ns["node1"].forwarding_by == "docker"
    assert m.ns["node1"].rules.tables["filter"]["FORWARD"].policy == "drop"
    assert not any(pid == "C04" for pid, _ in m.warnings)
    p = Predictor(m)
    assert p.probe("pb", IPv4Address("10.244.0.2"), "tcp", 80).result == "open"


@pytest.mark.parametrize(("flannel", "words"), [
    ("{Backend: {Type: vxlan}}", "please define a correct Network parameter"),
    ("{Network: 10.244.0.0/16, SubnetLen: 31, Backend: {Type: vxlan}}",
     "SubnetLen must be less than /31"),
    ("{Network: 10.244.0.0/16, SubnetLen: 17, Backend: {Type: vxlan}}",
     "network must be able to accommodate at least four subnets"),
    ("{Network: 10.244.0.0/30, Backend: {Type: vxlan}}", "Minimum useful network prefix is /28"),
    ("{Network: 10.244.0.0/16}", "flanneld would take the udp backend"),
    ("{Network: 10.244.0.0/16, Backend: {Type: wireguard}}", "does not model flannel's wireguard"),
    ("{Network: 10.244.0.0/16, Backend: {Type: vxlan, VNl: 2}}", "has no option 'VNl'"),
    ("{Network: 10.244.0.0/16, SubnetMin: 10.9.0.0, Backend: {Type: vxlan}}",
     "SubnetMin is not in the range of the Network"),
    ("{Network: 10.244.0.0/16, SubnetMin: 10.244.0.7, Backend: {Type: vxlan}}",
     "SubnetMin is not on a SubnetLen boundary: 10.244.0.7"),
    ("{Network: 10.244.0.0/16, Netwrok: x, Backend: {Type: vxlan}}", "unknown net-conf key"),
])
def test_net_conf_refused_in_flanneld_words(flannel, words) -> None:
    with pytest.raises(ScenarioError, match=words) as e:
        _ = lab(cluster(flannel)).model
    assert e.value.where is not None and "flannel" in str(e.value)


def test_the_flannel_plugin_without_flanneld_fails_as_it_does() -> None:
    text = cluster().replace("flannel: {Network: 10.244.0.0/16, Backend: {Type: vxlan}}\n", "")
    with pytest.raises(ScenarioError, match=re.escape(
            "loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file")):
        _ = lab(text).model


def test_out_of_subnets() -> None:
    hosts = ", ".join(f"n{i}: {{runtime: cni}}" for i in range(5))
    with pytest.raises(ScenarioError, match="failed to acquire lease: out of subnets"):
        _ = lab(cluster("{Network: 10.244.0.0/22, SubnetLen: 24, Backend: {Type: vxlan}}",
                        hosts=hosts, containers="pa: {host: n0}")).model


DUAL = ("{Network: 10.244.0.0/16, EnableIPv6: true, IPv6Network: 'fd00:10:244::/56', "
        "Backend: {Type: vxlan}}")
LAN6 = "lan: {ipv6: '2001:db8:1::/64'}\n"


def test_ipv6_leases_subnet_env_and_both_ranges_for_the_plugin() -> None:
    m = lab(cluster(DUAL, extra=LAN6)).model
    assert m.file("node2", "/run/flannel/subnet.env") == (
        "FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\n"
        "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\n"
        "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n")
    ipam = m.tool_runs[0].conflist["plugins"][0]["ipam"]
    assert ipam["ranges"] == [[{"subnet": "10.244.0.0/24"}], [{"subnet": "fd00:10:244::/64"}]]
    assert ipam["routes"] == [{"dst": "10.244.0.0/16"}, {"dst": "fd00:10:244::/56"}]
    assert str(m.endpoints["pb"].primary6) == "fd00:10:244:1::2"


def test_ipv6_vxlan_device_is_clamped_and_routed_like_flannel_1() -> None:
    m = lab(cluster(DUAL, extra=LAN6)).model
    node1 = m.ns["node1"]
    vx = node1.ifaces["flannel-v6.1"]
    assert (vx.mtu, str(vx.vtep), [str(a) for a in vx.addrs]) == (
        1430, "2001:db8:1::10", ["fd00:10:244::/128"])
    [route] = [r for r in node1.routes if r.dev == "flannel-v6.1"]
    assert (str(route.dst), str(route.via), route.onlink) == (
        "fd00:10:244:1::/64", "fd00:10:244:1::", True)
    assert ("flannel-v6.1", m.ns["node2"].ifaces["flannel-v6.1"].mac,
            IPv6Address("2001:db8:1::11")) in node1.fdb
    rules6 = render(node1.rules6)
    assert "-A FLANNEL-POSTRTG -s fd00:10:244::/56 ! -d ff00::/8" in rules6
    assert "-A FLANNEL-FWD -s fd00:10:244::/56" in rules6
    assert any(pid == "F05" for pid, _ in m.warnings)
    p = Predictor(m)
    assert p.probe("pb", IPv6Address("fd00:10:244::2"), "tcp", 80).result == "open"
    assert p.probe("pb", IPv6Address("fd00:10:244::2"), "icmp", size=1450).result == "blocked"


def test_ipv6_host_gw_routes_via_the_nodes_ipv6_addresses() -> None:
    m = lab(cluster(DUAL.replace("vxlan", "host-gw"), extra=LAN6)).model
    routes = {str(r.dst): str(r.via) for r in m.ns["node1"].routes if r.dev == "eth0"}
    assert routes["fd00:10:244:1::/64"] == "2001:db8:1::11"
    assert routes["10.244.1.0/24"] == "192.168.1.11"


@pytest.mark.parametrize(("flannel", "extra", "words"), [
    ("{Network: 10.244.0.0/16, EnableIPv6: true, Backend: {Type: vxlan}}", LAN6,
     "please define a correct IPv6Network parameter"),
    ("{Network: 10.244.0.0/16, EnableIPv6: true, IPv6Network: 'fd00::/64', IPv6SubnetLen: 127,"
     " Backend: {Type: vxlan}}", LAN6, "SubnetLen must be less than /127"),
    ("{Network: 10.244.0.0/16, EnableIPv6: true, IPv6Network: 'fd00::/125', "
     "Backend: {Type: vxlan}}", LAN6, "IPv6Network is too small. Minimum useful network "
     "prefix is /124"),
    ("{Network: 10.244.0.0/16, EnableIPv6: true, IPv6Network: 'fd00::/56', IPv6SubnetMin: "
     "'fd01::', Backend: {Type: vxlan}}", LAN6, "IPv6SubnetMin is not in the range of the "
     "IPv6Network"),
    ("{Network: 10.244.0.0/16, IPv6Network: 'nope', Backend: {Type: vxlan}}", LAN6,
     "invalid CIDR address: nope"),
    (DUAL, "", "failed to find IPv6 address for interface eth0"),
])
def test_ipv6_net_conf_refused_in_flanneld_words(flannel, extra, words) -> None:
    with pytest.raises(ScenarioError, match=words):
        _ = lab(cluster(flannel, extra=extra)).model


def _netconf_corpus() -> list[dict]:
    from tests.conftest import ROOT
    return yaml.safe_load((ROOT / "tests/corpus/flannel-netconf/SOURCES.yml").read_text())


@pytest.mark.parametrize("entry", _netconf_corpus(), ids=lambda e: e["file"])
def test_real_net_conf_files_load_as_flanneld_takes_them(entry) -> None:
    from tests.conftest import ROOT
    path = ROOT / "tests/corpus/flannel-netconf" / entry["file"]
    scenario = cluster(f"{{file: {path}}}", extra=LAN6)
    if entry["expect"] != "valid":
        with pytest.raises(ScenarioError, match=entry["expect"]) as e:
            _ = lab(scenario).model
        assert e.value.where is not None and entry["file"] in str(e.value.where)
        return
    m = lab(scenario).model
    doc = json.loads(path.read_text())
    families = {4, 6} if doc.get("EnableIPv6") else {4}
    assert {a.version for a in m.ns["pa"].ifaces["eth0"].addrs if not a.is_link_local} == \
        families
    assert ("flannel-v6.1" in m.ns["node1"].ifaces) == (
        6 in families and doc["Backend"]["Type"] == "vxlan")


def test_an_ipv6_network_near_zero_leases_ipv6_subnets() -> None:
    """Leases are made per family from integers: one below 2**32 must stay IPv6."""
    m = lab(cluster("{Network: 10.244.0.0/16, EnableIPv6: true, IPv6Network: '::1:0/112', "
                    "Backend: {Type: host-gw}}", extra=LAN6)).model
    assert "FLANNEL_IPV6_SUBNET=::1:4001/114" in m.file("node2", "/run/flannel/subnet.env")
