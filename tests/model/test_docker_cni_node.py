"""Docker and CNI on one node (`runtime: [docker, cni]`), no root: who turned IP forwarding on
decides Docker's FORWARD policy, and the pods live or die by it (cni.md §7)."""

from __future__ import annotations

import json
from ipaddress import IPv4Address

import pytest

from netsim.errors import ScenarioError
from netsim.predict.walk import Predictor
from netsim.realize.iptables_save import restore_script
from netsim.realize.lifecycle import shared_phases
from tests.conftest import lab

BRIDGE = {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
          "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.88.0.0/16"}]],
                   "routes": [{"dst": "0.0.0.0/0"}]}}
CONF = json.dumps({"cniVersion": "1.0.0", "plugins": [BRIDGE]})


def node(order: str, extra: str = "") -> str:
    return (f"name: dc\nhosts: {{node1: {{runtime: {order}{extra}}}}}\ncni: {{podnet: {CONF}}}\n"
            "containers: {aa: {network: podnet, listen: [80/tcp]}, bb: {network: podnet},"
            " dd: {image: nginx}}\n")


def probe(model, src: str, dst: str, port: int = 80):
    return Predictor(model).probe(model.endpoints[src].ns,
                                  model.endpoints[dst].primary, "tcp", port)


def test_docker_first_sets_forward_drop_and_the_pods_traffic_dies() -> None:
    m = lab(node("[docker, cni]")).model
    host = m.ns["node1"]
    assert host.forwarding_by == "docker"
    assert host.rules.tables["filter"]["FORWARD"].policy == "drop"
    assert m.containers["aa"].runtime == "cni" and m.containers["dd"].runtime == "docker"
    got = probe(m, "bb", "aa")
    assert got.result == "blocked" and "policy DROP of FORWARD" in got.why
    assert probe(m, "node1", "aa").result == "open"  # the node itself: OUTPUT, not FORWARD
    assert [w for w in m.warnings if w[0] == "C04"]


def test_pods_first_turn_forwarding_on_and_docker_leaves_forward_accept() -> None:
    m = lab(node("[cni, docker]")).model
    host = m.ns["node1"]
    assert host.forwarding_by == "cni"
    assert host.rules.tables["filter"]["FORWARD"].policy == "accept"
    assert probe(m, "bb", "aa").result == "open"
    assert not [w for w in m.warnings if w[0] == "C04"]


def test_forwarding_already_on_when_dockerd_starts_leaves_the_policy_alone() -> None:
    m = lab("name: fw\nhosts: {docker1: {ip_forward_at_start: true}}\ncontainers: {aa: {}}\n")
    assert m.model.ns["docker1"].rules.tables["filter"]["FORWARD"].policy == "accept"


def test_the_realizer_replays_dockers_rules_before_or_after_the_plugins() -> None:
    ns = lab(node("[docker, cni]")).model.ns["node1"]
    first = shared_phases(ns, ns.rules)
    assert first[0] and not first[1] and {op.writer for op in first[0]} == {"docker"}
    ns = lab(node("[cni, docker]")).model.ns["node1"]
    before, after = shared_phases(ns, ns.rules)
    assert not before and {op.writer for op in after} == {"docker"}
    script = restore_script(after)
    assert ":DOCKER - [0:0]" in script and ":FORWARD DROP" not in script
    assert "-A FORWARD -j DOCKER-USER" in script  # appended after what the plugins made
    assert "-I POSTROUTING 1 -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" in script  # on top


@pytest.mark.parametrize("value, words", [("[]", "name at least one runtime"),
                                          ("[cni, cni]", "a runtime is named twice"),
                                          ("[docker, rkt]", "no runtime named 'rkt'")])
def test_a_bad_runtime_list_is_refused_at_its_line(value, words) -> None:
    with pytest.raises(ScenarioError) as e:
        assert lab(node(value)).model is None  # never: the load raises
    assert words in str(e.value) and ":2:" in str(e.value)


def test_a_docker_container_on_the_node_is_still_dockers() -> None:
    m = lab(node("[docker, cni]")).model
    assert m.endpoints["dd"].primary == IPv4Address("172.17.0.2")
    assert m.endpoints["aa"].primary == IPv4Address("10.88.0.2")


@pytest.mark.parametrize("runtime", ["docker", "cni", "[docker, cni]"])
def test_a_container_on_a_host_that_does_not_exist_is_refused(runtime) -> None:
    text = (f"name: hh\nhosts: {{h1: {{runtime: {runtime}}}, h2: {{runtime: {runtime}}}}}\n"
            f"cni: {{podnet: {CONF}}}\ncontainers: {{aa: {{host: nohost}}}}\n")
    with pytest.raises(ScenarioError, match="named 'nohost'"):
        assert lab(text).model is None
