"""Pictures with matplotlib: the topology (with probe results on it), a reachability heatmap,
and the path of one probe hop by hop. Where things go is `netsim.report.layout`; how a result
is drawn is `netsim.report.arrows`. Every picture has a legend; sizes grow with the scenario so
labels keep their size and never overlap (a test checks the rendered text boxes).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
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
        """The same bytes for the same picture: SVG text as text, fixed ids, no dates."""

        kind = str(path).rsplit(".", 1)[-1].lower()
        if kind == "svg":
            with open(path, "w", encoding="utf-8") as f:
                f.write(self.svg(document=True))
            return
        meta = {"pdf": {"CreationDate": None, "ModDate": None}}
        self.figure.savefig(path, dpi=dpi, metadata=meta.get(kind))

    def svg(self, document: bool = False) -> str:
        """The picture as SVG: its text as text (searchable, selectable), no date, ids that
        are the same on every run, and a viewBox without a fixed width and height, so that
        a browser scales it to the window or the page. `document`: with the XML prologue
        (a file), else the <svg> element alone (to put in a page)."""
        import matplotlib

        buf = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "netsim"}):
            self.figure.savefig(buf, format="svg", metadata={"Date": None})
        text = buf.getvalue()
        start = text.index("<svg")
        head_end = text.index(">", start)
        head = re.sub(r'\s(width|height)="[^"]*"', "", text[start:head_end])
        return (text[:start] if document else "") + head + text[head_end:]

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


NUMBERED_UP_TO = 24  # expectations drawn one arrow each; more are grouped per pair of places
KEY_LINE_IN = 0.16  # inches per line of the key under the drawing
KEY_COLUMNS = 2


def topology(model: Model, rows: list | None = None, title: str | None = None) -> Figure:
    """The topology; with `rows` (report rows), every expectation as an arrow from the node
    that sends to the node that answers (a DNS expectation: to the node its answer names):
    its shape the verdict, its colour whether the expectation held, its number on it and
    what it says in the key under the picture. Above NUMBERED_UP_TO expectations one arrow
    per pair of places (a container's network, a machine), with its counts."""
    lay = layout(model)
    wanted = [r for r in rows or [] if _drawable(r)]
    grouped = len(wanted) > NUMBERED_UP_TO
    marks = _groups(model, lay, wanted) if grouped else _one_each(model, wanted)
    key_lines = -(-len(marks) // KEY_COLUMNS) if marks else 0
    key_in = key_lines * KEY_LINE_IN + (0.2 if marks else 0)
    x0, y0, y1 = -3.0, lay.bottom - 0.3, lay.top + 0.3
    width = max(8.0, (lay.width + 0.5 - x0) * SCALE)  # inches; data units keep SCALE
    h = (y1 - y0) * SCALE
    height = h + TITLE_IN + LEGEND_IN + key_in
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, (LEGEND_IN + key_in) / height, 1.0, h / height))
    ax.set_xlim(x0, x0 + width / SCALE)
    ax.set_ylim(y0, y1)
    ax.axis("off")
    _draw_layout(ax, lay)
    patches = {name: _node(ax, n) for name, n in lay.nodes.items()}
    drawn = _results(fig, ax, patches, marks)
    _key(fig, marks, drawn, height, key_in)
    results = [r for m in drawn for r in m.rows]
    seen = "observed on the kernel" if any(r.observed for r in results) else \
        "predicted (netsim check)"
    how = f", {len(results)} expectations grouped in {len(drawn)} arrows" if grouped else ""
    fig.suptitle(title or f"{model.lab}: topology ({model.behaviour()})"
                 + (f"; results {seen}{how}" if drawn else ""), fontsize=10,
                 y=1 - 0.12 / height)
    _legend(fig, lay, results, grouped)
    return fig


@dataclass
class Mark:
    """One arrow of the picture: its number on the arc, what the key says of it, the rows it
    stands for (one expectation, or a group), and the two places it joins."""

    number: str
    src: str  # a node of the layout (a container, a machine, a network's hub)
    dst: str | None  # None: no node answers (a name that does not resolve)
    rows: list
    text: str

    @property
    def met(self) -> bool | None:
        said = [r.expected_met for r in self.rows if r.expected_met is not None]
        return None if not said else all(said)

    @property
    def verdict(self) -> str:
        kinds = {arrows.shape_of(r) for r in self.rows}
        return kinds.pop() if len(kinds) == 1 else "mixed"


def _one_each(model: Model, rows: list) -> list[Mark]:
    out = []
    for r in rows:
        number = r.probe.origin.removeprefix("expect[").removesuffix("]")
        out.append(Mark(number, r.probe.src, _answer_node(model, r), [r], arrows.key_text(r)))
    return out


