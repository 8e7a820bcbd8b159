"""Spec §3.7: the probe table for the §3.3 example (appnet 172.18.0.0/16, web 172.18.0.2 with
-p 8080:80, a container on docker0, a LAN host with a route to the Docker subnets), for 28.x
and, where the table says so, for <= 27 (profile 20.10)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from tests.conftest import lab

EXAMPLE = """
name: spec37
docker: "{profile}"
lan:
  routes: {{"172.16.0.0/12": docker1}}   # "LAN host with route" (rows 6, 7)
hosts:
  docker1: {{address: 192.168.1.10, listen: [{hostsvc}]}}
networks:
  appnet: {{}}
containers:
  web:
    network: appnet
    ports: ["8080:80"]
    listen: [22/tcp, 80/tcp]
  other: {{network: appnet}}
  legacy: {{}}
"""

# (row, source, destination, port, expected result, expected source seen or None)
ROWS_28 = [
    (1, "web", "outside", "80/tcp", "open", "192.168.1.10"),
    (2, "other", "web", "80/tcp", "open", "172.18.0.3"),
    (3, "legacy", "172.18.0.2", "80/tcp", "blocked", None),
    (4, "legacy", "192.168.1.10", "8080/tcp", "open", "172.18.0.1"),
    (5, "lan", "192.168.1.10", "8080/tcp", "open", "192.168.1.2"),
    (6, "lan", "172.18.0.2", "80/tcp", "blocked", None),
    (7, "lan", "172.18.0.2", "22/tcp", "blocked", None),
    (8, "docker1", "127.0.0.1", "8080/tcp", "open", "172.18.0.1"),
    (9, "docker1", "172.18.0.2", "22/tcp", "open", "172.18.0.1"),
    (10, "web", "192.168.1.10", "8080/tcp", "open", "172.18.0.1"),
    (11, "web", "172.18.0.1", "9999/tcp", "open", "172.18.0.2"),
]


def predict(profile: str, src: str, dst: str, port: str, host_ip_forward: bool = True):
    text = EXAMPLE.format(profile=profile, hostsvc="9999/tcp")
    if not host_ip_forward:
        text = text.replace("address: 192.168.1.10,", "address: 192.168.1.10, ip_forward: false,")
    scenario = lab(text + f"expect:\n  - {{from: {src}, to: '{dst}', port: {port}, "
                   "result: open}\n")
    return scenario.check(full_matrix=False).expectations[0].predicted


@pytest.mark.parametrize("row", ROWS_28, ids=[f"row{r[0]}" for r in ROWS_28])
def test_docker28(row) -> None:
    _, src, dst, port, result, seen = row
    got = predict("28", src, dst, port)
    assert got.result == result, got.why
    if seen:
        assert got.source_seen == IPv4Address(seen), got.why


def test_row6_7_differ_before_28() -> None:
    """<= 27: published ports are reachable by routing to the container; others are not."""
    assert predict("20.10", "lan", "172.18.0.2", "80/tcp").result == "open"
    blocked = predict("20.10", "lan", "172.18.0.2", "22/tcp")
    assert blocked.result == "blocked"
    assert "policy DROP" in blocked.why


def test_row12_forwarding_disabled() -> None:
    got = predict("28", "lan", "192.168.1.10", "8080/tcp", host_ip_forward=False)
    assert got.result == "blocked"
    assert "IPv4 forwarding is disabled" in got.why


def test_row3_names_the_rule_that_decided() -> None:
    got = predict("28", "legacy", "172.18.0.2", "80/tcp")
    assert "raw PREROUTING" in got.why
    legacy = predict("20.10", "legacy", "172.18.0.2", "80/tcp")
    assert "DOCKER-ISOLATION-STAGE-2" in legacy.why
