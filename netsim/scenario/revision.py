"""A file as it was in a git revision (`netsim diff --git REV FILE`): read with git (its size
first, then the blob), bounded as any file netsim reads, into a private temporary directory
under the file's own name (so that a Compose file or a conflist is still recognised by its
name)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from netsim.errors import EnvironmentProblem, ScenarioError
from netsim.scenario.load import MAX_BYTES

REV = re.compile(r"^[\w./@{}~^-]+$")  # a revision as git spells it; never an option


@contextmanager
def at(rev: str, file: str) -> Iterator[Path]:
    if not REV.match(rev) or rev.startswith("-"):
        raise ScenarioError(f"--git {rev}: not a revision", valid="HEAD, main, HEAD~1, a1b2c3")
    if shutil.which("git") is None:
        raise EnvironmentProblem("--git needs git", "apt-get install git")
    path = Path(file)
    if not path.is_file():
        raise ScenarioError(f"no such file: {file}", valid="a file git tracks")
    where, obj = path.resolve().parent, f"{rev}:./{path.name}"
    size = _git(where, ["cat-file", "-s", obj], rev, file)  # bounded before it is read
    if int(size or 0) > MAX_BYTES:
        raise ScenarioError(f"{rev}:{file} has {int(size)} bytes: more than the "
                            f"{MAX_BYTES >> 20} MiB netsim reads")
    got = subprocess.run(["git", "-C", str(where), "cat-file", "blob", obj],
                         capture_output=True, timeout=30, check=False)
    if got.returncode != 0 or len(got.stdout) > MAX_BYTES:
        raise ScenarioError(f"--git {rev}: reading {rev}:{file} failed")
    with tempfile.TemporaryDirectory(prefix="netsim-rev-") as tmp:
        then = Path(tmp) / path.name
        then.write_bytes(got.stdout)
        yield then


def _git(where: Path, argv: list[str], rev: str, file: str) -> str:
    got = subprocess.run(["git", "-C", str(where), *argv], capture_output=True, timeout=30,
                         check=False, text=True)
    if got.returncode != 0:
        said = got.stderr.strip().splitlines()
        raise ScenarioError(f"--git {rev}: git cannot read {rev}:{file}: "
                            f"{said[0] if said else got.returncode}")
    return got.stdout.strip()
