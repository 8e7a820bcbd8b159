"""Pictures, checked for what they show (patches and labels), not just that a file appears."""

from __future__ import annotations

import itertools

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


def _key(fig) -> list[str]:
    return [t.get_text() for t in fig.texts if t.get_gid() == "key"]


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
    keys = _key(fig)
    assert any("80/tcp: open, seen from 192.168.1.50" in k for k in keys)  # the source seen
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
    assert "1  lan -> aa icmp: blocked (expected reach: NOT MET)" in _key(fig)


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


def _fifty_on_twenty():
    """20 containers on 4 networks of 2 hosts, 50 expectations of every kind."""
    nets = "\n".join(f"  n{i}: {{host: docker{1 + i % 2}}}" for i in range(4))
    ctrs = "\n".join(f"  c{i}: {{network: n{i % 4}, listen: [80/tcp]}}" for i in range(20))
    expect = []
    for k in range(50):
        a, b = k % 20, (k * 7 + 3) % 20
        if a == b:
            b = (b + 1) % 20
        if k % 3 == 0:
            expect.append(f"  - {{from: c{a}, to: c{b}, port: 80/tcp, result: "
                          f"{'open' if a % 4 == b % 4 else 'blocked'}}}")
        elif k % 3 == 1:
            expect.append(f"  - {{from: c{a}, to: outside, port: 80/tcp, result: open}}")
        else:
            expect.append(f"  - {{from: lan, to: c{b}, result: reach}}")  # not met: blocked
    return lab(f"name: fifty\nhosts: {{docker1: {{}}, docker2: {{}}}}\nnetworks:\n{nets}\n"
               f"containers:\n{ctrs}\nexpect:\n" + "\n".join(expect) + "\n")


def _distance_to_arc(fig, arrow, label) -> float:
    """How far (display px) a label's centre is from the arrow it numbers."""
    import numpy as np

    fig.canvas.draw()
    box = label.get_window_extent(fig.canvas.get_renderer())
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    path = arrow.get_transform().transform_path(arrow.get_path())
    points = np.concatenate(path.to_polygons(closed_only=False))
    segs = itertools.pairwise(points)
    best = float("inf")
    for p, q in segs:
        d = q - p
        t = 0.0 if not d.any() else float(np.clip(np.dot(centre - p, d) / np.dot(d, d), 0, 1))
        best = min(best, float(np.linalg.norm(centre - (p + t * d))))
    return best


def test_fifty_expectations_on_twenty_containers_stay_readable_grouped() -> None:
    from netsim.report.arrows import NEAR_PX

    scenario = _fifty_on_twenty()
    report = scenario.check()
    assert len(report.expectations) == 50
    fig = draw.topology(scenario.model, report.expectations)
    assert draw.text_overlaps(fig) == []
    arrows, labels = _arrows(fig), [t for ax in fig.axes for t in ax.texts
                                    if t.get_gid() == "arrow-label"]
    assert 0 < len(arrows) == len(labels) < 25  # grouped: one arrow per pair of places
    for arrow, label in zip(arrows, labels, strict=True):
        assert _distance_to_arc(fig, arrow, label) <= NEAR_PX + 1, label.get_text()
    keys = _key(fig)
    assert sum(int(k.split(": ")[1].split()[0]) for k in keys) == 50  # every one counted
    assert any("NOT MET" in k for k in keys) and "grouped in" in fig._suptitle.get_text()


def test_every_number_sits_on_its_arrow_in_every_shipped_topology() -> None:
    from netsim.lab import Lab
    from netsim.report.arrows import NEAR_PX

    for path in SHIPPED:
        scenario = Lab.load(path)
        fig = draw.topology(scenario.model, scenario.check().expectations)
        labels = [t for ax in fig.axes for t in ax.texts if t.get_gid() == "arrow-label"]
        for arrow, label in zip(_arrows(fig), labels, strict=True):
            assert _distance_to_arc(fig, arrow, label) <= NEAR_PX + 1, (path.stem,
                                                                     label.get_text())


