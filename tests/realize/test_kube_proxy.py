"""kube-proxy for real: its rules loaded beside felix's and the real portmap's (each node's
iptables-save equals the model's rendering), and a Service of three endpoints probed many
times reaching each of them through the kernel's statistic split. Every expectation and the
whole matrix of services.yml run in test_kernel.py."""

from __future__ import annotations

import socket
import subprocess

import pytest

from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.iptables_save import render
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import SCENARIOS, needs_root

pytestmark = [needs_root,
              pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                                 reason="apt-get install containernetworking-plugins"),
              pytest.mark.skipif(subprocess.run(["which", "bird"], capture_output=True)
                                 .returncode != 0, reason="apt-get install bird2")]


def inside(ns: str, *argv: str) -> str:
    def run() -> subprocess.CompletedProcess:
        with sandbox.in_netns(ns):
            return subprocess.run(argv, capture_output=True, text=True, timeout=10)

    return sandbox.in_thread(run).stdout


def served_by(ns: str, ip: str, port: int) -> str:
    """The echo service's own address: which endpoint the split chose."""
    def run() -> str:
        with sandbox.in_netns(ns), socket.create_connection((ip, port), timeout=2) as s:
            return s.recv(200).decode().split()[1].rsplit(":", 1)[0]

    return sandbox.in_thread(run)


def test_kube_proxys_rules_are_the_models_and_the_split_reaches_every_endpoint() -> None:
    lab_ = Lab.load(SCENARIOS / "services.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        for node in ("node1", "node2", "node3"):
            saved = "".join(line + "\n" for line in inside(ns[node], "iptables-save")
                            .splitlines() if not line.startswith("#"))
            assert saved == render(m.ns[node].rules), node
            assert "KUBE-SVC-CDGGSHYLG3RE2FKL" in saved     # default/web:http, tcp
        web = str(m.virtual["svc/web"])
        seen = [served_by(ns["client-1"], web, 80) for _ in range(60)]
        pods = {str(m.endpoints[p].primary) for p in ("web-1", "web-2", "web-3")}
        assert set(seen) == pods, seen                   # 1/3 each: all three in 60, p > 0.9999
