"""Shared fixtures. The session guard fails the run if anything netsim makes is left behind,
or if the root namespace changed (links, addresses, routes, nft ruleset, ip_forward)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from netsim.lab import Lab

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def _cmd(*argv: str) -> str:
    if not shutil.which(argv[0]):
        return f"<{argv[0]} missing>"
    r = subprocess.run(argv, capture_output=True, text=True)
    return r.stdout + r.stderr


def root_namespace_state() -> dict[str, str]:
    """What the machine's own network looks like; netsim must never change it."""
    state = {
        "links": _cmd("ip", "-o", "link", "show"),
        "addrs": _cmd("ip", "-o", "addr", "show"),
        "routes": _cmd("ip", "route", "show", "table", "all"),
        "ip_forward": Path("/proc/sys/net/ipv4/ip_forward").read_text(),
        "netns": " ".join(sorted(n for n in os.listdir("/run/netns") if not n.startswith("nsim-")))
    if os.path.isdir("/run/netns") else "",
    }
    if os.geteuid() == 0:
        state["nft"] = _cmd("nft", "list", "ruleset")
    # mount points of this mount namespace: the resolver's bind mounts must stay in its own
    state["mounts"] = "\n".join(sorted(
        line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
        if not line.split()[4].startswith("/run/netns/nsim-")))
    # operstate and counters of links can change by themselves; keep names and flags only
    state["links"] = "\n".join(
        " ".join(line.split()[:3]) for line in state["links"].splitlines())
    return state


def netsim_leftovers() -> dict[str, list]:
    """Anything netsim made that still exists: namespaces, state files (journals, the
    containers' name files), live child processes."""
    netns = sorted(n for n in os.listdir("/run/netns") if n.startswith("nsim-")) \
        if os.path.isdir("/run/netns") else []
    journals = sorted(p.name for p in Path("/run/netsim").iterdir()) \
        if os.path.isdir("/run/netsim") else []
    children = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == os.getpid():
            children.append((int(pid), stat[0]))
    return {"namespaces": netns, "journals": journals, "children": children,
            "engine processes": engine_processes(), "cgroups": netsim_cgroups()}


ENGINE_COMMS = ("dockerd", "containerd", "containerd-shim", "containerd-shim-runc-v2",
                "docker-proxy", "netsim-echo", "runc", "bird")


def engine_processes() -> list[tuple[int, str]]:
    """Docker engine processes anywhere on the machine: none runs here but netsim's own
    (docker.io is installed with service start-up blocked), so any left is a leak."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        comm, state = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1].split()[0]
        if comm in ENGINE_COMMS and state != "Z":
            out.append((int(pid), comm))
    return out


def netsim_cgroups() -> list[str]:
    """Cgroup sub-trees of managed daemons (/nsim-<lab>.<host> in every hierarchy)."""
    root = Path("/sys/fs/cgroup")
    if not root.is_dir():
        return []
    tops = [root, *(p for p in root.iterdir() if p.is_dir())]
    return sorted(str(d) for top in tops for d in top.glob("nsim-*") if d.is_dir())


@pytest.fixture(scope="session", autouse=True)
def root_namespace_untouched():
    before = root_namespace_state()
    yield
    after = root_namespace_state()
    changed = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
    assert not changed, f"the root namespace changed during the tests: {changed}"
    left = {k: v for k, v in netsim_leftovers().items() if v}
    assert not left, f"netsim left these behind: {left}"


def lab(text: str) -> Lab:
    return Lab.from_yaml(text, "test.yml")


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="builds network namespaces: needs root")


def committed(where: Path, scenario: Path) -> Path:
    """A copy of `scenario` committed in a new git repository under `where` (what
    `netsim diff --git` and the action's diff read): the copy's path."""
    repo = where / "repo"
    repo.mkdir()
    path = repo / scenario.name
    shutil.copy(scenario, path)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    for argv in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run([*git, *argv], check=True, capture_output=True)
    return path
