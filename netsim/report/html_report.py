"""One HTML file per report (`--html`): offline, no server, nothing fetched. The rows are the
JSON report's (jsonout.row), embedded as data and drawn by a small script with textContent
only (a scenario's names never become markup): the expectations with filters, the matrix as
a grid whose cells open each probe's path, the rule that decided, the NAT source and the
evidence; the topology as SVG with real text; the warnings with their meaning.

A page opened as `report.html#cell=SRC|TO` or `#row=N` opens that cell's or row's details at
once (the tests read them back from headless Chromium), and `#filter=failed` filters."""

from __future__ import annotations

import json
from html import escape

from netsim.report.changes import Diff
from netsim.report.compare import Row
from netsim.report.jsonout import row as json_row
from netsim.report.judgement import Case, exit_code
from netsim.report.reports import CheckReport, RunReport

GRID_MAX = 60  # endpoints: a larger matrix is not drawn as a grid (the JSON has every probe)

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
.pass{color:#2a7d2a}.fail{color:#c0392b}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
tr.bad td{background:#fde8e6}
.grid td{width:1.6em;height:1.6em;padding:0;text-align:center;cursor:pointer}
.grid th.col{writing-mode:vertical-rl;font-weight:normal}
.reach{background:#b7e1b7}.blocked{background:#f3b6ae}.closed{background:#ffd9a3}
.inconclusive{background:#d8c8ea}.mixed{background:#e4e4a8}.wrong{outline:3px solid #c0392b}
#details{border:1px solid #999;padding:.6em 1em;margin:1em 0;background:#fafafa;
 white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12.5px}
#details:empty{display:none}.filters{margin:.4em 0}.hidden{display:none}
svg{max-width:100%;height:auto}
"""

SCRIPT = r"""
const D = JSON.parse(document.getElementById('data').textContent);
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls; return e; }
function probeText(p) {
  const port = p.port === null ? ' ' + p.proto : ':' + p.port + '/' + p.proto;
  const lines = [p.from + ' -> ' + p.to + port + (p.family === 6 ? ' (IPv6)' : ''),
    'expected:  ' + (p.expected ?? '-'), 'predicted: ' + p.predicted,
    'observed:  ' + (p.observed ?? '- (not run)'),
    'path:      ' + p.path.join(' -> '), 'rule:      ' + p.why,
    'NAT source predicted: ' + (p.source_predicted ?? '-') +
      '; seen: ' + (p.source_seen ?? '-')];
  if (p.dropped_by) { const [ns, table, chain, i] = p.dropped_by;
    lines.push('dropped by: ' + (table === 'snmp' ? 'no route (counted as ' + chain + ')'
      : table + ' ' + chain + ' rule ' + i) + ' in ' + ns); }
  if (p.evidence.length) lines.push('evidence:  ' + p.evidence.join('; '));
  if (p.trace) for (const h of p.trace.hops) lines.push('trace ' + h.node + ': ' +
    h.rules.join(' | '));
  return lines.join('\n');
}
function show(title, probes) {
  const d = $('details'); d.textContent = '';
  d.appendChild(el('strong', title)); d.appendChild(document.createTextNode('\n'));
  d.appendChild(document.createTextNode(probes.map(probeText).join('\n\n')));
  d.scrollIntoView({block: 'nearest'});
}
function expectations() {
  const body = $('exp-body'); body.textContent = '';
  const want = $('f-state').value, text = $('f-text').value.toLowerCase();
  D.expectations.forEach((i, k) => { const p = D.probes[i];
    const ok = p.ok && p.observed !== 'inconclusive';
    const label = p.from + ' -> ' + p.to + (p.port === null ? ' ' + p.proto : ':' + p.port + '/' + p.proto);
    const show_ = (want === 'all' || (want === 'failed') !== ok) &&
      (!text || label.toLowerCase().includes(text) || String(p.predicted).includes(text));
    const tr = el('tr', undefined, (ok ? '' : 'bad') + (show_ ? '' : ' hidden'));
    tr.id = 'row-' + k;
    for (const c of [k, label, p.expected, p.predicted, p.observed ?? '-',
                     ok ? 'yes' : 'NO', p.why]) tr.appendChild(el('td', c));
    tr.onclick = () => show('expectation ' + k, [p]); body.appendChild(tr); });
}
const CLS = {reach: 'reach', open: 'reach', blocked: 'blocked', closed: 'closed',
             inconclusive: 'inconclusive'};
function grid() {
  if (!D.grid) return;
  const t = $('grid'), head = el('tr'); head.appendChild(el('th', 'from \\ to'));
  for (const n of D.grid.nodes) head.appendChild(el('th', n, 'col')); t.appendChild(head);
  for (const a of D.grid.nodes) { const tr = el('tr'); tr.appendChild(el('th', a));
    for (const b of D.grid.nodes) { const ids = D.grid.cells[a + '|' + b] || [];
      const td = el('td'); const got = ids.map((i) => D.probes[i]);
      if (got.length) {
        const verdicts = new Set(got.map((p) => CLS[p.observed ?? p.predicted] || 'mixed'));
        td.className = verdicts.size === 1 ? [...verdicts][0] : 'mixed';
        if (got.some((p) => !p.ok || p.observed === 'inconclusive')) td.className += ' wrong';
        td.title = a + ' -> ' + b; td.dataset.cell = a + '|' + b;
        td.onclick = () => show(a + ' -> ' + b, got);
      }
      tr.appendChild(td); }
    t.appendChild(tr); }
}
expectations(); grid();
$('f-state').onchange = expectations; $('f-text').oninput = expectations;
const h = decodeURIComponent(location.hash.slice(1));
if (h.startsWith('filter=')) { $('f-state').value = h.slice(7); expectations(); }
if (h.startsWith('row=')) { const k = +h.slice(4); show('expectation ' + k, [D.probes[D.expectations[k]]]); }
if (h.startsWith('cell=')) { const ids = (D.grid && D.grid.cells[h.slice(5)]) || [];
  show(h.slice(5).replace('|', ' -> '), ids.map((i) => D.probes[i])); }
"""


def _data(report: CheckReport, limit: int) -> dict:
    """The rows the page shows: every expectation, and the matrix when it is small enough
    for a grid (cells: which probes each pair of endpoints holds)."""
    exp = list(report.expectations)
    probes = [json_row(r) for r in exp]
    data: dict = {"expectations": list(range(len(exp))), "probes": probes, "grid": None}
    matrix: list[Row] = report.matrix if isinstance(report.matrix, list) else []
    nodes = sorted({r.probe.src for r in matrix} | {r.probe.to for r in matrix})
    if matrix and len(nodes) <= limit:
        cells: dict[str, list[int]] = {}
        for r in matrix:
            cells.setdefault(f"{r.probe.src}|{r.probe.to}", []).append(len(probes))
            probes.append(json_row(r))
        data["grid"] = {"nodes": nodes, "cells": cells}
    return data


def _script_json(data: dict) -> str:
    return json.dumps(data).replace("</", "<\\/")  # never ends the <script> it sits in


def _warnings(report: CheckReport) -> str:
    if not report.notices:
        return "<p>No warnings.</p>"
    items = []
    for n in report.notices:
        where = f"{escape(n.where)}: " if n.where else ""
        meaning = f"<br><em>{escape(n.explained)}</em>" if n.explained else ""
        fix = f"<br>fix: {escape(n.fix)}" if n.fix else ""
        items.append(f"<li><strong>{escape(n.code)}</strong> {where}{escape(n.text)}"
                     f"{meaning}{fix}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def page(report: CheckReport, judged: list[Case], command: str, svg: str | None) -> str:
    data = _data(report, GRID_MAX)
    ok = exit_code(judged) == 0
    failed = [c for c in judged if c.failure]
    observed = isinstance(report, RunReport)
    verdict = "passed" if ok else f"failed: {len(failed)} case{'s' * (len(failed) != 1)}"
    failures = "".join(f"<li>{escape(c.suite)}: {escape(c.name)}: {escape(c.failure or '')}"
                       "</li>" for c in failed[:200])
    grid = ('<table class="grid" id="grid"></table>' if data["grid"] else
            f"<p>The matrix ({len(report.matrix)} probes) is larger than a grid of "
            f"{GRID_MAX} endpoints shows: the JSON report has every probe.</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netsim {escape(command)} {escape(report.lab)}</title><style>{STYLE}</style></head>
<body>
<h1>netsim {escape(command)} <code>{escape(report.lab)}</code>:
<span id="verdict" class="{'pass' if ok else 'fail'}">{escape(verdict)}</span></h1>
<p id="summary">{escape(report.model.behaviour())}{'; observed on ' + escape(
        ', '.join([report.engine, *report.also])) if observed else '; predicted, no root'};
exit code {exit_code(judged)}</p>
{f'<ul id="failures">{failures}</ul>' if failures else ''}
<div id="details"></div>
<h2>Expectations</h2>
<div class="filters">show <select id="f-state"><option value="all">all</option>
<option value="failed">failed</option><option value="held">held</option></select>
<input id="f-text" placeholder="filter: a name, a verdict"></div>
<table id="expectations"><thead><tr><th>#</th><th>probe</th><th>expected</th>
<th>predicted</th><th>observed</th><th>ok</th><th>why</th></tr></thead>
<tbody id="exp-body"></tbody></table>
<h2>Matrix</h2>
<p>Each cell is every probe from the row to the column; click one for its path, the rule that
decided, the NAT source and the evidence. Green: reaches; red: blocked; orange: refused;
outlined: not as expected or not as predicted.</p>
{grid}
<h2>Warnings</h2>
{_warnings(report)}
<h2>Topology</h2>
{svg or '<p>(no picture)</p>'}
<script type="application/json" id="data">{_script_json(data)}</script>
<script>{SCRIPT}</script>
</body></html>
"""


def write(path: str, report: CheckReport, judged: list[Case], command: str,
          svg: str | None) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(page(report, judged, command, svg))


def diff_page(d: Diff, old: str, new: str) -> str:
    """`netsim diff --html`: the broken expectations, then every changed flow (filtered by
    kind) and port, as static tables."""
    broken = "".join(f"<tr class=\"bad\"><td>{escape(b.origin)}</td><td>{escape(b.label)}</td>"
                     f"<td>{escape(b.expected)}</td><td>{escape(b.now)}</td></tr>"
                     for b in d.broken)
    flows = "".join(f"<tr data-kind=\"{escape(c.kind)}\"><td>{escape(c.kind)}</td>"
                    f"<td>{escape(c.flow)}</td><td>{escape(c.before or '-')}</td>"
                    f"<td>{escape(c.after or '-')}</td><td>{escape(c.source_before or '-')}</td>"
                    f"<td>{escape(c.source_after or '-')}</td></tr>" for c in d.changes)
    kinds = "".join(f'<option value="{escape(k)}">{escape(k)} ({n})</option>'
                    for k, n in d.counts.items() if n)
    ports = "".join(f"<li>added: {escape(p)}</li>" for p in d.ports_added) + "".join(
        f"<li>removed: {escape(p)}</li>" for p in d.ports_removed)
    verdict = f"{len(d.broken)} expectations broken" if d.broken else "no expectation broken"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netsim diff {escape(old)} {escape(new)}
</title><style>{STYLE}</style></head><body>
<h1>netsim diff <code>{escape(old)}</code> → <code>{escape(new)}</code>:
<span id="verdict" class="{'fail' if d.broken else 'pass'}">{escape(verdict)}</span></h1>
<h2>Expectations the change breaks</h2>
<table id="broken"><tr><th>where</th><th>probe</th><th>expected</th><th>now</th></tr>{broken}
</table>
<h2>Flows that changed (predicted)</h2>
<div class="filters">show <select id="f-kind"><option value="">every kind</option>{kinds}
</select></div>
<table id="changes"><tr><th>change</th><th>flow</th><th>before</th><th>after</th>
<th>source before</th><th>source after</th></tr>{flows}</table>
<h2>Published ports</h2><ul id="ports">{ports or '<li>unchanged</li>'}</ul>
<script>
const f = document.getElementById('f-kind');
function apply() {{ for (const tr of document.querySelectorAll('#changes tr[data-kind]'))
  tr.classList.toggle('hidden', !!f.value && tr.dataset.kind !== f.value); }}
f.onchange = apply;
const h = decodeURIComponent(location.hash.slice(1));
if (h.startsWith('kind=')) {{ f.value = h.slice(5); apply(); }}
</script></body></html>
"""
