"""The `netsim` command: thin wrappers that parse, call Lab, print (contract: design.md)."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from netsim import __version__
from netsim.errors import EXIT_DISAGREE, EXIT_OK, NetsimError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="netsim")
def main() -> None:
    """See and prove how Docker container networking behaves."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the JSON report.")
@click.option("--quiet", "-q", is_flag=True, help="Only expectations, warnings and the summary.")
@click.option("--no-matrix", is_flag=True, help="Skip the all-pairs matrix (large scenarios).")
def check(file: str, json_path: str | None, quiet: bool, no_matrix: bool) -> None:
    """Validate a scenario and predict every expectation, without root."""
    from netsim.lab import Lab
    from netsim.report import jsonout, terminal

    console = Console()
    if not console.is_terminal:  # CI logs: wide enough for the tables, never 80 columns
        console = Console(width=160)
    try:
        report = Lab.load(file).check(full_matrix=not no_matrix)
    except NetsimError as e:
        _fail(e)
    terminal.print_check(report, console, quiet)
    if json_path:
        rows = report.expectations + report.matrix
        jsonout.write(json_path, jsonout.report(report.lab, report.profile, rows, report.seconds))
    sys.exit(EXIT_DISAGREE if report.failed else EXIT_OK)


def _fail(e: NetsimError) -> None:
    click.echo(f"netsim: {e}", err=True)
    sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
