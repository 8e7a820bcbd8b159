"""The CNI runtime's model of the reference plugins (no root): what bridge, host-local and
loopback do to a node and its containers, and the words the plugins refuse a conflist with."""

from __future__ import annotations

import hashlib
import json
import re
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from netsim.errors import ScenarioError
from netsim.model.lan import SWITCH
from netsim.predict.walk import Predictor
from netsim.realize.iptables_save import render
from netsim.runtime.cni.plugins.bridge import chain_name
from tests.conftest import lab

BRIDGE = {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
          "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                   "routes": [{"dst": "0.0.0.0/0"}]}}


def scenario(plugins: list, version: str = "1.0.0", containers: str = "aa: {}, bb: {}") -> str:
    conf = json.dumps({"cniVersion": version, "plugins": plugins})
    return (f"name: cn\nhosts: {{node1: {{runtime: cni}}}}\ncni: {{podnet: {conf}}}\n"
            f"containers: {{{containers}}}\n")


def test_bridge_and_host_local_as_the_plugins_do_it() -> None:
    m = lab(scenario([BRIDGE])).model
    assert m.endpoints["aa"].primary == IPv4Address("10.88.0.2")  # the gateway is .1
    assert m.endpoints["bb"].primary == IPv4Address("10.88.0.3")  # host-local: next in turn
    cni0 = m.ns["node1"].ifaces["cni0"]
    assert [str(a) for a in cni0.addrs] == ["10.88.0.1/16"] and cni0.built_by == "cni"
    [default] = [r for r in m.ns["aa"].routes if r.dst.prefixlen == 0]
    assert default.via == IPv4Address("10.88.0.1")
    assert m.ns["node1"].forwarding and m.ns["node1"].rules_by == "cni"
    assert [run.expected_ips for run in m.tool_runs] == [["10.88.0.2/16"], ["10.88.0.3/16"]]


def test_ip_masq_chain_as_iptables_save_shows_it() -> None:
    m = lab(scenario([BRIDGE])).model
    chain = chain_name("podnet", "aa")
    assert chain.startswith("CNI-") and len(chain) == 28
    text = render(m.ns["node1"].rules)
    said = '-m comment --comment "name: \\"podnet\\" id: \\"aa\\""'
    assert f"-A POSTROUTING -s 10.88.0.2/32 {said} -j {chain}" in text
    assert f"-A {chain} -d 10.88.0.0/16 {said} -j ACCEPT" in text
    assert f"-A {chain} ! -d 224.0.0.0/4 {said} -j MASQUERADE" in text


def test_egress_is_masqueraded_and_the_lan_cannot_reach_pods() -> None:
    m = lab(scenario([BRIDGE])).model
    p = Predictor(m)
    out = p.probe("aa", IPv4Address("203.0.113.10"), "tcp", 80)
    assert out.result == "open" and out.source_seen == IPv4Address("192.168.1.10"), out.why
    assert p.probe("lan", IPv4Address("10.88.0.2")).result == "blocked"
    assert p.probe("node1", IPv4Address("10.88.0.2")).result == "reach"


def test_without_ip_masq_egress_has_no_way_back() -> None:
    m = lab(scenario([{**BRIDGE, "ipMasq": False}])).model
    assert Predictor(m).probe("aa", IPv4Address("203.0.113.10")).result == "blocked"


def test_hairpin_mode_sets_the_bridge_port() -> None:
    m = lab(scenario([{**BRIDGE, "hairpinMode": True}])).model
    ports = [i for i in m.ns["node1"].ifaces.values() if i.master == "cni0"]
    assert ports and all(i.hairpin for i in ports)


def test_two_networks_sharing_a_range_collide_as_host_local_does() -> None:
    """Each network keeps its own host-local store: both hand out 10.88.0.2 (cni.md §5)."""
    one = json.dumps({"cniVersion": "1.0.0", "plugins": [{**BRIDGE, "bridge": "br-one"}]})
    two = json.dumps({"cniVersion": "1.0.0", "plugins": [{**BRIDGE, "bridge": "br-two"}]})
    text = (f"name: cn\nhosts: {{node1: {{runtime: cni}}}}\ncni: {{one: {one}, two: {two}}}\n"
            "containers: {aa: {network: one}, bb: {network: two}}\n")
    m = lab(text).model
    assert m.endpoints["aa"].primary == m.endpoints["bb"].primary == IPv4Address("10.88.0.2")


@pytest.mark.parametrize(("plugins", "version", "words"), [
    ([BRIDGE], "1.1.0", 'incompatible CNI versions: config is "1.1.0"'),
    ([{**BRIDGE, "hairpinMode": True, "promiscMode": True}], "1.0.0",
     "cannot set hairpin mode and promiscuous mode at the same time."),
    ([BRIDGE, {"type": "vrf"}], "1.0.0", "configuration is expected to have a valid vrf name"),
    ([{"type": "cilium-cni"}], "1.0.0", "the cilium-cni plugin is Cilium's, not a reference plugin"),
    ([{**BRIDGE, "ipam": {"type": "dhcp"}}], "1.0.0", "error dialing DHCP daemon"),
])
def test_refusals_in_the_plugins_words(plugins, version, words) -> None:
    with pytest.raises(ScenarioError, match=re.escape(words)):
        _ = lab(scenario(plugins, version)).model


def test_one_bridge_two_subnets_is_the_cni0_error() -> None:
    text = scenario([BRIDGE]).replace("cni: {podnet: ", "cni: {other: " + json.dumps(
        {"cniVersion": "1.0.0", "plugins": [{**BRIDGE, "ipam": {
            "type": "host-local", "ranges": [[{"subnet": "10.99.0.0/16"}]]}}]}) + ", podnet: ")
    text = text.replace("aa: {}, bb: {}", "aa: {network: podnet}, bb: {network: other}")
    with pytest.raises(ScenarioError, match=re.escape('"cni0" already has an IP address '
                                                      "different from 10.99.0.1/16")):
        _ = lab(text).model


def test_a_conflist_file_and_the_default_network_by_file_name(tmp_path: Path) -> None:
    (tmp_path / "10-first.conflist").write_text(json.dumps(
        {"cniVersion": "1.0.0", "name": "zeta", "plugins": [BRIDGE]}))
    (tmp_path / "20-second.conflist").write_text(json.dumps(
        {"cniVersion": "1.0.0", "name": "alpha", "plugins": [{**BRIDGE, "bridge": "cni1",
         "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/16"}]]}}]}))
    path = tmp_path / "s.yml"
    path.write_text("name: files\nhosts: {node1: {runtime: cni}}\ncni:\n"
                    "  zeta: {file: 10-first.conflist}\n  alpha: {file: 20-second.conflist}\n"
                    "containers: {aa: {}}\n")
    from netsim.lab import Lab

    m = Lab.load(path).model
    assert m.endpoints["aa"].addresses == {"zeta": IPv4Address("10.88.0.2")}  # 10- sorts first
    assert IPv4Network("10.88.0.0/16") == m.ns["aa"].ifaces["eth0"].addrs[0].network