def _answer_node(model: Model, row) -> str | None:
    """The node an arrow ends at when its name is not one: a DNS expectation's answer, or
    the address a by-name probe (an alias, a --link name) was sent to."""
    if row.probe.proto == "dns":
        answer = str(arrows.verdict(row))
    else:
        got = getattr(row, "seen", None) or row.predicted
        answer = str(getattr(got, "dst", None) or "")
    if not answer or row.probe.to in model.endpoints:
        return None
    for name, ep in model.endpoints.items():
        if any(str(a) == answer for a in (*ep.addresses.values(), *ep.addresses6.values())):
            return name
    return None


def _place_of(model: Model, lay: Layout, name: str) -> str:
    """Where a group of arrows starts or ends for a node: a container's first network's hub,
    else the node itself."""
    info = model.containers.get(name)
    if info is not None:
        for net in info.networks:
            key = f"hub:{info.host}/{net}"
            if key in lay.nodes:
                return key
    return name


def _groups(model: Model, lay: Layout, rows: list) -> list[Mark]:
    """One arrow per (place, place): each row goes from its source's place to its target's."""
    nodes = dict.fromkeys(lay.nodes)
    by: dict[tuple[str, str | None], list] = {}
    for r in rows:
        dst = _answer_node(model, r) or arrows.target(r, nodes)
        key = (_place_of(model, lay, r.probe.src),
               _place_of(model, lay, dst) if dst is not None else None)
        by.setdefault(key, []).append(r)
    out = []
    for k, ((a, b), group) in enumerate(sorted(by.items(), key=lambda kv: (kv[0][0],
                                                                          kv[0][1] or "")), 1):
        counts = Counter(arrows.verdict(r) for r in group)
        bad = sum(r.expected_met is False for r in group)
        words = ", ".join(f"{n} {v}" for v, n in counts.most_common())
        where = f"{_short(a)} -> {_short(b) if b else '(no answer)'}"
        out.append(Mark(f"G{k}", a, b, group, f"{where}: {len(group)} expectations, {words}"
                        + (f"; {bad} NOT MET" if bad else "")))
    return out


def _short(place: str) -> str:
    return place.removeprefix("hub:").replace("/", " ")


