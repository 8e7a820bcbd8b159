"""Rich tables for a terminal: the addressing plan, expectations, the reachability matrix."""

from __future__ import annotations

import re

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netsim.answer.verdict import Verdict
from netsim.model.graph import Model, NodeKind
from netsim.report import plan as addressing
from netsim.report import printed
from netsim.report.compare import Row
from netsim.report.judgement import Case
from netsim.report.reports import CheckReport, RunReport

MARK = {Verdict.REACH: "[green]✓[/]", Verdict.OPEN: "[green]open[/]", Verdict.CLOSED: "[yellow]closed[/]",
        Verdict.BLOCKED: "[red]✗[/]", Verdict.INCONCLUSIVE: "[magenta]?[/]"}
MATRIX_LIMIT = 40  # above this many nodes the grid is unreadable: a summary (the JSON has all)
ROW_LIMIT = 200  # above this many rows a table costs more than it shows: failures, then counts
_SHORT_ID = re.compile(r"^[0-9a-f]{12}$")
MATRIX_MODES = ("auto", "none", "summary", "full")  # --matrix


def plan(model: Model) -> Table:
    """Like `docker network inspect`, for every network on every host (report.plan's data)."""
    t = Table(title="Addressing plan", title_justify="left", show_lines=False)
    for col in ("host", "network", "driver", "subnet", "gateway", "device", "container", "address",
                "mac", "iface"):
        t.add_column(col, no_wrap=True)
    for net in addressing.networks(model):
        extra = f" vni {net['vni']}" if net["vni"] else (" internal" if net["internal"] else "")
        six = net["subnet6"] is not None  # a dual-stack network: each cell holds both families
        t.add_row(net["host"], net["network"], net["driver"] + extra,
                  str(net["subnet"]) + (f"\n{net['subnet6']}" if six else ""),
                  (net["gateway"] or "-") + (f"\n{net['gateway6']}" if six else ""),
                  net["device"] or "-", "", "", "", "")
        for ep in net["endpoints"]:
            t.add_row("", "", "", "", "", "", ep["container"],
                      ep["address"] + (f"\n{ep['address6']}" if ep["address6"] else ""),
                      ep["mac"] or "", ep["iface"] or "")
    for c in addressing.shared(model):
        t.add_row(c["host"], c["mode"], "-", "", "", "", c["container"], c["means"], "", "")
    return t


def names(model: Model) -> Table | None:
    """Each container's resolv.conf and the names it can resolve (spec §2.5)."""
    if not model.names:
        return None
    t = Table(title="Names (resolv.conf, then what each container resolves)",
              title_justify="left")
    for col in ("container", "resolv.conf", "/etc/hosts (--link)", "embedded DNS answers"):
        t.add_column(col, overflow="fold")
    for cname, view in model.names.items():
        conf = view.resolv_conf.strip().replace("\n", "; ")
        hosts = ", ".join(sorted(view.hosts)) or "-"
        known = sorted(n for n in view.names if not _SHORT_ID.match(n))  # short IDs hidden
        shown = ", ".join(known[:12]) + (f" (+{len(known) - 12})" if len(known) > 12 else "")
        t.add_row(cname, conf, hosts, shown if view.embedded else "none: not a user network")
    return t


def ports(model: Model) -> Table | None:
    rows = [(c.host, pb) for c in model.containers.values() for pb in c.ports]
    if not rows:
        return None
    t = Table(title="Published ports (docker port)", title_justify="left")
    for col in ("host", "container", "mapping", "spec"):
        t.add_column(col)
    for host, pb in rows:
        hip = f"[{pb.host_ip}]" if pb.host_ip.version == 6 else str(pb.host_ip)
        t.add_row(host, pb.container, escape(f"{pb.container_port}/{pb.proto} -> {hip}:"
                  f"{pb.host_port}"), escape(pb.spec))
    return t


