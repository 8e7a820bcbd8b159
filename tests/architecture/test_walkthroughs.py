"""The two walk-throughs of docs/architecture.md, done for real.

A CNI plugin is one module and one registry line: nothing else imports a plugin's module or
names its type. A runtime is one package and one registry line: a stand-in runtime, written
here as its own package would be, is registered with one line and the shared layers — the
model, the predictor, plan, the session's tool seam, the reports — take it unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import networkx as nx
import pytest

from netsim.answer.verdict import Verdict
from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.model.graph import ContainerInfo, Iface, IfKind, NodeKind, Route, ToolRun
from netsim.realize import tools
from netsim.runtime import registry, schema
from netsim.runtime.cni.registry import PLUGINS
from netsim.runtime.contract import Runtime
from netsim.runtime.docker.registry import DRIVERS
from netsim.scenario.schema import Container, Host, IPv4, Net, Strict
from tests.architecture.test_imports import ROOT, _module, _words, graph
from tests.conftest import lab

# --- a CNI plugin: one module, one registry line --------------------------------------


# a type spelled like another concept (a link kind, a Docker driver, flanneld's package and
# `flannel:` key, calico-node's `calico:` key)
SAME_WORD = {k.value for k in IfKind} | set(DRIVERS) | {"flannel", "calico"}
# the one place outside the CNI runtime that reads plugins by type: what a conflist promises
# (ipMasq on bridge and ptp gives egress), to write a conflist's expectations
PROMISES = "netsim.scenario.conflists"


@pytest.fixture(scope="module")
def house() -> nx.DiGraph:
    return graph()


@pytest.mark.parametrize("kind", sorted(PLUGINS))
def test_a_cni_plugin_is_one_module_and_one_registry_line(kind: str, house: nx.DiGraph) -> None:
    module = PLUGINS[kind].__name__
    users = sorted(u for u in house.predecessors(module) if u not in (
        "netsim.runtime.cni.registry") and not u.startswith("netsim.runtime.cni.plugins."))
    assert not users, f"{module} is imported by {users}: a plugin is one module"
    if kind in SAME_WORD:
        return
    files = {_module(p): p for p in ROOT.rglob("*.py")}
    naming = [name for name, path in files.items()
              if not name.startswith("netsim.runtime.cni") and name != PROMISES
              and any(word == kind for _, word in _words(path))]
    assert not naming, f"the type {kind!r} is named in {naming}: the registry line is enough"


def test_host_device_moves_a_node_link_through_the_shared_mechanism_only() -> None:
    """host-device, the plugin that moved a node's NIC into a pod, uses `Iface.born` and
    `Model.move_iface`, which every runtime has; no shared module knows the plugin."""
    path = Path(PLUGINS["host-device"].__file__)
    text = path.read_text()
    assert "move_iface" in text and "born" in text
    assert not nx.descendants(graph(), _module(path)) & {
        "netsim.realize.netlink", "netsim.predict.walk", "netsim.report.layout"}


# --- a runtime: one package, one registry line ----------------------------------------
# What follows is the whole of a stand-in runtime "plain": each container gets one veth to
# its host, an address of 10.99.0.0/24 and the host's end as its gateway (the shape of the
# CNI ptp plugin), a lowercase-only name rule, and one real tool run per container.

SUBNET = IPv4Network("10.99.0.0/24")
GATEWAY = IPv4Address("10.99.0.1")
NAME_RULE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


@dataclass
class Hello(ToolRun):
    address: str = ""


class PlainSection(Strict):
    subnet: Net = IPv4Network("10.99.0.0/24")


class Keys(Strict):
    plain: PlainSection = PlainSection()


class HostKeys(Strict):
    plain_gateway: IPv4 = IPv4Address("10.99.0.1")


def build(asm: Assembly, hosts: dict[str, Host], containers: dict[str, Container]) -> None:
    SUBNET = asm.sc.plain.subnet
    for k, (name, spec) in enumerate(containers.items()):
        host = spec.host or next(iter(hosts))
        GATEWAY = hosts[host].plain_gateway
        asm.model.ns[host].forward_on("plain")
        ip = SUBNET.network_address + k + 2
        asm.add_ns(name, NodeKind.CONTAINER, name, host=host)
        outer = asm.model.add_iface(Iface(host, f"pl{k}", IfKind.VETH, [
            IPv4Interface(f"{GATEWAY}/32")], asm.mac(("plain", host, k))))
        inner = asm.model.add_iface(Iface(name, "eth0", IfKind.VETH, [
            IPv4Interface(f"{ip}/{SUBNET.prefixlen}")], asm.mac(("plain", name)),
            prefix_route=False))
        asm.model.link_veth(outer, inner)
        asm.model.ns[host].routes.append(Route(IPv4Network(f"{ip}/32"), outer.name))
        asm.model.ns[name].routes += [Route(IPv4Network(f"{GATEWAY}/32"), "eth0"),
                                      Route(IPv4Network("0.0.0.0/0"), "eth0", via=GATEWAY)]
        asm.endpoint(name, NodeKind.CONTAINER, name, {"plain": ip})
        asm.listen(asm.model.ns[name], spec.listen or [], f"{name}'s app")
        asm.model.containers[name] = ContainerInfo(name, asm.digest("c", name), host, "plain",
                                                   "networks", None, ["plain"])
        asm.model.tool_runs.append(Hello("hello", name, host, address=str(ip)))
    asm.model.behaviours.append("plain 1")


def hello(step: ToolRun, ctx: tools.ToolContext) -> tools.Said:
    assert isinstance(step, Hello)
    return tools.Said(findings=[f"{step.container} in {ctx.names[step.container]} at "
                                f"{step.address}"])


PLAIN = Runtime(build, per_node=True,
                container_name=lambda n: None if NAME_RULE.match(n) else
                f"a plain pod name is lowercase ({n})", tools={"hello": hello},
                keys=Keys, host_keys=HostKeys)

SCENARIO = """
name: plainlab
hosts: {node1: {runtime: plain}}
containers: {a: {}, web: {listen: [80/tcp]}}
expect:
  - {from: a, to: web, port: 80/tcp, result: open, source: a}
  - {from: web, to: a, result: reach}
  - {from: a, to: outside, result: blocked}
