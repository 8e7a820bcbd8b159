"""flannel for real: what netsim programs as flanneld and what the real bridge / host-local /
portmap plugins make from the flannel plugin's delegate, read back from the kernel; every
expectation and the matrix of the four flannel scenarios is in test_kernel.py (root)."""

from __future__ import annotations

import json
import subprocess
from ipaddress import IPv4Address, IPv4Interface

import pytest

from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.iptables_save import render
from netsim.runtime.cni import exec as cni_exec
from tests.conftest import SCENARIOS, lab, needs_root

pytestmark = [needs_root, pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                                             reason="apt-get install containernetworking-plugins")]


def inside(ns: str, *argv: str) -> subprocess.CompletedProcess:
    def run() -> subprocess.CompletedProcess:
        with sandbox.in_netns(ns):
            return subprocess.run(argv, capture_output=True, text=True, timeout=10)

    return sandbox.in_thread(run)


def ip_json(ns: str, *argv: str) -> list:
    return json.loads(inside(ns, "ip", "-j", *argv).stdout or "[]")


def vxlan_of(ns: str, dev: str) -> tuple[dict, dict, set]:
    """A VXLAN device as the kernel holds it: the link, its VXLAN data, its FDB (mac, dst)."""
    [link] = ip_json(ns, "-d", "link", "show", dev)
    fdb = json.loads(inside(ns, "bridge", "-j", "fdb", "show", "dev", dev).stdout)
    return link, link["linkinfo"]["info_data"], {(f["mac"], f["dst"]) for f in fdb}


def test_the_kernel_holds_what_flanneld_and_the_delegated_plugins_made() -> None:
    lab_ = Lab.load(SCENARIOS / "flannel.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        link, info, fdb = vxlan_of(ns["node1"], "flannel.1")
        assert (info["id"], info["port"], info["learning"], link["mtu"]) == (1, 8472, False, 1450)
        assert link["address"] == m.ns["node1"].ifaces["flannel.1"].mac
        routes = {r["dst"]: r for r in ip_json(ns["node1"], "route")}
        assert routes["10.244.1.0/24"]["gateway"] == "10.244.1.0"
        assert "onlink" in routes["10.244.1.0/24"]["flags"]
        neigh = {n["dst"]: n for n in ip_json(ns["node1"], "neigh", "show", "dev", "flannel.1")}
        assert neigh["10.244.2.0"]["lladdr"] == m.ns["node3"].ifaces["flannel.1"].mac
        assert "PERMANENT" in neigh["10.244.2.0"]["state"]
        assert fdb == {
            (m.ns[n].ifaces["flannel.1"].mac, f"192.168.1.{10 + k}") for k, n in
            ((1, "node2"), (2, "node3"))}
        # the real bridge plugin, from the delegate the flannel plugin would have generated
        [pod] = [a for a in ip_json(ns["web"], "addr", "show", "eth0")]
        assert pod["mtu"] == 1450
        assert [f"{a['local']}/{a['prefixlen']}" for a in pod["addr_info"]] == ["10.244.0.2/24"]
        [cni0] = ip_json(ns["node1"], "addr", "show", "cni0")
        assert IPv4Interface(f"{cni0['addr_info'][0]['local']}/24").ip == IPv4Address("10.244.0.1")
        for node in ("node1", "node2", "node3"):
            saved = "".join(line + "\n" for line in inside(ns[node], "iptables-save").stdout
                            .splitlines() if not line.startswith("#"))
            assert saved == render(m.ns[node].rules), node
            assert "-A FLANNEL-POSTRTG" in saved and "-A FLANNEL-FWD" in saved
        env = sandbox.files_dir(lab_.name) / "node2" / "run" / "flannel" / "subnet.env"
        assert "FLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\n" in env.read_text()


def _tx_rx(ns: str, dev: str) -> tuple[int, int]:
    [link] = ip_json(ns, "-s", "link", "show", dev)
    return link["stats64"]["tx"]["packets"], link["stats64"]["rx"]["packets"]


def test_blocked_8472_the_vxlan_packet_leaves_node2_and_never_reaches_node1() -> None:
    lab_ = Lab.load(SCENARIOS / "flannel-blocked.yml")
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in lab_.model.ns}
        tx0, _ = _tx_rx(ns["node2"], "flannel.1")
        _, rx0 = _tx_rx(ns["node1"], "flannel.1")
        done = inside(ns["client"], "python3", "-c", "import socket; s = socket.socket(); "
                      "s.settimeout(0.5)\ntry: s.connect(('10.244.0.2', 80))\n"
                      "except OSError as e: print(e)")
        assert "timed out" in done.stdout
        tx1, _ = _tx_rx(ns["node2"], "flannel.1")
        _, rx1 = _tx_rx(ns["node1"], "flannel.1")
        assert tx1 > tx0 and rx1 == rx0


def test_host_gw_the_kernel_refuses_a_route_via_a_node_behind_the_router() -> None:
    """What F01 says flanneld hits: the route it would add is not on node1's link."""
    lab_ = Lab.load(SCENARIOS / "flannel-hostgw.yml")
    with lab_.up():
        node1 = sandbox.ns_name(lab_.name, "node1")
        done = inside(node1, "ip", "route", "add", "10.244.2.0/24", "via", "192.168.2.13",
                      "dev", "eth0")
        assert done.returncode != 0 and "invalid gateway" in done.stderr, done
        assert "10.244.1.0/24 via 192.168.1.11 dev eth0" in inside(node1, "ip", "route").stdout


