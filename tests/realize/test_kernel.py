"""The shipped scenarios built for real and probed with real packets. Each test asserts on what
the kernel did (the probe's observation, the source address the server saw, the interfaces
that exist), and on the model agreeing with it."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address

import pytest

from netsim.answer.probe import Probe
from netsim.engine import netns
from netsim.lab import Lab, probe_lab, up_lab
from netsim.probe.engine import Prober
from netsim.probe.plan import address_of
from netsim.probe.running import Running
from netsim.realize import lifecycle, sandbox
from tests.conftest import SCENARIOS, needs_root

pytestmark = needs_root


class _OneLabAtATime:
    """Brings a shipped scenario up on first use and keeps it until another is asked for, so
    that only one lab runs at a time (they share the machine's ARP table)."""

    def __init__(self) -> None:
        self.current: tuple[str, Lab, dict] | None = None

    def __call__(self, name: str) -> tuple[Lab, dict]:
        if self.current is None or self.current[0] != name:
            self.close()
            lab = Lab.load(SCENARIOS / (name if "." in name else f"{name}.yml"))
            self.current = (name, lab, up_lab(lab).names)
        return self.current[1], self.current[2]

    def close(self) -> None:
        if self.current is not None:
            lifecycle.down(self.current[1].name)
            self.current = None


@pytest.fixture(scope="module")
def running():
    labs = _OneLabAtATime()
    yield labs
    labs.close()


LABS = ["bridge", "user-bridges", "modes", "macvlan", "macvlan-modes", "overlay", "overlay-mtu",
        "overlay-order",
        "overlay-blocked", "names", "commands", "fidelity", "fidelity-2010", "dns-upstream",
        "rm-recreate", "cni-bridge", "cni-containerd", "cni-hairpin",
        "cni-macvlan", "cni-podman", "cni-ptp", "cni-docker-node", "cni-options", "cni-nerdctl",
        "cni-sbr", "cni-host-device", "flannel",
        "flannel-blocked", "flannel-mtu", "flannel-hostgw", "compose/compose.yaml",
        "calico-bgp", "calico-vxlan", "netpol", "netpol-flannel", "netpol-canal", "services",
        "services-flannel", "services-nft", "services-flannel-nft", "cluster-dns"]


def probe_netns(lab: Lab, names: dict, full_matrix: bool):
    return probe_lab(lab, Running(names, lifecycle.flush_targets(lab.model, names),
                                  engine=netns.NAME, **netns.CAN), full_matrix)


def observe(lab: Lab, names: dict, src: str, dst: str, proto: str = "icmp",
            port: int | None = None):
    ep = lab.model.endpoints
    target = address_of(lab.model, dst)
    probe = Probe(src, ep[src].ns, dst, target, proto, port, None, None, None, frozenset(), "t")
    prober = Prober(names, lifecycle.flush_targets(lab.model, names), timeout=0.5)
    try:
        return prober.run([probe])[0]
    finally:
        prober.close()


@pytest.mark.parametrize("which", LABS)
def test_every_expectation_met_and_every_observation_as_predicted(which, running) -> None:
    lab, names = running(which)
    report = probe_netns(lab, names, full_matrix=True)
    bad = [(r.probe.label, r.probe.expected, r.predicted.result, r.observed, r.notes)
           for r in report.rows if not r.ok or r.observed == "inconclusive"]
    assert not bad, bad
    assert len(report.rows) >= 20  # the expectations and the whole matrix were probed
    unseen = [r.probe.label for r in report.rows if r.seen is None]
    assert all(label.startswith("docker run ") for label in unseen), unseen


def test_masquerade_outside_sees_the_hosts_lan_address(running) -> None:
    lab, names = running("bridge")
    obs = observe(lab, names, "web", "outside", "tcp", 80)
    assert obs.result == "open" and obs.source_seen == IPv4Address("192.168.1.10"), obs


def test_dnat_keeps_the_client_address(running) -> None:
    lab, names = running("bridge")
    for client, addr in (("lan", "192.168.1.2"), ("outside", "203.0.113.10")):
        obs = observe(lab, names, client, "192.168.1.10", "tcp", 8080)
        assert obs.result == "open" and obs.source_seen == IPv4Address(addr), obs


def test_loopback_port_refused_from_lan_served_on_the_host(running) -> None:
    lab, names = running("bridge")
    assert observe(lab, names, "lan", "192.168.1.10", "tcp", 8081).result == "closed"
    obs = observe(lab, names, "docker1", "127.0.0.1", "tcp", 8081)
    assert obs.result == "open" and obs.source_seen == IPv4Address("172.17.0.1"), obs


def test_isolation_icc_and_internal(running) -> None:
    lab, names = running("user-bridges")
    assert observe(lab, names, "web", "db").result == "blocked"  # two user bridges
    assert observe(lab, names, "api", "db").result == "reach"  # api is on both
    assert observe(lab, names, "q1", "q2").result == "blocked"  # icc=false
    assert observe(lab, names, "q1", "outside", "tcp", 80).result == "open"
    assert observe(lab, names, "secret", "secret2").result == "reach"  # --internal
    assert observe(lab, names, "secret", "outside", "tcp", 80).result == "blocked"


def _links(ns: str) -> set[str]:
    def names() -> set[str]:
        with sandbox.in_netns(ns):
            return {name for _, name in socket.if_nameindex()}

    return sandbox.in_thread(names)


def test_none_has_only_lo_and_container_mode_shares_the_address(running) -> None:
    lab, names = running("modes")
    assert _links(names["isolated"]) == {"lo"}
    assert lab.model.endpoints["sidecar"].ns == lab.model.endpoints["base"].ns
    obs = observe(lab, names, "docker1", "sidecar", "tcp", 9000)  # sidecar's own listener
    assert obs.result == "open" and obs.source_seen == IPv4Address("172.17.0.1"), obs
    assert observe(lab, names, "isolated", "outside").result == "blocked"


@pytest.mark.parametrize("which", LABS)
def test_nothing_of_the_lab_is_in_the_root_namespace(which, running) -> None:
    lab, names = running(which)
    root = {name for _, name in socket.if_nameindex()}
    ours = {i.name for ns in lab.model.ns.values() for i in ns.ifaces.values()} - {"lo"}
    assert not (root & {n for n in ours if n.startswith(("veth", "br-", "sw"))})
    assert all((sandbox.NETNS_DIR / n).exists() for n in names.values())


def test_arp_overflow_makes_a_negative_verdict_inconclusive(running, monkeypatch) -> None:
    """When the machine's ARP table overflows during a probe, a negative answer is not a
    verdict. The overflow is simulated by the counter only (filling the real table would
    disturb every other user of the machine); the probe itself is real."""
    from netsim.probe import engine

    lab, names = running("bridge")
    fulls = iter(range(0, 1000, 7))
    real = engine.neigh_stats

    def rising() -> dict:
        return {**real(), "table_fulls": next(fulls)}

    monkeypatch.setattr(engine, "neigh_stats", rising)
    obs = observe(lab, names, "lan", "web")  # blocked for real: the router has no route
    assert obs.result == "inconclusive" and obs.attempts == 2, obs
    assert any("overflowed" in e for e in obs.evidence)
    ok = observe(lab, names, "client", "web")  # a positive answer stays a verdict
    assert ok.result == "reach"


def test_macvlan_host_isolation_no_nat_and_the_shim(running) -> None:
    lab, names = running("macvlan")
    assert observe(lab, names, "docker1", "web").result == "blocked"
    assert observe(lab, names, "web", "docker1").result == "blocked"
    obs = observe(lab, names, "web", "outside", "tcp", 80)  # no NAT: outside sees the container
    assert obs.result == "open" and obs.source_seen == IPv4Address("192.168.1.2"), obs
    lab, names = running("macvlan-modes")
    assert observe(lab, names, "docker1", "b1").result == "reach"  # shim
    assert observe(lab, names, "b2", "docker1").result == "reach"
    assert observe(lab, names, "docker2", "p1").result == "blocked"  # no shim


@pytest.mark.parametrize(("a", "b", "result"), [
    ("b1", "b2", "reach"), ("p1", "p2", "blocked"), ("v1", "v2", "blocked"),
    ("h1", "h2", "reach"), ("q1", "q2", "blocked")])
def test_macvlan_sibling_rule_per_mode(running, a: str, b: str, result: str) -> None:
    lab, names = running("macvlan-modes")
    assert observe(lab, names, a, b).result == result


def test_overlay_cross_host_isolation_and_egress(running) -> None:
    lab, names = running("overlay")
    obs = observe(lab, names, "web", "api@frontend", "tcp", 8000)
    assert obs.result == "open" and obs.source_seen == IPv4Address("10.0.1.2"), obs
    assert observe(lab, names, "web", "db", "tcp", 5432).result == "blocked"
    obs = observe(lab, names, "db", "outside", "tcp", 80)  # MASQUERADE via docker_gwbridge
    assert obs.result == "open" and obs.source_seen == IPv4Address("192.168.1.12"), obs


def _ping_size(lab, names, src, dst, size):
    ep = lab.model.endpoints
    probe = Probe(src, ep[src].ns, dst, ep[dst].primary, "icmp", None, size, None, None,
                  frozenset(), "t")
    prober = Prober(names, lifecycle.flush_targets(lab.model, names), timeout=0.5)
    try:
        return prober.run([probe])[0].result
    finally:
        prober.close()


def test_overlay_pmtu_edge(running) -> None:
    lab, names = running("overlay")
    assert _ping_size(lab, names, "web", "web2", 1422) == "reach"
    assert _ping_size(lab, names, "web", "web2", 1423) == "blocked"


def test_overlay_small_underlay_mtu_blackhole(running) -> None:
    lab, names = running("overlay-mtu")
    assert observe(lab, names, "client", "web", "tcp", 80).result == "open"
    assert _ping_size(lab, names, "client", "web", 1322) == "reach"
    assert _ping_size(lab, names, "client", "web", 1323) == "blocked"


def test_overlay_blocked_vxlan_port(running) -> None:
    lab, names = running("overlay-blocked")
    assert observe(lab, names, "client", "web", "tcp", 80).result == "blocked"
    assert observe(lab, names, "docker2", "docker1").result == "reach"


def _dns_query(ns: str, server: str, name: str) -> tuple[str, list[str]]:
    """A real DNS query (dnslib) from inside a namespace: (rcode or error, addresses)."""
    from dnslib import QTYPE, RCODE, DNSRecord

    def ask() -> tuple[str, list[str]]:
        with sandbox.in_netns(ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with s:
            s.settimeout(1.5)
            s.connect((server, 53))
            s.send(DNSRecord.question(name, "A").pack())
            try:
                reply = DNSRecord.parse(s.recv(4096))
            except ConnectionRefusedError:
                return "refused", []
            except TimeoutError:
                return "timeout", []
        return (RCODE.get(reply.header.rcode),
                [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A])

    return sandbox.in_thread(ask)


def test_embedded_dns_answers_at_127_0_0_11_through_dockers_nat(running) -> None:
    from netsim.realize import nft

    lab, names = running("names")
    web = names[lab.model.endpoints["web"].ns]
    assert _dns_query(web, "127.0.0.11", "api") == ("NOERROR", ["172.18.0.2"])
    assert _dns_query(web, "127.0.0.11", "svc") == ("NOERROR", ["172.18.0.2"])
    assert _dns_query(web, "127.0.0.11", "db") == ("NXDOMAIN", [])  # forwarded, LAN says no
    assert _dns_query(web, "127.0.0.11", "printer.lan") == ("NOERROR", ["192.168.1.60"])
    port = lab.model.names["web"].resolver_port
    assert f"dnat to 127.0.0.11:{port}" in nft.listing(web)  # Docker's NAT, in web's netns
    old1 = names[lab.model.endpoints["old1"].ns]
    assert _dns_query(old1, "127.0.0.11", "api")[0] == "refused"  # no resolver on docker0
    assert _dns_query(old1, "192.168.1.1", "api") == ("NXDOMAIN", [])


def test_userland_proxy_off_hairpin_and_sources() -> None:
    """userland-proxy=false (docker-observed §5): DNAT serves everyone, the same-bridge client's
    own address is seen, other bridges are cut off, a container reaches its own published port
    because Docker put its bridge port in hairpin mode."""
    lab = Lab.from_yaml("""name: noproxy
hosts: {docker1: {address: 192.168.1.10, userland_proxy: false}}
networks: {neta: {}}
containers:
  web: {ports: ["8080:80", "127.0.0.1:8081:80"], listen: [80/tcp]}
  peer: {}
  other: {network: neta}
""", "noproxy.yml")
    names = up_lab(lab).names
    try:
        peer = observe(lab, names, "peer", "192.168.1.10", "tcp", 8080)
        assert peer.result == "open" and peer.source_seen == IPv4Address("172.17.0.3"), peer
        assert observe(lab, names, "other", "192.168.1.10", "tcp", 8080).result == "blocked"
        assert observe(lab, names, "web", "192.168.1.10", "tcp", 8080).result == "open"
        local = observe(lab, names, "docker1", "127.0.0.1", "tcp", 8081)
        assert local.result == "open" and local.source_seen == IPv4Address("172.17.0.1"), local
        report = probe_netns(lab, names, full_matrix=True)
        assert [r.probe.label for r in report.rows if r.mismatch] == []
    finally:
        lifecycle.down(lab.name)


@pytest.mark.parametrize("name", ["user-bridges", "bridge"])
def test_docker_2010_rules_observed_as_predicted(name: str) -> None:
    """The <= 27 rule layout (FORWARD per bridge, no raw table) in the kernel: every probe of the
    full matrix is observed as the model predicts it for that profile."""
    text = (SCENARIOS / f"{name}.yml").read_text().replace('docker: "28"\n', "")
    text = text.replace(f"name: {name}\n", f'name: {name}-2010\ndocker: "20.10"\n', 1)
    lab = Lab.from_yaml(text, f"{name}-2010.yml")
    names = up_lab(lab).names
    try:
        report = probe_netns(lab, names, full_matrix=True)
        assert [r.probe.label for r in report.rows if r.mismatch or r.observed == "inconclusive"
                ] == []
        assert "DOCKER-ISOLATION-STAGE-1" in lab.rules() and "*raw" not in lab.rules()
    finally:
        lifecycle.down(lab.name)


def test_names_come_from_the_files_libc_reads(running) -> None:
    """`--link` writes /etc/hosts; the probe's libc reads the file netsim wrote, so a wrong
    entry in that file (not in the model) makes the by-name probe fail."""
    lab, names = running("names")
    hosts = sandbox.files_dir(lab.name) / "old2" / "hosts"
    text = hosts.read_text()
    short = lab.model.containers["old1"].short_id
    assert f"172.17.0.2\tlegacy old1 {short}" in text.splitlines()  # as Docker writes it
    rows = [r for r in lab.check(full_matrix=False).expectations
            if r.probe.src == "old2" and r.probe.name in ("legacy", "old1")]
    assert {r.predicted.result for r in rows} >= {"open", "172.17.0.2"}
    try:
        hosts.write_text(text.replace("172.17.0.2\tlegacy", "172.17.0.99\tlegacy"))
        report = probe_netns(lab, names, full_matrix=False)
        got = {(r.probe.name, r.probe.proto): r for r in report.expectations
               if r.probe.src == "old2"}
        assert got["legacy", "dns"].observed == "172.17.0.99", got["legacy", "dns"].notes
        assert got["legacy", "dns"].mismatch
        by_name = got["legacy", "tcp"]
        assert by_name.observed == "blocked" and not by_name.ok, by_name.notes
        assert any("getaddrinfo(legacy): 172.17.0.99" in n for n in by_name.notes)
        assert got["old1", "dns"].observed == "172.17.0.99"  # the same line of the file
    finally:
        hosts.write_text(text)
    again = probe_netns(lab, names, full_matrix=False)
    assert all(r.ok for r in again.expectations), [r.notes for r in again.expectations
                                                   if not r.ok]


def test_upstream_down_28_answers_servfail_at_once_20_10_times_out(running) -> None:
    """docker-observed §9: with nothing on the upstream's port 53, 28.5.2's embedded DNS
    answers SERVFAIL at once; 20.10 lets the client time out. Observed with libc."""
    lab, names = running("dns-upstream")
    got = {(r.probe.src, r.probe.name): r for r in probe_netns(lab, names,
                                                             full_matrix=False).expectations
           if r.probe.proto == "dns"}
    fail = got["web", "printer.lan"]
    assert fail.observed == "servfail" and any("rcode 2" in n for n in fail.notes), fail.notes
    running.close()
    text = (SCENARIOS / "dns-upstream.yml").read_text().replace('docker: "28"',
                                                               'docker: "20.10"')
    text = text.replace("result: servfail", "result: timeout").replace("name: dns-upstream",
                                                                      "name: dns-up-2010")
    old = Lab.from_yaml(text, "dns-up-2010.yml")
    with old.up():
        rows = {(r.probe.src, r.probe.name): r for r in old.probe().expectations
                if r.probe.proto == "dns"}
    assert rows["web", "printer.lan"].observed == "timeout", rows["web", "printer.lan"].notes
    assert rows["web", "api"].observed == "172.18.0.2"
