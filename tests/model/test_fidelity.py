"""What real Docker 20.10.24 and 28.5.2 did (docker-observed §9, and asked again of 20.10.24
through ../shared/oracle), predicted without root. Each test is written from the engine's
behaviour, not from netsim's code."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from netsim.answer.probe import Probe
from netsim.errors import ScenarioError
from netsim.predict.walk import Predictor
from netsim.probe.observe import Predicted
from tests.conftest import lab


def default_via(model, name: str) -> IPv4Address | None:
    [r] = [r for r in model.ns[model.endpoints[name].ns].routes if r.dst.prefixlen == 0]
    return r.via


def probe(model, src: str, dst: IPv4Address, proto: str = "icmp", port: int | None = None):
    return Predictor(model).probe(model.endpoints[src].ns, dst, proto, port)


CONNECT = """
name: gw
docker: "{profile}"
networks:
  aa: {{subnet: 10.1.0.0/24{aa}}}
  zz: {{subnet: 10.2.0.0/24}}
containers:
  cc: {{networks: {{{first}: {{}}, {second}: {{connect: true}}}}}}
"""


@pytest.mark.parametrize("profile", ["20.10", "28"])
@pytest.mark.parametrize(("first", "second", "via"), [
    ("zz", "aa", "10.1.0.1"),   # started on zz, connected to aa: default via aa (sorts first)
    ("aa", "zz", "10.1.0.1"),   # started on aa, connected to zz: stays on aa
])
def test_default_route_goes_to_the_network_whose_name_sorts_first(profile, first, second,
                                                                  via) -> None:
    m = lab(CONNECT.format(profile=profile, aa="", first=first, second=second)).model
    assert default_via(m, "cc") == IPv4Address(via)


def test_an_internal_network_sorts_last_even_when_its_name_sorts_first() -> None:
    """Asked of 20.10.24: aa --internal, started on zz and connected to aa: default via zz."""
    m = lab(CONNECT.format(profile="20.10", aa=", internal: true", first="zz",
                           second="aa")).model
    assert default_via(m, "cc") == IPv4Address("10.2.0.1")


def test_egress_follows_the_route_and_dies_with_that_networks_masquerade_off() -> None:
    aa_nomasq = ', options: {com.docker.network.bridge.enable_ip_masquerade: "false"}'
    outside = IPv4Address("203.0.113.10")
    on = lab(CONNECT.format(profile="28", aa="", first="zz", second="aa")).model
    got = probe(on, "cc", outside, "tcp", 80)
    assert got.result == "open" and got.source_seen == IPv4Address("192.168.1.10"), got.why
    off = lab(CONNECT.format(profile="28", aa=aa_nomasq, first="zz", second="aa")).model
    assert probe(off, "cc", outside, "tcp", 80).result == "blocked"


def test_gw_priority_wins_over_the_name_in_28_only() -> None:
    text = CONNECT.format(profile="28", aa="", first="zz", second="aa").replace(
        "zz: {}", "zz: {gw_priority: 1}")
    assert default_via(lab(text).model, "cc") == IPv4Address("10.2.0.1")
    with pytest.raises(ScenarioError, match="gw-priority needs Docker 28"):
        _ = lab(text.replace('docker: "28"', 'docker: "20.10"')).model


def test_network_connect_bridge_is_accepted_and_bridge_sorts_first() -> None:
    """Both versions accept `docker network connect bridge C` (asked of 20.10.24: then
    default via docker0, because "bridge" < "mm" < "zz")."""
    text = CONNECT.format(profile="20.10", aa="", first="zz", second="bridge")
    m = lab(text).model
    assert default_via(m, "cc") == IPv4Address("172.17.0.1")
    run_both = text.replace("bridge: {connect: true}", "bridge: {}")
    with pytest.raises(ScenarioError, match="cannot attach both user-defined"):
        _ = lab(run_both).model


PUBLISH_ALL = """
name: pa
docker: "{profile}"
containers:
  ww: {{expose: [80/tcp, 81/tcp, 443/tcp, 8080/tcp], publish_all: true, listen: [80/tcp]}}
