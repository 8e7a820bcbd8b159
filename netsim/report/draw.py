"""Pictures with matplotlib: the topology (with probe results on it), a reachability heatmap,
and the path of one probe hop by hop.

Layout is a grid computed from the model, not a force layout: Docker hosts are columns, each
of their networks a row with its hub on the left and its containers in cells to the right,
overlays a band above the hosts, the LAN a bar below them with the router, `lan`, the peers
and `outside`. Cells are wide enough for their labels, so nothing overlaps (a test checks the
rendered text boxes of every shipped scenario).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from textwrap import fill

import matplotlib.colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

from netsim.links.registry import LINKS
from netsim.model.graph import IfKind, Model, NodeKind

CELL_W, CELL_H = 2.3, 1.05  # one container cell (data units); labels are sized to fit
HUB_W = 2.5
PER_ROW = 4
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#d62728"]
VERDICT_COLOUR = {"reach": "#2ca02c", "open": "#2ca02c", "closed": "#ff9f1c", "blocked": "#d62728",
                  "inconclusive": "#9467bd", "unresolved": "#7f7f7f"}
SHARED = "-."  # container: mode shares a namespace: not a link, drawn dash-dot
LAN_BAR = "lan"  # the LAN segment itself: a thick bar
VETH = LINKS[IfKind.VETH].style.linestyle


@dataclass
class Layout:
    """Where everything is: node -> (x, y) centre; boxes and links to draw."""

    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    boxes: list[tuple[float, float, float, float, str, str]] = field(default_factory=list)
    hubs: list[tuple[float, float, str, str]] = field(default_factory=list)  # x, y, text, colour
    nodes: list[tuple[float, float, str, str, str]] = field(default_factory=list)  # x,y,text,kind,c
    links: list[tuple[tuple[float, float], tuple[float, float], str, str]] = field(
        default_factory=list)
    width: float = 0.0
    height: float = 0.0


def _colours(model: Model) -> dict[str, str]:
    names = sorted({n.name for n in model.networks.values()})
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


class Picture:
    """A figure that shows itself in Jupyter (`_repr_png_`) and saves itself anywhere: no
    pyplot state, no GUI backend, the same in a notebook, a test and the CLI."""

    def __init__(self, figure: Figure):
        self.figure = figure

    def savefig(self, path: str, dpi: int = 130) -> None:
        self.figure.savefig(path, dpi=dpi)

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100)
        return buf.getvalue()


def _figure(width: float, height: float):
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _tint(colour: str, amount: float = 0.2) -> tuple[float, float, float]:
    r, g, b = matplotlib.colors.to_rgb(colour)
    return (1 - amount * (1 - r), 1 - amount * (1 - g), 1 - amount * (1 - b))


def _label(name: str, addr: object = None) -> str:
    text = name if len(name) <= 16 else name[:15] + "…"
    return f"{text}\n{addr}" if addr is not None else text


def layout(model: Model) -> Layout:
    lay = Layout()
    colour = _colours(model)
    hosts = [ns for ns in model.ns.values() if ns.kind == NodeKind.HOST]
    overlays = [n for n in model.networks.values() if n.scope == "swarm"]
    x = 0.0
    tops = []
    for host in hosts:
        x, top = _host_column(model, lay, host.id, x, colour, overlays)
        tops.append(top)
    lay.width = max(x, 8.0)
    top = max(tops, default=2.0)
    for i, net in enumerate(overlays):  # bands above the hosts
        y = top + 1.2 + i * 1.2
        lay.hubs.append((lay.width / 2, y, f"{net.name} (overlay, VNI {net.vni})\n{net.subnet}",
                         colour[net.name]))
        lay.pos[f"net:swarm/{net.name}"] = (lay.width / 2, y)
        for cname in net.endpoints:
            key = f"{cname}@{net.name}"
            if key in lay.pos:
                lay.links.append((lay.pos[key], (lay.width / 2, y - 0.3), LINKS[IfKind.VXLAN].style.linestyle,
                                  colour[net.name]))
    lay.height = top + 1.2 * len(overlays) + 1.0
    _lan(model, lay)
    return lay


def _host_column(model: Model, lay: Layout, host: str, x0: float, colour: dict,
                 overlays: list) -> tuple[float, float]:
    """One Docker host: a box with a row per network it has containers on."""
    rows = [net for net in model.networks.values()
            if net.host == host and (net.endpoints or net.name == "bridge")]
    for net in overlays:
        if any(model.containers[c].host == host for c in net.endpoints):
            rows.append(net)
    special = [c for c, info in model.containers.items()
               if info.host == host and info.mode in ("host", "none", "container")]
    width = HUB_W + CELL_W * min(PER_ROW, max([_count(model, n, host) for n in rows] +
                                             [len(special), 1]))
    y = 0.8
    for net in rows:
        members = [c for c in net.endpoints if model.containers[c].host == host]
        n_rows = max(1, -(-len(members) // PER_ROW))
        hub_y = y + (n_rows - 1) * CELL_H / 2
        text = f"{net.name}\n{net.subnet}" + (f"\n{net.device}" if net.scope == "local" else "")
        lay.hubs.append((x0 + HUB_W / 2, hub_y, text, colour[net.name]))
        hub = (x0 + HUB_W / 2, hub_y)
        for i, cname in enumerate(members):
            cx = x0 + HUB_W + CELL_W * (i % PER_ROW) + CELL_W / 2
            cy = y + CELL_H * (i // PER_ROW)
            addr = net.endpoints[cname].ip
            lay.nodes.append((cx, cy, _label(cname, addr), "container", colour[net.name]))
            lay.pos.setdefault(cname, (cx, cy))
            lay.pos[f"{cname}@{net.name}"] = (cx, cy)
            lay.links.append((hub, (cx, cy), _link_style(model, cname, net.name),
                              colour[net.name]))
        y += CELL_H * n_rows + 0.35
    for i, cname in enumerate(special):
        info = model.containers[cname]
        cx = x0 + HUB_W + CELL_W * (i % PER_ROW) + CELL_W / 2
        cy = y + CELL_H * (i // PER_ROW)
        how = {"host": "host network", "none": "none (lo)",
               "container": f"container:{info.joins}"}[info.mode]
        lay.nodes.append((cx, cy, _label(cname, how), "special", "#555555"))
        lay.pos[cname] = (cx, cy)
        if info.mode == "container" and info.joins in lay.pos:
            lay.links.append((lay.pos[info.joins], (cx, cy), SHARED, "#555555"))
    if special:
        y += CELL_H * -(-len(special) // PER_ROW) + 0.35
    address = model.endpoints[host].addresses["lan"]
    lay.boxes.append((x0 - 0.1, -0.1, width + 0.2, y + 0.2, f"{host}  {address}", "#333333"))
    lay.pos[host] = (x0 + width / 2, -0.1)
    return x0 + width + 0.6, y + 0.2


def _count(model: Model, net, host: str) -> int:
    return sum(1 for c in net.endpoints if model.containers[c].host == host)


def _link_style(model: Model, cname: str, network: str) -> object:
    """The line style of the container's link kind on that network (netsim.links)."""
    ns = model.ns.get(model.endpoints[cname].ns)
    for i in ns.ifaces.values() if ns else ():
        if i.network == network:
            return LINKS[i.kind].style.linestyle
    return LINKS[IfKind.VETH].style.linestyle


