"""The cluster DNS in the model (no root): CoreDNS's answers from the zone (kubernetes/dns's
specification), glibc's search order under ndots:5, kubelet's resolv.conf per dnsPolicy, the
lints, and the API server's refusals of a pod's DNS fields."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.model.dns import NameView, candidates
from netsim.model.zone import Zone
from tests.conftest import SCENARIOS, lab

ZONE = Zone("cluster.local", {"web.default.svc.cluster.local": ["10.96.0.20"],
                              "db.default.svc.cluster.local": ["10.48.0.5", "10.48.0.6"],
                              "db-0.db.default.svc.cluster.local": ["10.48.0.5"]})


@pytest.mark.parametrize(("name", "six", "answer"), [
    ("web.default.svc.cluster.local", False, ("noerror", ["10.96.0.20"])),
    ("web.default.svc.cluster.local", True, ("noerror", [])),        # no AAAA: NODATA
    ("db.default.svc.cluster.local", False, ("noerror", ["10.48.0.5", "10.48.0.6"])),
    ("db-0.db.default.svc.cluster.local", False, ("noerror", ["10.48.0.5"])),
    ("default.svc.cluster.local", False, ("noerror", [])),           # an empty non-terminal
    ("cluster.local", False, ("noerror", [])),
    ("10-1-2-3.shop.pod.cluster.local", False, ("noerror", ["10.1.2.3"])),  # pods insecure
    ("10-1-2-300.shop.pod.cluster.local", False, ("nxdomain", [])),
    ("web.shop.svc.cluster.local", False, ("nxdomain", [])),
    ("printer.lan", False, None)])                                   # not the zone's
def test_coredns_answers_from_the_zone(name, six, answer) -> None:
    assert ZONE.answer(name, six) == answer


def test_glibc_searches_below_ndots_first_and_as_given_above() -> None:
    view = NameView("p", False, None, search=("shop.svc.cluster.local", "svc.cluster.local",
                                              "cluster.local"), ndots=5)
    assert candidates(view, "web") == ["web.shop.svc.cluster.local", "web.svc.cluster.local",
                                       "web.cluster.local", "web"]
    assert candidates(view, "a.b.c.d.e.f")[0] == "a.b.c.d.e.f"     # five dots: as given first
    assert candidates(view, "web.default.svc.cluster.local.") == \
        ["web.default.svc.cluster.local"]                           # a final dot: no search


def test_kubelet_writes_resolv_conf_per_dns_policy() -> None:
    m = Lab.load(SCENARIOS / "cluster-dns.yml").model
    assert m.names["cart.shop"].resolv_conf == (
        "search shop.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n")
    assert m.names["legacy"].resolv_conf == "nameserver 192.168.1.1\n"   # Default: the node's
    assert "10.48.104.1\tdb-0.db.default.svc.cluster.local db-0" in m.names["db-0"].hosts_file
    assert set(m.zones) == {"coredns.kube-system"}
    listener = [x for x in m.ns["coredns.kube-system"].listeners if x.port == 53]
    assert {(x.proto, x.role) for x in listener} == {("udp", "dns"), ("tcp", "echo")}


def test_services_without_kube_dns_warn_and_keep_the_nodes_resolver() -> None:
    m = Lab.load(SCENARIOS / "services.yml").model
    assert "K13" in {pid for pid, _ in m.warnings}
    assert m.names["client-1"].zone is None and m.names["client-1"].ndots == 1


POD = ("name: s\nhosts: {node1: {runtime: cni}}\ncni: {net: {cniVersion: 1.0.0, plugins: "
       "[{type: bridge, bridge: cni0, isGateway: true, ipam: {type: host-local, subnet: "
       "10.22.0.0/16}}]}}\nkubernetes:\n  - {apiVersion: v1, kind: Pod, metadata: "
       "{name: p}, spec: {nodeName: node1, containers: [{name: c, image: %s}]%s}}\n")


@pytest.mark.parametrize(("extra", "words"), [
    (", dnsPolicy: Cluster", 'spec.dnsPolicy: Unsupported value: "Cluster": supported values: '
                             '"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"'),
    (", dnsPolicy: None", "dnsPolicy None: netsim does not model dnsConfig yet"),
    (", hostname: Web_1", 'spec.hostname: Invalid value: "Web_1"')])
def test_the_api_servers_refusals_of_a_pods_dns_fields(extra: str, words: str) -> None:
    with pytest.raises(ScenarioError) as e:
        lab(POD % ("busybox", extra)).check()
    assert words in str(e.value)


def test_coredns_on_clusterfirst_loops() -> None:
    m = lab(POD % ("registry.k8s.io/coredns/coredns:v1.11.3", "")).model
    assert "K14" in {pid for pid, _ in m.warnings}
    assert "p" in m.zones