"""


@pytest.mark.parametrize(("profile", "order"), [
    ("20.10", {8080: 32768, 443: 32769, 81: 32770, 80: 32771}),  # highest port first
    ("28", {80: 32768, 81: 32769, 443: 32770, 8080: 32771}),     # ascending
])
def test_publish_all_host_port_order(profile: str, order: dict) -> None:
    m = lab(PUBLISH_ALL.format(profile=profile)).model
    assert {pb.container_port: pb.host_port for pb in m.containers["ww"].ports} == order


@pytest.mark.parametrize("profile", ["20.10", "28"])
def test_a_published_port_without_listener_is_closed(profile: str) -> None:
    m = lab(PUBLISH_ALL.format(profile=profile)).model
    host = IPv4Address("192.168.1.10")
    port_of = {pb.container_port: pb.host_port for pb in m.containers["ww"].ports}
    assert probe(m, "lan", host, "tcp", port_of[80]).result == "open"
    assert probe(m, "lan", host, "tcp", port_of[81]).result == "closed"


def test_an_images_known_ports_listen_and_are_exposed() -> None:
    text = """
name: img
containers:
  cache: {image: redis, publish_all: true}
  web: {image: "docker.io/library/nginx:1.27"}
  mine: {image: myapp}
"""
    m = lab(text).model
    assert [(pb.container_port, pb.host_port) for pb in m.containers["cache"].ports] == [
        (6379, 32768)]
    assert probe(m, "lan", IPv4Address("192.168.1.10"), "tcp", 32768).result == "open"
    assert probe(m, "cache", m.endpoints["web"].primary, "tcp", 80).result == "open"
    assert any(pid == "image" and "myapp" in t for pid, t in m.warnings)
    extended = lab(text + "images: {myapp: [8000/tcp]}\n").model
    assert probe(extended, "web", extended.endpoints["mine"].primary, "tcp", 8000).result == \
        "open"


INTERNAL = """
name: internal
docker: "{profile}"
networks:
  vault: {{internal: true}}
containers:
  aa: {{network: vault, listen: [80/tcp]}}
  bb: {{network: vault}}
"""


@pytest.mark.parametrize("profile", ["20.10", "26", "28"])
def test_peers_on_one_internal_network_reach_each_other(profile: str) -> None:
    m = lab(INTERNAL.format(profile=profile)).model
    got = probe(m, "bb", m.endpoints["aa"].primary, "tcp", 80)
    assert got.result == "open" and got.source_seen == m.endpoints["bb"].primary, got.why


def test_20_10_internal_forward_rule_as_iptables_save_shows_it() -> None:
    from netsim.realize.iptables_save import render

    m = lab(INTERNAL.format(profile="20.10")).model
    br = m.networks["docker1/vault"].device
    lines = render(m.ns["docker1"].rules).splitlines()
    forward = [x for x in lines if x.startswith("-A FORWARD")]
    assert forward[:3] == ["-A FORWARD -j DOCKER-USER", "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
                           f"-A FORWARD -i {br} -o {br} -j ACCEPT"]  # 09-internal capture


BIND = """
name: bind
docker: "{profile}"
containers:
  aa: {{ports: ["{first}"], listen: [80/tcp]}}
  bb: {{ports: ["{second}"], listen: [80/tcp]}}
"""


@pytest.mark.parametrize(("profile", "first", "second", "words"), [
    ("20.10", "127.0.0.1:8185:80", "8185:80",
     "Error starting userland proxy: listen tcp4 0.0.0.0:8185: bind: address already in use"),
    ("28", "127.0.0.1:8185:80", "8185:80", "Bind for 127.0.0.1:8185 failed: port is already "
     "allocated"),
    ("20.10", "8184:80", "192.168.1.10:8184:80", "Error starting userland proxy: listen tcp4 "
     "192.168.1.10:8184: bind: address already in use"),
    ("28", "8184:80", "192.168.1.10:8184:80", "Bind for 0.0.0.0:8184 failed: port is already "
     "allocated"),
    ("20.10", "8182:80", "192.168.1.77:8182:80", "Error starting userland proxy: listen tcp4 "
     "192.168.1.77:8182: bind: cannot assign requested address"),
    ("28", "8182:80", "192.168.1.77:8182:80", "failed to bind host port for "
     "192.168.1.77:8182:172.17.0.3:80/tcp: cannot assign requested address"),
])
def test_docker_run_fails_as_each_version_words_it(profile, first, second, words) -> None:
    text = BIND.format(profile=profile, first=first, second=second)
    with pytest.raises(ScenarioError) as e:
        _ = lab(text).model
    assert words in str(e.value) and "containers.bb.ports[0]" in str(e.value)


def test_same_port_tcp_and_udp_is_fine() -> None:
    _ = lab(BIND.format(profile="20.10", first="8186:80", second="8186:80/udp")).model


def test_a_failing_run_as_an_expectation_and_the_lab_goes_on() -> None:
    text = BIND.format(profile="28", first="8184:80", second="8184:80") + """
  cc: {listen: [80/tcp]}
