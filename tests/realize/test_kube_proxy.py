"""kube-proxy for real, in both modes: its iptables rules loaded beside felix's and the real
portmap's (each node's iptables-save equals the model's rendering), its nftables table loaded
beside flanneld's and portmap's iptables (each node's `nft list table ip kube-proxy` equals
the model's rendering), and a Service of three endpoints probed many times reaching each of
them through the kernel's statistic or numgen split, and a Service with ClientIP affinity
keeping a client on one endpoint (the kernel's recent list, or nft's dynamic set). Every
expectation and the whole matrix of services*.yml run in test_kernel.py."""

from __future__ import annotations

import re
import socket

from netsim.lab import Lab
from netsim.realize import nft_table, sandbox
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
        assert_sticky(ns["client-1"], str(m.virtual["svc/sticky"]), pods)


def assert_sticky(ns: str, ip: str, pods: set[str]) -> None:
    """ClientIP affinity: the first connection takes any endpoint, every later one the same
    (without it, 30 connections all on one of three: p = 3 / 3^30)."""
    seen = {served_by(ns, ip, 80) for _ in range(30)}
    assert len(seen) == 1 and seen <= pods, seen


def canonical(listing: str) -> str:
    """A listing with each set's elements on one line and sorted: a hash set lists them in
    its own order, and nft breaks the line where their count says."""
    def one(m: re.Match) -> str:
        items = re.split(r",\s*", re.sub(r"\s+", " ", m.group(1)).strip())
        return "elements = { " + ", ".join(sorted(items)) + " }"

    return re.sub(r"elements = \{(.*?)\}", one, listing, flags=re.S)


def test_kube_proxys_nftables_table_is_the_models_and_numgen_reaches_every_endpoint() -> None:
    lab_ = Lab.load(SCENARIOS / "services-flannel-nft.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        for node in ("node1", "node2", "node3"):
            listed = inside(ns[node], "nft", "list", "table", "ip", "kube-proxy")
            assert canonical(listed) == canonical(nft_table.render(m.ns[node].rules,
                                                                   "kube-proxy")), node
            assert "chain service-SUSTUHLJ-default/web/tcp/http {" in listed   # its hash
            assert "KUBE-" not in inside(ns[node], "iptables-save"), node     # nft only
        web = str(m.virtual["svc/web"])
        seen = [served_by(ns["client-1"], web, 80) for _ in range(60)]
        pods = {str(m.endpoints[p].primary) for p in ("web-1", "web-2", "web-3")}
        assert set(seen) == pods, seen                   # 1/3 each: all three in 60, p > 0.9999
        assert_sticky(ns["client-1"], str(m.virtual["svc/sticky"]), pods)
