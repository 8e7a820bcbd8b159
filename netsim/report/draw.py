"""Pictures with matplotlib: the topology (with probe results on it), a reachability heatmap,
and the path of one probe hop by hop. Where things go is `netsim.report.layout`; how a result
is drawn is `netsim.report.arrows`. Every picture has a legend; sizes grow with the scenario so
labels keep their size and never overlap (a test checks the rendered text boxes).
"""

from __future__ import annotations

import io
from collections import Counter
from textwrap import fill

import matplotlib.colors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle

from netsim.answer.verdict import Verdict
from netsim.links.registry import LINKS
from netsim.model.graph import Model
from netsim.report import arrows
from netsim.report.layout import LAN_BAR, SHARED, Layout, layout

VERDICT_COLOUR = {Verdict.REACH: "#2ca02c", Verdict.OPEN: "#2ca02c", Verdict.CLOSED: "#ff9f1c",
                  Verdict.BLOCKED: "#d62728", Verdict.INCONCLUSIVE: "#9467bd", Verdict.UNRESOLVED: "#7f7f7f"}
MARKS = {Verdict.REACH: "✓", Verdict.OPEN: "✓", Verdict.BLOCKED: "✗", Verdict.CLOSED: "c"}
TITLE_IN, LEGEND_IN = 0.45, 1.15  # inches above and below the drawing
SCALE = 0.95  # inches per data unit
LINK_LABELS = {SHARED: "shared namespace (container:)"}


class Picture:
    """A figure that shows itself in Jupyter (`_repr_png_`) and saves itself anywhere: no
    pyplot state, no GUI backend, the same in a notebook, a test and the CLI. The file's
    extension says the format (.png, .svg, .pdf)."""

    def __init__(self, figure: Figure):
        self.figure = figure

    def savefig(self, path: str, dpi: int = 130) -> None:
        self.figure.savefig(path, dpi=dpi)

    def svg(self) -> str:
        """The picture as an <svg> element to put in a page: its text as text (searchable,
        selectable), no date, ids that are the same on every run."""
        import matplotlib

        buf = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "netsim"}):
            self.figure.savefig(buf, format="svg", metadata={"Date": None})
        text = buf.getvalue()
        return text[text.index("<svg"):]

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


def topology(model: Model, rows: list | None = None, title: str | None = None) -> Figure:
    """The topology; with `rows` (report rows), every expectation as an arrow from the node
    that sends to the node that answers: its shape the verdict, its colour whether the
    expectation held, its label what was probed and the source seen."""
    lay = layout(model)
    x0, y0, y1 = -3.0, lay.bottom - 0.3, lay.top + 0.3
    width = max(8.0, (lay.width + 0.5 - x0) * SCALE)  # inches; data units keep SCALE
    h = (y1 - y0) * SCALE
    height = h + TITLE_IN + LEGEND_IN
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, LEGEND_IN / height, 1.0, h / height))
    ax.set_xlim(x0, x0 + width / SCALE)
    ax.set_ylim(y0, y1)
    ax.axis("off")
    _draw_layout(ax, lay)
    patches = {name: _node(ax, n) for name, n in lay.nodes.items()}
    drawn = _results(fig, ax, patches, [r for r in rows or [] if _drawable(r)])
    seen = "observed on the kernel" if any(r.observed for r in drawn) else \
        "predicted (netsim check)"
    fig.suptitle(title or f"{model.lab}: topology ({model.behaviour()})"
                 + (f"; results {seen}" if drawn else ""), fontsize=10, y=1 - 0.12 / height)
    _legend(fig, lay, drawn)
    return fig


def _draw_layout(ax, lay: Layout) -> None:
    for (xa, ya), (xb, yb), style, c in lay.links:
        bar = style == LAN_BAR
        ax.plot([xa, xb], [ya, yb], linestyle="-" if bar else style, color=c,
                linewidth=3.0 if bar else 1.2, zorder=1, gid=f"link:{style}")
    for x, y, bw, bh, text in lay.frames:
        ax.add_patch(Rectangle((x, y), bw, bh, fill=False, edgecolor="#333333", linewidth=1.4,
                               zorder=0, gid="host"))
        ax.text(x + 0.08, y + bh - 0.08, text, fontsize=9, va="top", ha="left", weight="bold",
                gid="label")


