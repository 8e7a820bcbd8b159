"""Calico for real: real BIRD meshing the nodes (sessions up, the routes it installed are the
model's), felix's chains and ipsets loaded beside the real portmap's (each node's
iptables-save equals the model's rendering), a NetworkPolicy's drop counted by the rule the
model names, the gateway nobody holds answered by proxy ARP, and felix's VXLAN device.
Every expectation and the whole matrix of the Calico scenarios run in test_kernel.py."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from netsim.lab import Lab
from netsim.realize import sandbox
from netsim.realize.iptables_save import render
from netsim.runtime.cni import exec as cni_exec
from netsim.runtime.cni.calico import bird, plugin
from tests.conftest import SCENARIOS, needs_root

# what a Calico node needs here (test_kube_proxy.py's lab runs on Calico too)
NEEDS = [needs_root,
         pytest.mark.skipif(not cni_exec.PLUGIN_DIR.is_dir(),
                            reason="apt-get install containernetworking-plugins"),
         pytest.mark.skipif(subprocess.run(["which", "bird"], capture_output=True)
                            .returncode != 0, reason="apt-get install bird2")]
pytestmark = NEEDS


def inside(ns: str, *argv: str) -> str:
    def run() -> subprocess.CompletedProcess:
        with sandbox.in_netns(ns):
            return subprocess.run(argv, capture_output=True, text=True, timeout=10)

    return sandbox.in_thread(run).stdout


def connect(ns: str, ip: str, port: int) -> bool:
    def run() -> bool:
        with sandbox.in_netns(ns), socket.socket() as s:
            s.settimeout(0.6)
            try:
                s.connect((ip, port))
                return True
            except OSError:
                return False

    return sandbox.in_thread(run)


def test_bird_meshes_felix_polices_and_the_kernel_holds_the_models_state() -> None:
    lab_ = Lab.load(SCENARIOS / "netpol.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        for node in ("node1", "node2", "node3"):
            sock = sandbox.files_dir(lab_.name) / node / "etc" / "bird" / "bird.ctl"
            shown = subprocess.run(["birdc", "-s", str(sock), "show", "protocols"],
                                   capture_output=True, text=True, timeout=10).stdout
            mesh = [line for line in shown.splitlines() if line.startswith("Mesh_")]
            assert len(mesh) == 2 and all("Established" in line for line in mesh), shown
            want = sorted(((str(r.dst), str(r.via) if r.via else None)
                           for r in m.ns[node].routes if r.proto == "bird"),
                          key=lambda x: (x[0], x[1] or ""))
            assert bird.installed(ns[node]) == want, node
            saved = "".join(line + "\n" for line in inside(ns[node], "iptables-save")
                            .splitlines() if not line.startswith("#"))
            assert saved == render(m.ns[node].rules), node
        # felix's ipset of the pods web-from-clients selects: client-1's address only
        listed = inside(ns["node1"], "ipset", "list")
        assert str(m.endpoints["client-1"].primary) in listed
        # client-2 is no app=client: the tier's default drop on web-1's endpoint counts it
        web = plugin.veth_name("prod", "web-1")
        chain = f"cali-tw-{web}"

        def drops() -> int:
            for line in inside(ns["node1"], "iptables-save", "-c").splitlines():
                if line.endswith("-j DROP") and f"-A {chain} " in line and "End of tier" in line:
                    return int(line.split("]")[0].lstrip("[").split(":")[0])
            raise AssertionError(f"no tier drop in {chain}")

        before = drops()
        assert not connect(ns["client-2"], str(m.endpoints["web-1.prod"].primary), 80)
        assert drops() > before
        assert connect(ns["client-1"], str(m.endpoints["web-1.prod"].primary), 80)
        # the pod's only neighbour is the gateway nobody holds, answered with felix's MAC
        neigh = json.loads(inside(ns["client-1"], "ip", "-j", "neigh", "show") or "[]")
        assert {(n["dst"], n.get("lladdr")) for n in neigh} == {
            ("169.254.1.1", "ee:ee:ee:ee:ee:ee")}
        assert inside(ns["node1"], "sysctl", "-n",
                      f"net.ipv4.conf.{web}.proxy_arp").strip() == "1"


def test_felix_vxlan_device_neighbours_and_crosssubnet_routes() -> None:
    lab_ = Lab.load(SCENARIOS / "calico-vxlan.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        [link] = json.loads(inside(ns["node1"], "ip", "-j", "-d", "link", "show", "vxlan.calico"))
        info = link["linkinfo"]["info_data"]
        assert (info["id"], info["port"], info["learning"], link["mtu"]) == (4096, 4789, False,
                                                                              1450)
        routes = {r["dst"]: r for r in json.loads(inside(ns["node1"], "ip", "-j", "route"))}
        assert routes["10.48.135.0/26"]["dev"] == "vxlan.calico"          # node3: across
        assert routes["10.48.104.0/26"]["dev"] == "eth0"                  # node2: same subnet
        assert routes["10.48.166.128/26"]["type"] == "blackhole"
        neigh = json.loads(inside(ns["node1"], "ip", "-j", "neigh", "show", "dev",
                                  "vxlan.calico"))
        assert {(n["dst"], n["lladdr"]) for n in neigh} == {
            ("10.48.135.0", m.ns["node3"].ifaces["vxlan.calico"].mac)}
