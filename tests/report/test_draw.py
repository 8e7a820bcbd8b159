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
    on_networks = {c for n in model.networks.values() for c in n.endpoints}
    special = sum(1 for m in model.containers.values()
                  if m.mode in ("host", "none", "container"))
    assert len(_gids(fig, "node:container")) == len(on_networks)  # each drawn once
    assert len(_gids(fig, "node:special")) == special
    lan_nodes = sum(1 for e in model.endpoints.values()
                    if e.kind in (NodeKind.ROUTER, NodeKind.LAN_PEER, NodeKind.OUTSIDE))
    assert len(_gids(fig, "node:lan")) == lan_nodes
    hosts = sum(1 for ns in model.ns.values() if ns.kind == NodeKind.HOST)
    assert len(_gids(fig, "host")) == hosts
    assert len(_gids(fig, "node:nic")) == hosts
    arrows = _arrows(fig)
    assert len(arrows) == len(_texts(fig, "arrow-label"))  # every arrow says what it shows
    assert fig.legends, "every picture has a legend"


def _arrows(fig) -> list:
    return [p for ax in fig.axes for p in ax.patches if (p.get_gid() or "").startswith("result:")]


def _texts(fig, gid: str) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


def _shape(arrow) -> tuple:
    return (str(arrow.get_linestyle()), type(arrow.get_arrowstyle()).__name__)


def test_an_expected_block_is_drawn_unlike_a_reach_and_both_in_the_met_colour() -> None:
    """The macvlan lesson: docker1 -> web blocked, laptop -> docker1 reach, both met."""
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "macvlan.yml")
    fig = draw.topology(scenario.model, scenario.check().expectations)
    by_verdict: dict[str, set] = {}
    colours = set()
    for a in _arrows(fig):
        _, met, verdict = a.get_gid().split(":")
        assert met == "met"
        by_verdict.setdefault(verdict, set()).add(_shape(a))
        colours.add(a.get_edgecolor())
    assert len(by_verdict["blocked"]) == len(by_verdict["reach"]) == 1
    assert by_verdict["blocked"] != by_verdict["reach"]
    (style_b, head_b), (style_r, head_r) = by_verdict["blocked"].pop(), by_verdict["reach"].pop()
    assert style_b != style_r and head_b != head_r  # line style and end marker both differ
    assert len(colours) == 1  # met is one colour, whatever the verdict
    labels = _texts(fig, "arrow-label")
    assert "80/tcp open, seen from 192.168.1.50" in labels  # port and the source seen
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(t.startswith("blocked") for t in legend)
    assert any(t.startswith("reaches") for t in legend)


def test_macvlan_children_hang_on_the_lan_and_host_arrows_start_at_its_interface() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "macvlan.yml")
    fig = draw.topology(scenario.model, scenario.check().expectations)
    boxes = {t.get_text().split("\n")[0]: t.get_position() for ax in fig.axes for t in ax.texts
             if t.get_gid() == "label"}
    nic = next(p for ax in fig.axes for p in ax.patches if p.get_gid() == "node:nic")
    frame = next(p for ax in fig.axes for p in ax.patches if p.get_gid() == "host")
    for child in ("web", "cam"):  # under the host's frame, above the LAN bar
        assert boxes[child][1] < frame.get_y()
    from_host = [a for a in _arrows(fig) if a.patchA is nic]
    to_host = [a for a in _arrows(fig) if a.patchB is nic]
    assert len(from_host) == 1 and len(to_host) == 2  # docker1 -> web; web, laptop -> docker1


