"""One lab never harms another, every signal leaves nothing, the services keep none of the
caller's files. Real namespaces, real processes, real signals (root)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from netsim.realize import lifecycle, sandbox
from netsim.realize.journal import Journal
from tests.conftest import ROOT, needs_root

pytestmark = needs_root


def netsim(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netsim.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def ours(lab: str) -> list[str]:
    return sorted(n for n in os.listdir(sandbox.NETNS_DIR) if n.startswith(f"nsim-{lab}."))


def state_files(lab: str) -> list[str]:
    return sorted(p.name for p in sandbox.JOURNAL_DIR.glob(f"{lab}.*")) \
        if sandbox.JOURNAL_DIR.is_dir() else []


def test_labs_whose_old_names_collided_coexist_and_probe_clean(tmp_path: Path) -> None:
    """Lab `ab` with container `cd-web` and lab `ab-cd` with container `web` both made
    nsim-ab-cd-web once; the second up failed and its teardown removed the first's."""
    first = tmp_path / "one.yml"
    second = tmp_path / "two.yml"
    first.write_text("name: ab\ncontainers: {cd-web: {listen: [80/tcp]}}\nexpect:\n"
                     "  - {from: lan, to: cd-web, result: blocked}\n")
    second.write_text("name: ab-cd\ncontainers: {web: {listen: [80/tcp]}}\nexpect:\n"
                      "  - {from: lan, to: web, result: blocked}\n")
    try:
        assert netsim("up", str(first)).returncode == 0
        up = netsim("up", str(second))
        assert up.returncode == 0, up.stderr
        assert "nsim-ab.cd-web" in ours("ab") and "nsim-ab-cd.web" in ours("ab-cd")
        for lab in ("ab", "ab-cd"):
            probe = netsim("probe", lab, "-q")
            assert probe.returncode == 0, probe.stdout + probe.stderr
    finally:
        netsim("down", "ab")
        netsim("down", "ab-cd")
    assert not ours("ab") and not ours("ab-cd")


def test_a_failed_up_never_removes_a_namespace_it_did_not_make(tmp_path: Path) -> None:
    """A namespace that merely exists with a lab's name is not that lab's."""
    squatter = sandbox.ns_name("sq", "docker1")
    # made by hand, not `ip netns add`: that one turns /run/netns into a mount point of the
    # machine's mount namespace, which the session guard rightly reports
    target = sandbox.NETNS_DIR / squatter
    sandbox.NETNS_DIR.mkdir(parents=True, exist_ok=True)
    target.touch()
    subprocess.run(["unshare", "--net", "mount", "--bind", "/proc/self/ns/net", str(target)],
                   check=True)
    try:
        path = tmp_path / "sq.yml"
        path.write_text("name: sq\ncontainers: {web: {}}\n")
        up = netsim("up", str(path))
        assert up.returncode == 3 and "not this lab's" in up.stderr, up.stderr
        assert (sandbox.NETNS_DIR / squatter).exists()  # still there
        assert not state_files("sq") and ours("sq") == [squatter]
    finally:
        subprocess.run(["umount", str(target)], check=True)
        target.unlink()


def test_a_mount_point_cut_before_its_proof_goes_and_an_older_one_stays() -> None:
    """SIGKILL between the exclusive create and its proof: the log holds the claim alone.
    Cleanup removes that mount point (born after the claim), not one born before it."""
    lab = "cut"
    older, cut = (sandbox.NETNS_DIR / sandbox.ns_name(lab, n) for n in ("old", "new"))
    sandbox.NETNS_DIR.mkdir(parents=True, exist_ok=True)
    older.touch()  # someone else's, there before the claim (whose create would then fail)
    try:
        time.sleep(0.05)  # past the coarse clock's tick that file times are stamped with
        assert sandbox.create_journal(lab, Journal(lab=lab, namespaces=[older.name, cut.name]))
        with pytest.raises(FileExistsError, match="not this lab's"):
            sandbox._claim_mount_point(older.name, lab)
        sandbox._log(lab, f"{sandbox.CLAIM}{cut.name} "
                          f"{time.clock_gettime_ns(sandbox.CLOCK_REALTIME_COARSE)}")
        os.close(os.open(cut, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o444))  # ... SIGKILL here
        assert sandbox.owned(lab) == [] and set(sandbox.claimed(lab)) == {older.name, cut.name}
        out = netsim("cleanup")
        assert out.returncode == 0, out.stderr
        assert not cut.exists() and older.exists() and not state_files(lab)
    finally:
        for path in (older, cut):
            path.unlink(missing_ok=True)
        if state_files(lab):
            sandbox.teardown(lab)


