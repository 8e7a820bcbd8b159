"""kube-proxy as netsim plays it, in the model (no root): its chain names and split as its
source computes them, the endpoints a Service port gets, the verdicts its rules give, and the
API server's refusals of a Service."""

from __future__ import annotations

from pathlib import Path

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.predict.walk import Predictor
from netsim.realize import nft_table
from netsim.realize.iptables_save import probability, render
from netsim.runtime.cni.kubeproxy.iptables import port_proto_hash
from netsim.runtime.cni.kubeproxy.nftables import hash_and_truncate
from tests.conftest import SCENARIOS, lab


def test_chain_names_are_kube_proxys_hashes() -> None:
    """Every cluster's `default/kubernetes` Service chain, and a blog's worked examples."""
    assert port_proto_hash("default/kubernetes:https", "tcp") == "NPX46M4PTMTKRN6Y"
    assert port_proto_hash("default/web:http", "tcp") == "CDGGSHYLG3RE2FKL"
    assert port_proto_hash("kube-system/kube-dns:dns", "udp") == "TCOU7JCQXEZGVUNU"


@pytest.mark.parametrize(("choice", "printed"), [((0, 2), "0.50000000000"),
                                                 ((0, 3), "0.33333333349"),
                                                 ((1, 3), "0.50000000000")])
def test_the_split_is_printed_as_iptables_save_prints_it(choice, printed) -> None:
    assert probability(choice) == printed


def test_a_service_of_three_endpoints_is_three_outcomes() -> None:
    m = Lab.load(SCENARIOS / "services.yml").model
    web = m.virtual["svc/web"]
    got = Predictor(m).probe("client-1", web, "tcp", 80)
    served = {str(o.served_by) for o in got.choices}
    assert served == {str(m.endpoints[p].primary) for p in ("web-1", "web-2", "web-3")}
    assert {o.result.value for o in got.choices} == {"open"}
    assert {str(o.source_seen) for o in got.choices} == {str(m.endpoints["client-1"].primary)}
    text = render(m.ns["node1"].rules)
    assert "-m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-" in text
    assert '-A KUBE-SERVICES -d 10.96.0.0/12' not in text          # each ClusterIP by itself


def test_no_endpoints_rejects_and_local_without_endpoint_drops() -> None:
    m = Lab.load(SCENARIOS / "services.yml").model
    p = Predictor(m)
    assert p.probe("client-1", m.virtual["svc/empty"], "tcp", 80).result.value == "closed"
    lan = p.probe("lan", m.endpoints["node2"].primary, "tcp", 30081)
    assert lan.result.value == "blocked" and "KUBE-EXTERNAL-SERVICES" in lan.why
    codes = {pid for pid, _ in m.warnings}
    assert {"K09", "K11"} <= codes


SVC = ("name: s\nhosts: {node1: {runtime: cni}}\ncni: {net: {cniVersion: 1.0.0, plugins: "
       "[{type: bridge, bridge: cni0, isGateway: true, ipam: {type: host-local, subnet: "
       "10.22.0.0/16}}]}}\nkubernetes:\n  - {apiVersion: v1, kind: Service, metadata: "
       "{name: web}, spec: %s}\n")


@pytest.mark.parametrize(("spec", "words"), [
    ("{type: NodePort, ports: [{port: 80, nodePort: 80}]}",
     "nodePort: Invalid value: 80: provided port is not in the valid range. The range of "
     "valid ports is 30000-32767"),
    ("{clusterIP: 10.0.0.5, ports: [{port: 80}]}",
     "failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid range. "
     "The range of valid IPs is 10.96.0.0/12"),
    ("{externalTrafficPolicy: Local, ports: [{port: 80}]}",
     "may only be set when `type` is 'NodePort' or 'LoadBalancer'"),
    ("{ports: [{port: 80}, {port: 81}]}", "spec.ports[0].name: Required value"),
    ("{ports: [{port: 80, nodePort: 30000}]}", "may not be used when `type` is 'ClusterIP'"),
    ("{type: ExternalName, externalName: a.example}", "ExternalName"),
    ("{}", "spec.ports: Required value"),
    ("{sessionAffinity: Sticky, ports: [{port: 80}]}",
     'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'),
    ("{sessionAffinity: ClientIP, sessionAffinityConfig: {clientIP: {timeoutSeconds: 0}}, "
     "ports: [{port: 80}]}", "timeoutSeconds: Invalid value: 0: must be greater than 0 and "
     "less than 86400")])