def test_a_container_on_two_networks_is_drawn_once_and_the_lan_box_sits_on_its_bar() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "user-bridges.yml")
    fig = draw.topology(scenario.model, scenario.check().expectations)
    assert [t for t in _texts(fig, "label") if t.startswith("web\n")] == ["web\n172.18.0.2"]
    ax = fig.axes[0]
    bar = next(ln for ln in ax.lines if ln.get_linewidth() == 3.0)
    lan = next(p for p in ax.patches if p.get_gid() == "node:hub"
               and p.contains_point(ax.transData.transform((bar.get_xdata()[0],
                                                             bar.get_ydata()[0]))))
    assert lan is not None
    assert any("icc off" in t for t in _texts(fig, "label"))  # quiet's hub says so


def test_three_hosts_of_twenty_containers_and_an_overlay_stay_readable() -> None:
    hosts = {f"docker{h}": {"address": f"192.168.1.{10 + h}"} for h in range(1, 4)}
    ctrs = "\n".join(f"  c{h}x{i}: {{host: docker{h}, network: ov, listen: [80/tcp]}}"
                      for h in range(1, 4) for i in range(20))
    expect = "\n".join(f"  - {{from: c1x{i}, to: c3x{i}, port: 80/tcp, result: open}}"
                        for i in range(0, 20, 4))
    import yaml

    scenario = lab(f"""name: wide
hosts: {yaml.safe_dump(hosts, default_flow_style=True).strip()}
networks: {{ov: {{driver: overlay, subnet: 10.0.9.0/24}}}}
containers:
{ctrs}
expect:
{expect}
""")
    fig = draw.topology(scenario.model, scenario.check().expectations)
    assert draw.text_overlaps(fig) == []
    assert len(_gids(fig, "node:container")) == 60
    assert len(_arrows(fig)) == 5 == len(_texts(fig, "arrow-label"))


def test_results_show_both_colours_when_an_expectation_fails() -> None:
    scenario = lab("""name: x
containers: {aa: {}, bb: {}}
expect:
  - {from: aa, to: bb, result: reach}
  - {from: lan, to: aa, result: reach}
""")
    report = scenario.check()
    fig = draw.topology(scenario.model, report.expectations)
    assert _gids(fig, "result:met") == ["result:met:reach"]
    assert _gids(fig, "result:not-met") == ["result:not-met:blocked"]
    assert "icmp blocked (expected reach)" in _texts(fig, "arrow-label")


def test_heatmap_has_a_cell_per_pair_in_the_verdicts_colours() -> None:
    from netsim.lab import Lab

    report = Lab.load(SCENARIOS / "user-bridges.yml").check()
    fig = draw.heatmap(report.matrix)
    cells = _gids(fig, "cell:")
    icmp = [r for r in report.matrix if r.probe.proto == "icmp"]
    assert len(cells) == len(icmp)
    assert {"cell:reach", "cell:blocked"} <= set(cells)
    assert {t.get_text() for t in fig.legends[0].get_texts()} >= {"✓ reach", "✗ blocked"}


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
    svg = tmp_path / "topo.svg"
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "macvlan.yml"), "-o", str(svg)])
    assert r.exit_code == 0 and b"<svg" in svg.read_bytes()[:400]
    one = tmp_path / "path.png"
    for kind in (["--kind", "path", "2"], ["--kind", "path 2"]):
        r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "bridge.yml"), *kind, "-o", str(one)])
        assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "bridge.yml"), "--kind", "path 99",
                                  "-o", str(one)])
    assert r.exit_code == 2 and "valid: path 0 .. path 14" in r.output
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "bridge.yml"), "-o", "x.jpg"])
    assert r.exit_code == 2 and ".svg" in r.output


def test_path_picture_has_a_box_per_hop() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "bridge.yml")
    row = scenario.check().expectations[2]  # web -> outside: web, docker1, LAN, router, outside
    fig = draw.path(row)
    assert len(_gids(fig, "hop")) == len(row.predicted.path) == 5
    assert fig.legends


def test_a_host_behind_the_router_hangs_on_its_own_segment() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "flannel-hostgw.yml")
    fig = draw.topology(scenario.model)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("segment 192.168.2.0/24") for t in texts)
    assert draw.text_overlaps(fig) == []
