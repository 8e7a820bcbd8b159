"""Calico and NetworkPolicy as netsim plays them, in the model (no root): calico-ipam's block
choice against public data, the plugin's links, routes per backend, felix's chains and the
API server's refusals."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.predict.walk import Predictor
from netsim.realize.iptables_save import render
from netsim.runtime.cni.calico import felix, gorand, ipam, plugin
from netsim.runtime.cni.calico.resources import Pool
from tests.conftest import SCENARIOS, lab

CONFLIST = json.dumps({"name": "k8s-pod-network", "cniVersion": "1.0.0", "plugins": [
    {"type": "calico", "mtu": 0, "ipam": {"type": "calico-ipam"}, "policy": {"type": "k8s"}},
    {"type": "portmap", "snat": True, "capabilities": {"portMappings": True}}]})
POOL = ("{apiVersion: projectcalico.org/v3, kind: IPPool, metadata: {name: p}, "
        "spec: {cidr: 10.48.0.0/16, %s}}")


def cluster(spec: str = "natOutgoing: true", k8s: str = "", extra: str = "") -> str:
    pods = k8s or ("[{apiVersion: v1, kind: Pod, metadata: {name: a, labels: {app: a}}, spec: "
                   "{nodeName: node1, containers: [{name: c, ports: [{containerPort: 80}]}]}},"
                   " {apiVersion: v1, kind: Pod, metadata: {name: b}, spec: {nodeName: node2,"
                   " containers: [{name: c}]}}]")
    return (f"name: cal\n{extra}hosts: {{node1: {{runtime: cni}}, node2: {{runtime: cni}}}}\n"
            f"calico: [{POOL % spec}]\ncni: {{k8s-pod-network: {CONFLIST}}}\n"
            f"kubernetes: {pods}\n")


def block(pool: str, size: int, node: str) -> IPv4Network:
    net = IPv4Network(pool)
    return next(ipam.candidates(Pool("p", net, size, "Never", "Never", False, False), node))


def test_go_math_rand_table_is_computed_exactly() -> None:
    cooked = gorand.cooked()
    assert [c - (1 << 64) if c >> 63 else c for c in cooked[:4]] == [
        -4181792142133755926, -4576982950128230565, 1395769623340756751, 5333664234075297259]
    assert gorand.fnv32("") == 2166136261


@pytest.mark.parametrize(("pool", "node", "want"), [
    ("10.244.0.0/16", "minikube", "10.244.120.64/26"),      # public `kubectl get pods -o wide`
    ("10.244.0.0/16", "minikube-m02", "10.244.205.192/26"),
    ("10.244.0.0/16", "minikube-m03", "10.244.151.0/26"),
    ("10.48.0.0/16", "node1", "10.48.166.128/26"),
    ("10.48.0.0/16", "node2", "10.48.104.0/26"),
    ("10.48.0.0/16", "node3", "10.48.135.0/26")])
def test_a_nodes_first_block_follows_from_its_name(pool: str, node: str, want: str) -> None:
    assert block(pool, 26, node) == IPv4Network(want)


def test_veth_names_are_sha1_of_namespace_and_pod() -> None:
    assert plugin.veth_name("default", "web-1") == "cali0761ccbeace"
    assert plugin.veth_name("prod", "api-1") == "calie2366dbbe1f"


def test_pod_wiring_and_ordinals_from_the_blocks_network_address() -> None:
    m = lab(cluster()).model
    assert m.endpoints["a"].primary == IPv4Address("10.48.166.128")  # ordinal 0: #3825
    assert m.endpoints["b"].primary == IPv4Address("10.48.104.0")
    host = m.ns["node1"].ifaces[plugin.veth_name("default", "a")]
    assert (host.mac, host.proxy_arp, host.addrs) == ("ee:ee:ee:ee:ee:ee", True, [])
    pod = m.ns["a"]
    assert [(str(r.dst), str(r.via)) for r in pod.routes] == [
        ("169.254.1.1/32", "None"), ("0.0.0.0/0", "169.254.1.1")]
    assert str(pod.ifaces["eth0"].addrs[0]) == "10.48.166.128/32"


def test_the_tunnel_address_comes_first_when_the_pool_encapsulates() -> None:
    m = lab(cluster("vxlanMode: Always, natOutgoing: true")).model
    assert m.endpoints["a"].primary == IPv4Address("10.48.166.129")
    vx = m.ns["node1"].ifaces["vxlan.calico"]
    assert (vx.vni, vx.port, vx.mtu, str(vx.addrs[0])) == (4096, 4789, 1450, "10.48.166.128/32")
    assert m.ns["a"].ifaces["eth0"].mtu == 1450


def test_bgp_routes_are_birds_and_its_configuration_is_confds() -> None:
    m = lab(cluster()).model
    bird = [r for r in m.ns["node1"].routes if r.proto == "bird"]
    assert {(str(r.dst), str(r.via), r.blackhole) for r in bird} == {
        ("10.48.166.128/26", "None", True), ("10.48.104.0/26", "192.168.1.11", False)}
    conf = m.file("node1", "/etc/bird/bird.conf")
    assert "route 10.48.166.128/26 blackhole;" in conf
    assert "neighbor 192.168.1.11 as 64512;" in conf and "passive on;" in conf
    assert "passive on;" not in m.file("node2", "/etc/bird/bird.conf")  # .11 > .10


def test_policy_ports_without_protocol_are_tcp_and_ipblock_except_uses_scratch_marks() -> None:
    loaded = Lab.load(SCENARIOS / "netpol.yml")
    node1 = render(loaded.model.ns["node1"].rules)
    chain = felix.limited("cali-pi-", "knp/prod/web-from-clients")  # 33 > 28: hashed
    assert chain == "cali-pi-_9a7693vr29v0d0Z7qhI"
    assert f"-A {chain} -p tcp -m multiport --dports 80 -m set --match-set cali40s:" in node1
    assert "-j MARK --set-xmark 0x80000/0x80000" in node1
    assert "-s 192.168.1.13/32 -j MARK --set-xmark 0x0/0x80000" in node1
    assert "--comment \"End of tier default. Drop if no policies passed packet\"" in node1
    assert "-A cali-OUTPUT -o cali+ -j RETURN" in node1
    node2 = render(loaded.model.ns["node2"].rules)
    assert "-m multiport --dports 8080:8090" in node2


def test_long_policy_chain_names_are_hashed_as_felix_hashes_them() -> None:
    assert felix.limited("cali-pi-", "knp/prod/web") == "cali-pi-knp/prod/web"
    long = felix.limited("cali-pi-", "knp/production/allow-frontend-to-backend")
    assert len(long) == 28 and long.startswith("cali-pi-_")




NETPOL = ("[{apiVersion: v1, kind: Namespace, metadata: {name: prod, labels: {team: a}}},"
          " {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: prod, labels: "
          "{app: web}}, spec: {nodeName: node1, containers: [{name: c, ports: "
          "[{containerPort: 80}]}]}},"
          " {apiVersion: v1, kind: Pod, metadata: {name: x, labels: {app: client}}, spec: "
          "{nodeName: node2, containers: [{name: c}]}},"
          " {apiVersion: v1, kind: Pod, metadata: {name: y, namespace: prod}, spec: "
          "{nodeName: node2, containers: [{name: c}]}},"
          " {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: p, "
          "namespace: prod}, spec: {podSelector: {matchLabels: {app: web}}, ingress: "
          "[{from: %s}]}}]")


@pytest.mark.parametrize(("peers", "x", "y"), [
    # one peer with both selectors: AND (pods labelled client in namespaces team=a: none)
    ("[{namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: "
     "{app: client}}}]", "blocked", "blocked"),
    # two peers: OR (every pod of team=a, or pods labelled client in prod)
    ("[{namespaceSelector: {matchLabels: {team: a}}}, {podSelector: {matchLabels: "
     "{app: client}}}]", "blocked", "open"),
    # a namespaceSelector of default's name label: x only
    ("[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}}]",
     "open", "blocked")])
def test_one_dash_changes_the_meaning(peers: str, x: str, y: str) -> None:
    m = lab(cluster(k8s=NETPOL % peers))
    p = Predictor(m.model)
    web = m.model.endpoints["web.prod"].primary
    assert p.probe("x", web, "tcp", 80).result.value == x
    assert p.probe("y.prod", web, "tcp", 80).result.value == y


def test_policies_on_flannel_are_said_to_have_no_effect() -> None:
    m = Lab.load(SCENARIOS / "netpol-flannel.yml").model
    assert any(pid == "K01" and "no effect" in text for pid, text in m.warnings)


@pytest.mark.parametrize(("manifest", "words"), [
    ("{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}}",
     'no matches for kind "Deployment" in version "apps/v1"'),
    ("{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c}]}}",
     "netsim has no scheduler"),
    ("{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: nope}, spec: {nodeName: node1,"
     " containers: [{name: c}]}}", 'namespaces "nope" not found'),
    ("{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: n}, spec: "
     "{podSelector: {}, ingress: [{ports: [{port: 90, endPort: 80}]}]}}",
     "endPort: Invalid value: 80: must be greater than or equal to `port`"),
    ("{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: n}, spec: "
     "{podSelector: {}, ingress: [{ports: [{port: 53, protocol: ICMP}]}]}}",
     'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'),
    ("{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: n}, spec: "
     "{podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: "
     "[192.168.0.0/16]}}]}]}}", "must be a strict subset of `cidr`"),
    ("{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: n}, spec: "
     "{podSelector: {}, policyTypes: [Inbound]}}", 'Unsupported value: "Inbound"')])
def test_the_api_servers_refusals(manifest: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=None) as e:
        lab(cluster(k8s=f"[{manifest}]")).check()
    assert words in str(e.value)
    assert e.value.where is not None and e.value.where.line == 5


@pytest.mark.parametrize(("spec", "words"), [
    ("ipipMode: Always, vxlanMode: Always", "cannot both be enabled"),
    ("blockSize: 12", "IPv4 block size must be between 20 and 32"),
    ("vxlanMode: Sometimes", "error with field vxlanMode = 'Sometimes'")])
def test_calicoctls_refusals(spec: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        lab(cluster(spec)).check()
    assert words in str(e.value)


def test_ipip_is_predicted_and_said_to_need_the_kernels_module() -> None:
    m = Lab.load(SCENARIOS / "calico-ipip.yml").model
    tun = m.ns["node3"].ifaces["tunl0"]
    assert (tun.mtu, str(tun.addrs[0])) == (1480, "10.48.135.0/32")
    routes = {(str(r.dst), r.dev, str(r.via)) for r in m.ns["node1"].routes}
    assert ("10.48.135.0/26", "tunl0", "192.168.2.13") in routes        # across the router
    assert ("10.48.104.0/26", "eth0", "192.168.1.12") in routes         # CrossSubnet: direct


def test_bgp_across_a_router_is_warned() -> None:
    text = (SCENARIOS / "calico-bgp.yml").read_text().replace("192.168.1.13", "192.168.2.13")
    m = Lab.from_yaml(text, str(SCENARIOS / "x.yml")).model
    assert any(pid == "K05" for pid, _ in m.warnings)


def test_policies_times_pods_is_bounded_before_felix_renders_them(monkeypatch) -> None:
    from netsim.runtime.cni.calico import node

    monkeypatch.setattr(node, "MAX_POLICY_PODS", 1)
    with pytest.raises(ScenarioError, match="policy-pod pairs"):
        Lab.load(SCENARIOS / "netpol.yml").check()


def test_canal_takes_the_pod_cidr_flannel_leased_and_the_hosts_mtu() -> None:
    """canal.yaml's conflist: host-local on `usePodCidr` (the node's flannel lease), the
    address as /32 on a cali veth, felix's MTU auto-detection blind to flannel.1 (K07)."""
    m = Lab.load(SCENARIOS / "netpol-canal.yml").model
    assert m.ns["web-1.prod"].ifaces["eth0"].addrs == [IPv4Interface("10.244.0.2/32")]
    host_if = plugin.veth_name("prod", "web-1")
    assert m.ns["node1"].ifaces[host_if].mtu == 1500
    assert m.ns["node1"].ifaces["flannel.1"].mtu == 1450
    assert not any(r.proto == "bird" for r in m.ns["node1"].routes)   # flannel routes
    assert [pid for pid, _ in m.warnings if pid == "K07"] == ["K07"]