def expectations(rows: list[Row], observed: bool = False, engines: list[str] | None = None,
                 index: list[int] | None = None) -> Table:
    """`engines`: with several (`--engine netns,docker`), one observed column each; `index`:
    each row's number in the scenario's expect list (when only some are shown)."""
    t = Table(title="Expectations", title_justify="left", show_lines=False)
    many = engines if engines and len(engines) > 1 else None
    cols = ["#", "probe", "expected", "predicted"] + (
        [f"{e.split()[0]} observed" for e in many] if many else ["observed"] if observed else [])
    for col in [*cols, "source seen", "ok", "why"]:
        t.add_column(col, overflow="fold")
    for i, r in zip(index or range(len(rows)), rows, strict=True):
        p = r.probe
        exp = (p.expected or ("? (asked)" if p.ask else "-")) + (
            f" from {p.source_expected}" if p.source_expected else "") + (
            " (any way)" if p.any else "")
        src = r.source_seen if observed and r.observed else r.way.source_seen
        cells = [str(i), escape(p.label), escape(exp),
                 MARK.get(r.predicted.result, r.predicted.result)]
        if observed:
            cells.append(MARK.get(r.observed or "", r.observed or "-"))
        for e in (many or [])[1:]:
            got = r.also[e].result if e in r.also else "-"
            cells.append(MARK.get(got, got))
        ok = "[green]yes[/]" if r.ok else "[red]NO[/]"
        t.add_row(*cells, str(src or "-"), ok, escape(r.way.why))
    return t


def typed(rows: list[Row], observed: bool = False) -> Table | None:
    """The commands a tutorial typed into its containers, and what each would print: from
    the prediction, and (netsim run) from what the kernel did."""
    rows = [r for r in rows if r.probe.typed is not None]
    if not rows:
        return None
    t = Table(title="Typed in the tutorial's containers (what they would print)",
              title_justify="left", show_lines=True)
    for col in ("line", "typed", "predicted", *(["observed"] if observed else []), "ok"):
        t.add_column(col, overflow="fold")
    for r in rows:
        p = r.probe
        cells = [str(p.typed.line), escape(p.label), escape("\n".join(
            printed.lines(p.typed, r.predicted)))]
        if observed:
            cells.append(escape("\n".join(printed.lines(p.typed, r.seen))) if r.seen else "-")
        t.add_row(*cells, "[green]yes[/]" if r.ok else "[red]NO[/]")
    return t


def print_expectations(rows: list[Row], console: Console, quiet: bool, observed: bool = False,
                       engines: list[str] | None = None) -> None:
    """Every row when there are few; with --quiet or above ROW_LIMIT only the rows that
    failed (at most ROW_LIMIT), and a line counting the rest: rich lays out a whole table
    before it prints a line, and 10,000 rows cost seconds to say nothing new."""
    if not rows:
        return
    whole = not quiet and len(rows) <= ROW_LIMIT
    picked = list(range(len(rows))) if whole else [i for i, r in enumerate(rows) if not r.ok]
    shown = picked[:ROW_LIMIT]
    if shown:
        console.print(expectations([rows[i] for i in shown], observed, engines, shown))
    rest = len(rows) - len(shown)
    if rest:
        unlisted = len(picked) - len(shown)
        more = f" and {unlisted} more that failed" if unlisted else ""
        console.print(f"{rest} expectations not listed ({len(rows) - len(picked)} held{more}; "
                      "--json has every row)", highlight=False)


def _group(model: Model, name: str) -> str:
    """Where an endpoint sits, for the matrix summary: a container's networks, else itself."""
    info = model.containers.get(name)
    if info is None:
        return name
    return "+".join(info.networks) if info.networks else f"{info.mode} mode"


VERDICTS = (Verdict.REACH, Verdict.OPEN, Verdict.CLOSED, Verdict.BLOCKED, Verdict.INCONCLUSIVE)


def matrix_summary(model: Model, rows: list[Row], observed: bool = False) -> Table | None:
    """The matrix per pair of groups (a container's networks; hosts, the LAN and outside by
    name): how many probes gave each verdict, and how many the kernel disagreed on. Pairs
    where everything is blocked are counted in the title, not listed."""
    groups = {n: _group(model, n) for n in model.endpoints}
    cells: dict[tuple[str, str], dict[str, int]] = {}
    if hasattr(rows, "counts") and not observed:  # MatrixRows: counted per class, not made
        total = 0
        for (src, dst, result), n in rows.counts(lambda n: groups.get(n, n)).items():
            cell = cells.setdefault((src, dst), dict.fromkeys((*VERDICTS, "differ"), 0))
            cell[result] = cell.get(result, 0) + n
            total += n
    else:
        got = [r for r in rows if r.probe.origin == "matrix"]
        total = len(got)
        for r in got:
            key = (groups.get(r.probe.src, r.probe.src), groups.get(r.probe.to, r.probe.to))
            cell = cells.setdefault(key, dict.fromkeys((*VERDICTS, "differ"), 0))
            result = r.observed if observed and r.observed else r.predicted.result
            cell[result] = cell.get(result, 0) + 1
            cell["differ"] += r.mismatch
    if not total:
        return None
    dead = [k for k, c in cells.items() if c[Verdict.BLOCKED] == sum(c[v] for v in VERDICTS)
            and not c["differ"]]
    t = Table(title=f"{'Observed' if observed else 'Predicted'} matrix by network: "
              f"{total} probes, {len(cells)} pairs ({len(dead)} all blocked, not listed)",
              title_justify="left")
    for col in ("from", "to", *VERDICTS, *(["differ"] if observed else [])):
        t.add_column(col, justify="left" if col in ("from", "to") else "right")
    shown = [k for k in cells if k not in dead]
    for key in shown[:ROW_LIMIT]:
        c = cells[key]
        t.add_row(*key, *(str(c[v] or "-") for v in VERDICTS),
                  *([f"[red]{c['differ']}[/]" if c["differ"] else "-"] if observed else []))
    if len(shown) > ROW_LIMIT:
        t.caption = f"{len(shown) - ROW_LIMIT} more pairs: --json has every probe"
    return t


