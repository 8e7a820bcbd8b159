"""Real Services as a public project publishes them (tests/corpus/services, SOURCES.yml says
whose): each is accepted as the API server accepts it, and on flannel nodes kube-proxy sends
its ClusterIP (and a NodePort's node port) to a pod its selector picks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from netsim.lab import Lab
from netsim.predict.walk import Predictor
from netsim.scenario import kubernetes as k8s
from netsim.scenario.yamlpos import Positions
from tests.conftest import SCENARIOS

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "services"
ENTRIES = yaml.safe_load((CORPUS / "SOURCES.yml").read_text())


def test_every_file_has_its_source_and_licence() -> None:
    assert {e["file"] for e in ENTRIES} == {p.name for p in CORPUS.glob("*.yaml")}
    assert all(e["source"] and e["licence"] == "Apache-2.0" for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_a_real_service_is_accepted_and_reaches_the_pod_it_selects(entry) -> None:
    text = (CORPUS / entry["file"]).read_text()
    docs = [d for d in k8s._documents(text, entry["file"]) if d is not None]
    [svc] = k8s.parse(docs, Positions(entry["file"])).net.services
    port = svc.ports[0]
    target = port.target if isinstance(port.target, int) else port.port
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "backend", "labels": svc.selector},
           "spec": {"nodeName": "node1", "containers": [
               {"name": "c", "ports": [{"containerPort": target}]}]}}
    client = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
              "spec": {"nodeName": "node2", "containers": [{"name": "c"}]}}
    scenario = {"name": "real", "hosts": {"node1": {"runtime": "cni"},
                                          "node2": {"runtime": "cni"}},
                "flannel": {"file": str(SCENARIOS / "cni" / "net-conf.json")},
                "cni": {"cbr0": {"file": str(SCENARIOS / "cni" / "10-flannel.conflist")}},
                "kubernetes": [pod, client, *docs]}
    m = Lab.from_yaml(yaml.safe_dump(scenario), "real.yml").model
    p = Predictor(m)
    got = p.probe("client", m.virtual[f"svc/{svc.key}"], "tcp", port.port)
    assert got.result.value == "open", got.why
    if port.node_port is not None:  # a NodePort: allocated in range, open from the LAN
        assert 30000 <= port.node_port <= 32767
        lan = p.probe("lan", m.endpoints["node2"].primary, "tcp", port.node_port)
        assert lan.result.value == "open", lan.why
