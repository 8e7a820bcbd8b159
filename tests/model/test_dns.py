"""Every name rule of Docker's resolution (spec §1.7, §1.8, §2.5, P11, P12), predicted."""

from __future__ import annotations

import pytest

from netsim.model import dns
from netsim.probe.observe import Predicted
from tests.conftest import lab

BASE = """
name: dnstest
docker: "{profile}"
lan: {{dns: {lan_dns}, block: [{block}]}}
networks:
  appnet: {{}}
  backend: {{}}
  vault: {{internal: true}}
containers:
  db: {{network: backend, hostname: dbhost}}
  api:
    networks:
      appnet: {{aliases: [svc, shared]}}
      backend: {{}}
  web: {{networks: {{appnet: {{aliases: [shared]}}}}, links: ["api:service"]}}
  side: {{network: "container:web"}}
  hostapp: {{network: host}}
  old1: {{}}
  old2: {{links: ["old1:legacy"]}}
  lonely: {{network: none}}
  secret: {{network: vault}}
"""


def resolve(container: str, name: str, profile: str = "28", lan_dns: str = "true",
            block: str = "") -> dns.Answer:
    model = lab(BASE.format(profile=profile, lan_dns=lan_dns, block=block)).model
    return Predicted(model).resolve(container, name)


@pytest.mark.parametrize(("who", "name", "result"), [
    ("web", "api", "172.18.0.2"),            # container name
    ("web", "svc", "172.18.0.2"),            # network alias
    ("web", "api.appnet", "172.18.0.2"),     # name.network
    ("api", "dbhost", "172.19.0.2"),         # --hostname
    ("db", "api", "172.19.0.3"),             # the same container, its address on this network
    ("web", "db", "nxdomain"),               # not on a shared network: upstream says NXDOMAIN
    ("web", "API", "172.18.0.2"),            # names are case-insensitive
    ("web", "api.", "172.18.0.2"),           # a trailing dot is the same name
    ("web", "service", "172.18.0.2"),        # --link on a user network: a scoped alias ...
    ("api", "service", "nxdomain"),          # ... for the linking container only
    ("side", "api", "172.18.0.2"),           # container: mode uses its target's resolver
    ("old2", "legacy", "172.17.0.2"),        # default bridge: --link writes /etc/hosts
    ("old2", "old1", "172.17.0.2"),
    ("old1", "old2", "nxdomain"),            # ... and nothing else resolves there (P11)
    ("hostapp", "api", "nxdomain"),          # host mode: the host's resolv.conf
    ("web", "localhost", "127.0.0.1"),
])
def test_name_rules(who: str, name: str, result: str) -> None:
    assert resolve(who, name).result == result


def test_short_id_resolves() -> None:
    model = lab(BASE.format(profile="28", lan_dns="true", block="")).model
    short = model.containers["api"].short_id
    assert Predicted(model).resolve("web", short).result == "172.18.0.2"


def test_shared_alias_answers_every_holder() -> None:
    got = resolve("web", "shared")
    assert {str(a) for a in got.addresses} == {"172.18.0.2", "172.18.0.3"}


def test_resolv_conf_per_kind_of_network() -> None:
    model = lab(BASE.format(profile="28", lan_dns="true", block="")).model
    assert model.names["web"].resolv_conf == "nameserver 127.0.0.11\noptions ndots:0\n"
    assert model.names["old1"].resolv_conf == "nameserver 192.168.1.1\n"


@pytest.mark.parametrize(("profile", "embedded", "direct"), [
    ("28", "servfail", "refused"), ("20.10", "timeout", "refused")])
def test_no_upstream_server(profile: str, embedded: str, direct: str) -> None:
    assert resolve("web", "db", profile, lan_dns="false").result == embedded
    assert resolve("old1", "x", profile, lan_dns="false").result == direct


def test_filtered_upstream_times_out_or_servfails() -> None:
    assert resolve("old1", "x", block="53/udp").result == "timeout"
    assert resolve("web", "x", block="53/udp").result == "servfail"


def test_internal_only_container_does_not_forward() -> None:
    got = resolve("secret", "printer")
    assert got.result == "servfail" and "internal" in got.why


def test_none_mode_cannot_send_a_query() -> None:
    assert resolve("lonely", "anything").result == "unreachable"


def test_docker_dns_nat_rules_in_the_container_namespace() -> None:
    from netsim.realize.iptables_save import render

    model = lab(BASE.format(profile="28", lan_dns="true", block="")).model
    text = render(model.ns["web"].rules)
    port = model.names["web"].resolver_port
    assert "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT" in text
    assert (f"-A DOCKER_OUTPUT -d 127.0.0.11/32 -p udp -m udp --dport 53 -j DNAT "
            f"--to-destination 127.0.0.11:{port}") in text
    assert (f"-A DOCKER_POSTROUTING -s 127.0.0.11/32 -p udp -m udp --sport {port} -j SNAT "
            "--to-source 127.0.0.11:53") in text
    assert not model.ns["old1"].rules.count()  # no resolver on the default bridge