def test_dns_answers_are_drawn_to_the_node_they_name() -> None:
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "names.yml")
    report = scenario.check()
    fig = draw.topology(scenario.model, report.expectations)
    dns = [a for a in _arrows(fig) if a.get_gid().endswith(":dns")]
    assert len(dns) >= 8
    keys = _key(fig)
    assert len(keys) == len(report.expectations)  # every expectation in the key
    assert "0  web resolve api: 172.18.0.2" in keys
    assert any("nxdomain  (no arrow: no node holds the answer)" in k for k in keys)


def test_the_heatmap_marks_expectations_and_observations() -> None:
    from netsim.answer.outcome import Outcome
    from netsim.answer.verdict import Verdict
    from netsim.lab import Lab

    scenario = Lab.load(SCENARIOS / "user-bridges.yml")
    report = scenario.check()
    bare = draw.heatmap(report.matrix)
    rows = [*report.expectations, *report.matrix]
    marked = draw.heatmap(rows)
    flipped = next(r for r in report.matrix if r.probe.proto == "icmp"
                   and r.predicted.result == Verdict.REACH)
    flipped.seen = Outcome(Verdict.BLOCKED, None, [], evidence=["x"])
    same = next(r for r in report.matrix if r.probe.proto == "icmp" and r is not flipped)
    same.seen = Outcome(same.predicted.result, None, [], evidence=["y"])
    observed = draw.heatmap(rows)
    assert _gids(bare, "mark:") == []
    assert _gids(marked, "mark:expected") and not _gids(marked, "mark:differs")
    assert len(_gids(observed, "mark:differs")) == 1 and _gids(observed, "mark:observed")
    colours = {c.get_facecolor() for ax in bare.axes for c in ax.patches
               if (c.get_gid() or "").startswith("cell:")}
    assert all(c[:3] not in ((0.17, 0.63, 0.17),) for c in colours)


def test_a_report_of_another_scenario_is_refused(tmp_path) -> None:
    report = tmp_path / "b.json"
    CliRunner().invoke(main, ["check", "-q", str(SCENARIOS / "bridge.yml"), "--json",
                              str(report)])
    r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "overlay.yml"), "--report",
                                  str(report), "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2 and "is the report of lab 'bridge'; 'overlay' is another" in r.output


def test_two_svg_renderings_are_the_same_bytes_with_real_text_and_a_viewbox(tmp_path) -> None:
    outs = []
    for k in range(2):
        out = tmp_path / f"t{k}.svg"
        r = CliRunner().invoke(main, ["draw", str(SCENARIOS / "overlay.yml"), "-o", str(out)])
        assert r.exit_code == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    head = outs[0][:600].decode()
    assert 'viewBox="' in head and ' width="' not in head.split("<svg", 1)[1].split(">")[0]
    assert b"<text" in outs[0] and b"Date" not in outs[0]


@pytest.mark.skipif(__import__("shutil").which("chromium") is None, reason="needs chromium")
def test_the_svg_opened_in_chromium_has_its_labels_as_text(tmp_path) -> None:
    from tests.report.test_html import dom

    out = tmp_path / "bridge.svg"
    CliRunner().invoke(main, ["draw", str(SCENARIOS / "bridge.yml"), "-o", str(out)])
    page = tmp_path / "page.html"
    svg = out.read_text()
    page.write_text('<!doctype html><html><body>' + svg[svg.index("<svg"):] +
                    '<script>document.body.dataset.texts = [...document.querySelectorAll('
                    '"svg text")].map(t => t.textContent.trim()).join("|");</script>'
                    "</body></html>")
    html = dom(page, "", tmp_path)
    texts = html.split('data-texts="', 1)[1].split('"', 1)[0]
    for label in ("web", "client", "docker1", "lan -&gt; docker1 8080/tcp"):
        assert label in texts, label
