"""Real NetworkPolicies as a public collection publishes them (tests/corpus/netpol, SOURCES.yml
says whose): each is accepted as the API server accepts it, and felix enforces it on a pod it
selects: the policy's chain exists and the pod's endpoint chain jumps to it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netsim.lab import Lab
from netsim.realize.iptables_save import render
from netsim.runtime.cni.calico import felix, plugin
from netsim.scenario import kubernetes as k8s
from netsim.scenario.yamlpos import Positions

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "netpol"
ENTRIES = yaml.safe_load((CORPUS / "SOURCES.yml").read_text())
CONFLIST = {"name": "k8s-pod-network", "cniVersion": "1.0.0", "plugins": [
    {"type": "calico", "ipam": {"type": "calico-ipam"}, "policy": {"type": "k8s"}}]}


def test_every_file_has_its_source_and_licence() -> None:
    assert {e["file"] for e in ENTRIES} == {p.name for p in CORPUS.glob("*.yaml")}
    assert all(e["source"] and e["licence"] == "Apache-2.0" for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_a_real_policy_is_accepted_and_enforced_on_the_pod_it_selects(entry) -> None:
    docs = [d for d in k8s._documents((CORPUS / entry["file"]).read_text(), entry["file"])
            if d is not None]
    [policy] = k8s.parse(docs, Positions(entry["file"])).policies
    labels = dict(policy.selector.labels)  # a pod the policy selects
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "target", "namespace": policy.namespace, "labels": labels},
           "spec": {"nodeName": "node1", "containers": [{"name": "c"}]}}
    extra = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": policy.namespace}}] \
        if policy.namespace not in ("default", "kube-system") else []
    scenario = {"name": "real", "hosts": {"node1": {"runtime": "cni"}},
                "calico": [{"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
                            "metadata": {"name": "p"}, "spec": {"cidr": "10.48.0.0/16"}}],
                "cni": {"k8s-pod-network": CONFLIST}, "kubernetes": [*extra, pod, *docs]}
    lab = Lab.from_yaml(yaml.safe_dump(scenario), "real.yml")
    rules = render(lab.model.ns["node1"].rules)
    veth = plugin.veth_name(policy.namespace, "target")
    for ingress, kind in ((True, "Ingress"), (False, "Egress")):
        chain = felix.policy_chain(policy, ingress)
        endpoint = f"cali-{'tw' if ingress else 'fw'}-{veth}"
        jumps = f"-A {endpoint} -m mark --mark 0x0/0x20000 -j {chain}" in rules
        assert jumps == (kind in policy.types), (kind, entry["file"])