PORTMAP = {"type": "portmap", "capabilities": {"portMappings": True}}


def test_portmap_chains_as_the_plugin_writes_them() -> None:
    from netsim.runtime.cni.plugins.portmap import dn_chain

    m = lab(scenario([BRIDGE, PORTMAP], containers="aa: {ports: ['8080:80']}, bb: {}")).model
    text = render(m.ns["node1"].rules)
    dn = dn_chain("podnet", "aa")
    post = [x for x in text.splitlines() if x.startswith("-A POSTROUTING")]
    assert post[0] == ('-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" '
                       "-j CNI-HOSTPORT-MASQ")  # above the ipMasq rules
    for line in ("-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
                 "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
                 '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"podnet\\" '
                 f'id: \\"aa\\"" -m multiport --dports 8080 -j {dn}',
                 f"-A {dn} -s 10.88.0.0/16 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                 f"-A {dn} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
                 f"-A {dn} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.88.0.2:80",
                 '-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" '
                 "-j MARK --set-xmark 0x2000/0x2000",
                 "-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE"):
        assert line in text, line
    assert m.ns["node1"].ifaces["cni0"].route_localnet
    assert m.tool_runs[0].args == {"portMappings": [
        {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]}


def test_every_pod_calling_a_hostport_is_seen_as_the_gateway() -> None:
    m = lab(scenario([BRIDGE, PORTMAP], containers="aa: {ports: ['8080:80'], "
                     "listen: [80/tcp]}, bb: {}")).model
    p = Predictor(m)
    node = IPv4Address("192.168.1.10")
    got = p.probe("bb", node, "tcp", 8080)
    assert got.result == "open" and got.source_seen == IPv4Address("10.88.0.1"), got.why
    assert p.probe("aa", node, "tcp", 8080).result == "blocked"  # no hairpinMode
    assert p.probe("lan", node, "tcp", 8080).source_seen == IPv4Address("192.168.1.2")
    direct = p.probe("bb", IPv4Address("10.88.0.2"), "tcp", 80)
    assert direct.source_seen == IPv4Address("10.88.0.3")  # no mark: no masquerade


def test_ports_without_the_capability_are_dropped_with_a_word() -> None:
    m = lab(scenario([BRIDGE], containers="aa: {ports: ['8080:80']}")).model
    assert any(pid == "ports" and "declares portMappings" in t for pid, t in m.warnings)
    assert not m.containers["aa"].ports


def test_lint_names_the_pitfalls_before_rollout() -> None:
    pids = lambda text: {pid for pid, _ in lab(text).model.warnings}  # noqa: E731
    assert "C01" in pids(scenario([BRIDGE, PORTMAP], containers="aa: {ports: ['8080:80']}"))
    assert "C01" not in pids(scenario([{**BRIDGE, "hairpinMode": True}, PORTMAP]))
    assert "C02" in pids(scenario([{**BRIDGE, "ipMasq": False}]))
    one = json.dumps({"cniVersion": "1.0.0", "plugins": [{**BRIDGE, "bridge": "br-one"}]})
    two = json.dumps({"cniVersion": "1.0.0", "plugins": [{**BRIDGE, "bridge": "br-two"}]})
    shared = (f"name: cn\nhosts: {{node1: {{runtime: cni}}}}\ncni: {{one: {one}, two: {two}}}\n"
              "containers: {aa: {network: one}, bb: {network: two}}\n")
    assert "C03" in pids(shared)


def test_ptp_routes_everything_through_the_host_side() -> None:
    ptp = {"type": "ptp", "ipMasq": True,
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.1.1.0/24"}]],
                    "routes": [{"dst": "0.0.0.0/0"}]}}
    m = lab(scenario([ptp], containers="aa: {listen: [80/tcp]}, bb: {}")).model
    eth0 = m.ns["aa"].ifaces["eth0"]
    assert not eth0.prefix_route and [str(a) for a in eth0.addrs] == ["10.1.1.2/24"]
    host_sides = [i for i in m.ns["node1"].ifaces.values() if i.peer == eth0.id]
    assert [str(a) for a in host_sides[0].addrs] == ["10.1.1.1/32"]
    got = Predictor(m).probe("bb", IPv4Address("10.1.1.2"), "tcp", 80)
    assert got.result == "open" and got.source_seen == IPv4Address("10.1.1.3")
    assert "node1" in got.path  # routed through the node, not switched


