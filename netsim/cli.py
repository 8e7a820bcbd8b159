"""The `netsim` command: thin wrappers that parse, call Lab, print (contract: design.md)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click
from rich.console import Console

from netsim import __version__
from netsim.errors import EXIT_DISAGREE, EXIT_OK, NetsimError

FILE = click.Path(dir_okay=False)


def _console(stderr: bool = False) -> Console:
    """The terminal report; on stderr when stdout carries the JSON (`--json -`). No emoji
    codes: a MAC such as 3a:ab:79 would print a symbol for its ":ab:"."""
    console = Console(stderr=stderr, emoji=False)
    if not console.is_terminal:  # CI logs: wide enough for the tables, never 80 columns
        console = Console(width=160, stderr=stderr, emoji=False)
    return console


def _fail(e: NetsimError) -> None:
    _sigterm_is_death()
    click.echo(f"netsim: {e}", err=True)
    sys.exit(e.exit_code)


def _interrupted() -> None:
    _sigterm_is_death()
    click.echo("netsim: interrupted; everything the lab had made was removed", err=True)
    sys.exit(130)


def _interrupts_raise() -> None:
    """From here a Ctrl-C raises KeyboardInterrupt (netsim.entry's exit-at-once goes; nohup's
    SIG_IGN stays), and one that a callback swallowed comes back: a command's first imports
    (netsim.lab, whose models pydantic-core builds) are such a place."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.unraisablehook = _redeliver_signal


def _sigterm_is_exit() -> None:
    """So that `finally:` blocks tear the lab down when CI kills us politely."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


_SIGNAL_OF = {KeyboardInterrupt: signal.SIGINT, SystemExit: signal.SIGTERM}
_default_unraisable = sys.unraisablehook


def _redeliver_signal(unraisable: sys.UnraisableHookArgs) -> None:
    """A signal whose handler ran inside a callback Python cannot raise from (a weakref
    callback of the import lock, a __del__) was swallowed with a printed traceback and the
    run went on as if never interrupted; raise it again so it lands in our code."""
    # by its type: a C extension (pydantic-core building a validator) may hand no value
    kind = unraisable.exc_type
    sig = next((s for k, s in _SIGNAL_OF.items() if isinstance(kind, type) and
                issubclass(kind, k)), None)
    if sig is None:
        _default_unraisable(unraisable)
        return
    # from another thread, once this hook has returned: raised here, it would be lost again
    threading.Timer(0.005, signal.pthread_kill, (threading.main_thread().ident, sig)).start()


def _sigterm_is_death() -> None:
    """Once the lab is down (or left up on purpose) a SIGTERM may kill us as usual: raised
    at interpreter shutdown, SystemExit would only print a traceback."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _report_options(fn):
    """--quiet, --matrix (and --no-matrix, the old word for --matrix none)."""
    fn = click.option("--no-matrix", "matrix", flag_value="none", hidden=True)(fn)
    fn = click.option("--matrix", type=click.Choice(["auto", "none", "summary", "full"]),
                      default="auto", show_default=True,
                      help="The all-pairs matrix: none (not probed), summary (counts per "
                      "network pair), full (every pair); auto: full up to 40 nodes, else "
                      "summary. The JSON report has every probe.")(fn)
    return click.option("--quiet", "-q", is_flag=True, help="Only the failures, warnings and "
                        "the summary.")(fn)


class _Command(click.Group):
    """Ctrl-C anywhere is exit 130 with one line (click's own: "Aborted!" and exit 1, which
    a CI reads as "a probe disagreed"); each command's own handler tears its lab down first."""

    def main(self, *args, **kwargs):
        _interrupts_raise()
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo("netsim: interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit as e:
            sys.exit(e.exit_code)
        except click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except Exception as e:
            if not _wraps_interrupt(e):
                raise
            click.echo("netsim: interrupted", err=True)
            sys.exit(130)


def _wraps_interrupt(e: BaseException | None) -> bool:
    """A Ctrl-C raised where Python re-wraps it (a class's __set_name__ while a module is
    imported becomes RuntimeError) is still a Ctrl-C."""
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="netsim")
def main() -> None:
    """See and prove how Docker container networking behaves."""