def test_the_api_servers_refusals_of_a_service(spec: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        lab(SVC % spec).check()
    assert words in str(e.value)
    assert e.value.where is not None and e.value.where.line == 5


def test_a_nodeport_taken_twice_is_refused_and_clusterips_do_not_move() -> None:
    two = SVC % "{type: NodePort, ports: [{port: 80, nodePort: 30080}]}" + (
        "  - {apiVersion: v1, kind: Service, metadata: {name: other}, spec: {type: NodePort, "
        "ports: [{port: 80, nodePort: 30080}]}}\n")
    with pytest.raises(ScenarioError) as e:
        lab(two).check()
    assert "provided port is already allocated" in str(e.value)
    alone = lab(SVC % "{ports: [{port: 80}]}").model.virtual["svc/web"]
    more = lab(SVC % "{ports: [{port: 80}]}" + (
        "  - {apiVersion: v1, kind: Service, metadata: {name: aaa}, spec: {ports: "
        "[{port: 80}]}}\n")).model.virtual["svc/web"]
    assert alone == more                     # another Service does not move this one's address


def test_nftables_chain_names_are_kube_proxys() -> None:
    """proxier_test.go's own examples of hashAndTruncate."""
    assert hash_and_truncate("ns1/svc1/tcp/p80") == "ULMVA6XW-ns1/svc1/tcp/p80"
    assert hash_and_truncate("ns1/svc1/tcp/p80__10.180.0.1/80") == \
        "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"


def _modes(tmp: Path) -> dict[str, Predictor]:
    """services-flannel-nft.yml in each mode (its files beside it, as they are)."""
    text = (SCENARIOS / "services-flannel-nft.yml").read_text()
    (tmp / "cni").symlink_to(SCENARIOS / "cni")
    out = {}
    for mode in ("iptables", "nftables"):
        path = tmp / f"{mode}.yml"
        path.write_text(text.replace("{mode: nftables}", f"{{mode: {mode}}}"))
        out[mode] = Predictor(Lab.load(path).model)
    return out


def test_the_two_modes_differ_where_kube_proxy_says(tmp_path: Path) -> None:
    """pitfall 8: an unserved port of a ClusterIP is a timeout in iptables mode (routed away)
    and refused in nftables mode (cluster-ips-check); a NodePort on cni0's address answers in
    iptables mode (every local address) and not in nftables mode (the primary one)."""
    p = _modes(tmp_path)
    m = p["nftables"].model
    web, cni0 = m.virtual["svc/web"], m.ns["node3"].ifaces["cni0"].addrs[0].ip
    assert p["iptables"].probe("client-1", web, "tcp", 81).result.value == "blocked"
    refused = p["nftables"].probe("client-1", web, "tcp", 81)
    assert refused.result.value == "closed" and "cluster-ips-check" in refused.why
    assert p["iptables"].probe("client-1", cni0, "tcp", 30080).result.value == "open"
    assert p["nftables"].probe("client-1", cni0, "tcp", 30080).result.value == "closed"
    for mode in p:  # and the same everywhere else: 3 endpoints, Local, no endpoints
        got = p[mode].probe("client-1", web, "tcp", 80)
        assert len({str(o.served_by) for o in got.choices}) == 3, mode
        assert p[mode].probe("lan", m.endpoints["node2"].primary, "tcp",
                             30081).result.value == "blocked", mode
        assert p[mode].probe("client-1", m.virtual["svc/empty"], "tcp",
                             80).result.value == "closed", mode


def test_the_nftables_table_reads_as_nft_lists_it() -> None:
    m = Lab.load(SCENARIOS / "services-flannel-nft.yml").model
    text = nft_table.render(m.ns["node1"].rules, "kube-proxy")
    assert text.startswith('table ip kube-proxy {\n\tcomment "rules for kube-proxy"\n')
    assert "\t\ttype filter hook prerouting priority dstnat - 10; policy accept;\n" in text
    assert "\t\ttype filter hook output priority -90; policy accept;\n" in text
    assert "\t\tip daddr . meta l4proto . th dport vmap @service-ips\n" in text
    assert "\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports\n" in text
    assert "\t\telements = { 192.168.1.11 }\n" in text                     # primary only
    assert "numgen random mod 3 vmap { 0 : goto endpoint-" in text
    assert "\t\tmeta mark set meta mark | 0x00004000\n" in text
    assert "\t\tip daddr 10.96.0.0/12 drop comment " in text
    assert 'comment "default/empty" : goto reject-chain' in text
    assert not render(m.ns["node1"].rules).count("KUBE-")               # no iptables of its own


def test_a_service_of_two_ports_is_one_cluster_ip_in_the_set() -> None:
    """nft lists a set's element once, however many ports add it (kube-dns has three)."""
    two = SVC.replace("kubernetes:", "kube_proxy: {mode: nftables}\nkubernetes:") % (
        "{ports: [{name: a, port: 80}, {name: b, port: 81}]}")
    m = lab(two).model
    text = nft_table.render(m.ns["node1"].rules, "kube-proxy")
    ip = m.virtual["svc/web"]
    assert f"\t\telements = {{ {ip} }}\n" in text
    assert text.count(f"{ip} . tcp . 8") == 2                     # each port its element


def test_affinity_is_a_first_connection_in_the_model_and_nft_lists_its_timeout() -> None:
    """The model walks a client's first connection: --rcheck (and an empty affinity set)
    does not match, so every endpoint is a way; nft lists a set's timeout in its units."""
    m = Lab.load(SCENARIOS / "services.yml").model
    got = Predictor(m).probe("client-1", m.virtual["svc/sticky"], "tcp", 80)
    assert len(got.choices) == 3
    assert [nft_table.nft_time(s) for s in (10800, 90061, 59)] == ["3h", "1d1h1m1s", "59s"]


UNREADY = ("name: s\nhosts: {node1: {runtime: cni}}\ncni: {net: {cniVersion: 1.0.0, plugins: "
           "[{type: bridge, bridge: cni0, isGateway: true, ipam: {type: host-local, subnet: "
           "10.22.0.0/16, routes: [{dst: 0.0.0.0/0}]}}]}}\nkubernetes:\n"
           "  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: "
           "{nodeName: node1, containers: [{name: c, image: nginx}]}, status: {phase: Running, "
           "conditions: [{type: Ready, status: 'False'}]}}\n"
           "  - {apiVersion: v1, kind: Pod, metadata: {name: c}, spec: {nodeName: node1, "
           "containers: [{name: c, image: busybox}]}}\n"
           "  - {apiVersion: v1, kind: Service, metadata: {name: web}, spec: {selector: "
           "{app: web}, ports: [{port: 80}]%s}}\n")


@pytest.mark.parametrize(("extra", "result"), [("", "closed"),
                                               (", publishNotReadyAddresses: true", "open")])
def test_an_unready_pod_is_no_endpoint_unless_the_service_publishes_it(extra, result) -> None:
    m = lab(UNREADY % extra).model
    assert Predictor(m).probe("c", m.virtual["svc/web"], "tcp", 80).result.value == result


def test_a_numeric_target_port_no_container_declares_is_said() -> None:
    text = UNREADY.replace("status: {phase: Running, conditions: [{type: Ready, status: "
                           "'False'}]}", "status: {}").replace(
        "containers: [{name: c, image: nginx}]",
        "containers: [{name: c, image: nginx, ports: [{containerPort: 80}]}]")
    m = lab(text % "").model
    assert not [w for pid, w in m.warnings if pid == "K10"]          # 80 is declared
    m = lab(text.replace("ports: [{port: 80}]", "ports: [{port: 80, targetPort: 8080}]")
            % "").model
    said = [w for pid, w in m.warnings if pid == "K10"]
    assert said and "targetPort 8080/TCP is no containerPort of web" in said[0]