def _lan(model: Model, lay: Layout) -> None:
    """The LAN bar under the hosts, and its machines under the bar."""
    bar_y = -1.3
    lay.hubs.append((-1.6, bar_y, "LAN\n" + str(next(
        i.addrs[0].network for i in model.ns["router"].ifaces.values() if i.name == "eth0")),
        "#444444"))
    lay.links.append(((-0.3, bar_y), (lay.width, bar_y), LAN_BAR, "#444444"))
    lan_net = next(i.addrs[0].network for i in model.ns["router"].ifaces.values()
                   if i.name == "eth0")
    on_segment = {}  # host -> its segment, when it sits behind the router
    for ns in model.ns.values():
        if ns.kind == NodeKind.HOST:
            hx, hy = lay.pos[ns.id]
            addr = model.endpoints[ns.id].addresses["lan"]
            if addr in lan_net:
                lay.links.append(((hx, hy), (hx, bar_y), VETH, "#444444"))
            else:
                on_segment[ns.id] = next(i.addrs[0].network for i in ns.ifaces.values()
                                         if addr in (a.ip for a in i.addrs))
    others = [e for e in model.endpoints.values()
              if e.kind in (NodeKind.ROUTER, NodeKind.LAN_PEER)]
    for i, ep in enumerate(others):
        cx = CELL_W * i + CELL_W / 2
        cy = bar_y - 1.2
        lay.nodes.append((cx, cy, _label(ep.name, ep.addresses.get("lan")), "lan", "#444444"))
        lay.pos[ep.name] = (cx, cy)
        lay.links.append(((cx, bar_y), (cx, cy), VETH, "#444444"))
    rx, ry = lay.pos["router"]
    out = model.endpoints["outside"]
    lay.nodes.append((rx, ry - 1.4, _label("outside", out.primary), "lan", "#444444"))
    lay.pos["outside"] = (rx, ry - 1.4)
    lay.links.append(((rx, ry), (rx, ry - 1.4), VETH, "#444444"))
    bottom = ry - 2.2
    for k, segment in enumerate(sorted(set(on_segment.values()))):
        _segment(model, lay, segment, [h for h, s in on_segment.items() if s == segment],
                 bottom - 0.4 - 0.8 * k, k)
        bottom -= 0.8
    lay.height_bottom = bottom  # type: ignore[attr-defined]
    lay.width = max(lay.width, CELL_W * len(others) + 0.5)