def matrix(model: Model, rows: list[Row], limit: bool = True) -> Table | None:
    icmp = [r for r in rows if r.probe.proto == "icmp" and r.probe.origin == "matrix"]
    names = [n for n, e in model.endpoints.items() if e.kind != NodeKind.ROUTER]
    if not icmp or (limit and len(names) > MATRIX_LIMIT):
        return None
    cell = {(r.probe.src, r.probe.to): r.predicted.result for r in icmp}
    t = Table(title="Predicted reachability (ping): row -> column", title_justify="left")
    t.add_column("from \\ to", no_wrap=True)
    for n in names:
        t.add_column(n, justify="center")
    for s in names:
        t.add_row(s, *["·" if s == d else MARK.get(cell.get((s, d), ""), "-") for d in names])
    return t


def port_matrix(rows: list[Row], limit: bool = True) -> Table | None:
    got = [r for r in rows if r.probe.proto != "icmp" and r.probe.origin == "matrix"]
    if not got or (limit and len(got) > 400):
        return None
    t = Table(title="Predicted port probes", title_justify="left")
    for col in ("to", "port", "open from", "closed from", "blocked from"):
        t.add_column(col, overflow="fold")
    groups: dict[tuple, dict[str, list[str]]] = {}
    for r in got:
        key = (r.probe.to, f"{r.probe.port}/{r.probe.proto}")
        groups.setdefault(key, {}).setdefault(r.predicted.result, []).append(r.probe.src)
    for (to, port), res in groups.items():
        t.add_row(to, port, *[", ".join(res.get(k, [])) or "-" for k in (Verdict.OPEN, Verdict.CLOSED,
                                                                          Verdict.BLOCKED)])
    return t


def mismatches(rows: list[Row]) -> Table | None:
    bad = [r for r in rows if r.probe.origin == "matrix" and not r.ok]
    if not bad:
        return None
    t = Table(title="Matrix probes where the kernel disagreed with the model", title_justify="left")
    for col in ("probe", "predicted", "observed", "evidence", "model's path and why"):
        t.add_column(col, overflow="fold")
    if len(bad) > ROW_LIMIT:
        t.caption = f"{len(bad) - ROW_LIMIT} more: --json has every probe"
    for r in bad[:ROW_LIMIT]:
        seen = " / ".join([r.observed or "-", *(f"{k.split()[0]}: {o.result}"
                                                  for k, o in r.also.items())])
        t.add_row(escape(r.probe.label), r.predicted.result, escape(seen),
                  escape("; ".join(r.notes)),
                  escape(" -> ".join(r.predicted.path) + ": " + r.predicted.why))
    return t


def _summarised(mode: str, model: Model) -> bool:
    """summary, or auto above MATRIX_LIMIT nodes (the grids no longer read)."""
    return mode == "summary" or (mode == "auto" and len(model.endpoints) > MATRIX_LIMIT)


def _matrices(report: CheckReport, mode: str) -> list[Table | None]:
    if mode == "none" or not report.matrix:
        return []
    if _summarised(mode, report.model):
        return [matrix_summary(report.model, report.matrix)]
    return [matrix(report.model, report.matrix, limit=mode != "full"),
            port_matrix(report.matrix, limit=mode != "full")]


def _runtime(report: CheckReport) -> str:
    return "; " + report.model.behaviour()


def banners(model: Model) -> list[str]:
    """What must be said before any table: a host whose IPv4 forwarding is off."""
    return [f"{ns.label}: IPv4 forwarding is disabled (reset to 0 after dockerd started): "
            "containers' egress and published ports from other machines die; the host itself "
            "and containers on one bridge still talk"
            for ns in model.ns.values() if ns.kind == NodeKind.HOST and not ns.forwarding]