STATIC = {**BRIDGE, "ipam": {"type": "static", "addresses": [{"address": "10.77.0.5"}]}}
IPS = {**BRIDGE, "capabilities": {"ips": True}}


@pytest.mark.parametrize("plugins, containers, words", [  # each observed with 1.1.1
    ([STATIC], "aa: {}", "the 'address' field is expected to be in CIDR notation, got: "
     "'10.77.0.5'"),
    ([{**BRIDGE, "ipam": {"type": "static"}}], "aa: {}", "IPAM plugin returned missing IP "
     "config"),
    ([IPS], "aa: {networks: {podnet: {ip: 10.99.0.5}}}", "failed to allocate all requested "
     "IPs: 10.99.0.5"),
    ([IPS], "aa: {networks: {podnet: {ip: 10.88.0.9}}}, bb: {networks: {podnet: {ip: "
     "10.88.0.9}}}", "requested IP address 10.88.0.9 is not available in range set"),
    ([BRIDGE, {"type": "bandwidth", "ingressRate": 1000}], "aa: {}",
     "if rate is set, burst must also be set"),
    ([BRIDGE, {"type": "tuning", "sysctl": {"kernel.hostname": "x"}}], "aa: {}",
     'invalid net sysctl key: "kernel.hostname"'),
])
def test_the_smaller_plugins_refuse_in_their_words(plugins, containers, words) -> None:
    with pytest.raises(ScenarioError, match=re.escape(words)):
        assert lab(scenario(plugins, containers=containers)).model is None