expect:
  - {run: bb, error: "port is already allocated"}
"""
    m = lab(text).model
    assert "bb" not in m.containers and "bb" not in m.endpoints
    assert "Bind for 0.0.0.0:8184 failed" in m.failed_runs["bb"]
    assert m.endpoints["cc"].primary == IPv4Address("172.17.0.3")  # b's address went back
    report = lab(text).check(full_matrix=False)
    [row] = report.expectations
    assert row.predicted.result == "failed" and row.ok
    wrong = text.replace('error: "port is already allocated"', 'error: "no such thing"')
    assert not lab(wrong).check(full_matrix=False).expectations[0].ok


def test_static_ip_on_the_default_bridge_28_words() -> None:
    text = "name: ip\ndocker: \"28\"\ncontainers: {aa: {networks: {bridge: {ip: 172.17.0.50}}}}\n"
    with pytest.raises(ScenarioError, match="invalid config for network bridge: invalid "
                                            "endpoint settings:\nuser specified IP address"):
        _ = lab(text).model


def test_ip_forward_reset_later_20_10_warns_on_every_run_28_says_nothing() -> None:
    text = "name: fw\ndocker: \"{p}\"\nhosts: {{docker1: {{ip_forward: false}}}}\n" \
           "containers: {{aa: {{}}}}\n"
    old = lab(text.format(p="20.10")).model
    assert ("P04", 'containers.aa: docker run prints "WARNING: IPv4 forwarding is disabled. '
            'Networking will not work."') in old.warnings
    assert not [w for w in lab(text.format(p="28")).model.warnings if w[0] == "P04"]
    m = lab(text.format(p="28")).model
    assert probe(m, "aa", IPv4Address("203.0.113.10")).result == "blocked"


def test_ip_forward_off_at_daemon_start_is_turned_on_by_dockerd() -> None:
    text = "name: fw\nhosts: {docker1: {ip_forward_at_start: false}}\ncontainers: {aa: {}}\n"
    m = lab(text).model
    assert probe(m, "aa", IPv4Address("203.0.113.10")).result == "reach"
    assert m.ns["docker1"].rules.tables["filter"]["FORWARD"].policy == "drop"


def test_a_listener_bound_to_loopback_is_not_reachable_from_outside_the_namespace() -> None:
    text = """
name: lo
hosts: {docker1: {listen: ["127.0.0.1:8192/tcp"]}}
containers:
  hh: {network: host, listen: ["127.0.0.1:8193/tcp"]}
"""
    m = lab(text).model
    host = IPv4Address("192.168.1.10")
    assert probe(m, "lan", host, "tcp", 8192).result == "closed"
    assert probe(m, "docker1", IPv4Address("127.0.0.1"), "tcp", 8192).result == "open"
    assert probe(m, "docker1", IPv4Address("127.0.0.1"), "tcp", 8193).result == "open"


def test_dns_servers_and_add_host() -> None:
    text = """
name: dnsx
hosts: {docker1: {dns: [192.168.1.60]}}
lan: {peers: {resolver: {address: 192.168.1.60, listen: []}}}
networks: {app: {}}
containers:
  aa: {add_hosts: {db.local: 10.9.9.9}}
  bb: {network: app, dns: [192.168.1.1]}