def test_mtu_flannel_derives_from_the_nic_the_kernel_agrees() -> None:
    lab_ = Lab.load(SCENARIOS / "flannel-mtu.yml")
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in lab_.model.ns}
        for node, pod, mtu in (("node1", "web", 1450), ("node3", "fixed", 1350)):
            [vx] = ip_json(ns[node], "link", "show", "flannel.1")
            [eth0] = ip_json(ns[pod], "link", "show", "eth0")
            assert vx["mtu"] == eth0["mtu"] == mtu


def test_docker_on_a_flannel_node_flannel_fwd_keeps_the_pods_working() -> None:
    text = (f"name: fldock\nhosts: {{node1: {{runtime: [docker, cni]}}, node2: {{runtime: cni}}}}\n"
            "flannel: {Network: 10.244.0.0/16, Backend: {Type: vxlan}}\n"
            f"cni: {{cbr0: {{file: {SCENARIOS / 'cni' / '10-flannel.conflist'}}}}}\n"
            "containers:\n"
            "  web: {host: node1, network: cbr0, listen: [80/tcp], ports: ['8080:80']}\n"
            "  peer: {host: node1, network: cbr0}\n  client: {host: node2}\n"
            "  dk: {host: node1, listen: [81/tcp]}\n"
            "expect:\n"
            "  - {from: client, to: web, port: 80/tcp, result: open, source: client}\n"
            "  - {from: peer, to: web, port: 80/tcp, result: open, source: peer}\n"
            "  - {from: lan, to: node1, port: 8080/tcp, result: open}\n"
            "  - {from: web, to: outside, port: 80/tcp, result: open, source: node1}\n")
    lab_ = lab(text)
    report = lab_.run(full_matrix=True)
    bad = [(r.probe.label, r.predicted.result, r.observed) for r in report.rows if not r.ok]
    assert not bad and report.ok, bad
    assert not any(pid == "C04" for pid, _ in lab_.model.warnings)
    assert lab_.model.ns["node1"].rules.tables["filter"]["FORWARD"].policy == "drop"


def test_flannel_in_both_families_meets_every_expectation_and_the_whole_matrix() -> None:
    report = Lab.load(SCENARIOS / "flannel-ipv6.yml").run(full_matrix=True)
    bad = [(r.probe.label, r.predicted.result, r.observed) for r in report.rows if not r.ok]
    assert not bad and report.ok, bad
    assert len(report.rows) > 250


def test_flannel_v6_device_routes_rules_and_the_kernels_mtu_clamp() -> None:
    lab_ = Lab.load(SCENARIOS / "flannel-ipv6.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        link, info, fdb = vxlan_of(ns["node1"], "flannel-v6.1")
        assert (info["id"], info["port"], info["local6"]) == (1, 8472, "2001:db8:1::10")
        assert link["mtu"] == m.ns["node1"].ifaces["flannel-v6.1"].mtu == 1430
        routes = {r["dst"]: r for r in ip_json(ns["node1"], "-6", "route")}
        assert routes["fd00:10:244:1::/64"]["gateway"] == "fd00:10:244:1::"
        assert routes["fd00:10:244:1::/64"]["dev"] == "flannel-v6.1"
        assert fdb == {
            (m.ns[n].ifaces["flannel-v6.1"].mac, f"2001:db8:1::{11 + k}")
            for k, n in enumerate(("node2", "node3"))}
        # what flanneld would get: a VXLAN device over IPv6 bound to eth0, asked for 1450
        # (FLANNEL_MTU), is clamped by the kernel to what the model holds
        asked = inside(ns["node1"], "ip", "link", "add", "clamp6", "mtu", "1450", "type",
                       "vxlan", "id", "99", "local", "2001:db8:1::10", "dstport", "8999",
                       "dev", "eth0")
        assert asked.returncode == 0, asked.stderr
        [clamp] = ip_json(ns["node1"], "link", "show", "clamp6")
        inside(ns["node1"], "ip", "link", "del", "clamp6")
        assert clamp["mtu"] == m.ns["node1"].ifaces["flannel-v6.1"].mtu
        [pod] = ip_json(ns["web"], "addr", "show", "eth0")
        assert pod["mtu"] == 1450
        assert {a["local"] for a in pod["addr_info"] if a["scope"] == "global"} == {
            "10.42.0.2", "fd00:10:244::2"}
        for node in ("node1", "node2", "node3"):
            for cmd, rules in (("iptables-save", m.ns[node].rules),
                               ("ip6tables-save", m.ns[node].rules6)):
                saved = "".join(line + "\n" for line in inside(ns[node], cmd).stdout
                                .splitlines() if not line.startswith("#"))
                assert saved == render(rules), (node, cmd)
                assert "-A FLANNEL-POSTRTG" in saved and "-A FLANNEL-FWD" in saved
        env = sandbox.files_dir(lab_.name) / "node2" / "run" / "flannel" / "subnet.env"
        assert env.read_text() == (
            "FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.1.1/24\n"
            "FLANNEL_IPV6_NETWORK=fd00:10:244::/56\nFLANNEL_IPV6_SUBNET=fd00:10:244:1::1/64\n"
            "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n")