"""


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(registry.RUNTIMES, "plain", PLAIN)  # the one registry line,
    # and what it does at import: the format takes the runtime's keys
    monkeypatch.setattr(schema, "Scenario", schema.compose(registry.RUNTIMES)[0])


def test_a_runtime_is_one_package_and_one_registry_line(plain) -> None:
    report = lab(SCENARIO).check()
    assert [r.predicted.result for r in report.expectations] == [
        Verdict.OPEN, Verdict.REACH, Verdict.BLOCKED]  # no NAT: outside cannot answer
    assert report.model.behaviour() == "plain 1" and report.matrix
    assert report.model.endpoints["web"].primary == IPv4Address("10.99.0.3")


def test_its_name_rule_and_its_tools_are_its_own(plain, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"a plain pod name is lowercase \(Web\)"):
        assert lab(SCENARIO.replace("web", "Web")).model is None
    model = lab(SCENARIO).model
    ctx = tools.ToolContext("plainlab", {n: f"nsim-plainlab.{n}" for n in model.ns}, tmp_path)
    said = tools.run(model, ctx, {"hello": hello})
    assert said.findings == ["a in nsim-plainlab.a at 10.99.0.2",
                             "web in nsim-plainlab.web at 10.99.0.3"]


def test_its_keys_are_read_with_the_rest_and_only_where_it_runs(plain) -> None:
    text = SCENARIO.replace("{node1: {runtime: plain}}",
                            "{node1: {runtime: plain, plain_gateway: 10.98.0.1}}")
    moved = lab(text + "plain: {subnet: 10.98.0.0/24}\n").model
    assert moved.endpoints["web"].primary == IPv4Address("10.98.0.3")
    assert moved.ns["node1"].routes[-1].dst == IPv4Network("10.98.0.3/32")
    with pytest.raises(ScenarioError, match=r'"10.98.0.0/33" is not a subnet') as bad:
        assert lab(text + "plain: {subnet: 10.98.0.0/33}\n") is None
    assert bad.value.where.line == 9  # the user's line, as any other key's
    with pytest.raises(ScenarioError, match="'plain_gateway' is a key of the plain runtime; "
                       "node1 runs docker"):
        assert lab(text.replace("runtime: plain, ", "")).model is None
    with pytest.raises(ScenarioError, match="unknown key 'plian'") as typo:
        assert lab(text + "plian: {}\n") is None
    assert "plain" in str(typo.value.valid) and "docker" in str(typo.value.valid)
