"""When the machine's own parts fail — a CNI plugin that hangs or answers garbage, a dockerd
that dies while it starts or while it is probed, an engine reached over TCP — netsim says so
as exit 3 naming the part (never a traceback, never a model disagreement), after removing
what the lab had made. Real plugins beside the faulty one, real dockerd, real TLS (root)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest

from netsim.engine.docker import existing
from netsim.errors import EnvironmentProblem
from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.journal import Journal
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import needs_root

pytestmark = needs_root
SCENARIO = """name: faulty
hosts: {node1: {runtime: cni}}
cni:
  podnet:
    cniVersion: "1.0.0"
    plugins:
      - {type: bridge, bridge: cni0, isGateway: true,
         ipam: {type: host-local, ranges: [[{subnet: 10.88.0.0/24}]]}}
containers: {web: {listen: [80/tcp]}, client: {}}
expect: [{from: client, to: web, port: 80/tcp, result: open}]
"""
# what a broken bridge binary does instead of its work
FAULTS = {
    "hangs": "sleep 60",
    "not-json": "echo 'panic: runtime error'; exit 0",
    "a-list": "echo '[1, 2]'; exit 0",
    "ips-not-a-list": "echo '{\"cniVersion\": \"1.0.0\", \"ips\": 5}'; exit 0",
    "error-not-json": "echo 'goroutine 1 [running]:' >&2; exit 2",
    "code-not-int": "echo '{\"code\": \"eleven\", \"msg\": \"x\"}'; exit 1",
}


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch):
    """The real plugin directory, with `bridge` replaced by a script."""
    if not cni_exec.PLUGIN_DIR.is_dir():
        pytest.skip("apt-get install containernetworking-plugins")
    d = tmp_path / "cni"
    d.mkdir()
    for p in cni_exec.PLUGIN_DIR.iterdir():
        (d / p.name).symlink_to(p)

    def broken(body: str) -> None:
        (d / "bridge").unlink(missing_ok=True)
        (d / "bridge").write_text(f"#!/bin/sh\ncat > /dev/null\n{body}\n")
        (d / "bridge").chmod(0o755)

    monkeypatch.setattr(cni_exec, "PLUGIN_DIR", d)
    monkeypatch.setattr(cni_exec, "TIMEOUT", 2.0)
    return broken


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_cni_plugin_is_exit_3_naming_it(plugins, fault: str) -> None:
    plugins(FAULTS[fault])
    with pytest.raises(EnvironmentProblem) as e:
        Lab.from_yaml(SCENARIO, "faulty.yml").run(full_matrix=False)
    assert e.value.exit_code == 3
    assert "bridge plugin" in e.value.message, e.value.message
    assert "Error" not in e.value.message and "Exception" not in e.value.message
    assert not [n for n in os.listdir(sandbox.NETNS_DIR) if n.startswith("nsim-faulty.")]


# -- a real dockerd that dies ----------------------------------------------------------

needs_dockerd = pytest.mark.skipif(not shutil.which("dockerd"), reason="apt-get install docker.io")
DOCKER = "name: dies\ncontainers: {web: {listen: [80/tcp]}, client: {}}\n" \
    "expect: [{from: client, to: web, port: 80/tcp, result: open}]\n"


def _dockerd_pid(lab: str, deadline: float) -> int | None:
    while time.monotonic() < deadline:
        for d in sandbox.read_journal(lab).daemons:
            if d.pid:
                return d.pid
        time.sleep(0.005)
    return None


@needs_dockerd
def test_a_dockerd_killed_while_it_starts_is_exit_3() -> None:
    killed: list[int] = []

    def killer() -> None:
        pid = _dockerd_pid("dies", time.monotonic() + 60)
        if pid:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    t = threading.Thread(target=killer)
    t.start()
    try:
        with pytest.raises(EnvironmentProblem) as e:
            Lab.from_yaml(DOCKER, "dies.yml", engine="docker").run(full_matrix=False)
    finally:
        t.join()
    assert killed and e.value.exit_code == 3
    assert "dockerd on docker1 did not come up" in e.value.message, e.value.message
    assert not sandbox.files_dir("dies").exists()


@needs_dockerd
def test_a_dockerd_that_dies_while_probed_is_named_not_a_disagreement() -> None:
    lab = Lab.from_yaml(DOCKER, "dies.yml", engine="docker")
    with lab.up():
        sock = sandbox.files_dir("dies") / "docker" / "docker1" / "docker.sock"
        st = sock.stat()  # root's group, in root's 0700 directory: no `docker` group member
        assert (st.st_uid, st.st_gid) == (0, 0) and not st.st_mode & 0o007, oct(st.st_mode)
        assert sandbox.JOURNAL_DIR.stat().st_mode & 0o777 == 0o700
        pid = _dockerd_pid("dies", time.monotonic() + 5)
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10  # SIGKILL is sent at once, a Go process ends later
        while sandbox.dead("dies") == [] and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(EnvironmentProblem) as e:
            lab.probe()
    assert "dockerd on docker1 of lab dies died while netsim probed it" in e.value.message
    assert not sandbox.files_dir("dies").exists()


# -- TLS to an engine netsim did not start ---------------------------------------------

@pytest.fixture
def tls_engine(tmp_path: Path):
    """A TLS endpoint that answers GET /version as dockerd does, in a namespace netsim made
    (traffic stays inside it), requiring a client certificate; what it saw is recorded."""
    certs = tmp_path / "certs"
    certs.mkdir()
    _certificates(certs)
    lab = "tlse"
    assert sandbox.create_journal(lab, Journal(lab=lab))
    ns = sandbox.ns_name(lab, "engine")
    seen: dict = {}
    try:
        sandbox.create_netns(ns, {}, lab)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.pem"))
        ctx.load_cert_chain(certs / "server.pem", certs / "server-key.pem")
        ctx.verify_mode = ssl.CERT_REQUIRED
        listener = sandbox.in_thread(lambda: _listen(ns))

        def serve() -> None:  # each connection: the client asks /version more than once
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return  # closed: the test is over
                conn.settimeout(20)
                seen["first byte"] = conn.recv(1, 0x02)  # MSG_PEEK: a TLS record is 0x16
                try:
                    with ctx.wrap_socket(conn, server_side=True) as tls:
                        seen["client cert"] = tls.getpeercert() is not None
                        seen["request"] = tls.recv(4096).split(b"\r\n")[0]
                        body = json.dumps({"Version": "26.1.5", "ApiVersion": "1.45"}).encode()
                        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                                    % (len(body), body))
                except (OSError, ssl.SSLError) as e:
                    seen["server error"] = str(e)
                    conn.close()

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        yield ns, certs, seen
        listener.close()
    finally:
        sandbox.teardown(lab)


def _certificates(d: Path) -> None:
    """A CA, the engine's certificate for 127.0.0.1 and the client's, as DOCKER_CERT_PATH
    holds them (ca.pem, cert.pem, key.pem: the engine's own pair beside them)."""
    def ssl_(*argv: str) -> None:
        subprocess.run(["openssl", *argv], check=True, capture_output=True, cwd=d)

    ssl_("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", "ca-key.pem",
         "-out", "ca.pem", "-subj", "/CN=netsim test CA")
    for name, extra in (("server", "subjectAltName=IP:127.0.0.1"),
                        ("client", "extendedKeyUsage=clientAuth")):
        ssl_("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out",
             f"{name}.csr", "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(extra + "\n")
        ssl_("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
             "-CAcreateserial", "-days", "1", "-out", f"{name}.pem", "-extfile", f"{name}.ext")
    shutil.copy(d / "client.pem", d / "cert.pem")
    shutil.copy(d / "client-key.pem", d / "key.pem")


def _listen(ns: str):
    import socket

    with sandbox.in_netns(ns):
        s = socket.socket()
        s.bind(("127.0.0.1", 2376))
        s.listen(1)
        return s


def test_docker_tls_verify_makes_the_engine_client_speak_tls(tls_engine) -> None:
    ns, certs, seen = tls_engine
    env = {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certs)}

    def ask() -> str:
        with sandbox.in_netns(ns):  # the client's socket is made in the engine's namespace
            c = existing.client("tcp://127.0.0.1:2376", env)
            try:
                return c.api.version(api_version=False)["Version"]
            finally:
                c.close()

    assert sandbox.in_thread(ask) == "26.1.5"
    assert seen == {"first byte": b"\x16", "client cert": True,
                    "request": b"GET /version HTTP/1.1"}, seen


def test_cleartext_tcp_is_warned_and_missing_certificates_are_exit_3(tls_engine, tmp_path,
                                                                     capsys) -> None:
    ns, _, _ = tls_engine
    assert existing.tls("tcp://127.0.0.1:2375", {}) is None
    assert existing.tls("tcp://127.0.0.1:2376", {}) is True

    def connect(url: str, env: dict) -> str:
        with sandbox.in_netns(ns):  # nothing listens on 2375 there: refused at once
            try:
                existing.client(url, env)
            except EnvironmentProblem as e:
                return e.message
        return ""

    missing = {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(tmp_path)}
    said = sandbox.in_thread(lambda: connect("tcp://127.0.0.1:2376", missing))
    assert "cannot reach the Docker engine" in said and "certificate" in said, said
    said = sandbox.in_thread(lambda: connect("tcp://127.0.0.1:2375", {}))
    assert "cannot reach the Docker engine" in said
    assert "is cleartext HTTP" in capsys.readouterr().err
