"""`netsim diff` said four ways: the terminal, markdown for a pull-request comment, JSON, and
JUnit cases (a broken expectation fails; a changed flow is a passing case that says so)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netsim.report.changes import Diff
from netsim.report.judgement import Case

MARKDOWN_ROWS = 100  # a pull-request comment stays readable; the JSON has every change


def _summary(d: Diff) -> str:
    counts = ", ".join(f"{n} {k}" for k, n in d.counts.items() if n) or "no flow changed"
    ports = f"; ports +{len(d.ports_added)} -{len(d.ports_removed)}" \
        if d.ports_added or d.ports_removed else ""
    broken = f"{len(d.broken)} expectation{'s' * (len(d.broken) != 1)} broken" \
        if d.broken else "no expectation broken"
    return f"{broken}; {counts}{ports}"


def terminal(d: Diff, console: Console, quiet: bool = False) -> None:
    if d.broken:
        t = Table(title="Expectations the change breaks", title_justify="left")
        for col in ("where", "probe", "expected", "now"):
            t.add_column(col, overflow="fold")
        for b in d.broken:
            t.add_row(b.origin, escape(b.label), b.expected, escape(b.now))
        console.print(t)
    if d.changes and not quiet:
        t = Table(title="Flows that changed (predicted)", title_justify="left")
        for col in ("change", "flow", "before", "after", "source before", "source after"):
            t.add_column(col, overflow="fold")
        for c in d.changes:
            t.add_row(c.kind, escape(c.flow), c.before or "-", c.after or "-",
                      c.source_before or "-", c.source_after or "-")
        console.print(t)
    for p in d.ports_added:
        console.print(f"[green]+ port[/] {escape(p)}", highlight=False)
    for p in d.ports_removed:
        console.print(f"[red]- port[/] {escape(p)}", highlight=False)
    colour = "red" if d.broken else "green"
    console.print(f"[{colour}]{d.old.lab} -> {d.new.lab}: {escape(_summary(d))}[/]",
                  highlight=False)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ") if text is not None else "-"


def markdown(d: Diff, old: str, new: str) -> str:
    """For a pull-request comment (GitHub-flavoured tables)."""
    out = [f"### netsim diff: `{old}` → `{new}`", "", f"**{_summary(d)}**", ""]
    if d.broken:
        out += ["#### Expectations the change breaks", "", "| where | probe | expected | now |",
                "|---|---|---|---|"]
        out += [f"| {_cell(b.origin)} | `{_cell(b.label)}` | {_cell(b.expected)} | "
                f"{_cell(b.now)} |" for b in d.broken]
        out.append("")
    if d.changes:
        out += ["#### Flows that changed (predicted)", "",
                "| change | flow | before | after | source before | source after |",
                "|---|---|---|---|---|---|"]
        out += [f"| {c.kind} | `{_cell(c.flow)}` | {_cell(c.before)} | {_cell(c.after)} | "
                f"{_cell(c.source_before)} | {_cell(c.source_after)} |"
                for c in d.changes[:MARKDOWN_ROWS]]
        if len(d.changes) > MARKDOWN_ROWS:
            out.append(f"\n… and {len(d.changes) - MARKDOWN_ROWS} more (`netsim diff --json` "
                       "has every one)")
        out.append("")
    if d.ports_added or d.ports_removed:
        out += ["#### Published ports", ""] + [f"- added: `{p}`" for p in d.ports_added] + [
            f"- removed: `{p}`" for p in d.ports_removed] + [""]
    return "\n".join(out)


def to_json(d: Diff, old: str, new: str) -> dict:
    return {"old": old, "new": new, "summary": {"broken": len(d.broken), **d.counts,
                                                 "ports_added": len(d.ports_added),
                                                 "ports_removed": len(d.ports_removed)},
            "broken": [{"where": b.origin, "probe": b.label, "expected": b.expected,
                        "now": b.now} for b in d.broken],
            "changes": [c.to_json() for c in d.changes],
            "ports_added": d.ports_added, "ports_removed": d.ports_removed}


def cases(d: Diff) -> list[Case]:
    """Broken expectations fail; each changed flow and port is a passing case in `changes`."""
    out = [Case("expectations", f"{b.origin}: {b.label}", f"expected {b.expected}, {b.now}")
           for b in d.broken]
    out += [Case("changes", f"{c.kind}: {c.flow}", None,
                 f"before: {c.before or '-'}; after: {c.after or '-'}")
            for c in d.changes]
    out += [Case("changes", f"port added: {p}") for p in d.ports_added]
    out += [Case("changes", f"port removed: {p}") for p in d.ports_removed]
    if not out:
        out.append(Case("changes", "nothing changed"))
    return out

