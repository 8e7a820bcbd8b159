"""Hostile input, as its harshest user writes it: every shipped scenario mutated 70 ways
(1,000+ cases), and files built to exhaust memory or time. Each answer is a clean error
(exit 2, with file:line where the file has lines) or a valid scenario: never a traceback.
Runs without root."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netsim.errors import NetsimError, ScenarioError
from netsim.lab import Lab
from tests.conftest import SCENARIOS

HOSTILE = ["", "~", "[", "{", "]", "*x", "&x", "!foo bar", "<<: 5", "9" * 5000, "-1", "0",
           "65536", "１２３", "٣", "\t", "a\nb", "'", "\"x\"accept;#", "../../x", "a" * 300,
           "10.0.0.0/33", "0.0.0.0", "255.255.255.255", "1-65535:1-65535", "null", "true",
           "[1, [2, [3]]]", "{a: {b: {c: 1}}}", "-o", "eth0.99999", "lo", "docker0"]
SEEN = {"error": 0, "ok": 0}


def mutations(text: str, rng: random.Random, n: int) -> list[str]:
    lines = text.splitlines()
    out = []
    for _ in range(n):
        copy = list(lines)
        i = rng.randrange(len(copy))
        how = rng.randrange(6)
        if how == 0:
            del copy[i]
        elif how == 1:
            copy.insert(i, copy[i])
        elif how == 2 and ":" in copy[i]:
            key, _, _ = copy[i].partition(":")
            copy[i] = f"{key}: {rng.choice(HOSTILE)}"
        elif how == 3:
            copy.insert(i, " " * rng.randrange(6) + rng.choice(HOSTILE))
        elif how == 4:
            copy = copy[:i]
        else:
            words = copy[i].split()
            if words:
                words[rng.randrange(len(words))] = rng.choice(HOSTILE)
                copy[i] = " ".join(words)
        out.append("\n".join(copy) + "\n")
    return out


CORPUS = [(p.name, k, t) for p in sorted(SCENARIOS.glob("*.yml"))
          for k, t in enumerate(mutations(p.read_text(), random.Random(p.name), 70))]


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 1000


@pytest.fixture(scope="module", autouse=True)
def mostly_errors():
    yield
    if SEEN["error"] + SEEN["ok"] == len(CORPUS):  # the whole corpus ran: it must bite
        assert SEEN["error"] > len(CORPUS) // 5, SEEN


@pytest.mark.parametrize("case", range(len(CORPUS)), ids=lambda k: f"{CORPUS[k][0]}-{k}")
def test_mutated_scenario_errs_cleanly_or_checks(case: int) -> None:
    name, _, text = CORPUS[case]
    t0 = time.monotonic()
    try:
        Lab.from_yaml(text, f"m-{name}").check(full_matrix=False)
    except ScenarioError as e:
        SEEN["error"] += 1
        assert e.exit_code == 2
        if text.strip():
            assert e.where is not None and e.where.file == f"m-{name}", str(e)
        assert "\n" not in str(e).split(": ", 1)[0], str(e)
    except NetsimError as e:  # any other clean refusal is fine too (never a traceback)
        SEEN["error"] += 1
        assert e.exit_code in (2, 3), str(e)
    else:
        SEEN["ok"] += 1
    assert time.monotonic() - t0 < 2.0  # every case answers fast; the hostile files below
    # measure memory too, each in a process of its own


PEAK = ("import atexit, re, sys; from pathlib import Path\n"
        "def peak(): sys.stderr.write('VmHWM ' + re.search(r'VmHWM:\\s+(\\d+)', "
        "Path('/proc/self/status').read_text()).group(1) + '\\n')\n"
        "atexit.register(peak)\n"
        "from netsim.cli import main\n"
        "sys.argv = ['netsim', 'check', '-q', '--no-matrix', sys.argv[1]]\n"
        "main()\n")


def _netsim_check(path: str) -> tuple[int, str, float, int]:
    """`netsim check` as a process: exit code, output, seconds, its own peak memory in MB
    (VmHWM read at its exit: a forked child's rusage would count its parent's pages)."""
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-c", PEAK, path], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=30)
    seconds = time.monotonic() - t0
    peak = [ln for ln in p.stderr.splitlines() if ln.startswith("VmHWM ")]
    err = "\n".join(ln for ln in p.stderr.splitlines() if not ln.startswith("VmHWM "))
    return p.returncode, p.stdout + err, seconds, int(peak[-1].split()[1]) // 1024


_BASE: list[float] = []


def _baseline(tmp_path: Path) -> float:
    """Seconds `netsim check` takes of a valid one-line scenario, measured once (the best of
    two: the first also warms the page cache)."""
    if not _BASE:
        path = tmp_path / "base.yml"
        path.write_text("name: base\n")
        _BASE.append(min(_netsim_check(str(path))[2] for _ in range(2)))
    return _BASE[0]


BOMB = "name: bomb\na: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))


@pytest.mark.parametrize("kind", ["alias-bomb", "10MB", "recursive-alias", "tag", "big-int",
                                  "fifo", "dev-zero", "not-utf8", "bad-char"])
def test_hostile_files_exit_2_fast_and_small(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "x.yml"
    if kind == "alias-bomb":
        path.write_text(BOMB)
    elif kind == "10MB":
        path.write_text("name: big\n" + "#" * (10 << 20))
    elif kind == "recursive-alias":
        path.write_text("name: r\nlan: &x {peers: *x}\n")
    elif kind == "tag":
        path.write_text("name: t\nlan: !foo {mtu: 1500}\n")
    elif kind == "big-int":
        path.write_text("name: i\nlan: {mtu: " + "9" * 5000 + "}\n")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "not-utf8":
        path.write_bytes(b"name: u\nlan: {mtu: 1500}\n# \xff\xfe\n")
    elif kind == "bad-char":
        path.write_text("name: c\nlan: {mtu: 1500}\n\x07\n")
    target = "/dev/zero" if kind == "dev-zero" else str(path)
    code, out, seconds, mb = _netsim_check(target)
    assert code == 2, out
    assert "Traceback" not in out, out
    # fast: at most a second more than checking a one-line scenario takes here (starting
    # Python and importing netsim alone is a second or more on a busy 2-core machine)
    assert seconds < _baseline(tmp_path) + 1.0 and mb < 200, (seconds, _baseline(tmp_path), mb)
    if kind in ("alias-bomb", "tag", "big-int", "not-utf8", "bad-char"):
        assert f"{path}:" in out and out.strip().count("\n") == 0, out  # file:line, one line


def test_merge_keys_work_as_compose_files_use_them() -> None:
    text = """name: merge
