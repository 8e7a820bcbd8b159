"""The docs say what the CLI is: docs/cli.md is made from the commands themselves (their help,
every option), and a test keeps it so; the README's commands and flags exist.

    .venv/bin/python -m tests.test_docs    # rewrites docs/cli.md after a change to the CLI
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from netsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
CLI_MD = ROOT / "docs" / "cli.md"


def _options(cmd: click.Command) -> list[str]:
    out = []
    for p in cmd.params:
        if isinstance(p, click.Argument) or getattr(p, "hidden", False):
            continue
        names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
        text = " ".join((p.help or "").split())
        if isinstance(p.type, click.Choice):
            text += f" One of: {', '.join(map(str, p.type.choices))}."
        if p.show_default and p.default not in (None, False, ()):
            text += f" Default: `{p.default}`."
        out.append(f"- {names}: {text}")
    return out


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    out = []
    for name in sorted(group.commands):
        cmd = group.commands[name]
        out.append((f"{prefix} {name}", cmd))
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix} {name}")
    return out


def render() -> str:
    lines = ["# Commands and flags", "",
             "Made from the commands themselves (`python -m tests.test_docs`); "
             "`netsim COMMAND --help` says the same.", ""]
    ctx = click.Context(main, info_name="netsim")
    for path, cmd in _commands(main, "netsim"):
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        lines += [f"## `{path}`", "", f"`{path} {usage}`".replace(" ]", "]"), "",
                  " ".join((cmd.help or "").split()), ""]
        opts = _options(cmd)
        if opts:
            lines += [*opts, ""]
    return "\n".join(lines).rstrip() + "\n"


def test_the_cli_reference_is_the_cli() -> None:
    assert CLI_MD.read_text() == render(), "docs/cli.md is stale: python -m tests.test_docs"


def test_every_command_and_flag_the_readme_names_exists() -> None:
    """Each `netsim COMMAND ...` the README writes names a command, and every flag after it
    is one of that command's."""
    commands = dict(_commands(main, "netsim"))
    said = re.findall(r"netsim ((?:import )?[a-z-]+)([^`\n|]*)", (ROOT / "README.md").read_text())
    assert len(said) > 5
    for name, rest in said:
        cmd = commands.get(f"netsim {name}")
        if cmd is None:
            continue  # "netsim run as root ...": words, not a command line
        flags = {o for p in cmd.params for o in [*p.opts, *getattr(p, "secondary_opts", [])]}
        for flag in re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", rest):
            assert flag in flags | {"--help", "-h"}, f"netsim {name} {flag}"


if __name__ == "__main__":
    CLI_MD.write_text(render())
    print(f"wrote {CLI_MD}")