def test_ips_tuning_bandwidth_and_static_in_the_model() -> None:
    tuned = [IPS, {"type": "tuning", "mtu": 1400},
             {"type": "bandwidth", "egressRate": 1000, "egressBurst": 1000}]
    m = lab(scenario(tuned, containers="aa: {networks: {podnet: {ip: 10.88.0.9}}}, bb: {}")
            ).model
    assert m.endpoints["aa"].primary == IPv4Address("10.88.0.9")
    assert m.endpoints["bb"].primary == IPv4Address("10.88.0.10")  # after the one asked for
    assert m.ns["aa"].ifaces["eth0"].mtu == 1400
    assert [i.name for i in m.ns["node1"].ifaces.values() if i.kind == "ifb"] == [
        "bwp" + hashlib.sha512(b"podnetaa").hexdigest()[:12],
        "bwp" + hashlib.sha512(b"podnetbb").hexdigest()[:12]]
    fixed = {**BRIDGE, "ipam": {"type": "static", "addresses": [{"address": "10.77.0.5/24"}]}}
    assert lab(scenario([fixed], containers="aa: {}")).model.endpoints["aa"].primary == \
        IPv4Address("10.77.0.5")


def test_a_fixed_mac_for_every_pod_is_a_warning() -> None:
    m = lab(scenario([BRIDGE, {"type": "tuning", "mac": "c2:00:00:00:00:0a"}])).model
    assert [t for pid, t in m.warnings if pid == "C05"]


@pytest.mark.parametrize("plugin, kind", [
    ({"type": "ipvlan", "master": "eth0", "mode": "l2"}, "ipvlan"),
    ({"type": "vlan", "master": "eth0", "vlanId": 10}, "vlan"),
])
def test_ipvlan_and_vlan_are_modelled_and_run_refuses_them(plugin, kind) -> None:
    from netsim.errors import EnvironmentProblem
    from netsim.realize.netlink import check_kernel

    lan = {"type": "host-local", "ranges": [[{"subnet": "192.168.1.0/24",
                                               "rangeStart": "192.168.1.200"}]]}
    m = lab(scenario([{**plugin, "ipam": lan}], containers="aa: {}")).model
    assert m.endpoints["aa"].primary == IPv4Address("192.168.1.200")
    assert m.ns["aa"].ifaces["eth0"].kind == kind
    assert [t for pid, t in m.warnings if pid == "kernel"]  # check says run will refuse
    with pytest.raises(EnvironmentProblem, match="this kernel does not have"):
        check_kernel(m)


def test_a_vlan_without_its_id_is_refused() -> None:
    with pytest.raises(ScenarioError, match="invalid VLAN ID"):
        assert lab(scenario([{"type": "vlan", "master": "eth0", "ipam": BRIDGE["ipam"]}],
                            containers="aa: {}")).model is None


def test_masq_all_is_ignored_as_portmap_1_1_1_ignores_it() -> None:
    pm = {**PORTMAP, "masqAll": True}
    m = lab(scenario([BRIDGE, pm], containers="aa: {ports: ['8080:80']}, bb: {}")).model
    plain = lab(scenario([BRIDGE, PORTMAP], containers="aa: {ports: ['8080:80']}, bb: {}"))
    assert render(m.ns["node1"].rules) == render(plain.model.ns["node1"].rules)
    assert [t for pid, t in m.warnings if pid == "portmap" and "masqAll" in t]