x-common: &common {network: app, listen: [80/tcp]}
networks: {app: {}}
containers:
  web: {<<: *common, hostname: front}
  api: {<<: *common, listen: [8000/tcp]}
"""
    text = text.replace("x-common: &common {network: app, listen: [80/tcp]}\n", "")
    text = "lan: &lan {mtu: 1500}\n" + text.replace(
        "containers:", "hosts: {docker1: {<<: *lan}}\ncontainers:")
    text = text.replace("  web: {<<: *common", "  web: {<<: {network: app, listen: [80/tcp]}")
    text = text.replace("  api: {<<: *common", "  api: {<<: [{network: app}]")
    sc = Lab.from_yaml(text, "m.yml").loaded.scenario
    assert sc.containers["web"].network == "app" and sc.containers["web"].hostname == "front"
    assert [str(p) for p in sc.containers["api"].listen] == ["8000/tcp"]  # own key wins
    assert sc.hosts["docker1"].mtu == 1500


@pytest.mark.parametrize(("text", "words"), [
    ("name: bad\ncontainers: {web: {ports: ['1-65535:1-65535']}}\n", "up to 1024 per -p"),
    ("name: bad\ncontainers: {web: {ports: ['１２３:80']}}\n", "invalid hostPort"),
    ("name: bad\nhosts: {docker1: {interface: lo}}\n", "lo is the loopback"),
    ("name: bad\ncontainers: {" + "w" * 100 + ": {}}\n", "keeps names to 63"),
    ("name: \"inj\\n\"\n", "cannot prefix namespace names"),
    ("name: bad\nnetworks: {n: {options: {com.docker.network.bridge.host_binding_ipv4: x}}}\n",
     "is not an IPv4 address"),
    ("name: bad\nnetworks: {n: {options: {com.docker.network.bridge.name: 'x\"accept;#'}}}\n",
     "netsim cannot write nftables rules"),
    ("name: bad\nlan: {routes: {10.0.0.0/8: nobody}}\n", "'nobody' is not a machine on the LAN"),
    ("name: bad\nlan: {dns: {records: {" + "a" * 70 + ".lan: 10.0.0.1}}}\n", "not a DNS name"),
])
def test_each_reproduced_crash_is_a_clean_error(text: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        Lab.from_yaml(text, "h.yml").check(full_matrix=False)
