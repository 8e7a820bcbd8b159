"""The `netsim` command's first instructions. Importing the CLI takes most of a second; a
Ctrl-C meanwhile has nothing to undo, so it ends the process at once with 130 and one line
(not a traceback, not click's "Aborted!" and exit 1). The CLI takes SIGINT back before it
does anything that builds."""

from __future__ import annotations

import os
import signal


def main() -> None:
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # nohup's stays
        signal.signal(signal.SIGINT, _early)
    from netsim.cli import main as cli

    cli()


def _early(signum: int, frame: object) -> None:
    os.write(2, b"netsim: interrupted\n")
    os._exit(130)
