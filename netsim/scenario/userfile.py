"""Reading a file a user named, as root: regular files only, bounded before they are read.

A FIFO would block forever, /dev/zero never ends, and /proc or /sys files report a size of 0
while holding what netsim must never print; none of them is a configuration file. The size is
checked on the open descriptor (no race with a rename) and the read stops at the bound.
"""

from __future__ import annotations

import difflib
import os
import stat
from collections.abc import Collection
from pathlib import Path

from netsim.errors import ScenarioError, Where

PSEUDO = ("/proc/", "/sys/", "/dev/")  # kernel files: never a user's configuration


def read_text(path: Path | str, limit: int, valid: str) -> str:
    """The file's text; a ScenarioError that names the file (never its content) otherwise."""
    name = str(path)
    if os.path.realpath(name).startswith(PSEUDO):
        raise ScenarioError(f"{name} is a kernel file, not a configuration file", valid=valid)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ScenarioError(f"no such file: {name}", valid=valid) from None
    except OSError as e:
        raise ScenarioError(f"cannot read {name}: {e.strerror}", valid=valid) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # a directory opens too, and fdopen refuses it
            raise ScenarioError(f"{name} is not a regular file", valid=valid)
        if info.st_size > limit:
            raise ScenarioError(f"{name} has {info.st_size} bytes: more than the "
                                f"{_size(limit)} netsim reads", valid=valid)
        raw = b""
        while len(raw) <= limit and (chunk := os.read(fd, limit + 1 - len(raw))):
            raw += chunk
    except OSError as e:
        raise ScenarioError(f"cannot read {name}: {e.strerror}", valid=valid) from None
    finally:
        os.close(fd)
    if len(raw) > limit:  # it grew while we read
        raise ScenarioError(f"{name} has more than the {_size(limit)} netsim reads", valid=valid)
    return _decoded(raw, name)


STDIN = "<stdin>"  # how a scenario read from standard input (`-`) is named in errors


def read_stdin(limit: int, valid: str) -> str:
    """Standard input (`netsim check -`), read up to the bound and no further."""
    import sys

    raw = b""
    while len(raw) <= limit and (chunk := sys.stdin.buffer.read(limit + 1 - len(raw))):
        raw += chunk
    if len(raw) > limit:
        raise ScenarioError(f"standard input has more than the {_size(limit)} netsim reads",
                            valid=valid)
    if not raw.strip():
        raise ScenarioError("standard input is empty", valid=valid)
    return _decoded(raw, STDIN)


def _decoded(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ScenarioError(f"not UTF-8 text: byte {raw[e.start]:#04x} cannot be decoded",
                            Where(name, line)) from None


def foreign(data: object, known: Collection[str], prefixes: tuple[str, ...] = ()) -> bool:
    """A mapping none of whose top-level keys is, or nearly is, one of `known`: another kind
    of file (/etc/shadow, /proc/self/status). Its keys are its content, so an error about it
    names the file and never quotes them."""
    if not isinstance(data, dict) or not data:
        return False
    for key in map(str, data):
        if key in known or key.startswith(prefixes) or \
                difflib.get_close_matches(key, known, n=1, cutoff=0.75):
            return False
    return True


def not_a(name: str, what: str, valid: str) -> ScenarioError:
    return ScenarioError(f"not {what}: none of its top-level keys is one", Where(name),
                         valid)


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n >> 10} KiB"
