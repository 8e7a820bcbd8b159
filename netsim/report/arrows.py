"""Results drawn on the topology: one arrow per expectation, from the node that sends to the
node that answers.

The verdict is the arrow's shape (a head for "gets there", a bar for "stopped": solid when the
destination refused it, dashed when it never got there), whether the expectation held is its
colour. So an expected and confirmed block reads as a block, not as a green path. Every arrow
carries what was probed and the source the server saw, placed where no other label is.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.patches import FancyArrowPatch

from netsim.answer.verdict import Verdict

RAD = 0.25  # the arcs' bend: two arrows between the same nodes curve apart, a third further


@dataclass(frozen=True)
class Shape:
    linestyle: object
    head: str  # a matplotlib arrowstyle
    meaning: str  # for the legend


# the verdict -> the arrow's shape (data: the legend is drawn from this table)
SHAPES = {
    Verdict.REACH: Shape("-", "-|>", "reaches (ping answered)"),
    Verdict.OPEN: Shape("-", "-|>", "open (the service answered)"),
    Verdict.CLOSED: Shape("-", "-[, widthB=0.5, lengthB=0", "closed (reached, refused: RST / port "
                    "unreachable)"),
    Verdict.BLOCKED: Shape((0, (4, 2)), "-[, widthB=0.5, lengthB=0", "blocked (dropped, no route)"),
    Verdict.INCONCLUSIVE: Shape(":", "-", "inconclusive (no evidence either way)"),
    Verdict.UNRESOLVED: Shape(":", "-", "unresolved (the name did not resolve)"),
    "dns": Shape((0, (1, 1.5)), "-|>", "a name resolves to that node (DNS)"),
    "mixed": Shape((0, (6, 2, 1, 2)), "-|>", "several verdicts (a group: see its key)"),
}
OTHER = Shape(":", "-", "other")
# whether the expectation held -> colour
MET, NOT_MET, UNSAID = "#1a7f37", "#d62728", "#6e7781"
COLOURS = {True: (MET, "expectation met"), False: (NOT_MET, "expectation not met"),
           None: (UNSAID, "no expectation")}


def verdict(row) -> str:
    return row.observed or row.predicted.result


def shape_of(row) -> str:
    """The SHAPES key of one row: its verdict, or "dns" for a name that resolved."""
    return "dns" if row.probe.proto == "dns" and verdict(row) not in SHAPES else verdict(row)


def target(row, nodes: dict) -> str | None:
    """The node the probe's answer comes from: a name, `host@network` (the host's address on
    that network: its hub), or `container@network` (the container)."""
    to = row.probe.to.split(" (")[0]
    if to in nodes:
        return to
    name, _, net = to.partition("@")
    for key in (f"hub:{name}/{net}", name):  # a host's address there, else the container
        if net and key in nodes:
            return key
    return None


def key_text(row) -> str:
    """What the key under the picture says of one expectation's arrow."""
    p = row.probe
    if p.proto == "dns":
        words = f"{p.src} {p.to}: {verdict(row)}"
    else:
        service = f"{p.port}/{p.proto}" if p.port else (
            f"icmp {p.size}B" if getattr(p, "size", None) else p.proto)
        words = f"{p.src} -> {p.to} {service}: {verdict(row)}"
    seen = row.source_seen if row.observed else getattr(row.predicted, "source_seen", None)
    if seen is not None and verdict(row) == Verdict.OPEN:
        words += f", seen from {seen}"
    if row.expected_met is False:
        words += f" (expected {p.expected}: NOT MET)"
    return words


def arrow(mark, a, b, rad: float = RAD) -> FancyArrowPatch:
    """The arrow of a mark (draw.Mark: one expectation or a group) between two node patches
    (it starts and ends at their edges): its shape the verdict, its colour met or not."""
    shape = SHAPES.get(mark.verdict, OTHER)
    colour = COLOURS[mark.met][0]
    met = {True: "met", False: "not-met", None: "unsaid"}[mark.met]
    return FancyArrowPatch(posA=_centre(a), posB=_centre(b), patchA=a, patchB=b,
                           connectionstyle=f"arc3,rad={rad}", arrowstyle=shape.head,
                           mutation_scale=11, color=colour, linewidth=1.4,
                           linestyle=shape.linestyle, shrinkA=1, shrinkB=1, zorder=4,
                           gid=f"result:{met}:{mark.verdict}")


def _centre(patch) -> tuple[float, float]:
    box = patch.get_bbox()
    return ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)


def along(ax, a, b, t: float, rad: float = RAD) -> tuple[float, float]:
    """The point at t (0..1) of the arc between two patches' centres, in display units: the
    quadratic Bezier matplotlib's arc3 draws."""
    (x1, y1), (x2, y2) = (ax.transData.transform(_centre(p)) for p in (a, b))
    cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
    u = 1 - t
    return (u * u * x1 + 2 * u * t * cx + t * t * x2, u * u * y1 + 2 * u * t * cy + t * t * y2)


# where on its arc a number may sit (0..1), best first; and how far off the arc (display px):
# a number stays on its arrow (a test measures the distance)
CANDIDATES = tuple(sorted((k / 40 for k in range(4, 37)), key=lambda t: abs(t - 0.5)))
NUDGES = ((0, 0), (0, 6), (0, -6), (6, 0), (-6, 0))
NEAR_PX = 9.0  # the farthest a number sits from its arc


def place(ax, renderer, label, a, b, taken: list, rad: float = RAD) -> None:
    """Move the arrow's number to the first point of its arc (then just beside it) where it
    covers no other label or box; `taken` holds the display boxes already used."""
    inverse = ax.transData.inverted()
    best = None
    for dx, dy in NUDGES:
        for t in CANDIDATES:
            x, y = along(ax, a, b, t, rad)
            label.set_position(inverse.transform((x + dx, y + dy)))
            box = label.get_window_extent(renderer)
            hits = sum(1 for other in taken if box.overlaps(other))
            if hits == 0:
                taken.append(box)
                return
            if best is None or hits < best[0]:
                best = (hits, (x + dx, y + dy))
    label.set_position(inverse.transform(best[1]))  # type: ignore[index]
    taken.append(label.get_window_extent(renderer))