def _results(fig, ax, patches: dict, marks: list[Mark]) -> list[Mark]:
    """Each mark's arrow and its number on it; arrows between the same two nodes bend
    apart. The number sits on the arc, where it covers no other label."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    taken = [t.get_window_extent(renderer) for t in ax.texts]
    taken += [p.get_window_extent(renderer) for p in patches.values()]
    pairs: Counter = Counter()
    drawn = []
    for m in marks:
        src = patches.get(m.src)
        dst = m.dst if m.dst is not None else arrows.target(m.rows[0], patches)
        if src is None or dst is None or patches[dst] is src:
            continue
        key = frozenset((m.src, dst))
        rad = arrows.RAD * (1 + 0.7 * pairs[key])
        pairs[key] += 1
        a, b = src, patches[dst]
        ax.add_patch(arrows.arrow(m, a, b, rad))
        colour = arrows.COLOURS[m.met][0]
        label = ax.text(0, 0, m.number, fontsize=6.5, ha="center", va="center",
                        color="white", weight="bold", zorder=5, gid="arrow-label",
                        bbox={"boxstyle": "circle,pad=0.2", "facecolor": colour,
                              "edgecolor": "white", "linewidth": 0.8})
        arrows.place(ax, renderer, label, a, b, taken, rad)
        drawn.append(m)
    return drawn


def _key(fig, marks: list[Mark], drawn: list[Mark], height: float, key_in: float) -> None:
    """What each number says, in columns under the drawing, coloured as its arrow; an
    expectation with no arrow (to the sender itself, to no node) is said there too."""
    if not marks:
        return
    lines = -(-len(marks) // KEY_COLUMNS)
    top = (LEGEND_IN + key_in - 0.1) / height
    on = {id(m) for m in drawn}
    for i, m in enumerate(marks):
        col, row = divmod(i, lines)
        note = "" if id(m) in on else (
            "  (no arrow: to itself)" if m.dst in (None, m.src) and m.rows[0].probe.proto
            != "dns" else "  (no arrow: no node holds the answer)")
        fig.text(0.03 + col / KEY_COLUMNS, top - row * KEY_LINE_IN / height,
                 f"{m.number}  {m.text}{note}", fontsize=7, va="top", ha="left",
                 color=arrows.COLOURS[m.met][0], gid="key")


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
    return row.probe.origin != "matrix" and row.probe.proto != "run"


def _legend(fig, lay: Layout, drawn: list, grouped: bool = False) -> None:
    """What the shapes, colours and line styles mean: only what this picture uses."""
    handles = []
    kinds = dict.fromkeys(arrows.shape_of(r) for r in drawn)
    if grouped and len(kinds) > 1:
        kinds["mixed"] = None
    for v in kinds:
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


# the heatmap's cells say the verdict in a neutral fill and a mark (the shape); green and red
# are kept for what they mean on every picture: an expectation met or not, an observation
# that differs from the prediction
CELL_FILL = {Verdict.REACH: "#b9cfe6", Verdict.OPEN: "#b9cfe6", Verdict.CLOSED: "#f3dcb5",
             Verdict.BLOCKED: "#f2f2f2", Verdict.INCONCLUSIVE: "#dcd3ea",
             Verdict.UNRESOLVED: "#e0e0e0"}


def heatmap(rows: list, proto: str = "icmp", title: str = "") -> Figure:
    """Source x destination, each cell the verdict (observed where there is one): a neutral
    fill and a mark. An expectation on the pair outlines the cell in its met / not-met
    colour; an observation puts a dot in its corner, red with "!" where it differs."""
    cells = [r for r in rows if r.probe.proto == proto and r.probe.origin == "matrix"]
    said = {(r.probe.src, r.probe.to): r for r in rows
            if r.probe.proto == proto and r.probe.origin != "matrix"
            and r.expected_met is not None}
    srcs = sorted({r.probe.src for r in cells})
    dsts = sorted({r.probe.to for r in cells})
    n, m = max(1, len(srcs)), max(1, len(dsts))
    fig, ax = _figure(max(5.0, 0.42 * m + 2.5), max(4.0, 0.38 * n + 2.0))
    index = {(r.probe.src, r.probe.to): r for r in cells}
    marks: set[str] = set()
    for i, s in enumerate(srcs):
        for j, d in enumerate(dsts):
            r = index.get((s, d))
            if r is None:
                continue
            verdict = r.observed or r.predicted.result
            x, y = j, n - 1 - i
            ax.add_patch(Rectangle((x, y), 1, 1, facecolor=CELL_FILL.get(verdict, "#cccccc"),
                                   edgecolor="white", gid=f"cell:{verdict}"))
            differs = bool(r.observed) and r.observed != r.predicted.result
            ax.text(x + 0.5, y + 0.5, MARKS.get(verdict, "?") + ("!" if differs else ""),
                    ha="center", va="center", fontsize=7, color="#333333")
            e = said.get((s, d))
            if e is not None:
                colour, _ = arrows.COLOURS[e.expected_met]
                ax.add_patch(Rectangle((x + 0.06, y + 0.06), 0.88, 0.88, fill=False,
                                       edgecolor=colour, linewidth=1.6, gid="mark:expected"))
                marks.add("expected")
            if r.observed:
                kind = "differs" if differs else "observed"
                ax.add_patch(Rectangle((x + 0.72, y + 0.72), 0.2, 0.2, linewidth=0,
                                       facecolor=arrows.NOT_MET if differs else "#333333",
                                       gid=f"mark:{kind}"))
                marks.add(kind)
    ax.set_xlim(0, m)
    ax.set_ylim(0, n)
    ax.set_xticks([j + 0.5 for j in range(len(dsts))], dsts, rotation=60, ha="right",
                  fontsize=7)
    ax.set_yticks([n - 0.5 - i for i in range(len(srcs))], srcs, fontsize=7)
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.set_title(title or f"reachability ({proto})", fontsize=10)
    seen = dict.fromkeys((r.observed or r.predicted.result) for r in cells)
    handles = [Patch(facecolor=CELL_FILL.get(v, "#cccccc"), edgecolor="#999999",
                     label=f"{MARKS.get(v, '?')} {v}") for v in seen]
    if "expected" in marks:
        handles += [Patch(fill=False, edgecolor=c, linewidth=1.6, label=w)
                    for met, (c, w) in arrows.COLOURS.items() if met is not None and any(
                        e.expected_met is met for e in said.values())]
    if "observed" in marks:
        handles.append(Patch(color="#333333", label="observed as predicted"))
    if "differs" in marks:
        handles.append(Patch(color=arrows.NOT_MET, label="! observed differs from the "
                             "prediction"))
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=min(4, len(handles)),
                   fontsize=7, frameon=False)
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
    colour = arrows.COLOURS[row.expected_met][0]  # met / not met, as on every picture
    _hop_row(ax, hops, 0.0, colour, "hop")
    ax.text(-0.15, 0.3, "predicted", rotation=90, fontsize=7, va="center", ha="right")
    ax.text(0, -0.2, fill(f"{row.probe.label}: {verdict}. {row.predicted.why}", 150),
            fontsize=7, va="top", ha="left")
    handles = [Patch(facecolor="#f4f4f4", edgecolor=colour,
                     label=f"a hop of the predicted path ({verdict}; "
                     f"{arrows.COLOURS[row.expected_met][1]})"),
               Line2D([], [], color=colour, marker=">", markevery=[-1],
                      label="the packet's direction")]
    if trace is not None:
        differ = trace.difference or ""
        seen_colour = arrows.NOT_MET if differ else colour
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
