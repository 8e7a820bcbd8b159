"""HTML tables for Jupyter (`_repr_html_`): the same columns as the terminal tables."""

from __future__ import annotations

from html import escape

from netsim.answer.verdict import Verdict
from netsim.report.compare import Row

COLOUR = {Verdict.REACH: "#2ca02c", Verdict.OPEN: "#2ca02c", Verdict.CLOSED: "#ff9f1c",
          Verdict.BLOCKED: "#d62728", Verdict.INCONCLUSIVE: "#9467bd", Verdict.UNRESOLVED: "#7f7f7f"}


def _cell(value: object) -> str:
    text = "-" if value is None else str(value)
    colour = COLOUR.get(text)
    style = f' style="color:{colour};font-weight:bold"' if colour else ""
    return f"<td{style}>{escape(text)}</td>"


def rows_table(rows: list[Row], observed: bool, title: str) -> str:
    head = ["#", "probe", "family", "expected", "predicted"] + (["observed"] if observed else []) + [
        "source seen", "ok", "why"]
    out = [f"<h4>{escape(title)}</h4>", "<table>", "<tr>" + "".join(
        f"<th>{h}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(rows):
        p = r.probe
        exp = (p.expected or ("? (asked)" if p.ask else "")) + (
            f" from {p.source_expected}" if p.source_expected else "") + (
            " (any way)" if p.any else "")
        seen = r.source_seen if observed and r.observed else r.predicted.source_seen
        family = f"IPv{r.family}" if r.family else None
        cells = [_cell(i), _cell(p.label), _cell(family), _cell(exp), _cell(r.predicted.result)]
        if observed:
            cells.append(_cell(r.observed))
        ok = '<td style="color:#2ca02c">yes</td>' if r.ok else '<td style="color:#d62728">NO</td>'
        cells += [_cell(seen), ok, _cell(r.predicted.why)]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)