def _banners(model: Model, console: Console) -> None:
    for text in banners(model):
        console.print(f"[bold red]{escape(text)}[/]", highlight=False)


def print_run(report: RunReport, console: Console, quiet: bool = False,
              matrix_mode: str = "auto") -> None:
    _banners(report.model, console)
    if not quiet:
        console.print(plan(report.model))
    _print_rows(report.expectations, console, quiet, True, [report.engine, *report.also])
    if not quiet and (matrix_mode == "full" or _summarised(matrix_mode, report.model)):
        table = matrix_summary(report.model, report.matrix, observed=True)
        if table is not None:
            console.print(table)
    table = mismatches(report.matrix)
    if table is not None:
        console.print(table)
    for r in report.rows:
        if r.trace is not None:
            where = r.trace.difference or (f"sent again and traced, it was {r.trace.observed.result}"
                                           ": as predicted this time")
            console.print(f"[red]trace[/] {escape(r.probe.label)}: {escape(where)}",
                          highlight=False)
    _warnings(report, console)
    for text in report.findings:
        console.print(f"[red]finding[/] {escape(text)}", highlight=False)
    exp = report.expectations
    met = sum(1 for r in exp if r.ok and r.observed != Verdict.INCONCLUSIVE)
    mism = sum(1 for r in report.rows if r.mismatch)
    inc = sum(1 for r in report.rows if r.observed == Verdict.INCONCLUSIVE)
    seen = [r for r in report.rows if r.seen is not None]
    same = sum(1 for r in seen if r.observed == r.predicted.result)
    unseen = len(report.rows) - len(seen)
    colour = "green" if report.ok else "red"
    timing = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
    model_only = f", {unseen} the model's word only (no dockerd runs here)" if unseen else ""
    said = [report.engine, *report.also]
    where = "" if report.own else f" ({' and '.join(said)})"
    for e in report.also:
        same += sum(1 for r in report.rows if e in r.also and r.also[e].result ==
                    r.predicted.result)
        seen += [r for r in report.rows if e in r.also]
    console.print(f"[{colour}]{report.lab}: {met}/{len(exp)} expectations met"
                  f"{_typed_count(exp)}; "
                  f"{same}/{len(seen)} observations{where} equal the prediction, {mism} differ, "
                  f"{inc} inconclusive{model_only}{_runtime(report)}; {timing}[/]",
                  highlight=False)


def _print_rows(rows: list[Row], console: Console, quiet: bool, observed: bool,
                engines: list[str] | None) -> None:
    """The scenario's expectations, then the commands its tutorial typed (when it has any)."""
    print_expectations([r for r in rows if r.probe.typed is None], console, quiet, observed,
                       engines)
    table = None if quiet else typed(rows, observed)
    if table is not None:
        console.print(table)


def _warnings(report: CheckReport, console: Console) -> None:
    """As a linter says them: code, file:line, text (the JSON adds the meaning and fix)."""
    for n in report.notices:
        where = f"{n.where}: " if n.where else ""
        console.print(f"[yellow]warning[/] {escape(f'[{n.code}] {where}{n.text}')}",
                      highlight=False)


def print_fail_on(judged: list[Case], console: Console) -> None:
    """The warnings `--fail-on` made failures: the reason for an exit 1 the rows do not give."""
    failed = [c for c in judged if c.suite == "warnings" and c.failure]
    if failed:
        codes = sorted({dict(c.properties)["code"] for c in failed})
        console.print(f"[red]--fail-on: {len(failed)} warning{'s' * (len(failed) > 1)} "
                      f"({', '.join(codes)}) fail this report[/]", highlight=False)


def _typed_count(rows: list[Row]) -> str:
    n = sum(r.probe.typed is not None for r in rows)
    return f" (of them {n} typed in the tutorial)" if n else ""


def print_check(report: CheckReport, console: Console, quiet: bool = False,
                matrix_mode: str = "auto") -> None:
    _banners(report.model, console)
    if not quiet:
        for table in (plan(report.model), names(report.model), ports(report.model),
                      *_matrices(report, matrix_mode)):
            if table is not None:
                console.print(table)
    _print_rows(report.expectations, console, quiet, False, None)
    _warnings(report, console)
    failed = len(report.failed)
    n = len(report.expectations)
    colour = "red" if failed else "green"
    console.print(f"[{colour}]{report.lab}: {n - failed}/{n} expectations predicted to hold"
                  f"{_typed_count(report.expectations)}; "
                  f"{len(report.matrix)} matrix probes{_runtime(report)}; "
                  f"{report.seconds * 1000:.0f} ms[/]", highlight=False)
