"""The rule objects: Docker's iptables-save text, and one matcher/renderer per match field."""

from __future__ import annotations

import dataclasses

from netsim.model.rules import Match
from netsim.predict.netfilter import MATCHERS, READS, SETS
from netsim.realize.iptables_save import RENDERERS, render
from tests.conftest import lab

# spec §3.3, derived from moby@v28.5.2 iptabler golden files; bridge renamed to BR
GOLDEN_28 = """*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d 172.18.0.2/32 ! -i BR -j DROP
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:DOCKER - [0:0]
:DOCKER-BRIDGE - [0:0]
:DOCKER-CT - [0:0]
:DOCKER-FORWARD - [0:0]
:DOCKER-ISOLATION-STAGE-1 - [0:0]
:DOCKER-ISOLATION-STAGE-2 - [0:0]
:DOCKER-USER - [0:0]
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d 172.18.0.2/32 ! -i BR -o BR -p tcp -m tcp --dport 80 -j ACCEPT
-A DOCKER ! -i docker0 -o docker0 -j DROP
-A DOCKER ! -i BR -o BR -j DROP
-A DOCKER-BRIDGE -o docker0 -j DOCKER
-A DOCKER-BRIDGE -o BR -j DOCKER
-A DOCKER-CT -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-CT -o BR -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i docker0 -j ACCEPT
-A DOCKER-FORWARD -i BR -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -i BR ! -o BR -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-2 -o BR -j DROP
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 172.18.0.0/16 ! -o BR -j MASQUERADE
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
-A DOCKER -i BR -j RETURN
-A DOCKER -i docker0 -j RETURN
-A DOCKER ! -i BR -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80
COMMIT
"""

# docker-observed §3: 20.10 baseline (docker0 only), iptables-save order
BASELINE_2010_FILTER = """-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o docker0 -j DOCKER
-A FORWARD -i docker0 ! -o docker0 -j ACCEPT
-A FORWARD -i docker0 -o docker0 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN"""


def test_docker28_ruleset_matches_the_golden_text() -> None:
    model = lab("""name: x
networks: {appnet: {}}
containers:
  web: {network: appnet, ports: ["8080:80"]}
""").model
    br = model.networks["docker1/appnet"].device
    assert render(model.ns["docker1"].rules).replace(br, "BR") == GOLDEN_28


def test_docker2010_baseline_matches_observed() -> None:
    model = lab("name: x\ndocker: '20.10'\n").model
    text = render(model.ns["docker1"].rules)
    assert BASELINE_2010_FILTER in text
    assert "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE" in text
    assert "*raw" not in text


def test_legacy_newest_network_block_sits_above_older_ones() -> None:
    model = lab("name: x\ndocker: '20.10'\nnetworks: {a: {}, b: {}}\n").model
    fwd = [ln for ln in render(model.ns["docker1"].rules).splitlines()
           if ln.startswith("-A FORWARD -o ") and "DOCKER" in ln and "ctstate" not in ln]
    names = [model.networks[f"docker1/{n}"].device for n in ("b", "a")] + ["docker0"]
    assert [ln.split()[3] for ln in fwd] == names


def test_published_ports_20_10_observed_shape() -> None:
    model = lab("""name: x
docker: "20.10"
containers:
  web: {ports: ["8080:80", "127.0.0.1:8081:80", "9090:80/udp"]}
""").model
    text = render(model.ns["docker1"].rules)
    for line in (
        "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
        "-A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp -m udp --dport 80 -j ACCEPT",
        "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE",
        "-A DOCKER -d 127.0.0.1/32 ! -i docker0 -p tcp -m tcp --dport 8081 -j DNAT "
        "--to-destination 172.17.0.2:80",
        "-A DOCKER ! -i docker0 -p udp -m udp --dport 9090 -j DNAT --to-destination 172.17.0.2:80",
    ):
        assert line in text
    assert text.count("--dport 80 -j ACCEPT") == 2  # one per container port/proto


def test_userland_proxy_off_variant() -> None:
    model = lab("""name: x
hosts: {docker1: {userland_proxy: false}}
containers:
  web: {ports: ["8080:80"]}
""").model
    text = render(model.ns["docker1"].rules)
    assert "-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER" in text
    assert "-A DOCKER -i docker0 -j RETURN" not in text
    assert "-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE" in text
    assert "-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80" in text


def test_every_match_field_has_a_matcher_and_a_renderer() -> None:
    names = {f.name for f in dataclasses.fields(Match)}
    assert set(MATCHERS) == names
    assert set(RENDERERS) == names
    assert set(READS) | {"saddr", "daddr"} | set(SETS) == names  # what the memo keys by
