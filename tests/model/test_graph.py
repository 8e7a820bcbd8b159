"""The networkx graph is the model's topology: every namespace, interface, link and network
the model holds is in it, and nothing else, on every shipped scenario; a learner can ask it
for a container's path to another (Lab.graph)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from netsim.lab import Lab
from netsim.model.graph import EdgeKind, Model, NodeKind
from tests.architecture.test_imports import ROOT

SCENARIOS = sorted((ROOT.parent / "scenarios").glob("*.yml"))


def _edges(model: Model, kind: EdgeKind) -> set[frozenset]:
    return {frozenset((a, b)) for a, b, k in model.graph.edges(data="kind") if k == kind}


def _agrees(model: Model) -> None:
    g = model.graph
    kinds = dict(g.nodes(data="kind"))
    ifaces = {i.id: i for ns in model.ns.values() for i in ns.ifaces.values()}
    assert {n for n, k in kinds.items() if k == NodeKind.IFACE} == set(ifaces)
    assert {n for n, k in kinds.items() if k not in (NodeKind.IFACE, NodeKind.NETWORK)
            and not n.startswith("ctr:")} == set(model.ns)
    assert {n[4:] for n, k in kinds.items() if k == NodeKind.NETWORK} == set(model.networks)
    assert _edges(model, EdgeKind.VETH) == {frozenset((i.id, i.peer)) for i in ifaces.values()
                                            if i.peer}
    assert _edges(model, EdgeKind.HAS) == {frozenset((i.ns, i.id)) for i in ifaces.values()}
    for key, net in model.networks.items():  # an endpoint's interface is attached
        attached = {b for _, b, k in g.edges(f"net:{key}", data="kind") if k == EdgeKind.ATTACH}
        for name in net.endpoints:
            assert any(a.startswith(f"{model.endpoints[name].ns}/") for a in attached
                       ) or name not in model.endpoints, (key, name)
    shared = {n[4:] for n in g if str(n).startswith("ctr:")}
    assert shared == {n for n, c in model.containers.items()
                      if model.endpoints[n].ns != n and model.endpoints[n].ns in model.ns
                      and c.mode not in ("networks", "none")}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_the_graph_is_the_topology_of_every_shipped_scenario(path: Path) -> None:
    _agrees(Lab.load(path).model)


def test_a_learner_asks_the_graph_for_a_path() -> None:
    lab = Lab.load(ROOT.parent / "scenarios" / "user-bridges.yml")
    hops = nx.shortest_path(lab.model.wires(), "web", "db")
    front, back = (f"docker1/{lab.model.networks[f'docker1/{n}'].device}"
                   for n in ("frontend", "backend"))
    assert hops == ["web", "web/eth0", lab.model.iface("web/eth0").peer, front, "docker1",
                    back, lab.model.iface("db/eth0").peer, "db/eth0", "db"]  # routed by the host
    assert "net:docker1/frontend" in lab.graph and "net:docker1/frontend" not in lab.model.wires()
