"""Where netsim's kernel objects live: namespace names, the journal, entering and removing.

Every namespace netsim makes is named `nsim-<lab>-<node>` and written to the lab's journal
(/run/netsim/<lab>.json) *before* it is created, so `netsim cleanup` can remove exactly what a
crashed or SIGKILLed run made. Cleanup deletes only names its journals list (ownership, not a
name pattern), after killing processes whose network namespace is one of them.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

NETNS_DIR = Path("/run/netns")
JOURNAL_DIR = Path(os.environ.get("NETSIM_STATE", "/run/netsim"))
PREFIX = "nsim-"
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


def ns_name(lab: str, node: str) -> str:
    """The kernel name of a model namespace: printable, no '/', prefixed with the lab."""
    safe = node.replace("/", "_").replace("@", ".")
    return f"{PREFIX}{lab}-{safe}"


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def setns(fd: int) -> None:
    _check(_libc.setns(fd, CLONE_NEWNET), "setns")


@contextmanager
def in_netns(name: str) -> Iterator[None]:
    """Move the calling thread into namespace `name`, and always back."""
    old = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    new = os.open(NETNS_DIR / name, os.O_RDONLY)
    try:
        setns(new)
        yield
    finally:
        setns(old)
        os.close(old)
        os.close(new)


def in_thread(fn: Callable[[], T]) -> T:
    """Run `fn` in a short-lived thread (for unshare, which cannot be undone in a thread)."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["v"] = fn()
        except BaseException as e:
            box["e"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "e" in box:
        raise box["e"]  # type: ignore[misc]
    return box.get("v")  # type: ignore[return-value]


def create_netns(name: str, sysctls: dict[str, str]) -> None:
    """`ip netns add` done in a thread (no fork), then the namespace's own sysctls."""
    NETNS_DIR.mkdir(parents=True, exist_ok=True)
    target = NETNS_DIR / name
    if target.exists():
        raise FileExistsError(f"namespace {name} exists")

    def make() -> None:
        _check(_libc.unshare(CLONE_NEWNET), "unshare")
        target.touch()
        src = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net".encode()
        _check(_libc.mount(src, str(target).encode(), None, MS_BIND, None), "mount")
        for key, value in sysctls.items():  # /proc/sys/net follows the opening thread's netns
            path = Path("/proc/sys") / key.replace(".", "/")
            if path.exists():
                path.write_text(value)

    in_thread(make)


def write_sysctl(name: str, key: str, value: str) -> None:
    """/proc/sys/net is the opening thread's namespace's: write it from inside `name`."""
    def write() -> None:
        with in_netns(name):
            (Path("/proc/sys") / key.replace(".", "/")).write_text(value)

    in_thread(write)


def remove_netns(name: str) -> None:
    target = NETNS_DIR / name
    _libc.umount2(str(target).encode(), MNT_DETACH)
    try:
        target.unlink()
    except FileNotFoundError:
        pass


def holders(names: list[str]) -> dict[int, str]:
    """pid -> namespace, for every process whose network namespace is one of `names`."""
    inode = {}
    for n in names:
        try:
            inode[os.stat(NETNS_DIR / n).st_ino] = n
        except OSError:
            pass
    out = {}
    if not inode:
        return out
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            ino = os.stat(f"/proc/{pid}/ns/net").st_ino
        except OSError:
            continue
        if ino in inode and int(pid) != os.getpid():
            out[int(pid)] = inode[ino]
    return out


# --- the journal ----------------------------------------------------------------------
def journal_path(lab: str) -> Path:
    return JOURNAL_DIR / f"{lab}.json"


def read_journal(lab: str) -> dict:
    try:
        return json.loads(journal_path(lab).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {"lab": lab, "namespaces": [], "keeper": None}


def write_journal(lab: str, data: dict) -> None:
    JOURNAL_DIR.mkdir(parents=True, exist_ok=True)
    tmp = journal_path(lab).with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(journal_path(lab))  # atomic: a crash leaves the old or the new journal


def files_dir(lab: str) -> Path:
    """Where a lab's per-container files live (hosts, resolv.conf, nsswitch.conf)."""
    return JOURNAL_DIR / f"{lab}.files"


def labs() -> list[str]:
    if not JOURNAL_DIR.is_dir():
        return []
    return sorted(p.stem for p in JOURNAL_DIR.glob("*.json"))


def _pid_is(pid: int, start: str | None) -> bool:
    """Is `pid` still the process we journaled (same start time), not a reused number?"""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return start is None or stat.rsplit(")", 1)[1].split()[19] == start


def pid_start(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def teardown(lab: str) -> list[str]:
    """Remove everything the lab's journal lists: its keeper, processes inside, namespaces."""
    data = read_journal(lab)
    keeper = data.get("keeper")
    if keeper and _pid_is(keeper["pid"], keeper.get("start")):
        try:
            os.kill(keeper["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    names = list(data.get("namespaces", []))
    for pid in holders(names):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for n in names:
        remove_netns(n)
    if data.get("files") == str(files_dir(lab)):  # only the directory this lab journaled
        shutil.rmtree(files_dir(lab), ignore_errors=True)
    try:
        journal_path(lab).unlink()
    except FileNotFoundError:
        pass
    return names


def wait_gone(names: list[str], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any((NETNS_DIR / n).exists() for n in names):
        time.sleep(0.01)