def test_the_node_of_a_canal_pod_needs_a_pod_cidr() -> None:
    canal = CONFLIST.replace('{"type": "calico-ipam"}', '{"type": "host-local", '
                             '"subnet": "usePodCidr"}')
    text = cluster().replace(CONFLIST, canal).replace(f"calico: [{POOL % 'natOutgoing: true'}]\n",
                                                      "")
    with pytest.raises(ScenarioError) as e:
        lab(text).check()
    assert "usePodCidr found but there is no IPv4 CIDR configured" in str(e.value)
    given = text.replace("node1: {runtime: cni}", "node1: {runtime: cni, pod_cidr: 10.9.1.0/24}")
    given = given.replace("node2: {runtime: cni}", "node2: {runtime: cni, pod_cidr: 10.9.2.0/24}")
    m = lab(given).model
    assert str(m.endpoints["a"].primary) == "10.9.1.2"               # host-local: .1 is the gateway


@pytest.mark.parametrize(("pod", "container"), [
    ("spec: {nodeName: node1, hostNetwork: true, containers: [{name: c}]}", False),   # the node
    ("spec: {containers: [{name: c}]}, status: {phase: Pending}", False),  # kubectl: unscheduled
    ("spec: {nodeName: node1, containers: [{name: c}]}, status: {phase: Succeeded}", False),
    ("spec: {nodeName: node1, containers: [{name: c}]}, status: {phase: Running}", True)])
def test_only_pods_with_a_sandbox_of_their_own_are_containers(pod: str, container: bool) -> None:
    m = lab(cluster(k8s=f"[{{apiVersion: v1, kind: Pod, metadata: {{name: p}}, {pod}}}]")).model
    assert ("p" in m.endpoints) == container