def _scenario_input(fn):
    """FILE, or `-f` Compose files (several merge in order, as `docker compose -f a -f b`)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, file: str | None = None, compose_files: tuple = (), **kw):
        if file and compose_files:
            raise click.UsageError("give FILE or -f COMPOSE_FILE, not both")
        if not file and not compose_files:
            raise click.UsageError("missing FILE (a scenario, a Compose file, a CNI conflist "
                                   "or directory; `-`: a scenario on standard input) or -f "
                                   "COMPOSE_FILE")
        return fn(*args, file=file or (list(compose_files) if len(compose_files) > 1
                                       else compose_files[0]), **kw)

    wrapper = click.option("-f", "--file", "compose_files", multiple=True, type=FILE,
                           help="A Compose file; given more than once, merged in order as "
                                "docker compose does.")(wrapper)
    return click.argument("file", required=False, type=click.Path())(wrapper)


def _fail_on(ctx, param, value: tuple[str, ...]) -> frozenset[str]:
    from netsim.report.judgement import fail_on

    try:
        return fail_on(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def _output_options(fn):
    """--json, --junit, --fail-on: what a command that judges writes, and what fails it."""
    fn = click.option("--fail-on", "fail_on", multiple=True, callback=_fail_on,
                      metavar="warning|CODE,...", help="Fail (exit 1, a failed JUnit case) on "
                      "these warnings: `warning` for every one, or codes such as P13,C04.")(fn)
    fn = click.option("--html", "html_path", type=FILE, help="Write one HTML file: the "
                      "expectations with filters, the matrix as a grid whose cells open each "
                      "probe's path, rule, NAT and evidence, the warnings, the topology "
                      "(offline, no server).")(fn)
    fn = click.option("--markdown", "markdown_path", type=FILE, help="Append a markdown "
                      "summary (a CI step summary: --markdown \"$GITHUB_STEP_SUMMARY\"; `-`: "
                      "standard output).")(fn)
    fn = click.option("--junit", "junit_path", type=FILE, help="Write a JUnit XML report: a "
                      "case per expectation, disagreement, finding and warning; its failures "
                      "are what the exit code says.")(fn)
    return click.option("--json", "json_path", type=FILE, help="Write the JSON report (`-`: "
                        "to standard output; the terminal report then goes to standard "
                        "error). Its schema: netsim schema --report.")(fn)


def _judged(report, command: str, outputs: dict, console: Console) -> int:
    """Judge the report once; write what was asked from that; the exit code it makes (each
    writer imported when asked for: a plain check loads no XML, no schema)."""
    from netsim.report import judgement, terminal

    json_path, junit_path = outputs["json_path"], outputs["junit_path"]
    judged = judgement.cases(report, outputs["fail_on"])
    terminal.print_fail_on(judged, console)
    if outputs["markdown_path"]:
        from netsim.report import markdown

        text = markdown.summary(report, judged, command)
        if outputs["markdown_path"] == "-":
            click.echo(text)
        else:
            with open(outputs["markdown_path"], "a") as f:
                f.write(text + "\n")
    if json_path:
        from netsim.report import jsonout

        jsonout.report(json_path, report, judged, command)
    if outputs["html_path"]:
        from netsim.report import draw, html_report

        svg = draw.Picture(draw.topology(report.model, list(report.expectations))).svg()
        html_report.write(outputs["html_path"], report, judged, command, svg)
    if junit_path:
        from netsim.report import junit

        junit.write(junit_path, report.lab, judged, report.seconds,
                    {"command": command, "behaviour": report.model.behaviour()})
    return judgement.exit_code(judged)


@main.command()
@_scenario_input
@_output_options
@_report_options
def check(file: str, quiet: bool, matrix: str, **outputs) -> None:
    """Validate a scenario (or a Compose file, a CNI conflist, a net.d directory, or a
    flannel cluster's files: net-conf.json, the conflist, nodes.json) and predict it, no
    root."""
    from netsim.gcpause import paused
    from netsim.lab import Lab
    from netsim.report import terminal

    console = _console(stderr="-" in (outputs["json_path"], outputs["markdown_path"]))
    # one pause for the whole command: it holds what it builds until it exits, and each
    # phase's own pause, ending, made the collector walk everything built so far again
    with paused():
        try:
            report = Lab.load(file).check(full_matrix=matrix != "none")
        except NetsimError as e:
            _fail(e)
        terminal.print_check(report, console, quiet, matrix)
        code = _judged(report, "check", outputs, console)
    sys.exit(code)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--fail-on", "fail_on", multiple=True, callback=_fail_on,
              metavar="warning|CODE,...", help="Also fail on these warnings: `warning` for "
              "every one, or codes such as P13,C04.")
@click.option("--junit", "junit_path", type=FILE, help="Write one JUnit XML report with a "
              "suite per file.")
def lint(files: tuple[str, ...], fail_on: frozenset[str], junit_path: str | None) -> None:
    """Check many scenarios or Compose files in one process, one line per problem as
    `file:line: ...` (for pre-commit and editors; no matrix, no root). Exit 2 when a file
    is not valid, else 1 when an expectation or a chosen warning fails."""
    from netsim.gcpause import paused
    from netsim.lab import Lab
    from netsim.report import judgement, junit

    worst, suites, invalid = EXIT_OK, [], []
    for file in files:
        with paused():
            try:
                report = Lab.load(file).check(full_matrix=False)
            except NetsimError as e:  # said as the file's own line when it has one
                placed = getattr(e, "where", None) is not None and e.where.file == file
                click.echo(f"{e}" if placed else f"{file}: error: {e}")
                worst = max(worst, e.exit_code)
                invalid.append((file, str(e)))
                continue
        judged = judgement.cases(report, fail_on)
        for c in judged:
            kind = "error" if c.failure else "warning" if c.suite == "warnings" else None
            if kind is not None:
                click.echo(f"{c.where or file}: {kind}: {c.name}"
                           + (f": {c.failure}" if c.failure and c.suite != "warnings" else ""))
        worst = max(worst, judgement.exit_code(judged))
        suites.append((file, report, judged))
    if junit_path:
        junit.write_many(junit_path, [(f, r.lab, j, r.seconds) for f, r, j in suites],
                         invalid)
    failed = sum(1 for *_, j in suites for c in j if c.failure)
    click.echo(f"netsim lint: {len(files)} file{'s' * (len(files) > 1)}, {failed} "
               f"failure{'s' * (failed != 1)}, {len(files) - len(suites)} not valid", err=True)
    sys.exit(worst)


def _finish(report, command: str, outputs: dict, quiet: bool, matrix: str = "auto") -> None:
    from netsim.report import terminal

    _sigterm_is_death()
    console = _console(stderr="-" in (outputs["json_path"], outputs["markdown_path"]))
    terminal.print_run(report, console, quiet, matrix)
    sys.exit(_judged(report, command, outputs, console))


def _engine_options(fn):
    """--engine, --dockerd, --docker-host: who realizes the lab (engine/registry.py)."""
    fn = click.option("--probe-by", type=click.Choice(["setns", "exec"]), help="On an existing "
                      "engine: enter each container's namespace (a local socket, the default "
                      "there) or `docker exec` the probes in it (the default elsewhere).")(fn)
    fn = click.option("--docker-host", metavar="URL", help="An existing engine "
                      "(unix:///var/run/docker.sock, tcp://..., ssh://...) instead of "
                      "daemons netsim starts.")(fn)
    fn = click.option("--dockerd", metavar="PATH", help="The dockerd binary (or a directory "
                      "of engine binaries) for managed engines.")(fn)
    return click.option("--engine", default="netns", show_default=True, callback=_engines,
                        help="netns: netsim builds it; docker: real Docker engines through "
                        "the Engine API; `run --engine netns,docker`: both, side by side.")(fn)


def _engines(ctx, param, value: str) -> str:
    from netsim.engine.registry import ENGINES

    names = value.split(",")
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        raise click.BadParameter(f"'{unknown[0]}' is not an engine: one of {', '.join(ENGINES)}")
    if len(names) > 1 and ctx.info_name != "run":
        raise click.BadParameter(f"'{value}': {ctx.info_name} takes one engine (run takes "
                                 "several, e.g. netns,docker)")
    if len(set(names)) != len(names):
        raise click.BadParameter(f"'{value}' names an engine twice")
    return value


@main.command()
@_scenario_input
@_output_options
@_report_options
@click.option("--keep", is_flag=True, help="Leave the lab up afterwards (netsim down NAME).")
@_engine_options
def run(file: str, quiet: bool, matrix: str, keep: bool, engine: str, dockerd: str | None,
        docker_host: str | None, probe_by: str | None, **outputs) -> None:
    """Build the scenario for real (root), probe it, report, tear it down."""
    from netsim.lab import Lab
    from netsim.report.progress import RunProgress

    _sigterm_is_exit()
    try:
        if "netns" in engine.split(","):  # say `run`, not the `up` it starts with
            from netsim.realize.lifecycle import require_root

            require_root("run")
        lab = Lab.load(file, engine, dockerd=dockerd, docker_host=docker_host,
                       probe_by=probe_by)
        with RunProgress(_console(), lab.name) as progress:
            report = lab.run(full_matrix=matrix != "none", keep=keep, progress=progress)
    except NetsimError as e:
        _fail(e)
    except KeyboardInterrupt:
        _interrupted()
    _finish(report, "run", outputs, quiet, matrix)


@main.command()
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path(), required=False)
@click.option("--git", "rev", metavar="REV", help="Compare OLD as it is in this git revision "
              "(HEAD, main, a1b2c3) with OLD as it is now; NEW is then not given.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="markdown: for a pull-request comment; json: every "
              "change.")
@click.option("--junit", "junit_path", type=FILE, help="Write a JUnit XML report: a broken "
              "expectation fails; each changed flow is a passing case.")
@click.option("--html", "html_path", type=FILE, help="Write the diff as one HTML file.")
@click.option("--quiet", "-q", is_flag=True, help="Only the broken expectations and the summary.")
def diff(old: str, new: str | None, rev: str | None, fmt: str, junit_path: str | None,
         html_path: str | None, quiet: bool) -> None:
    """What a change does to who can talk to whom: flows that became reachable or blocked,
    NAT sources and published ports that changed, expectations it breaks (no root; exit 1
    when one breaks)."""
    import json

    from netsim import diff as whatif
    from netsim.gcpause import paused
    from netsim.lab import Lab
    from netsim.report import diff_view, judgement, junit

    if (new is None) == (rev is None):
        raise click.UsageError("give OLD and NEW, or --git REV and one FILE")
    with paused():
        try:
            if rev is not None:
                from netsim.scenario import revision

                with revision.at(rev, old) as then:
                    before = Lab.load(then)
                names = (f"{rev}:{old}", old)
                after = Lab.load(old)
            else:
                before, after, names = Lab.load(old), Lab.load(new), (old, new)
            d = whatif.diff(before, after)
        except NetsimError as e:
            _fail(e)
    if fmt == "markdown":
        click.echo(diff_view.markdown(d, *names))
    elif fmt == "json":
        click.echo(json.dumps(diff_view.to_json(d, *names), indent=2))
    else:
        diff_view.terminal(d, _console(), quiet)
    judged = diff_view.cases(d)
    if html_path:
        from netsim.report import html_report

        with open(html_path, "w", encoding="utf-8") as f:
            f.write(html_report.diff_page(d, *names))
    if junit_path:
        junit.write(junit_path, f"{d.old.lab}-diff", judged, d.old.seconds + d.new.seconds,
                    {"command": "diff", "old": names[0], "new": names[1]})
    sys.exit(judgement.exit_code(judged))


@main.command()
@_scenario_input
@_engine_options
def up(file: str, engine: str, dockerd: str | None, docker_host: str | None,
       probe_by: str | None) -> None:
    """Build the scenario (namespaces, links, rules, services; or on real engines) and leave
    it up (root)."""
    import time

    from netsim.lab import Lab, up_lab
    from netsim.realize import sandbox

    _sigterm_is_exit()
    try:
        lab = Lab.load(file, engine, dockerd=dockerd, docker_host=docker_host,
                       probe_by=probe_by)
        t0 = time.perf_counter()
        running = up_lab(lab)
    except NetsimError as e:
        _fail(e)
    except KeyboardInterrupt:
        _interrupted()
    _sigterm_is_death()
    sandbox.keep(lab.name)
    on = "" if running.engine == "netns" else f" on {running.engine}"
    click.echo(f"{lab.name}: up{on}, {len(set(running.names.values()))} namespaces in "
               f"{time.perf_counter() - t0:.2f} s; netsim probe {lab.name}; netsim down {lab.name}")


@main.command()
@click.argument("name")
@_output_options
@_report_options
def probe(name: str, quiet: bool, matrix: str, **outputs) -> None:
    """Probe a lab that `netsim up` built (root)."""
    from netsim.lab import attach, probe_lab
    from netsim.realize.lifecycle import require_root
    from netsim.report.progress import RunProgress

    try:
        require_root("probe")
        lab, running = attach(name)
        with RunProgress(_console(), name) as progress:
            report = probe_lab(lab, running, matrix != "none", progress)
    except NetsimError as e:
        _fail(e)
    except OSError as e:  # its namespaces went away under it (netsim down, cleanup --all)
        from netsim.errors import EnvironmentProblem

        _fail(EnvironmentProblem(f"lab {name} changed while it was probed: {e.strerror or e}"
                                 f"{f' ({e.filename})' if e.filename else ''}",
                                 f"netsim ls; netsim up it again, then netsim probe {name}"))
    report.timings = {"probe": report.seconds}
    _finish(report, "probe", outputs, quiet, matrix)


@main.command()
@click.argument("name")
def down(name: str) -> None:
    """Tear a lab down: its services, daemons, the processes inside it, its namespaces (root)."""
    from netsim import lab

    try:
        removed = lab.down(name)
    except NetsimError as e:
        _fail(e)
    click.echo(f"{name}: down, {len(removed)} namespaces removed")


@main.command()
@click.option("--all", "everything", is_flag=True,
              help="Also remove labs that are up or in use by a running netsim.")
def cleanup(everything: bool) -> None:
    """Remove what crashed netsim runs left behind, from their journals (root). Labs that
    are up (netsim up, run --keep) or in use are named and left alone unless --all."""
    from netsim import lab

    total, broken, left = 0, 0, 0
    try:
        for c in lab.cleanup(everything):
            if c.skipped:
                broken += 1
                click.echo(f"{c.name}: skipped: {c.skipped}", err=True)
            elif c.removed is None:
                left += 1
                click.echo(f"{c.name}: left alone: {c.busy}", err=True)
            else:
                if c.busy:
                    click.echo(f"{c.name}: REMOVING although it is {c.busy} (--all)", err=True)
                total += c.removed
                click.echo(f"{c.name}: {c.removed} namespaces removed")
    except NetsimError as e:
        _fail(e)
    click.echo(f"cleanup: {total} namespaces removed" + (f", {broken} labs skipped"
                                                         if broken else "")
               + (f", {left} labs up or in use left alone (--all removes them)" if left else ""))


@main.command()
@_scenario_input
@click.option("--host", "hosts", multiple=True, help="Only this Docker host (repeatable).")
@click.option("--nft", "as_nft", is_flag=True, help="The nftables script netsim loads instead.")
@click.option("--json", "as_json", is_flag=True, help="As JSON: per host, the text and its "
              "tables, chains, policies and rules.")
def inspect(file: str, hosts: tuple[str, ...], as_nft: bool, as_json: bool) -> None:
    """Print the rules Docker would install on each host, as iptables-save (no root)."""
    import json

    from netsim.lab import Lab
    from netsim.report import rules_json

    try:
        lab = Lab.load(file)
        for h in hosts:
            lab.host(h)
        chosen = [h for h in lab.hosts() if not hosts or h in hosts]
        if as_json:
            texts = {h: lab.rules(h, nft=as_nft) for h in chosen}
            click.echo(json.dumps(rules_json.hosts(lab.name, texts, as_nft), indent=2))
            return
        for h in chosen:
            click.echo(f"# {h}")
            click.echo(lab.rules(h, nft=as_nft), nl=False)
    except NetsimError as e:
        _fail(e)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("file", type=click.Path())
@click.option("--host", help="The Docker host (default: the scenario's only one).")
@click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
def docker(file: str, host: str | None, words: tuple[str, ...]) -> None:
    """What `docker network inspect NET...` or `docker port NAME` would print on the lab,
    from the model (no root): `netsim docker tutorial.yml network inspect alpine-net`."""
    from netsim.lab import Lab

    try:
        click.echo(Lab.load(file).docker(list(words), host))
    except NetsimError as e:
        _fail(e)


PICTURE_FORMATS = (".png", ".svg", ".pdf")


def _same_lab(path: str, data: object, lab) -> None:
    """A report is drawn on its own scenario only: the lab's name, and every node it probed
    from, must be the scenario's."""
    from netsim.errors import ScenarioError

    if not isinstance(data, dict) or "probes" not in data:
        raise ScenarioError(f"--report {path}: not a netsim JSON report (netsim check or run "
                            "--json writes one)")
    if data.get("lab") != lab.name:
        raise ScenarioError(f"--report {path} is the report of lab {data.get('lab')!r}; "
                            f"{lab.name!r} is another scenario", valid="the report of this "
                            f"scenario: netsim check {lab.name}.yml --json r.json")
    nodes = set(lab.model.endpoints)
    gone = sorted({p.get("from") for p in data["probes"] if p.get("from") not in nodes})
    if gone:
        raise ScenarioError(f"--report {path} probes from {', '.join(map(str, gone[:3]))}, "
                            f"which {lab.name} no longer has: the scenario changed since",
                            valid="a report made from the scenario as it is now")


def _picture_kind(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """topology, heatmap, or path N (also written "path:N"): what Lab.draw accepts."""
    words = value.replace(":", " ").split()
    if words and words[0] in ("topology", "heatmap") and len(words) == 1:
        return value
    if words and words[0] == "path" and all(w.isdigit() for w in words[1:]) and len(words) <= 2:
        return " ".join(words)
    raise click.BadParameter(f"{value!r} (valid: topology, heatmap, path N)")


@main.command()
@_scenario_input
@click.argument("number", required=False, type=int)
@click.option("--report", "report_path", type=click.Path(dir_okay=False, exists=True),
              help="A JSON report (netsim run/check --json): draw its results on the picture.")
@click.option("-o", "--output", "out", type=FILE, required=True,
              help="The picture to write: .png, .svg or .pdf.")
@click.option("--kind", default="topology", show_default=True, callback=_picture_kind,
              help="topology, heatmap, or path N: the path of expectation N (the # of the "
                   "report; `--kind path N` or `--kind 'path N'`).")
def draw(file: str, number: int | None, report_path: str | None, out: str, kind: str) -> None:
    """Draw the topology with every expectation's result, the reachability heatmap, or the
    path of one expectation (no root)."""
    import json

    from netsim.lab import Lab

    if Path(out).suffix.lower() not in PICTURE_FORMATS:
        _fail(NetsimError(f"-o {out}: a picture is written as {', '.join(PICTURE_FORMATS)} "
                          "(by the file's extension)"))
    if number is not None:
        kind = f"{kind} {number}"
    try:
        lab = Lab.load(file)
        if report_path:
            from netsim.report import draw as pictures

            data = json.loads(Path(report_path).read_text())
            _same_lab(report_path, data, lab)
            rows = pictures.rows_from_json(data)
            fig = lab.draw(kind, rows=rows)
        else:  # a heatmap needs the matrix; the topology only the expectations' arrows
            fig = lab.draw(kind, lab.check(full_matrix=kind == "heatmap"))
    except NetsimError as e:
        _fail(e)
    except (OSError, ValueError, KeyError) as e:
        _fail(NetsimError(f"cannot read the report {report_path}: {e}"))
    fig.savefig(out, dpi=130)
    click.echo(f"{out}: {kind} of {lab.name}")


@main.group(name="import")
def import_() -> None:
    """Write a scenario file from what already runs."""


def _as_json(data: object) -> str:
    import json

    return json.dumps(data, indent=2, default=str) + "\n"


@import_.command(name="cluster")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("-o", "--output", "out", type=FILE, help="The scenario file to write (default: "
              "standard output).")
@click.option("--json", "as_json", is_flag=True, help="The scenario as JSON (netsim reads it "
              "as it reads YAML); the notes go to standard error.")
def import_cluster(directory: str, out: str | None, as_json: bool) -> None:
    """A cluster's files as a scenario: DIR holds the node's conflist and any of
    net-conf.json (kube-flannel-cfg), nodes.json (kubectl get nodes -o json), calico.yaml
    (calicoctl get ippools -o yaml) and kubernetes.yaml (kubectl get
    namespaces,pods,networkpolicies -A -o yaml). `netsim check DIR` checks the same scenario
    without writing it."""
    from netsim.scenario import cluster, conflists

    path = Path(directory)
    try:
        if not cluster.is_cluster(path):
            raise NetsimError(f"{directory}: none of {', '.join(cluster.FILES)} here (kubectl "
                              "get nodes -o json > nodes.json; kubectl get "
                              "namespaces,pods,networkpolicies -A -o yaml > kubernetes.yaml)")
        scenario, notes, _ = conflists.scenario_text(path)
        said = "".join(f"# note: {' '.join(n.split())}\n" for _, n in notes)
        text = f"# netsim import cluster {directory}\n{said}{scenario}"
    except NetsimError as e:
        _fail(e)
    if as_json:
        import yaml

        click.echo(said.replace("# note: ", "note: "), err=True, nl=False)
        text = _as_json(yaml.safe_load(scenario))
    if out:
        Path(out).write_text(text)
        click.echo(f"{out}: the cluster in {directory}", err=True)
    else:
        click.echo(text, nl=False)


@import_.command(name="docker")
@click.option("--docker-host", metavar="URL", envvar="DOCKER_HOST",
              default="unix:///var/run/docker.sock", show_default=True,
              help="The engine to read (also $DOCKER_HOST).")
@click.option("-o", "--output", "out", type=FILE, help="The scenario file to write (default: "
              "standard output).")
@click.option("--name", default="imported", show_default=True, help="The lab's name.")
@click.option("--json", "as_json", is_flag=True, help="The scenario as JSON (netsim reads it "
              "as it reads YAML).")
def import_docker(docker_host: str, out: str | None, name: str, as_json: bool) -> None:
    """A live engine's networks, containers, published ports, aliases and links as a scenario
    (netsim check it; netsim run --engine docker reproduces its addresses)."""
    import yaml

    from netsim.engine.docker import existing, importer

    try:
        client = existing.client(docker_host)
        try:
            data = importer.scenario(client, name)
        finally:
            client.close()
    except NetsimError as e:
        _fail(e)
    except Exception as e:  # the SDK's own errors: the engine's words, no traceback
        _fail(NetsimError(f"reading {docker_host} failed: {e}"))
    text = _as_json(data) if as_json else \
        f"# netsim import docker --docker-host {docker_host}\n" + yaml.safe_dump(
            data, sort_keys=False, default_flow_style=None, width=100)
    if out:
        Path(out).write_text(text)
        click.echo(f"{out}: {len(data.get('networks', {}))} networks, "
                   f"{len(data['containers'])} containers", err=True)
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("name")
@click.argument("frm", metavar="FROM")
@click.argument("to")
@click.argument("port", required=False, metavar="[PORT/PROTO]")
@click.option("--json", "json_path", type=FILE, help="Write the trace as JSON (`-`: stdout).")
def trace(name: str, frm: str, to: str, port: str | None, json_path: str | None) -> None:
    """Send one probe in a lab that is up, traced in every namespace (root): the hops it took,
    the rules and NAT it met, beside the prediction, first difference marked."""
    from netsim.lab import attach, trace_probe
    from netsim.realize.lifecycle import require_root
    from netsim.report import jsonout, trace_view

    try:
        require_root("trace")
        lab, running = attach(name)
        got = trace_probe(lab, running, frm, to, port)
    except NetsimError as e:
        _fail(e)
    trace_view.render(got, _console(stderr=json_path == "-"))
    if json_path:
        jsonout.write(json_path, {"lab": name, "probe": got.probe.label,
                                  "predicted": got.predicted.result, **got.to_json()})
    sys.exit(EXIT_DISAGREE if got.difference else EXIT_OK)


@main.command()
@click.option("--compose", is_flag=True, help="The Compose Specification's schema instead "
              "(the one netsim validates Compose files against).")
@click.option("--report", "report", is_flag=True, help="The schema of the JSON report "
              "(check, run, probe --json) instead.")
def schema(compose: bool, report: bool) -> None:
    """Print the JSON schema of the scenario format, for editors and YAML language servers."""
    import json

    if compose and report:
        raise click.UsageError("--compose or --report, not both")
    if report:
        from netsim.report.jsonout import schema as report_schema

        click.echo(json.dumps(report_schema(), indent=2))
        return
    if compose:
        from netsim.scenario.compose.spec import schema as compose_schema

        click.echo(json.dumps(compose_schema(), indent=2))
        return
    from netsim.runtime.schema import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command(name="ls")
@click.option("--json", "as_json", is_flag=True, help="As JSON: one object per lab.")
def ls(as_json: bool) -> None:
    """List the labs that are up."""
    import dataclasses
    import json

    from netsim import lab

    up = lab.labs()
    if as_json:
        click.echo(json.dumps([dataclasses.asdict(u) for u in up], indent=2))
        return
    if not up:
        click.echo("no lab is up")
    for u in up:
        if u.broken:
            click.echo(f"{u.name}\tbroken journal: {u.broken}")
            continue
        click.echo(f"{u.name}\t{u.engine}\t{u.namespaces} namespaces\t"
                   f"services pid {u.keeper if u.keeper is not None else '-'}\t{u.path}")


if __name__ == "__main__":
    main()