def _segment(model: Model, lay: Layout, segment, hosts: list[str], y: float, k: int) -> None:
    """Another L2 segment behind the router: its own bar below the LAN's machines, the
    router's port on it, and the hosts on it dropping to it (not to the LAN)."""
    rx, ry = lay.pos["router"]
    xs = [lay.pos[h][0] for h in hosts]
    x0, x1 = min([rx + 0.5, *xs]), max([rx + 0.5, *xs])
    lay.links.append(((x0, y), (x1, y), LAN_BAR, "#777777"))
    lay.links.append(((rx + 0.5, ry), (rx + 0.5, y), VETH, "#777777"))
    for h in hosts:
        hx, hy = lay.pos[h]
        lay.links.append(((hx, hy), (hx, y), VETH, "#777777"))
    lay.hubs.append((x1 + 1.4, y, f"segment {segment}\nbehind the router", "#777777"))
    lay.width = max(lay.width, x1 + 2.6)


def topology(model: Model, rows: list | None = None, title: str | None = None) -> Figure:
    """The topology; with `rows` (report rows), every expectation drawn as an arrow:
    green met, red not met, dashed when only predicted (nothing observed)."""
    lay = layout(model)
    bottom = getattr(lay, "height_bottom", -4.0)
    w = lay.width + 3.0
    h = lay.height - bottom + 1.0
    fig, ax = _figure(max(8.0, w * 0.95), max(5.0, h * 0.95))
    ax.set_xlim(-3.0, lay.width + 0.5)
    ax.set_ylim(bottom - 0.3, lay.height + 0.3)
    ax.set_aspect("auto")
    ax.axis("off")
    for (x1, y1), (x2, y2), kind, c in lay.links:
        lan = kind == LAN_BAR
        ax.plot([x1, x2], [y1, y2], linestyle="-" if lan else kind, color=c,
                linewidth=3.0 if lan else 1.2, zorder=1, gid=f"link:{kind}")
    for x, y, bw, bh, text, c in lay.boxes:
        ax.add_patch(Rectangle((x, y), bw, bh, fill=False, edgecolor=c, linewidth=1.4, zorder=0,
                               gid="host"))
        ax.text(x + 0.05, y + bh - 0.05, text, fontsize=8, va="top", ha="left", weight="bold",
                gid="label")
    for x, y, text, c in lay.hubs:
        ax.add_patch(FancyBboxPatch((x - HUB_W / 2 + 0.15, y - 0.38), HUB_W - 0.3, 0.76,
                                    boxstyle="round,pad=0.02", facecolor="white", edgecolor=c,
                                    linewidth=1.6, zorder=2, gid="hub"))
        ax.text(x, y, text, fontsize=7, ha="center", va="center", zorder=3, gid="label")
    for x, y, text, kind, c in lay.nodes:  # opaque: links end at the box, not in the text
        ax.add_patch(FancyBboxPatch((x - CELL_W / 2 + 0.12, y - 0.34), CELL_W - 0.24, 0.68,
                                    boxstyle="round,pad=0.02", facecolor=_tint(c),
                                    edgecolor=c, zorder=2, gid=f"node:{kind}"))
        ax.text(x, y, text, fontsize=7, ha="center", va="center", zorder=3, gid="label")
    for r in rows or []:
        _result_arrow(ax, lay, r)
    ax.set_title(title or f"{model.lab}: topology ({model.behaviour()})", fontsize=10)
    fig.tight_layout()
    return fig


