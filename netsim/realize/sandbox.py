"""Where netsim's kernel objects live: namespace names, the journal, entering and removing.

A namespace is named `nsim-<lab>.<node>`: a lab's name has no '.', so two labs can never make
the same name (long or odd node names become a hash; the readable name stays in the model).
The lab's journal (/run/netsim/<lab>.json, created exclusively) lists every namespace *before*
it is created. The lab's ownership log (<lab>.owned) gets a claim with the time before the
mount point is created exclusively (O_EXCL), and that success at once after. Teardown removes
only what the log proves the lab made — never a name that merely exists, never another lab's —
after killing processes whose network namespace is one of them, so `netsim cleanup` works after
a crash or SIGKILL too. A SIGKILL between the create and its proof leaves a claimed, empty,
unmounted mount point born after the claim: that too is the lab's and goes.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import shutil
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from netsim.errors import EnvironmentProblem
from netsim.realize import cgroups
from netsim.realize.journal import BrokenJournal, Daemon, Journal, parse
from netsim.realize.journal import dump as dump_journal

NETNS_DIR = Path("/run/netns")
JOURNAL_DIR = Path(os.environ.get("NETSIM_STATE", "/run/netsim"))
PREFIX = "nsim-"
CLAIM = "? "  # an ownership-log line that claims a name before its mount point is created
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2
CLOCK_REALTIME_COARSE = 5  # Linux; the clock file times are stamped with (Python has no name)
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


LAB = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}\Z")  # as the scenario's `name:` (no '.', no '/')
MAX_STATE = 64 << 20  # a journal holds the scenario: 1,000 containers is ~100 KiB
_SAFE = re.compile(r"^[A-Za-z0-9_.+-]{1,40}\Z")
CANCEL = threading.Event()  # set when the caller is interrupted: building threads stop


class Cancelled(Exception):
    """A building thread stopped because the caller was interrupted (SIGINT, SIGTERM)."""


class UntrustedState(EnvironmentProblem):
    """The state directory is not netsim's own (exit 3)."""


def ns_name(lab: str, node: str) -> str:
    """The kernel name of a model namespace: `nsim-<lab>.<node>` (or a hash of the node)."""
    safe = node.replace("/", "_").replace("@", "+")
    if not _SAFE.match(safe):
        safe = "h" + hashlib.sha256(node.encode()).hexdigest()[:16]
    return f"{PREFIX}{lab}.{safe}"


def check_cancel() -> None:
    if CANCEL.is_set():
        raise Cancelled("interrupted")


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
    """Run `fn` in a short-lived thread (for unshare, which cannot be undone in a thread).
    An interruption of the caller (Ctrl-C, SIGTERM's SystemExit) asks the thread to stop and
    waits for it, so nothing is being built while the caller tears down."""
    box: dict[str, object] = {}
    done = threading.Event()  # not Thread.join: an interrupted join() can report a live thread dead

    def run() -> None:
        try:
            box["v"] = fn()
        except BaseException as e:
            box["e"] = e
        finally:
            done.set()

    # SIGINT / SIGTERM held back while the thread starts: raised inside start() they would
    # leave a builder running that nobody waits for; released inside the guarded block
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        threading.Thread(target=run).start()
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        while not done.wait(0.05):
            pass
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        CANCEL.set()
        _wait_through_interrupts(done)
        raise
    if "e" in box:
        raise box["e"]  # type: ignore[misc]
    return box.get("v")  # type: ignore[return-value]


@contextmanager
def uninterrupted() -> Iterator[None]:
    """SIGINT and SIGTERM held back until the block ends (teardown: half a teardown leaves
    what the other half would have removed); one that arrived meanwhile is raised after.
    The handlers are swapped, not the signal mask: a mask is per thread, and a signal
    another thread receives still runs the Python handler in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread runs Python's handlers (and may swap them)
        return
    got: list[int] = []
    old = {s: signal.signal(s, lambda n, _f: got.append(n))
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if got:
            signal.raise_signal(got[0])


def _wait_through_interrupts(done: threading.Event) -> None:
    """Wait for a cancelled worker to stop, whatever else arrives meanwhile (a second Ctrl-C)."""
    while True:
        try:
            if done.wait(0.05):
                return
        except BaseException:
            continue


def _claim_mount_point(name: str, lab: str) -> Path:
    """/run/netns/<name>, created exclusively and logged as the lab's before any mount."""
    check_cancel()
    NETNS_DIR.mkdir(parents=True, exist_ok=True)
    target = NETNS_DIR / name
    # the clock the kernel stamps files with: born at or after the claim means made after it
    _log(lab, f"{CLAIM}{name} {time.clock_gettime_ns(CLOCK_REALTIME_COARSE)}")
    try:
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o444))
    except FileExistsError:
        raise FileExistsError(f"namespace {name} exists and is not this lab's") from None
    own(lab, name)
    return target