def test_sbr_moves_the_routes_to_a_table_read_only_from_the_pods_address() -> None:
    """sbr (1.1.1): rule `from <ip>/32 lookup 100` just before main, the default route and
    the subnet route in table 100, none left in main; answers find it, what the pod starts
    does not (an unbound socket's lookup has no source)."""
    from netsim.model.graph import PolicyRule

    m = lab(scenario([BRIDGE, {"type": "sbr"}])).model
    aa = m.ns["aa"]
    assert aa.policy == [PolicyRule(32765, IPv4Network("10.88.0.2/32"), 100)]
    assert sorted((str(r.dst), str(r.via), str(r.src), r.table) for r in aa.routes) == [
        ("0.0.0.0/0", "10.88.0.1", "None", 100), ("10.88.0.0/16", "None", "10.88.0.2", 100)]
    assert not aa.ifaces["eth0"].prefix_route
    p = Predictor(m)
    assert p.probe("node1", IPv4Address("10.88.0.2")).result == "reach"  # the answer: table 100
    out = p.probe("aa", IPv4Address("10.88.0.3"))
    assert out.result == "blocked" and "Network is unreachable" in out.why
    assert [t for pid, t in m.warnings if pid == "sbr"]


def test_sbr_first_in_the_chain_is_refused_in_its_words() -> None:
    with pytest.raises(ScenarioError, match="This plugin must be called as chained plugin"):
        assert lab(scenario([{"type": "sbr"}])).model is None


def test_a_rule_is_read_before_main_and_main_after_a_table_without_a_route() -> None:
    """The lookup order of `ip rule`: local, then the rules by priority (main's at 32766); a
    table without a matching route hands the lookup to the next rule."""
    from netsim.model.graph import PolicyRule, Route

    m = lab(scenario([BRIDGE], containers="aa: {}")).model
    aa = m.ns["aa"]
    aa.policy.append(PolicyRule(100, IPv4Network("10.88.0.2/32"), 7))
    aa.routes.append(Route(IPv4Network("10.88.9.0/24"), "eth0", via=IPv4Address("10.88.0.1"),
                           table=7))
    p = Predictor(m)
    assert p._route(aa, IPv4Address("10.88.9.9"), IPv4Address("10.88.0.2")).table == 7
    assert p._route(aa, IPv4Address("10.88.9.9")).table == 254  # unbound: main's /16
    assert p._route(aa, IPv4Address("203.0.113.1"), IPv4Address("10.88.0.2")).table == 254


HOSTDEV = {"type": "host-device", "device": "eth1",
           "ipam": {"type": "host-local", "ranges": [[{"subnet": "192.168.1.0/24",
                                                       "rangeStart": "192.168.1.200"}]]}}


def nic_scenario(plugins: list, containers: str = "aa: {}") -> str:
    return scenario(plugins, containers=containers).replace("{runtime: cni}",
                                                            "{runtime: cni, nics: [eth1]}")


def test_host_device_moves_the_nodes_nic_into_the_pod() -> None:
    m = lab(nic_scenario([HOSTDEV])).model
    nic = m.ns["aa"].ifaces["eth0"]
    assert "eth1" not in m.ns["node1"].ifaces and nic.born == ("node1", "eth1")
    assert m.iface(nic.peer).ns == SWITCH and m.iface(nic.peer).peer == nic.id
    p = Predictor(m)
    assert p.probe("lan", IPv4Address("192.168.1.200")).result == "reach"  # a LAN machine
    assert p.probe("node1", IPv4Address("192.168.1.200")).result == "reach"  # via the switch


@pytest.mark.parametrize("plugins, containers, words", [  # each observed with 1.1.1
    ([HOSTDEV], "aa: {}, bb: {}", "failed to find host device: Link not found"),  # moved
    ([{"type": "host-device"}], "aa: {}", 'specify either "device", "hwaddr", "kernelpath" '
     'or "pciBusID"'),
    ([{**HOSTDEV, "device": None, "hwaddr": "02:00:00:00:00:99"}], "aa: {}",
     "failed to find host device: failed to find physical interface"),
    ([{"type": "host-device", "pciBusID": "0000:00:01.0"}], "aa: {}",
     "netsim's nodes have no pciBusID (sysfs) devices"),
])
def test_host_device_refusals(plugins, containers, words) -> None:
    with pytest.raises(ScenarioError, match=re.escape(words)):
        assert lab(nic_scenario(plugins, containers)).model is None


