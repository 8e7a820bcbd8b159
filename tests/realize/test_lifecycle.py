"""up / down / cleanup as a user drives them, including after `netsim up` was SIGKILLed."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from netsim.lab import labs
from netsim.realize import lifecycle, sandbox
from tests.conftest import ROOT, SCENARIOS, needs_root

pytestmark = needs_root


def netsim(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netsim.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


def ours(lab: str) -> list[str]:
    return sorted(n for n in os.listdir(sandbox.NETNS_DIR) if n.startswith(f"nsim-{lab}."))


def test_up_probe_down_in_steps(tmp_path: Path) -> None:
    up = netsim("up", str(SCENARIOS / "modes.yml"))
    assert up.returncode == 0, up.stderr
    try:
        assert "modes" in netsim("ls").stdout
        again = netsim("up", str(SCENARIOS / "modes.yml"))
        assert again.returncode == 2 and "already up" in again.stderr
        out = tmp_path / "r.json"
        junit = tmp_path / "r.xml"
        probe = netsim("probe", "modes", "--json", str(out), "--junit", str(junit), "-q")
        assert probe.returncode == 0, probe.stdout + probe.stderr
        report = json.loads(out.read_text())
        assert report["summary"]["failed"] == 0 and report["summary"]["mismatches"] == 0
        assert all(p["observed"] == p["predicted"] for p in report["probes"])
        assert "<testsuite" in junit.read_text() and 'failures="0"' in junit.read_text()
    finally:
        down = netsim("down", "modes")
    assert down.returncode == 0, down.stderr
    assert ours("modes") == []
    assert netsim("down", "modes").returncode == 2


def _big_scenario(path: Path, n: int) -> None:
    doc = {"name": "sigkill", "networks": {"a": {}, "b": {}},
           "containers": {f"c{i}": {"network": "a" if i % 2 else "b", "listen": ["80/tcp"]}
                          for i in range(n)}}
    path.write_text(yaml.safe_dump(doc))


def test_sigkill_midway_then_cleanup_leaves_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "sigkill.yml"
    _big_scenario(scenario, 160)
    proc = subprocess.Popen([sys.executable, "-m", "netsim.cli", "up", str(scenario)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(ours("sigkill")) < 40:
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    made = ours("sigkill")
    assert made, "the kill came before any namespace existed"
    assert sandbox.journal_path("sigkill").exists()
    cleanup = netsim("cleanup")
    assert cleanup.returncode == 0, cleanup.stderr
    sandbox.wait_gone(made)
    assert ours("sigkill") == []
    assert not sandbox.journal_path("sigkill").exists()


def test_cleanup_all_removes_a_lab_that_is_up_and_kills_its_services(tmp_path: Path) -> None:
    up = netsim("up", str(SCENARIOS / "bridge.yml"))
    assert up.returncode == 0, up.stderr
    keeper = sandbox.read_journal("bridge").keeper.pid
    assert Path(f"/proc/{keeper}").exists()
    [shown] = [u for u in labs() if u.name == "bridge"]  # what `netsim ls` prints
    assert (shown.keeper, shown.namespaces) == (keeper, len(ours("bridge"))) and not shown.broken
    kept = netsim("cleanup")  # up on purpose: named, left alone
    assert kept.returncode == 0 and "bridge: left alone: up" in kept.stderr, kept.stderr
    assert ours("bridge") and Path(f"/proc/{keeper}").exists()
    loud = netsim("cleanup", "--all")
    assert loud.returncode == 0 and "bridge: REMOVING although it is up" in loud.stderr
    time.sleep(0.05)
    state = Path(f"/proc/{keeper}/stat").read_text().split()[2] if Path(
        f"/proc/{keeper}").exists() else "gone"
    assert state in ("gone", "Z")
    assert ours("bridge") == []


def test_without_root_exit_3_and_say_check_works(tmp_path: Path) -> None:
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
            "-m", "netsim.cli", "run", str(SCENARIOS / "bridge.yml")]
    r = subprocess.run(argv, capture_output=True, text=True, cwd="/",
                       env={**os.environ, "HOME": "/tmp", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 3, r.stderr
    assert "needs root" in r.stderr and "netsim check" in r.stderr
    assert "netsim run builds" in r.stderr  # the command the user typed, not the `up` inside


def test_missing_nft_exit_3_names_the_package() -> None:
    env = {**os.environ, "PATH": "/nonexistent"}
    r = netsim("run", str(SCENARIOS / "bridge.yml"), env=env)
    assert r.returncode == 3, r.stderr
    assert "apt-get install nftables" in r.stderr


def test_vlan_parent_exits_3_before_building(tmp_path: Path) -> None:
    scenario = tmp_path / "vlan.yml"
    scenario.write_text("name: vlan\nnetworks:\n  v: {driver: macvlan, parent: eth0.10, "
                        "subnet: 10.10.0.0/24}\ncontainers:\n  cc: {network: v}\n")
    r = netsim("run", str(scenario))
    assert r.returncode == 3, r.stderr
    assert "802.1q" in r.stderr and "netsim check" in r.stderr
    assert ours("vlan") == []
    assert netsim("check", "-q", str(scenario)).returncode == 0


def test_a_ruleset_reloads_atomically_and_reads_back() -> None:
    from netsim.lab import Lab
    from netsim.realize import nft

    rules = Lab.load(SCENARIOS / "bridge.yml").model.ns["docker1"].rules
    name = sandbox.ns_name("reloadtest", "host")
    sandbox.create_netns(name, {}, "reloadtest")
    try:
        nft.load(name, rules, replace=False)
        nft.load(name, rules)  # the replacing form, twice: same result, no duplicates
        nft.load(name, rules)
        listing = nft.listing(name)
        assert listing.count("dnat to 172.17.0.2:80") == 3  # 8080/tcp, 8081/tcp, 9090/udp
        assert "policy drop" in listing
    finally:
        sandbox.teardown("reloadtest")


def test_a_lab_from_yaml_text_can_be_probed_from_another_process() -> None:
    """The journal keeps the scenario text (not a file path), so `netsim probe` rebuilds it."""
    from netsim.lab import Lab, up_lab

    lab = Lab.from_yaml("name: inline\ncontainers: {aa: {}, bb: {}}\nexpect:\n"
                        "  - {from: aa, to: bb, result: reach}\n", "<notebook>")
    up_lab(lab)
    try:
        r = netsim("probe", "inline", "-q", "--no-matrix")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1/1 expectations met" in r.stdout
    finally:
        lifecycle.down("inline")  # in this process: it forked the services and must reap them
    assert ours("inline") == []


def test_the_prober_reports_progress_per_wave_up_to_every_probe() -> None:
    from netsim.lab import Lab

    lab = Lab.load(SCENARIOS / "bridge.yml")
    calls: list[tuple[int, int]] = []
    report = lab.run(progress=lambda done, total: calls.append((done, total)))
    assert report.ok and calls
    assert all(a[0] < b[0] for a, b in itertools.pairwise(calls))  # it only grows
    done, total = calls[-1]
    assert done == total >= len([r for r in report.rows if r.seen is not None])
