"""Pictures, checked for what they show (patches and labels), not just that a file appears."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from netsim.cli import main
from netsim.model.graph import NodeKind
from netsim.report import draw
from tests.conftest import SCENARIOS, lab

SHIPPED = sorted(SCENARIOS.glob("*.yml"))


def _gids(fig, prefix: str) -> list[str]:
    return [p.get_gid() for ax in fig.axes for p in ax.patches
            if (p.get_gid() or "").startswith(prefix)]


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_topology_is_readable_and_complete(path) -> None:
    from netsim.lab import Lab

    scenario = Lab.load(path)
    report = scenario.check()
    fig = draw.topology(scenario.model, report.expectations)
    assert draw.text_overlaps(fig) == []
    model = scenario.model
    endpoints = sum(len(n.endpoints) for n in model.networks.values())
    special = sum(1 for m in model.containers.values()
                  if m.mode in ("host", "none", "container"))
    assert len(_gids(fig, "node:container")) == endpoints
    assert len(_gids(fig, "node:special")) == special
    lan_nodes = sum(1 for e in model.endpoints.values()
                    if e.kind in (NodeKind.ROUTER, NodeKind.LAN_PEER, NodeKind.OUTSIDE))
    assert len(_gids(fig, "node:lan")) == lan_nodes
    hosts = sum(1 for ns in model.ns.values() if ns.kind == NodeKind.HOST)
    assert len(_gids(fig, "host")) == hosts


def test_results_show_both_colours_when_an_expectation_fails() -> None:
    scenario = lab("""name: x
containers: {aa: {}, bb: {}}
expect:
  - {from: aa, to: bb, result: reach}
  - {from: lan, to: aa, result: reach}
""")
    report = scenario.check()
    fig = draw.topology(scenario.model, report.expectations)
    assert _gids(fig, "result:met") == ["result:met"]
    assert _gids(fig, "result:not-met") == ["result:not-met"]


def test_heatmap_has_a_cell_per_pair_in_the_verdicts_colours() -> None:
    from netsim.lab import Lab

    report = Lab.load(SCENARIOS / "user-bridges.yml").check()
    fig = draw.heatmap(report.matrix)
    cells = _gids(fig, "cell:")
    icmp = [r for r in report.matrix if r.probe.proto == "icmp"]
    assert len(cells) == len(icmp)
    assert {"cell:reach", "cell:blocked"} <= set(cells)


def test_layout_stays_readable_at_40_containers() -> None:
    nets = {f"n{i}": {} for i in range(4)}
    ctrs = "\n".join(f"  c{i}: {{network: n{i % 4}}}" for i in range(40))
    scenario = lab("name: big\nnetworks: {" + ", ".join(f"{k}: {{}}" for k in nets) + "}\n"
                   f"containers:\n{ctrs}\n")
    fig = draw.topology(scenario.model)
    assert draw.text_overlaps(fig) == []
    assert len(_gids(fig, "node:container")) == 40


def test_netsim_draw_writes_pictures(tmp_path) -> None:
    report = tmp_path / "out.json"
    assert CliRunner().invoke(main, ["check", "-q", str(SCENARIOS / "overlay.yml"),
                                     "--json", str(report)]).exit_code == 0
    out = tmp_path / "topo.png"
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "overlay.yml"), "--report",
                                  str(report), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000
    heat = tmp_path / "heat.png"
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "bridge.yml"), "--kind", "heatmap",
                                  "-o", str(heat)])
    assert r.exit_code == 0 and heat.stat().st_size > 10_000


def test_path_picture_has_a_box_per_hop() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "bridge.yml")
    row = scenario.check().expectations[2]  # web -> outside: web, docker1, LAN, router, outside
    fig = draw.path(row)
    assert len(_gids(fig, "hop")) == len(row.predicted.path) == 5


def test_a_host_behind_the_router_hangs_on_its_own_segment() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "flannel-hostgw.yml")
    fig = draw.topology(scenario.model)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("segment 192.168.2.0/24") for t in texts)
    assert draw.text_overlaps(fig) == []