def create_netns(name: str, sysctls: dict[str, str], lab: str) -> None:
    """`ip netns add` done in a thread (no fork), then the namespace's own sysctls. The mount
    point is created exclusively and logged as the lab's before anything is mounted on it."""
    target = _claim_mount_point(name, lab)

    def make() -> None:
        _check(_libc.unshare(CLONE_NEWNET), "unshare")
        src = f"/proc/{os.getpid()}/task/{threading.get_native_id()}/ns/net".encode()
        _check(_libc.mount(src, str(target).encode(), None, MS_BIND, None), "mount")
        for key, value in sysctls.items():  # /proc/sys/net follows the opening thread's netns
            path = Path("/proc/sys") / key.replace(".", "/")
            if path.exists():
                path.write_text(value)

    in_thread(make)


def attach_netns(name: str, pid: int, lab: str) -> None:
    """`ip netns attach`: a name for a namespace another program made (a real engine's
    container), logged as the lab's before the bind mount exists, removed like its own."""
    target = _claim_mount_point(name, lab)
    _check(_libc.mount(f"/proc/{pid}/ns/net".encode(), str(target).encode(), None, MS_BIND,
                       None), "mount")


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


# --- the state directory: root's alone ------------------------------------------------
def state_dir() -> Path:
    """JOURNAL_DIR, 0700 and ours whatever the umask. One another user owns, or a symlink,
    is refused: whatever it holds could name any process or namespace on this machine."""
    try:
        os.mkdir(JOURNAL_DIR, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        JOURNAL_DIR.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(JOURNAL_DIR, 0o700)
    st = os.lstat(JOURNAL_DIR)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        raise UntrustedState(f"{JOURNAL_DIR} is not a directory of this user's: netsim keeps "
                             "its journals there and trusts nothing it did not write",
                             f"remove it (rm -r {JOURNAL_DIR}) or set NETSIM_STATE")
    if stat.S_IMODE(st.st_mode) != 0o700:
        os.chmod(JOURNAL_DIR, 0o700)  # ours, made under another umask: close it
    return JOURNAL_DIR


def _read_state(path: Path) -> str | None:
    """A journal or ownership log, if netsim wrote it: a regular file (no symlink) of this
    user's, writable by no one else; None when there is none."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise BrokenJournal(f"{path} cannot be read: {e.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise BrokenJournal(f"{path} was not written by netsim (owner uid {st.st_uid}, "
                                f"mode {stat.S_IMODE(st.st_mode):04o}): left alone")
        raw = f.read(MAX_STATE + 1)
    if len(raw) > MAX_STATE:
        raise BrokenJournal(f"{path} is larger than any journal netsim writes")
    return raw.decode("utf-8", errors="replace")


def owned_path(lab: str) -> Path:
    return JOURNAL_DIR / f"{lab}.owned"


def own(lab: str, name: str) -> None:
    """Log that the lab made `name` (its mount point was created exclusively)."""
    _log(lab, name)


def _log(lab: str, line: str) -> None:
    """Append a line to the lab's ownership log: one write, so a SIGKILL cannot split it."""
    state_dir()
    fd = os.open(owned_path(lab), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW,
                 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def owned(lab: str, lines: list[str] | None = None) -> list[str]:
    """The namespaces this lab proved it made (created their mount point exclusively)."""
    if lines is None:
        lines = (_read_state(owned_path(lab)) or "").splitlines()
    return [n for n in dict.fromkeys(lines) if n.startswith(f"{PREFIX}{lab}.")]


def claimed(lab: str) -> dict[str, int]:
    """name -> claim time, for the lab's claims that the log does not prove (yet)."""
    lines = (_read_state(owned_path(lab)) or "").splitlines()
    proven = set(owned(lab, lines))
    out = {}
    for line in lines:
        name, _, stamp = line.removeprefix(CLAIM).partition(" ")
        if line.startswith(CLAIM) and name.startswith(f"{PREFIX}{lab}.") and stamp.isdigit():
            out[name] = int(stamp)
    return {n: t for n, t in out.items() if n not in proven}


def _remove_unproven(name: str, claimed_at: int) -> None:
    """The mount point of a create that SIGKILL cut before its proof: removed only while it
    is the plain file we made — nothing mounted on it, born at or after our claim."""
    target = NETNS_DIR / name
    try:
        st = os.stat(target)
        if st.st_dev == os.stat(NETNS_DIR).st_dev and st.st_size == 0 \
                and st.st_ctime_ns >= claimed_at:
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
    if not LAB.match(lab):  # never a path outside the journal directory (`netsim probe ../x`)
        raise BrokenJournal(f"'{lab}' is not a lab name")
    return JOURNAL_DIR / f"{lab}.json"


def read_journal(lab: str) -> Journal:
    """The lab's journal (an empty one when there is none); BrokenJournal when it cannot be
    trusted or is not one netsim wrote."""
    path = journal_path(lab)
    text = _read_state(path)
    return Journal(lab=lab) if text is None else parse(text, str(path))


def create_journal(lab: str, journal: Journal) -> bool:
    """Start a lab's journal; False when one exists (the lab is up, or being built)."""
    state_dir()
    try:
        fd = os.open(journal_path(lab), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(dump_journal(journal))
    return True


def write_journal(lab: str, journal: Journal) -> None:
    state_dir()
    tmp = journal_path(lab).with_suffix(".tmp")
    with uninterrupted():  # a SIGTERM between the two steps would leave the .tmp behind
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(dump_journal(journal))
        tmp.replace(journal_path(lab))  # atomic: a crash leaves the old or the new journal


_JOURNAL_LOCK = threading.Lock()


def update_journal(lab: str, change: Callable[[Journal], None]) -> None:
    """Read, change and write the journal as one step (threads start daemons at once)."""
    with _JOURNAL_LOCK:
        journal = read_journal(lab)
        change(journal)
        write_journal(lab, journal)


def files_dir(lab: str) -> Path:
    """Where a lab's per-container files live (hosts, resolv.conf, nsswitch.conf, a managed
    dockerd's socket): inside the 0700 state directory, so no other user reaches them."""
    return JOURNAL_DIR / f"{lab}.files"


def labs() -> list[str]:
    """Labs with a journal or an ownership log (a crash can leave either alone), in a state
    directory that is netsim's own (UntrustedState otherwise)."""
    if not JOURNAL_DIR.exists() and not JOURNAL_DIR.is_symlink():
        return []
    state_dir()
    found = {p.stem for p in JOURNAL_DIR.glob("*.json")} | {
        p.stem for p in JOURNAL_DIR.glob("*.owned")}
    return sorted(n for n in found if LAB.match(n))


def _pid_is(pid: int, start: str | None) -> bool:
    """Is `pid` still the process we journaled (same start time), not a reused number?"""
    try:
        line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return start is None or line.rsplit(")", 1)[1].split()[19] == start


def status(lab: str) -> str | None:
    """Why the lab must not be cleaned up: the process building or using it is alive, or it
    was left up on purpose (netsim up, run --keep); None when what is left is a crashed
    run's. A journal that cannot be trusted raises BrokenJournal."""
    journal = read_journal(lab)
    pid, start = journal.pid, journal.pid_start
    if pid is not None and pid > 0 and start is not None and pid != os.getpid() \
            and _pid_is(pid, start):
        return f"in use by process {pid}"
    if journal.kept:
        return "up (netsim down " + lab + " removes it)"
    return None


def dead(lab: str) -> list[str]:
    """The lab's own processes (its services keeper, its daemons) that are gone: what they
    served answers nothing, so a probe of it is no evidence of the scenario."""
    journal = read_journal(lab)
    out = []
    def gone(pid: int, start: str | None) -> bool:  # a zombie (our own child) is gone too
        return not (_pid_is(pid, start) and _alive(pid))

    keeper = journal.keeper
    if keeper is not None and gone(keeper.pid, keeper.start):
        out.append("netsim's services process")
    out += [f"{d.what} on {d.host}" for d in journal.daemons
            if d.pid is not None and gone(d.pid, d.start)]
    return out


def keep(lab: str) -> None:
    """The lab stays up after its builder exits: `cleanup` leaves it to `down`."""
    update_journal(lab, lambda j: setattr(j, "kept", True))


def pid_start(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def teardown(lab: str) -> list[str]:
    """Remove what the lab proved it made: its keeper, processes inside, the namespaces of its
    ownership log, its files; then its journal and log. Never half of it: SIGINT and SIGTERM
    wait until it is done."""
    with uninterrupted():
        return _teardown(lab)


def _teardown(lab: str) -> list[str]:
    try:
        journal = read_journal(lab)
    except BrokenJournal:
        if not owned(lab) and not claimed(lab):
            raise  # nothing proves what is ours: report it, touch nothing
        journal = Journal(lab=lab)  # the ownership log still says what is ours
    names = owned(lab)
    inodes = _inodes(names)
    keeper = journal.keeper
    if keeper is not None and _ours(keeper.pid, keeper.start, inodes):
        with contextlib.suppress(ProcessLookupError):
            os.kill(keeper.pid, signal.SIGKILL)
    daemons = journal.daemons
    for d in daemons:  # a cgroup that is not this lab's own is not touched
        if not _lab_cgroup(lab, d.cgroup):
            d.cgroup = ""
    killed = _stop_daemons(daemons, inodes)
    for pid in holders(names):
        killed.append(pid)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _wait_dead(killed)  # a daemon's private mounts go with its last process
    for n in names:
        remove_netns(n)
    for n, at in claimed(lab).items():
        _remove_unproven(n, at)
    for d in daemons:
        cgroups.remove(d.cgroup)
    if journal.files == str(files_dir(lab)):  # only the directory this lab journaled
        shutil.rmtree(files_dir(lab), ignore_errors=True)
    for path in (journal_path(lab), owned_path(lab), journal_path(lab).with_suffix(".tmp")):
        try:
            path.unlink()
        except FileNotFoundError:
            pass
    return names


def _inodes(names: list[str]) -> set[int]:
    out = set()
    for n in names:
        with contextlib.suppress(OSError):
            out.add(os.stat(NETNS_DIR / n).st_ino)
    return out


def _ours(pid: object, start: object, inodes: set[int]) -> bool:
    """The journaled process, still the one started (same start time), and living in one of
    the lab's namespaces: a journal's number alone never names a process to kill."""
    if not isinstance(pid, int) or pid <= 1 or not isinstance(start, str) \
            or not _pid_is(pid, start):
        return False
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
    except OSError:
        return False


def _lab_cgroup(lab: str, path: object) -> bool:
    """`/nsim-<lab>.<host>`, the cgroup parent netsim gives a lab's dockerd, and nothing else."""
    return isinstance(path, str) and re.fullmatch(
        rf"/{re.escape(PREFIX + lab)}\.[A-Za-z0-9_.+-]+", path) is not None


def _stop_daemons(daemons: list[Daemon], inodes: set[int]) -> list[int]:
    """SIGKILL each journaled daemon (dockerd) that is still the process we started, in the
    lab's namespace, then whatever is left in its containers' cgroup sub-tree (the lab's own
    prefix only); the rest of it (containerd, shims, docker-proxy) lives in the host's
    namespace and goes with its holders."""
    killed = []
    for d in daemons:
        if d.pid is not None and _ours(d.pid, d.start, inodes):
            killed.append(d.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(d.pid, signal.SIGKILL)
        killed += cgroups.pids(d.cgroup)
        cgroups.kill(d.cgroup)
    return killed


def _wait_dead(pids: list[int], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    left = set(pids)
    while left and time.monotonic() < deadline:
        for pid in list(left):
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)  # our own child (dockerd): reap it
            if not _alive(pid):
                left.discard(pid)
        if left:
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(names: list[str], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any((NETNS_DIR / n).exists() for n in names):
        time.sleep(0.01)
