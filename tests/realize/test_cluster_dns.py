"""The cluster DNS for real: a pod's query to the kube-dns ClusterIP crosses kube-proxy's DNAT
to the CoreDNS pod (its endpoint chain counts it), the answer comes back from the ClusterIP
(conntrack undoes the DNAT) with CoreDNS's authority, and a name outside the zone is forwarded
from the CoreDNS pod to the LAN's server. Every expectation of cluster-dns.yml (search lists,
headless, dnsPolicy Default, a default-deny) runs in test_kernel.py."""

from __future__ import annotations

import re
import socket

from dnslib import RCODE, DNSRecord

from netsim.lab import Lab
from netsim.realize import sandbox
from tests.conftest import SCENARIOS
from tests.realize.test_calico import NEEDS, inside

pytestmark = NEEDS


def ask(ns: str, server: str, name: str) -> tuple[DNSRecord, str]:
    def run() -> tuple[DNSRecord, str]:
        with sandbox.in_netns(ns), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(2)
            s.sendto(DNSRecord.question(name).pack(), (server, 53))
            data, peer = s.recvfrom(4096)
            return DNSRecord.parse(data), peer[0]

    return sandbox.in_thread(run)


def udp_out(ns: str) -> int:
    """The namespace's UDP datagrams sent (/proc/net/snmp)."""
    rows = [line.split() for line in inside(ns, "cat", "/proc/net/snmp").splitlines()
            if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("OutDatagrams")])


def dns_packets(ns: str, endpoint: str) -> int:
    """Packets the KUBE-SEP chain of the CoreDNS endpoint's 53/udp DNAT has counted."""
    saved = inside(ns, "iptables-save", "-c", "-t", "nat")
    hits = [int(m.group(1)) for m in re.finditer(
        r"^\[(\d+):\d+\] -A KUBE-SEP-\w+ .*-p udp .*--to-destination " + re.escape(endpoint)
        + r":53$", saved, re.M)]
    assert hits, saved
    return sum(hits)


def test_a_pods_query_crosses_kube_proxy_to_coredns_and_names_outside_go_upstream() -> None:
    lab_ = Lab.load(SCENARIOS / "cluster-dns.yml")
    m = lab_.model
    with lab_.up():
        ns = {n: sandbox.ns_name(lab_.name, n) for n in m.ns}
        coredns = str(m.endpoints["coredns.kube-system"].primary)
        before = dns_packets(ns["node2"], coredns)
        reply, peer = ask(ns["client"], "10.96.0.10", "web.default.svc.cluster.local")
        assert peer == "10.96.0.10"                       # un-DNATed by conntrack
        assert reply.header.aa == 1 and reply.header.rcode == RCODE.NOERROR
        assert [str(r.rdata) for r in reply.rr] == [str(m.virtual["svc/web"])]
        assert dns_packets(ns["node2"], coredns) == before + 1   # through kube-proxy's DNAT
        gone, _ = ask(ns["client"], "10.96.0.10", "gone.default.svc.cluster.local")
        assert gone.header.rcode == RCODE.NXDOMAIN          # headless, no ready endpoint
        sent = udp_out(ns["coredns.kube-system"])
        out, _ = ask(ns["client"], "10.96.0.10", "printer.lan")
        assert [str(r.rdata) for r in out.rr] == ["192.168.1.60"]
        assert udp_out(ns["coredns.kube-system"]) == sent + 2   # the query upstream, the answer
