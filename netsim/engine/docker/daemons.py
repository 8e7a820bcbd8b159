"""Managed engines: a real dockerd in each Docker host's namespace, started by netsim.

Each daemon has its own config file, data-root, exec-root, socket, pidfile and log under the
lab's files directory, and puts its containers in a cgroup sub-tree of its own; nothing under
/etc/docker or /var/lib/docker is read or written, and no daemon ever runs in the root
namespace. It is journaled (directory and cgroup) before it starts and by PID once it runs,
so teardown stops it, its containerd, shims and containers also after a crash or SIGKILL.

dockerd enters the host's namespace (nsenter) and a private mount namespace (unshare, slave
propagation: nothing it mounts reaches the machine). There a small shell step mounts the
namespace's own /sys (as `ip netns exec` would, without `ip netns` turning /run/netns into a
mount point of the root mount namespace), re-mounts the cgroup hierarchies that hid, binds
the host's resolv.conf (the LAN router, as the model says) over /etc/resolv.conf, then execs
dockerd (the way ../shared/oracle/up.sh runs its engines).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from netsim.errors import EnvironmentProblem
from netsim.realize import sandbox
from netsim.realize.journal import Daemon, Journal
from netsim.scenario.schema import Host

START_TIMEOUT = 60.0
_MOUNT_THEN_EXEC = r"""
set -e
umount -l /sys; mount -t sysfs sysfs /sys  # this namespace's /sys/class/net, as ip netns exec
printf '%s\n' "$CGMOUNTS" | while read -r type dir opts; do
    [ -n "$type" ] || continue
    mkdir -p "$dir"; mount -t "$type" -o "$opts" "$type" "$dir"