def _result_arrow(ax, lay: Layout, row) -> None:
    p = row.probe
    if p.origin == "matrix" or p.src not in lay.pos:
        return
    target = p.to.split(" (")[0]
    if target not in lay.pos:
        return
    met = row.expected_met
    colour = "#2ca02c" if met else "#d62728"
    style = "-" if row.observed else "--"
    arrow = FancyArrowPatch(lay.pos[p.src], lay.pos[target], connectionstyle="arc3,rad=0.25",
                            arrowstyle="-|>", mutation_scale=10, color=colour, linewidth=1.3,
                            shrinkA=16, shrinkB=16,
                            linestyle=style, alpha=0.8, zorder=4,
                            gid=f"result:{'met' if met else 'not-met'}")
    ax.add_patch(arrow)


def heatmap(rows: list, proto: str = "icmp", title: str = "") -> Figure:
    """Source x destination, each cell the verdict (observed where there is one)."""
    cells = [r for r in rows if r.probe.proto == proto and r.probe.origin == "matrix"]
    srcs = sorted({r.probe.src for r in cells})
    dsts = sorted({r.probe.to for r in cells})
    n, m = max(1, len(srcs)), max(1, len(dsts))
    fig, ax = _figure(max(5.0, 0.42 * m + 2.5), max(4.0, 0.38 * n + 2.0))
    index = {(r.probe.src, r.probe.to): r for r in cells}
    for i, s in enumerate(srcs):
        for j, d in enumerate(dsts):
            r = index.get((s, d))
            if r is None:
                continue
            verdict = r.observed or r.predicted.result
            ax.add_patch(Rectangle((j, n - 1 - i), 1, 1, facecolor=VERDICT_COLOUR.get(
                verdict, "#cccccc"), edgecolor="white", gid=f"cell:{verdict}"))
            mark = {"reach": "✓", "open": "✓", "blocked": "✗", "closed": "c"}.get(verdict, "?")
            if r.observed and r.observed != r.predicted.result:
                mark += "!"
            ax.text(j + 0.5, n - 0.5 - i, mark, ha="center", va="center", fontsize=7,
                    color="white")
    ax.set_xlim(0, m)
    ax.set_ylim(0, n)
    ax.set_xticks([j + 0.5 for j in range(len(dsts))], dsts, rotation=60, ha="right",
                  fontsize=7)
    ax.set_yticks([n - 0.5 - i for i in range(len(srcs))], srcs, fontsize=7)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.set_title(title or f"reachability ({proto})", fontsize=10)
    fig.tight_layout()
    return fig


def path(row) -> Figure:
    """One probe hop by hop, with the rule that decided it."""
    hops = row.predicted.path or [row.probe.src]
    fig, ax = _figure(max(6.0, 1.9 * len(hops) + 1), 2.8)
    ax.axis("off")
    ax.set_xlim(-0.2, len(hops) * 1.9)
    ax.set_ylim(-1.6, 1.0)
    verdict = row.observed or row.predicted.result
    colour = VERDICT_COLOUR.get(verdict, "#555555")
    for i, hop in enumerate(hops):
        ax.add_patch(FancyBboxPatch((i * 1.9, 0), 1.5, 0.6, boxstyle="round,pad=0.03",
                                    facecolor="#f4f4f4", edgecolor=colour, gid="hop"))
        ax.text(i * 1.9 + 0.75, 0.3, hop, ha="center", va="center", fontsize=8)
        if i:
            ax.add_patch(FancyArrowPatch(((i - 1) * 1.9 + 1.5, 0.3), (i * 1.9, 0.3),
                                         arrowstyle="-|>", mutation_scale=10, color=colour))
    ax.text(0, -0.2, fill(f"{row.probe.label}: {verdict}. {row.predicted.why}", 150),
            fontsize=7, va="top", ha="left")
    fig.tight_layout()
    return fig


def text_overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of labels whose rendered boxes intersect (used by the tests)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_gid() == "label" and t.get_text().strip():
                boxes.append((t.get_text(), t.get_window_extent(renderer).expanded(0.98, 0.95)))
    bad = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if ba.overlaps(bb):
                bad.append((a, b))
    return bad


def rows_from_json(report: dict) -> list:
    """Report rows from a JSON report (contract), enough to draw them."""
    from types import SimpleNamespace as NS

    out = []
    for p in report.get("probes", []):
        probe = NS(src=p["from"], to=p["to"], proto=p["proto"], origin=p.get("origin", "expect"),
                   label=f"{p['from']} -> {p['to']}")
        predicted = NS(result=p["predicted"], why=p.get("why", ""), path=p.get("path", []))
        met = None if p.get("expected") is None else bool(p.get("ok"))
        out.append(NS(probe=probe, predicted=predicted, observed=p.get("observed"),
                      expected_met=met))
    return out