def _node(ax, n) -> FancyBboxPatch:
    """A box, opaque so that links end at its edge, with its text."""
    face = "white" if n.kind == "hub" else ("#eeeeee" if n.kind == "nic" else _tint(n.colour))
    patch = FancyBboxPatch((n.x - n.w / 2, n.y - n.h / 2), n.w, n.h, boxstyle="round,pad=0.02",
                           facecolor=face, edgecolor=n.colour,
                           linewidth=1.6 if n.kind == "hub" else 1.0, zorder=2,
                           gid=f"node:{n.kind}")
    ax.add_patch(patch)
    ax.text(n.x, n.y, n.text, fontsize=7, ha="center", va="center", zorder=3, gid="label")
    return patch


def _drawable(row) -> bool:
    return row.probe.origin != "matrix" and row.probe.proto not in ("run", "dns")


def _results(fig, ax, patches: dict, rows: list) -> list:
    """Each expectation's arrow and label; arrows between the same two nodes bend apart."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in ax.texts]
    taken += [p.get_window_extent(renderer) for p in patches.values()]
    pairs: Counter = Counter()
    drawn = []
    for row in rows:
        src, dst = patches.get(row.probe.src), arrows.target(row, patches)
        if src is None or dst is None or patches[dst] is src:
            continue
        key = frozenset((row.probe.src, dst))
        rad = arrows.RAD * (1 + 0.7 * pairs[key])
        pairs[key] += 1
        a, b = src, patches[dst]
        ax.add_patch(arrows.arrow(row, a, b, rad))
        colour = arrows.COLOURS[row.expected_met][0]
        label = ax.text(0, 0, arrows.text(row), fontsize=6.5, ha="center", va="center",
                        color=colour, zorder=5, gid="arrow-label",
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                              "edgecolor": "none", "alpha": 0.9})
        arrows.place(ax, renderer, label, a, b, taken, rad)
        drawn.append(row)
    return drawn


def _legend(fig, lay: Layout, drawn: list) -> None:
    """What the shapes, colours and line styles mean: only what this picture uses."""
    handles = []
    for v in dict.fromkeys(arrows.verdict(r) for r in drawn):
        shape = arrows.SHAPES.get(v, arrows.OTHER)
        marker = ">" if shape.head == "-|>" else ("|" if "[" in shape.head else "")
        handles.append(Line2D([], [], color="#333333", linestyle=shape.linestyle, marker=marker,
                              markevery=[-1], label=shape.meaning))
    for met in dict.fromkeys(r.expected_met for r in drawn):
        colour, words = arrows.COLOURS[met]
        handles.append(Patch(color=colour, label=words))
    styles = {LINKS[k].style.label: LINKS[k].style.linestyle for k in LINKS}
    for kind in sorted(lay.kinds):
        style = styles.get(kind, SHARED)
        handles.append(Line2D([], [], color="#444444", linestyle=style,
                              label=LINK_LABELS.get(style, f"{kind} link")))
    handles.append(Line2D([], [], color="#444444", linewidth=3.0, label="L2 segment (LAN)"))
    fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)), fontsize=7,
               frameon=False, bbox_to_anchor=(0.5, 0.0))


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
            mark = MARKS.get(verdict, "?")
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
    seen = dict.fromkeys((r.observed or r.predicted.result) for r in cells)
    handles = [Patch(color=VERDICT_COLOUR.get(v, "#cccccc"), label=f"{MARKS.get(v, '?')} {v}")
               for v in seen]
    if any(r.observed and r.observed != r.predicted.result for r in cells):
        handles.append(Patch(color="white", label="! observed differs from the prediction"))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
                   frameon=False)
    return fig


def path(row, trace=None) -> Figure:
    """One probe hop by hop, with the rule that decided it; with a trace (netsim.probe.trace)
    the hops the kernel showed under the predicted ones, each with what it did to the packet
    (a rewrite, a drop), the first difference in red."""
    hops = row.predicted.path or [row.probe.src]
    seen = [h for h in trace.hops if h.saw] if trace is not None else []
    width = max(len(hops), len(seen))
    fig, ax = _figure(max(6.0, 1.9 * width + 1), 2.8 + (2.2 if trace is not None else 0))
    ax.axis("off")
    ax.set_xlim(-0.2, width * 1.9)
    bottom = -1.6 - (2.2 if trace is not None else 0)
    ax.set_ylim(bottom, 1.0)
    verdict = row.observed or row.predicted.result
    colour = VERDICT_COLOUR.get(verdict, "#555555")
    _hop_row(ax, hops, 0.0, colour, "hop")
    ax.text(-0.15, 0.3, "predicted", rotation=90, fontsize=7, va="center", ha="right")
    ax.text(0, -0.2, fill(f"{row.probe.label}: {verdict}. {row.predicted.why}", 150),
            fontsize=7, va="top", ha="left")
    handles = [Patch(facecolor="#f4f4f4", edgecolor=colour,
                     label=f"a hop of the predicted path; verdict {verdict}"),
               Line2D([], [], color=colour, marker=">", markevery=[-1],
                      label="the packet's direction")]
    if trace is not None:
        seen_colour = VERDICT_COLOUR.get(trace.observed.result, "#555555")
        differ = trace.difference or ""
        labels = [h.label for h in seen]
        _hop_row(ax, labels, -2.0, seen_colour, "observed-hop",
                 red={h.label for h in seen if h.label in differ.split(" ")[:8]})
        ax.text(-0.15, -1.7, "observed", rotation=90, fontsize=7, va="center", ha="right")
        for i, h in enumerate(seen):
            did = [d for d in h.decisions() if d.rewrite or d.verdict == "drop"]
            words = "; ".join(f"{d.chain}: {'drop' if d.verdict == 'drop' else d.text}"
                              for d in did[:2])
            if words:
                ax.text(i * 1.9, -2.45, fill(words, 28), fontsize=6, va="top", ha="left",
                        gid="trace-note")
        said = f"first difference: {differ}" if differ else "the traced packet went as predicted"
        ax.text(0, bottom + 0.3, said, fontsize=7,
                color="#d62728" if differ else "#333333", ha="left", va="bottom")
        handles.append(Patch(facecolor="#f4f4f4", edgecolor=seen_colour,
                             label=f"a namespace the traced packet passed; {trace.observed.result}"))
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7,
               frameon=False)
    return fig


def _hop_row(ax, hops: list[str], y: float, colour: str, gid: str,
             red: set[str] | None = None) -> None:
    for i, hop in enumerate(hops):
        edge = "#d62728" if red and hop in red else colour
        ax.add_patch(FancyBboxPatch((i * 1.9, y), 1.5, 0.6, boxstyle="round,pad=0.03",
                                    facecolor="#f4f4f4", edgecolor=edge, gid=gid))
        ax.text(i * 1.9 + 0.75, y + 0.3, hop, ha="center", va="center", fontsize=8)
        if i:
            ax.add_patch(FancyArrowPatch(((i - 1) * 1.9 + 1.5, y + 0.3), (i * 1.9, y + 0.3),
                                         arrowstyle="-|>", mutation_scale=10, color=colour))


def text_overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of labels (of nodes and of arrows) whose rendered boxes intersect (tests)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for ax in fig.axes:
        for t in ax.texts:
            if t.get_gid() in ("label", "arrow-label") and t.get_text().strip():
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
                   label=f"{p['from']} -> {p['to']}", port=p.get("port"), size=p.get("size"),
                   expected=p.get("expected"))
        predicted = NS(result=p["predicted"], why=p.get("why", ""), path=p.get("path", []),
                       source_seen=p.get("source_predicted"))
        met = None if p.get("expected") is None else bool(p.get("ok"))
        out.append(NS(probe=probe, predicted=predicted, observed=p.get("observed"),
                      source_seen=p.get("source_seen"), expected_met=met))
    return out
