"""`netsim cleanup` removes what crashed runs left and nothing else: never a lab that is up
or in use, never a process, namespace or cgroup that a journal names but netsim did not
make, never on the word of a file another user wrote. Real labs, real processes (root)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from netsim.realize import sandbox
from tests.conftest import ROOT, needs_root

pytestmark = needs_root
NOBODY = 65534


def netsim(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netsim.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, timeout=180, env=env)


def ours(lab: str) -> list[str]:
    return sorted(n for n in os.listdir(sandbox.NETNS_DIR) if n.startswith(f"nsim-{lab}."))


def _scenario(path: Path, lab: str, n: int) -> Path:
    path.write_text(yaml.safe_dump({"name": lab, "containers": {
        f"c{i}": {"listen": ["80/tcp"]} for i in range(n)}}))
    return path


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_cleanup_leaves_labs_up_and_a_run_in_flight_and_removes_a_crashed_one(
        tmp_path: Path) -> None:
    for lab in ("keepa", "keepb"):
        up = netsim("up", str(_scenario(tmp_path / f"{lab}.yml", lab, 3)))
        assert up.returncode == 0, up.stderr
    keepers = {lab: sandbox.read_journal(lab).keeper.pid for lab in ("keepa", "keepb")}
    crash = subprocess.Popen([sys.executable, "-m", "netsim.cli", "up",
                              str(_scenario(tmp_path / "crash.yml", "crash", 40))], cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(ours("crash")) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    crash.send_signal(signal.SIGKILL)
    crash.wait()
    assert ours("crash"), "the kill came before any namespace existed"
    flight = subprocess.Popen([sys.executable, "-m", "netsim.cli", "run", "--matrix", "full",
                               str(_scenario(tmp_path / "flight.yml", "flight", 120))],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        while not (sandbox.read_journal("flight").keeper and flight.poll() is None):
            assert time.monotonic() < deadline + 60 and flight.poll() is None, flight.stderr
            time.sleep(0.01)  # up: probing from now on
        out = netsim("cleanup")
        assert out.returncode == 0, out.stderr
        assert "keepa: left alone: up" in out.stderr and "keepb: left alone: up" in out.stderr
        assert f"flight: left alone: in use by process {flight.pid}" in out.stderr, out.stdout
        assert "crash: " in out.stdout and ours("crash") == []
        assert not sandbox.journal_path("crash").exists()
        for lab, pid in keepers.items():
            assert ours(lab) and _alive(pid), lab
        stdout, stderr = flight.communicate(timeout=180)
        assert flight.returncode == 0, stderr[-2000:]  # probed to the end, nothing disagreed
        assert "Traceback" not in stderr and "flight:" in stdout
    finally:
        if flight.poll() is None:
            flight.kill()
            flight.wait()
        for lab in ("keepa", "keepb", "flight", "crash"):
            netsim("down", lab)
    assert not any(ours(lab) for lab in ("keepa", "keepb", "flight", "crash"))


@pytest.fixture
def victim():
    """A process and a namespace netsim never made: what forged journals name."""
    proc = subprocess.Popen(["sleep", "300"])
    subprocess.run(["ip", "netns", "add", "nsim-forged.x"], check=True)
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["ip", "netns", "del", "nsim-forged.x"], check=False)
        for f in ("forged.json", "forged.owned", "rootjournal.json"):
            (sandbox.JOURNAL_DIR / f).unlink(missing_ok=True)


def _forge(name: str, data: str, uid: int = 0, mode: int = 0o600) -> Path:
    path = sandbox.JOURNAL_DIR / name
    path.write_text(data)
    os.chown(path, uid, uid)
    os.chmod(path, mode)
    return path


def test_journals_and_logs_another_user_wrote_are_ignored(victim) -> None:
    sandbox.state_dir()
    start = sandbox.pid_start(victim.pid)
    journal = json.dumps({"lab": "forged", "namespaces": ["nsim-forged.x"],
                          "keeper": {"pid": victim.pid, "start": start},
                          "daemons": [{"host": "d", "pid": victim.pid, "start": start,
                                       "cgroup": "/"}]})
    _forge("forged.json", journal, uid=NOBODY)
    _forge("forged.owned", "nsim-forged.x\n", uid=NOBODY)
    out = netsim("cleanup")
    assert out.returncode == 0, out.stderr
    assert "forged: skipped" in out.stderr and "not written by netsim (owner uid 65534" \
        in out.stderr, out.stderr
    assert _alive(victim.pid) and (sandbox.NETNS_DIR / "nsim-forged.x").exists()
    # root's own, but writable by everyone: anyone could have put those lines there
    _forge("forged.json", journal, mode=0o666)
    _forge("forged.owned", "nsim-forged.x\n", mode=0o666)
    out = netsim("cleanup")
    assert "forged: skipped" in out.stderr and "mode 0666" in out.stderr, out.stderr
    assert _alive(victim.pid) and (sandbox.NETNS_DIR / "nsim-forged.x").exists()


def test_a_journal_of_roots_never_names_a_process_outside_its_lab(victim) -> None:
    """A trusted journal, but its keeper and daemon are a process of the machine's own
    namespace and its cgroup is the root: netsim kills and removes none of them."""
    sandbox.state_dir()
    start = sandbox.pid_start(victim.pid)
    _forge("rootjournal.json", json.dumps({
        "lab": "rootjournal", "namespaces": [], "keeper": {"pid": victim.pid, "start": start},
        "daemons": [{"host": "d", "pid": victim.pid, "start": start, "cgroup": "/"},
                    {"host": "e", "cgroup": "/system.slice"}]}))
    out = netsim("cleanup")
    assert out.returncode == 0 and "rootjournal: 0 namespaces removed" in out.stdout, out
    assert _alive(victim.pid)
    assert not sandbox._lab_cgroup("rootjournal", "/") \
        and not sandbox._lab_cgroup("rootjournal", "/nsim-rootjournal.d/../..") \
        and sandbox._lab_cgroup("rootjournal", "/nsim-rootjournal.docker1")


def test_the_state_directory_is_roots_alone_under_umask_000(tmp_path: Path) -> None:
    state = tmp_path / "state"
    code = ("import os; os.umask(0)\n"
            "from netsim.realize import sandbox as s\n"
            "from netsim.realize.journal import Journal as J\n"
            "assert s.create_journal('u', J(lab='u'))\n"
            "s._log('u', 'nsim-u.a'); s.write_journal('u', J(lab='u'))\n"
            "s.files_dir('u').mkdir(mode=0o700)\n")
    env = {**os.environ, "NETSIM_STATE": str(state)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    modes = {p.name: oct(p.stat().st_mode & 0o777) for p in [state, *state.iterdir()]}
    assert modes == {"state": "0o700", "u.json": "0o600", "u.owned": "0o600",
                     "u.files": "0o700"}, modes
    os.chmod(state, 0o777)  # made loose by someone: netsim closes it before using it
    assert netsim("ls", env=env).returncode == 0
    assert oct(state.stat().st_mode & 0o777) == "0o700"
    os.chown(state, NOBODY, NOBODY)  # another user's: nothing in it is trusted
    out = netsim("cleanup", env=env)
    assert out.returncode == 3 and "not a directory of this user's" in out.stderr, out.stderr
    os.chown(state, 0, 0)
