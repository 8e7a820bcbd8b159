"""kube-proxy for real: its rules loaded beside felix's and the real portmap's (each node's
iptables-save equals the model's rendering), and a Service of three endpoints probed many
times reaching each of them through the kernel's statistic split. Every expectation and the
whole matrix of services.yml run in test_kernel.py."""

from __future__ import annotations

import socket

from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.iptables_save import render
from tests.conftest import SCENARIOS
from tests.realize.test_calico import NEEDS, inside

pytestmark = NEEDS


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
