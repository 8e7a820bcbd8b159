"""`--engine docker`: the shipped scenarios on real Docker engines (Debian's docker.io, 20.10)
that netsim starts in its own namespaces, probed by the same prober. Every observation must
equal the prediction of the engine's own profile, and nothing may be left afterwards: no
daemon, containerd, shim, cgroup, namespace, mount or state directory (the session guard in
conftest.py checks all of them once more at the end)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netsim.engine import registry as engines
from netsim.engine.docker.managed import EngineRefused
from netsim.lab import Lab
from netsim.realize import iptables_save, sandbox
from netsim.realize.journal import Journal
from tests.conftest import ROOT, SCENARIOS, engine_processes, needs_root, netsim_cgroups

needs_dockerd = pytest.mark.skipif(not shutil.which("dockerd"),
                                   reason="needs Debian's docker.io (make system installs it)")
pytestmark = [needs_root, needs_dockerd]
# the five, plus what else the real engine settles: a refused `docker run` with its
# words, network connect events, -P (fidelity-2010), macvlan with the user's shim, the
# tutorial's pasted commands
ENGINE_LABS = ["bridge", "user-bridges", "modes", "names", "overlay", "overlay-order",
               "fidelity-2010", "macvlan-modes", "commands", "ipv6-2010"]


def _nothing_left(lab: str) -> None:
    assert engine_processes() == [], engine_processes()
    assert netsim_cgroups() == []
    assert not sandbox.files_dir(lab).exists()
    assert not [n for n in os.listdir(sandbox.NETNS_DIR) if n.startswith(f"nsim-{lab}.")] \
        if sandbox.NETNS_DIR.is_dir() else True
    mounts = Path("/proc/self/mountinfo").read_text()
    assert f"/nsim-{lab}." not in mounts and f"{lab}.files" not in mounts


def _docker(sock: str, *argv: str) -> str:
    return subprocess.run(["docker", "-H", sock, *argv], capture_output=True, text=True,
                          env={**os.environ, "DOCKER_CONFIG": "/nonexistent"}).stdout


# bridge.yml publishes 80/tcp and 80/udp: dockerd orders one container's bindings by Go map
# order through nat.SortPortMap, whose comparator is no order, so its DNAT lines swap places
# from run to run (behaviour is the same). Everywhere else the order is Docker's, exactly.
RULE_ORDER_RANDOM = {"bridge"}


def _rules_as_the_model_names_them(lab: Lab, host: str, sock: str,
                                   save: str = "iptables-save") -> list[str]:
    """The host's real iptables-save (or ip6tables-save), bridge names mapped to the model's
    (br-<network id>: the engine's ids are random), counters dropped."""
    ns = sandbox.NETNS_DIR / sandbox.ns_name(lab.name, host)
    real = subprocess.run(["nsenter", f"--net={ns}", save], capture_output=True,
                          text=True, check=True).stdout
    listed = _docker(sock, "network", "ls", "--no-trunc", "--format", "{{.ID}} {{.Name}}")
    for line in listed.splitlines():
        nid, net = line.split()
        rec = lab.model.networks.get(f"{host}/{net}") or lab.model.networks.get(f"swarm/{net}")
        if rec is not None:
            real = real.replace(f"br-{nid[:12]}", f"br-{rec.id[:12]}")
    return _rule_lines(real)


def _rule_lines(text: str) -> list[str]:
    return [re.sub(r"\[\d+:\d+\]", "", ln).strip() for ln in text.splitlines()
            if ln.strip() and not ln.startswith("#")]


@pytest.mark.parametrize("name", ENGINE_LABS)
def test_managed_engine_observes_what_the_engines_profile_predicts(name: str) -> None:
    lab = Lab.load(SCENARIOS / f"{name}.yml", "docker")
    with lab.up():
        journal = sandbox.read_journal(lab.name)
        daemons = journal.daemons
        hosts = [d.host for d in daemons]
        assert sorted(hosts) == sorted(lab.loaded.scenario.hosts or {"docker1": None})  # parallel
        for d in daemons:  # a real dockerd, inside the host's namespace, not the root one
            assert Path(f"/proc/{d.pid}/comm").read_text().strip() == "dockerd"
            host_ns = os.stat(sandbox.NETNS_DIR / sandbox.ns_name(lab.name, d.host)).st_ino
            assert os.stat(f"/proc/{d.pid}/ns/net").st_ino == host_ns
            assert Path(d.dir).is_relative_to(sandbox.files_dir(lab.name))
        sock = journal.engine["sockets"][hosts[0]]
        listed = _docker(sock, "ps", "--format", "{{.Names}} {{.Label \"netsim.lab\"}}")
        placed = {c for c, i in lab.model.containers.items() if i.host == hosts[0]}
        assert {line.split()[0] for line in listed.splitlines()} == placed
        assert all(line.split()[1] == lab.name for line in listed.splitlines())
        if name not in RULE_ORDER_RANDOM:  # `netsim inspect` is the engine's iptables-save
            for d in daemons:
                sock_d = journal.engine["sockets"][d.host]
                assert _rules_as_the_model_names_them(lab, d.host, sock_d) == _rule_lines(
                    iptables_save.render(lab.model.ns[d.host].rules)), d.host
                assert _rules_as_the_model_names_them(lab, d.host, sock_d, "ip6tables-save") \
                    == _rule_lines(iptables_save.render(lab.model.ns[d.host].rules6)), d.host
        report = lab.probe(full_matrix=True)
    assert report.engine.startswith("docker 20.10") and lab.model.profile == "20.10"
    differ = [(r.probe.label, r.predicted.result, r.observed, r.notes) for r in report.rows
              if r.seen is None or r.mismatch or r.observed == "inconclusive"]
    assert not differ, differ
    assert not report.findings  # the engine's addresses are the model's
    assert len(report.rows) >= 50
    _nothing_left(lab.name)


def test_overlay_is_a_real_swarm_with_real_vxlan() -> None:
    lab = Lab.load(SCENARIOS / "overlay.yml", "docker")
    with lab.up():
        socks = sandbox.read_journal(lab.name).engine["sockets"]
        info = json.loads(_docker(socks["docker1"], "info", "--format", "{{json .Swarm}}"))
        assert info["LocalNodeState"] == "active" and info["Nodes"] == 3 and info["ControlAvailable"]
        nets = _docker(socks["docker2"], "network", "ls", "--filter", "driver=overlay",
                       "--format", "{{.Name}}").split()
        assert {"frontend", "backend"} <= set(nets)
        web2 = lab.exec("web2", ["ip", "-d", "link", "show", "eth0"])
        assert "mtu 1450" in web2  # the container's end of a real overlay
        # dockerd's own overlay namespace (1-<net id>) on docker3: a kernel vxlan device
        # with the VNI, reached through dockerd's mount namespace, where its netns lives
        d3 = next(d for d in sandbox.read_journal(lab.name).daemons if d.host == "docker3")
        sandboxes = sorted((Path(d3.dir) / "exec" / "netns").glob("1-*"))
        assert sandboxes, "no overlay namespace on docker3"
        links = subprocess.run(["nsenter", "-t", str(d3.pid), "-m", "--", "nsenter",
                                f"--net={sandboxes[0]}", "--", "ip", "-d", "link"],
                               capture_output=True, text=True, check=True).stdout
        assert re.search(r"vxlan id 40\d\d", links) and "dstport 4789" in links, links
    _nothing_left(lab.name)


def test_sigkill_mid_run_then_cleanup_removes_every_daemon_and_container() -> None:
    """A `netsim run --engine docker` killed with SIGKILL once its engines run: cleanup,
    from the journal alone, stops the daemons, containerd, shims and containers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "netsim.cli", "run", "--engine", "docker",
                             str(SCENARIOS / "bridge.yml")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            try:
                if sandbox.read_journal("bridge").engine.get("names"):
                    break
            except sandbox.BrokenJournal:
                pass
            time.sleep(0.05)
        else:
            pytest.fail("the engine lab did not come up")
        assert any(c == "dockerd" for _, c in engine_processes())
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "bridge" in sandbox.labs()
    r = subprocess.run([sys.executable, "-m", "netsim.cli", "cleanup"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + 10
    while engine_processes() and time.monotonic() < deadline:
        time.sleep(0.1)  # killed, exiting: init reaps the orphans
    _nothing_left("bridge")
    assert "bridge" not in sandbox.labs()


def test_a_cni_node_is_refused_with_the_reason() -> None:
    lab = Lab.load(SCENARIOS / "cni-bridge.yml", "docker")
    with pytest.raises(EngineRefused, match="--engine docker runs Docker hosts only"), lab.up():
        pass
    assert not sandbox.labs()


def test_engine_registry_knows_which_engine_made_a_lab() -> None:
    assert engines.kind_of(Journal(lab="x", engine={"kind": "docker"})) == "docker"
    assert engines.kind_of(Journal(lab="x")) == "netns"


GUEST = """
name: guest
networks:
  appnet: {subnet: 10.77.0.0/24}
containers:
  aa: {network: appnet, listen: [80/tcp, 53/udp]}
  bb: {network: appnet}
expect:
  - {from: bb, to: aa, port: 80/tcp, result: open, source: bb}
  - {from: bb, to: aa, port: 53/udp, result: open, source: bb}
  - {from: bb, resolve: aa, result: 10.77.0.2}
  - {from: lan, to: aa, result: blocked}
"""


@pytest.mark.parametrize("probe_by", ["setns", "exec"])
def test_existing_engine_labels_everything_and_removes_only_what_it_labelled(
        probe_by: str) -> None:
    """An engine netsim did not start for this lab (one managed daemon, reached by its
    socket): the lab's objects carry netsim.lab=guest and the guest- prefix, probes run from
    inside the containers (their namespaces entered, or `docker exec` as on a remote engine),
    a LAN vantage point is inconclusive, and `down` removes the labelled objects only: an
    unlabelled container and network stay."""
    from netsim.engine.docker import image

    host = Lab.from_yaml("name: enghost\nhosts: {docker1: {}}\n", "enghost.yml", "docker")
    with host.up():
        sock = sandbox.read_journal("enghost").engine["sockets"]["docker1"]
        assert _docker(sock, "network", "create", "bystanders").strip()
        assert _docker(sock, "run", "-d", "--name", "bystander", "--network", "bystanders",
                       image.tag(), image.ECHO).strip()
        guest = Lab.from_yaml(GUEST, "guest.yml", "docker", docker_host=sock,
                              probe_by=probe_by)
        with guest.up():
            ps = _docker(sock, "ps", "-a", "--filter", "label=netsim.lab=guest",
                         "--format", "{{.Names}}").split()
            assert sorted(ps) == ["guest-aa", "guest-bb"]
            nets = _docker(sock, "network", "ls", "--filter", "label=netsim.lab=guest",
                           "--format", "{{.Name}}").split()
            assert nets == ["guest-appnet"]
            report = guest.probe(full_matrix=True)
        rows = {r.probe.label: r for r in report.expectations}
        names = "bb resolves aa"  # by exec: no libc resolver in the image, so not asked
        assert all(r.ok for label, r in rows.items() if not label.startswith("lan") and
                   (probe_by == "setns" or label != names)), \
            [(r.probe.label, r.observed, r.notes) for r in report.expectations]
        assert str(rows["bb -> aa:80/tcp"].source_seen) == "10.77.0.3"  # the server saw b
        assert str(rows["bb -> aa:53/udp"].source_seen) == "10.77.0.3"
        assert rows["lan -> aa icmp"].observed == "inconclusive"
        if probe_by == "exec":
            assert rows[names].observed == "inconclusive"
            assert any(n.startswith("exec: open") for n in rows["bb -> aa:80/tcp"].notes)
        assert all(r.probe.src in ("aa", "bb") for r in report.matrix)  # its vantage points
        assert not [r.probe.label for r in report.matrix if r.mismatch]
        assert {r.observed for r in report.matrix if r.probe.proto != "dns"} >= {"reach"}
        assert "docker 20.10" in report.engine and sock in report.engine
        left = _docker(sock, "ps", "-a", "--format", "{{.Names}}").split()
        assert left == ["bystander"]
        assert _docker(sock, "network", "ls", "--format", "{{.Name}}").split() == [
            "bridge", "bystanders", "host", "none"]
        assert "guest" not in sandbox.labs()
    _nothing_left("enghost")


TUTORIAL = [  # a user's engine, set up by hand the way the tutorial does it
    ["network", "create", "appnet"],
    ["network", "create", "--subnet", "10.9.0.0/24", "backend"],
    ["run", "-d", "--name", "db", "--network", "backend", "--hostname", "dbhost", "IMG",
     "/usr/bin/netsim-echo", "tcp:5432"],
    ["run", "-d", "--name", "api", "--network", "appnet", "--network-alias", "svc",
     "-p", "8000:8000", "IMG", "/usr/bin/netsim-echo", "tcp:8000"],
    ["network", "connect", "backend", "api"],
    ["run", "-d", "--name", "web", "--network", "appnet", "--link", "api:service", "IMG"],
    ["run", "-d", "--name", "old1", "-p", "127.0.0.1:8081:80", "IMG",
     "/usr/bin/netsim-echo", "tcp:80"],
    ["run", "-d", "--name", "old2", "--link", "old1:legacy", "IMG"],
    ["run", "-d", "--name", "side", "--network", "container:old1", "IMG"],
]


def _addresses(sock: str, names: list[str]) -> dict[str, dict[str, str]]:
    fmt = "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}"
    return {n: dict(kv.split("=") for kv in _docker(sock, "inspect", n, "--format", fmt).split())
            for n in names}


def test_import_docker_then_run_reproduces_the_engines_addresses(tmp_path: Path) -> None:
    from netsim.engine.docker import image

    host = Lab.from_yaml("name: enghost\nhosts: {docker1: {}}\n", "enghost.yml", "docker")
    out = tmp_path / "imported.yml"
    with host.up():
        sock = sandbox.read_journal("enghost").engine["sockets"]["docker1"]
        for argv in TUTORIAL:
            _docker(sock, *[image.tag() if a == "IMG" else a for a in argv])
        r = subprocess.run([sys.executable, "-m", "netsim.cli", "import", "docker",
                            "--docker-host", sock, "-o", str(out)], capture_output=True,
                           text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert r.returncode == 0, r.stderr
        live = _addresses(sock, ["db", "api", "web", "old1", "old2"])
    text = out.read_text()
    assert "aliases: [svc]" in text and "links: ['api:service']" in text
    assert "network: container:old1" in text and "'127.0.0.1:8081:80'" in text
    lab = Lab.load(out, "docker")
    assert lab.model.containers["api"].networks == ["appnet", "backend"]
    with lab.up():
        sock = sandbox.read_journal("imported").engine["sockets"]["docker1"]
        assert _addresses(sock, list(live)) == live  # the round trip
        report = lab.probe(full_matrix=True)
    assert not [r.probe.label for r in report.rows if r.mismatch or r.observed == "inconclusive"]
    _nothing_left("imported")


def test_netns_and_docker_side_by_side_against_one_prediction() -> None:
    """`run --engine netns,docker`: both built and probed in turn, one observed column each,
    against the real engine's profile."""
    lab = Lab.load(SCENARIOS / "modes.yml", "netns,docker")
    report = lab.run(full_matrix=True)
    assert report.engine == "netns" and report.also[0].startswith("docker 20.10")
    assert lab.model.profile == "20.10"
    both = [r for r in report.rows if r.seen is not None and report.also[0] in r.also]
    assert len(both) == len([r for r in report.rows if r.probe.proto != "run"]) >= 50
    assert not [r.probe.label for r in report.rows if r.mismatch]
    assert {"up (netns)", "up (docker)", "down (docker)"} <= set(report.timings)
    _nothing_left(lab.name)


def test_a_run_the_engine_refuses_and_the_model_did_not_is_a_finding() -> None:
    """On an existing engine a host port may already be taken by something netsim does not
    know: Docker refuses the run in its own words, and the report says the model disagreed."""
    from netsim.engine.docker import image

    host = Lab.from_yaml("name: enghost\nhosts: {docker1: {}}\n", "enghost.yml", "docker")
    with host.up():
        sock = sandbox.read_journal("enghost").engine["sockets"]["docker1"]
        assert _docker(sock, "run", "-d", "--name", "holder", "-p", "8080:80", image.tag(),
                       image.ECHO, "tcp:80").strip()
        guest = Lab.from_yaml("name: guest\ncontainers:\n  web: {ports: ['8080:80'], listen: "
                              "[80/tcp]}\n", "guest.yml", "docker", docker_host=sock)
        with guest.up():
            report = guest.probe(full_matrix=False)
        assert not report.ok
        said = [f for f in report.findings if f.startswith("docker run web failed on the engine")]
        assert said and "8080" in said[0] and "the model predicted it starts" in said[0], \
            report.findings
        assert _docker(sock, "ps", "--format", "{{.Names}}").split() == ["holder"]
    _nothing_left("enghost")
