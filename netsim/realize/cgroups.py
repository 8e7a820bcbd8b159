"""The cgroup sub-trees a lab's daemons put their containers in (dockerd --cgroup-parent):
one directory per hierarchy, found, emptied and removed by path, never by process name."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    """Every mounted cgroup hierarchy: the v1 controllers' directories, or v2's one root."""
    if (ROOT / "cgroup.procs").exists():
        return [ROOT]
    return sorted(p for p in ROOT.iterdir() if p.is_dir() and (p / "cgroup.procs").exists())


def dirs(parent: str) -> list[Path]:
    """`parent` (a path like /nsim-lab.docker1) in every hierarchy where it exists."""
    rel = parent.strip("/")
    if not rel or ".." in rel.split("/"):
        return []
    return [h / rel for h in hierarchies() if (h / rel).is_dir()]


def pids(parent: str) -> set[int]:
    out: set[int] = set()
    for top in dirs(parent):
        for procs in top.rglob("cgroup.procs"):
            try:
                out |= {int(p) for p in procs.read_text().split()}
            except OSError:
                continue
    return out - {os.getpid()}


def kill(parent: str) -> None:
    for pid in pids(parent):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def remove(parent: str, timeout: float = 5.0) -> None:
    """rmdir the sub-tree, deepest first; a cgroup is busy until its last process is reaped."""
    deadline = time.monotonic() + timeout
    for top in dirs(parent):
        subdirs = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts))
        for d in [*subdirs, top]:
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.05)