def test_vrf_is_predicted_and_run_refuses_it() -> None:
    """vrf (1.1.1): eth0 enslaved to `blue` (table 1, the first free); the kernel drops its
    main routes and makes the subnet route in table 1. Answers to ICMP from the subnet work,
    off it there is no default route; the pod's VRF-less services hear nothing (RST); its
    own unbound sockets find no route. This kernel has no VRF: run refuses (exit 3)."""
    from netsim.errors import EnvironmentProblem
    from netsim.realize.netlink import check_kernel

    m = lab(scenario([BRIDGE, {"type": "vrf", "vrfname": "blue"}],
                     containers="aa: {listen: [80/tcp]}, bb: {}")).model
    aa = m.ns["aa"]
    assert aa.ifaces["blue"].kind == "vrf" and aa.ifaces["blue"].table == 1
    assert aa.ifaces["eth0"].vrf == "blue"
    assert [(str(r.dst), r.table) for r in aa.routes] == [("10.88.0.0/16", 1)]
    p = Predictor(m)
    assert p.probe("node1", IPv4Address("10.88.0.2")).result == "reach"
    assert p.probe("node1", IPv4Address("10.88.0.2"), "tcp", 80).result == "closed"
    assert p.probe("lan", IPv4Address("10.88.0.2")).result == "blocked"
    assert p.probe("aa", IPv4Address("10.88.0.3")).result == "blocked"
    assert [t for pid, t in m.warnings if pid == "kernel"]
    with pytest.raises(EnvironmentProblem, match="VRF devices"):
        check_kernel(m)


def test_a_pod_named_with_one_character_is_a_cni_pod_and_no_docker_container() -> None:
    """Kubernetes and CNI take a pod named `a`; dockerd refuses a container of one character
    (validContainerNamePattern), in its words, at the container's own line."""
    m = lab(scenario([BRIDGE], containers="a: {}, b: {}")).model
    assert m.endpoints["a"].primary == IPv4Address("10.88.0.2") and "b" in m.containers
    docker = "name: dk\nnetworks: {n1: {}}\ncontainers:\n  web: {network: n1}\n  a: {network: n1}\n"
    with pytest.raises(ScenarioError) as e:
        assert lab(docker).model is None
    assert (e.value.where.line, e.value.where.column) == (5, 3)  # its key, in the user's file
    assert "Invalid container name (a), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed" in str(e.value)
    mixed = ("name: mx\nhosts: {node1: {runtime: [docker, cni]}}\n"
             f"cni: {{podnet: {json.dumps({'cniVersion': '1.0.0', 'plugins': [BRIDGE]})}}}\n"
             "networks: {n1: {}}\ncontainers: {p: {network: podnet}, d: {network: n1}}\n")
    with pytest.raises(ScenarioError, match=r"Invalid container name \(d\)"):
        assert lab(mixed).model is None  # on a node of both, its starting runtime decides


def test_a_runtime_key_stands_on_a_host_that_runs_it() -> None:
    """dockerd's --icc on a CNI node, a podCIDR on a Docker host: nothing would read them.
    Refused at the key; on a node of both, each is its own runtime's."""
    conf = json.dumps({'cniVersion': '1.0.0', 'plugins': [BRIDGE]})
    text = "name: k\nhosts: {node1: {runtime: cni, icc: false}}\ncni: {podnet: " + conf + "}\n"
    with pytest.raises(ScenarioError, match="'icc' is a key of the docker runtime; node1 runs "
                       r"cni \(valid: runtime: \[cni, docker\] to run both\)") as e:
        assert lab(text).model is None
    assert (e.value.where.line, e.value.where.column) == (2, 31)  # at the key
    with pytest.raises(ScenarioError, match="'pod_cidr' is a key of the cni runtime"):
        assert lab("name: d\nhosts: {h: {pod_cidr: 10.244.1.0/24}}\n").model is None
    both = text.replace("runtime: cni", "runtime: [docker, cni], pod_cidr: 10.244.1.0/24")
    assert lab(both).model.ns["node1"].kind