def test_a_broken_journal_does_not_stop_cleanup_of_the_others(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    path.write_text("name: cleanme\ncontainers: {web: {}}\n")
    assert netsim("up", str(path)).returncode == 0
    broken = sandbox.JOURNAL_DIR / "broken.json"
    broken.write_text("{ not json")
    try:
        out = netsim("cleanup", "--all")  # cleanme is up: --all takes it too
        assert out.returncode == 0, out.stderr
        assert "broken: skipped" in out.stderr and "cleanme: " in out.stdout
        assert not ours("cleanme") and not state_files("cleanme")
        assert broken.exists()  # reported and left alone: nothing says what it made
        ls = netsim("ls")
        assert "broken journal" in ls.stdout
    finally:
        broken.unlink(missing_ok=True)


def _scenario(path: Path, lab: str, n: int) -> None:
    doc = {"name": lab, "networks": {"aa": {}, "bb": {}},
           "containers": {f"c{i}": {"network": "aa" if i % 2 else "bb", "listen": ["80/tcp"]}
                          for i in range(n)}}
    path.write_text(yaml.safe_dump(doc))


def _interrupt_run(path: Path, lab: str, sig: int, delay: float | None) -> str:
    p = subprocess.Popen([sys.executable, "-m", "netsim.cli", "run", "-q", "--no-matrix",
                          str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    if delay is None:  # right after the first namespace exists
        deadline = time.monotonic() + 20
        while not ours(lab) and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.001)
    else:
        time.sleep(delay)
    p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    return f"{err} rc={p.returncode} {out[-400:]}"


def test_sigterm_and_sigint_at_ten_points_each_leave_nothing(tmp_path: Path) -> None:
    """The run returns, and nothing of it is left: no `netsim cleanup` needed."""
    path = tmp_path / "sig.yml"
    _scenario(path, "sigs", 40)
    rng = random.Random(11)
    for sig in (signal.SIGTERM, signal.SIGINT):
        for k in range(10):
            delay = None if k == 0 else rng.uniform(0.3, 2.0)
            err = _interrupt_run(path, "sigs", sig, delay)
            assert "Traceback" not in err, err
            assert not ours("sigs"), (sig, delay, err[-3000:])
            assert not state_files("sigs"), (sig, delay, state_files("sigs"))


def test_the_services_process_holds_none_of_the_callers_files(tmp_path: Path) -> None:
    path = tmp_path / "fd.yml"
    path.write_text("name: fds\ncontainers: {web: {listen: [80/tcp]}}\n")
    lock = tmp_path / "lock"
    fd = os.open(lock, os.O_CREAT | os.O_RDWR)
    try:
        up = subprocess.run([sys.executable, "-m", "netsim.cli", "up", str(path)], cwd=ROOT,
                            capture_output=True, text=True, pass_fds=(fd,), timeout=60)
        assert up.returncode == 0, up.stderr
        keeper = sandbox.read_journal("fds").keeper.pid
        held = {os.readlink(f"/proc/{keeper}/fd/{n}") for n in os.listdir(f"/proc/{keeper}/fd")}
        assert str(lock) not in held, held
        assert all(not h.startswith("/") or h.startswith("/dev/null") for h in held), held
    finally:
        os.close(fd)
        lifecycle.down("fds")


def test_ctrl_c_from_the_first_instruction_is_exit_130_and_leaves_nothing(tmp_path) -> None:
    """The command as installed (netsim.entry): a Ctrl-C while Python imports the CLI, while
    it parses, while it builds; each is 130, one line, no click "Aborted!", nothing left.
    (Python's own start-up, before netsim's first instruction, is Python's: the clock starts
    when the process says it is about to call netsim.entry.main.)"""
    path = tmp_path / "early.yml"
    _scenario(path, "early", 80)
    go = "import sys; from netsim import entry; sys.stderr.write('go\\n'); sys.stderr.flush()\n" \
        "entry.main()"
    for delay in (0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.5):
        p = subprocess.Popen([sys.executable, "-c", go, "run", "-q", str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert p.stderr.readline() == "go\n"
        time.sleep(delay)
        assert p.poll() is None, f"done before {delay} s: the signal would prove nothing"
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 130, (delay, p.returncode, err[-1000:])
        assert "Traceback" not in err and "Aborted" not in err, (delay, err[-1000:])
        assert not ours("early") and not state_files("early"), delay