done
mount --bind "$RESOLV" /etc/resolv.conf
exec "$@"
"""


@dataclass
class Managed:
    host: str
    dir: Path
    pid: int

    @property
    def socket(self) -> str:
        return f"unix://{self.dir / 'docker.sock'}"

    def client(self):
        import docker

        return docker.DockerClient(base_url=self.socket, version="auto", timeout=120)


ENGINE_BINARIES = ("dockerd", "docker-proxy", "containerd", "containerd-shim-runc-v2", "runc",
                   "docker-init")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def dockerd_binary(path: str | None) -> str:
    """`--dockerd PATH` (a binary, or a directory of engine binaries, such as a Debian
    release's packages unpacked by ../shared/oracle/fetch-engine.sh), else Debian's."""
    found = (_in_tree(Path(path), "dockerd") if path and Path(path).is_dir() else path) \
        or shutil.which("dockerd")
    if not found or not os.access(found, os.X_OK):
        raise EnvironmentProblem(f"--engine docker needs dockerd ({path or 'not found'})",
                                 "apt-get install docker.io with service start-up blocked "
                                 "(.ci/run shows how), or --dockerd PATH")
    return found


def _in_tree(root: Path, name: str) -> str | None:
    for sub in ("", "bin", "sbin", "usr/bin", "usr/sbin", "usr/libexec/docker"):
        f = root / sub / name
        if f.is_file() and os.access(f, os.X_OK):
            return str(f)
    return None


def engine_path(binary: str, bindir: Path) -> str:
    """dockerd's PATH: the engine's own binaries that run on this machine first (a newer
    release's runc may need a newer libc: the system's then serves), then the system's."""
    root = Path(binary).resolve().parent
    while root != root.parent and root.name in ("bin", "sbin", "usr", "libexec", "docker"):
        root = root.parent
    if root == root.parent:  # the system's own engine: its PATH is the system's
        return SYSTEM_PATH
    bindir.mkdir(parents=True, exist_ok=True)
    for name in ENGINE_BINARIES:
        f = _in_tree(root, name)
        if f and subprocess.run([f, "--version"], capture_output=True).returncode == 0:
            link = bindir / name
            if not link.exists():
                link.symlink_to(f)
    return f"{bindir}:{SYSTEM_PATH}"


def _cgroup_mounts() -> str:
    lines = [f"{f[2]} {f[1]} {f[3]}" for f in (ln.split() for ln in
             Path("/proc/self/mounts").read_text().splitlines()) if f[1].startswith("/sys/fs/cgroup")]
    return "\n".join(lines)


def config(spec: Host, version_major: int) -> dict:
    """daemon.json from the host's dockerd options in the scenario."""
    out: dict = {"userland-proxy": spec.userland_proxy, "icc": spec.icc}
    if spec.dns:
        out["dns"] = [str(a) for a in spec.dns]
    six = spec.daemon  # daemon.json's IPv6 keys, as the scenario wrote them
    if six is not None and six.ipv6:
        out["ipv6"] = True
        if six.fixed_cidr_v6 is not None:
            out["fixed-cidr-v6"] = str(six.fixed_cidr_v6)
    if six is not None and six.ip6tables is not None:
        out["ip6tables"] = six.ip6tables
    if six is not None and six.experimental:
        out["experimental"] = True
    if version_major < 23:  # 20.10 keeps its identity key here instead of /etc/docker
        out["deprecated-key-path"] = "KEY"
    return out


@functools.cache
def version(binary: str) -> str:
    """`dockerd --version` -> "20.10.24+dfsg1", asked once per binary."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return out.split("version", 1)[-1].split(",")[0].strip()


def major(binary: str) -> int:
    try:
        return int(version(binary).split(".")[0])
    except ValueError:
        return 0


def start(lab: str, host: str, ns: str, spec: Host, upstream: str, binary: str,
          path: str) -> Managed:
    """Journal the daemon, start it in namespace `ns`, wait for its API."""
    d = sandbox.files_dir(lab) / "docker" / host
    d.mkdir(parents=True, exist_ok=True)
    cgroup = f"/{ns}"
    entry = Daemon(what="dockerd", host=host, dir=str(d), cgroup=cgroup)
    sandbox.update_journal(lab, lambda j: j.daemons.append(entry))
    conf = config(spec, major(binary))
    if "deprecated-key-path" in conf:
        conf["deprecated-key-path"] = str(d / "key.json")
    (d / "daemon.json").write_text(json.dumps(conf, indent=1))
    (d / "resolv.conf").write_text(f"nameserver {upstream}\n")
    argv = ["nsenter", f"--net={sandbox.NETNS_DIR / ns}", "--", "unshare", "--mount",
            "--propagation", "slave", "--", "sh", "-c", _MOUNT_THEN_EXEC, "dockerd", binary,
            "--config-file", str(d / "daemon.json"), "--data-root", str(d / "data"),
            "--exec-root", str(d / "exec"), "--pidfile", str(d / "dockerd.pid"),
            "-H", f"unix://{d / 'docker.sock'}", "--group", "root",  # root's alone, not docker's
            "--storage-driver", "vfs",
            "--exec-opt", "native.cgroupdriver=cgroupfs", "--cgroup-parent", cgroup]
    env = {"PATH": path, "CGMOUNTS": _cgroup_mounts(), "RESOLV": str(d / "resolv.conf")}
    with open(d / "dockerd.log", "ab") as log:
        proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=log, start_new_session=True)
    began = sandbox.pid_start(proc.pid)

    def running(j: Journal) -> None:
        for e in j.daemons:
            if e.host == host:
                e.pid, e.start = proc.pid, began

    sandbox.update_journal(lab, running)
    m = Managed(host, d, proc.pid)
    _wait_api(m, proc)
    return m


def _wait_api(m: Managed, proc: subprocess.Popen) -> None:
    import docker.errors
    import requests

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if (m.dir / "docker.sock").exists():
            try:
                m.client().ping()
                return
            except (docker.errors.DockerException, requests.RequestException):
                pass
        time.sleep(0.1)
    tail = (m.dir / "dockerd.log").read_text(errors="replace").splitlines()[-8:]
    raise EnvironmentProblem(f"dockerd on {m.host} did not come up: " + " | ".join(tail),
                             "everything the lab had made was removed")