"""
    m = lab(text).model
    assert m.names["aa"].resolv_conf == "nameserver 192.168.1.60\n"
    assert "10.9.9.9\tdb.local" in m.names["aa"].hosts_file
    obs = Predicted(m)
    assert obs.resolve("aa", "db.local").result == "10.9.9.9"
    assert obs.resolve("aa", "printer.lan").result == "refused"  # nothing on 53 there
    assert m.names["bb"].upstream == IPv4Address("192.168.1.1")


def test_a_tutorial_address_on_lan_dot_2_says_how_to_move_lan() -> None:
    text = "name: two\nhosts: {docker1: {address: 192.168.1.2}}\n"
    with pytest.raises(ScenarioError, match=r"lan\.address moves it"):
        _ = lab(text).model


def test_run_probes_are_not_observed_in_a_namespace_lab() -> None:
    """No dockerd runs in a netns lab: a run expectation is the model's word, never shown as
    observed (a real engine observes it)."""
    p = Probe("bb", "", "docker run bb", None, "run", None, None, "failed", None, frozenset(),
              "expect[0]", error="xx")
    assert p.label == "docker run bb"


@pytest.mark.parametrize(("option", "value", "words"), [
    ("com.docker.network.bridge.name", "averyveryverylongname", "failed to check bridge "
     "interface existence: numerical result out of range"),
    ("com.docker.network.bridge.name", "a/b", "Error response from daemon: invalid argument"),
    ("com.docker.network.bridge.name", "docker0", "netsim does not model two networks on one"),
    ("com.docker.network.driver.mtu", "abc", 'failed to parse com.docker.network.driver.mtu '
     'value: abc (strconv.Atoi: parsing "abc": invalid syntax)'),
    ("com.docker.network.driver.mtu", "-5", "invalid MTU number: -5"),
    ("com.docker.network.driver.mtu", "99999999", "failed to create endpoint cc on network n: "
     "failed to set MTU on host interface veth"),
    ("com.docker.network.driver.mtu", "67", "failed to set MTU on host interface"),
])
def test_what_docker_refuses_check_refuses_in_its_words(option, value, words) -> None:
    """Asked of 20.10.24: these fail at `network create` or at `docker run`; check agrees."""
    text = f'name: o\nnetworks: {{n: {{options: {{{option}: "{value}"}}}}}}\n' \
           "containers: {cc: {network: n}}\n"
    with pytest.raises(ScenarioError) as e:
        _ = lab(text).model
    assert words in str(e.value)


def test_mtu_0_means_the_default() -> None:
    text = 'name: o\nnetworks: {n: {options: {com.docker.network.driver.mtu: "0"}}}\n' \
           "containers: {cc: {network: n}}\n"
    assert lab(text).model.ns["cc"].ifaces["eth0"].mtu == 1500


def test_a_shim_over_the_whole_lan_is_refused_as_the_kernel_would() -> None:
    text = """name: shim
networks:
  mv: {driver: macvlan, parent: eth0, subnet: 192.168.1.0/24, gateway: 192.168.1.1,
       ip_range: 192.168.1.0/24, aux_addresses: {host: 192.168.1.250}, shim: true}
containers: {cc: {network: mv}}
"""
    with pytest.raises(ScenarioError, match="RTNETLINK answers: File exists"):
        _ = lab(text).model


@pytest.mark.parametrize("profile", ["20.10", "28"])
def test_masquerade_local_rules_sit_where_each_version_puts_them(profile: str) -> None:
    """userland-proxy=false: 20.10 puts each bridge's `--src-type LOCAL` MASQUERADE right
    above that bridge's subnet MASQUERADE (variants/userland-proxy-false capture); 28.5.2
    holds both LOCAL rules right after the per-network MASQUERADE rules."""
    from netsim.realize.iptables_save import render

    text = (f'name: np\ndocker: "{profile}"\nhosts: {{docker1: {{userland_proxy: false}}}}\n'
            "networks: {app: {}}\ncontainers:\n  web: {ports: ['8080:80'], listen: [80/tcp]}\n")
    m = lab(text).model
    br = m.networks["docker1/app"].device
    post = [x for x in render(m.ns["docker1"].rules).splitlines()
            if x.startswith("-A POSTROUTING") and "/32" not in x]
    local = [f"-A POSTROUTING -o {b} -m addrtype --src-type LOCAL -j MASQUERADE"
             for b in (br, "docker0")]
    masq = [f"-A POSTROUTING -s 172.18.0.0/16 ! -o {br} -j MASQUERADE",
            "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"]
    if profile == "20.10":
        assert post == [local[0], masq[0], local[1], masq[1]]
    else:
        assert post == [masq[0], masq[1], local[1], local[0]]
