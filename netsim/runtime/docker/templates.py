"""Docker's iptables rules as data: template tables, one set per rule layout (spec §3.3 for
28.x, §3.4 and docker-observed.md for 20.10 / 26.1). A profile carries the set its version
installs; the bridge driver applies them with Docker's own insert/append operations, so chain
order matches `iptables-save` on a real daemon.

A template is (op, table, chain, when, match words, action, origin). `op` is Docker's: insert
at the top, append, or "block" (legacy FORWARD: insert below the DOCKER-USER / ISOLATION
jumps). `when` names a condition of the network, the daemon or the binding ("always" holds
everywhere); match words are iptables-like ("!{br}" negates; {..} is filled in).
"""

from __future__ import annotations

from dataclasses import dataclass

from netsim.model.rules import Accept, Drop, Jump, Masquerade, Return

T = tuple[str, str, str, str, dict, object, str]

# (op, table, chain, when, match words, action, origin). `op` is Docker's: insert at the top,
# append, or "block" (legacy FORWARD: insert below the DOCKER-USER / ISOLATION jumps).
# `when` names a condition of the network (see _conditions).
T = tuple[str, str, str, str, dict, object, str]

START_28: list[T] = [
    ("append", "filter", "FORWARD", "always", {}, Jump("DOCKER-USER"), "§3.1 DOCKER-USER first"),
    ("append", "filter", "FORWARD", "always", {}, Jump("DOCKER-FORWARD"), "§3.3 DOCKER-FORWARD"),
    ("append", "filter", "DOCKER-FORWARD", "always", {}, Jump("DOCKER-CT"), "§3.3"),
    ("append", "filter", "DOCKER-FORWARD", "always", {}, Jump("DOCKER-ISOLATION-STAGE-1"), "§3.3"),
    ("append", "filter", "DOCKER-FORWARD", "always", {}, Jump("DOCKER-BRIDGE"), "§3.3"),
]
START_LEGACY: list[T] = [
    ("append", "filter", "FORWARD", "always", {}, Jump("DOCKER-USER"), "§3.4 DOCKER-USER first"),
    ("append", "filter", "FORWARD", "always", {}, Jump("DOCKER-ISOLATION-STAGE-1"), "§3.4"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "always", {}, Return(), "§3.4"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-2", "always", {}, Return(), "§3.4"),
    ("append", "filter", "DOCKER-USER", "always", {}, Return(), "§3.4 DOCKER-USER RETURN"),
]
START_NAT: list[T] = [
    ("append", "nat", "PREROUTING", "always", {"dst_type": "local"}, Jump("DOCKER"),
     "§3.2 published ports: DNAT for local addresses"),
    ("append", "nat", "OUTPUT", "proxy", {"daddr": "!{loopback}", "dst_type": "local"},
     Jump("DOCKER"), "§3.2 host-local DNAT, loopback left to docker-proxy"),
    ("append", "nat", "OUTPUT", "noproxy", {"dst_type": "local"}, Jump("DOCKER"),
     "§3.5 userland-proxy=false: DNAT loopback too"),
]

NET_NAT: list[T] = [
    ("insert", "nat", "POSTROUTING", "masq", {"saddr": "{subnet}", "oif": "!{br}"}, Masquerade(),
     "§3.3 MASQUERADE of the network's subnet"),
    ("insert", "nat", "POSTROUTING", "snat", {"saddr": "{subnet}", "oif": "!{br}"}, "SNAT",
     "§2.3 host_ipv4: SNAT instead of MASQUERADE"),
    ("insert", "nat", "DOCKER", "masq_proxy", {"iif": "{br}"}, Return(),
     "§3.2 no DNAT for traffic from the bridge: docker-proxy serves it"),
]
# userland-proxy=false: host-originated traffic to the bridge. 28.5.2 appends it after the
# MASQUERADE rules; 20.10 inserts it right above its network's (variants/userland-proxy-false)
LOCAL_28: list[T] = [
    ("append", "nat", "POSTROUTING", "noproxy_ext", {"oif": "{br}", "src_type": "local"},
     Masquerade(), "§3.5 userland-proxy=false: host-originated traffic to the bridge"),
]
LOCAL_LEGACY: list[T] = [
    ("insert", "nat", "POSTROUTING", "noproxy_ext", {"oif": "{br}", "src_type": "local"},
     Masquerade(), "§3.5 userland-proxy=false: host-originated traffic to the bridge"),
]
NET_28: list[T] = [
    ("append", "filter", "DOCKER-CT", "external", {"oif": "{br}", "ct_state": "related,established"},
     Accept(), "§3.3 replies to the network"),
    ("append", "filter", "DOCKER-BRIDGE", "external", {"oif": "{br}"}, Jump("DOCKER"), "§3.3"),
    ("append", "filter", "DOCKER", "routed6", {"oif": "{br}", "proto": "icmpv6"}, Accept(),
     "§3.3 gateway_mode_ipv6=routed: ICMPv6 to the network (ipv6.md §3)"),
    ("append", "filter", "DOCKER", "external", {"iif": "!{br}", "oif": "{br}"}, Drop(),
     "§3.3 28.x: unpublished ports closed to other interfaces"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "external", {"iif": "{br}", "oif": "!{br}"},
     Jump("DOCKER-ISOLATION-STAGE-2"), "§3.3 isolation between bridges"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-2", "external", {"oif": "{br}"}, Drop(),
     "§3.3 isolation between bridge networks"),
    # 28 qualifies both with the other side (ipv6.md §3): bridged traffic is not routed, so
    # neither rule meets it (20.10's do, and break IPv6 neighbour discovery: §7)
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "internal",
     {"saddr": "!{subnet}", "iif": "!{br}", "oif": "{br}"}, Drop(),
     "§3.5 --internal: nothing from outside the subnet"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "internal",
     {"daddr": "!{subnet}", "iif": "{br}", "oif": "!{br}"}, Drop(),
     "§3.5 --internal: nothing leaves the subnet"),
    ("append", "filter", "DOCKER-FORWARD", "external_icc", {"iif": "{br}"}, Accept(),
     "§3.3 traffic from the network"),
    ("append", "filter", "DOCKER-FORWARD", "external_noicc", {"iif": "{br}", "oif": "{br}"}, Drop(),
     "§3.5 icc=false: no traffic between containers"),
    ("append", "filter", "DOCKER-FORWARD", "external_noicc", {"iif": "{br}", "oif": "!{br}"},
     Accept(), "§3.5 icc=false: traffic leaving the network"),
    ("append", "filter", "DOCKER-FORWARD", "internal_icc", {"iif": "{br}", "oif": "{br}"}, Accept(),
     "§3.5 --internal with icc"),
]
NET_LEGACY: list[T] = [
    ("block", "filter", "FORWARD", "external", {"oif": "{br}", "ct_state": "related,established"},
     Accept(), "§3.4 replies to the network"),
    ("block", "filter", "FORWARD", "external", {"oif": "{br}"}, Jump("DOCKER"), "§3.4"),
    ("block", "filter", "FORWARD", "external", {"iif": "{br}", "oif": "!{br}"}, Accept(),
     "§3.4 traffic leaving the network"),
    ("block", "filter", "FORWARD", "icc", {"iif": "{br}", "oif": "{br}"}, Accept(),
     "§3.4 icc: containers talk"),
    # icc=false: libnetwork appends its DROP (-A), where it inserts icc's ACCEPT (real 20.10
    # and 26.1 engines, issue 13): it sits at the end of FORWARD as it was at create
    ("append", "filter", "FORWARD", "noicc", {"iif": "{br}", "oif": "{br}"}, Drop(),
     "§3.5 icc=false: no traffic between containers"),
    ("block", "filter", "FORWARD", "internal_icc", {"iif": "{br}", "oif": "{br}"}, Accept(),
     "§3.4 --internal: containers on it still talk (observed, 20.10)"),
    ("append", "filter", "FORWARD", "internal_noicc", {"iif": "{br}", "oif": "{br}"}, Drop(),
     "§3.5 --internal, icc=false: no traffic between containers"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-1", "external", {"iif": "{br}", "oif": "!{br}"},
     Jump("DOCKER-ISOLATION-STAGE-2"), "§3.4 isolation between bridges"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-2", "external", {"oif": "{br}"}, Drop(),
     "§3.4 isolation between bridge networks"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-1", "internal", {"daddr": "!{subnet}", "iif": "{br}"},
     Drop(), "§3.5 --internal: nothing leaves the subnet"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-1", "internal", {"saddr": "!{subnet}", "oif": "{br}"},
     Drop(), "§3.5 --internal: nothing from outside the subnet"),
]
ENDPOINT_28: list[T] = [
    ("append", "raw", "PREROUTING", "always", {"daddr": "{ip}/{bits}", "iif": "!{br}"}, Drop(),
     "§3.3 28.x raw: no direct access to container addresses"),
]
HAIRPIN: list[T] = [
    ("append", "nat", "POSTROUTING", "hairpin", {"saddr": "{ip}/{bits}", "daddr": "{ip}/{bits}",
     "proto": "{proto}", "dport": "{cport}"}, Masquerade(), "§3.6 hairpin to itself"),
]
PORT_28: list[T] = [  # once per container port/proto
    ("insert", "filter", "DOCKER", "always", {"daddr": "{ip}/{bits}", "iif": "!{br}", "oif": "{br}",
     "proto": "{proto}", "dport": "{cport}"}, Accept(), "§3.3 published port"),
    *HAIRPIN,
]
PORT_LEGACY: list[T] = [
    ("append", "filter", "DOCKER", "always", {"daddr": "{ip}/{bits}", "iif": "!{br}", "oif": "{br}",
     "proto": "{proto}", "dport": "{cport}"}, Accept(), "§3.4 published port"),
    *HAIRPIN,
]
PORT_BINDING: list[T] = [  # once per host binding
    ("append", "nat", "DOCKER", "proxy_any", {"iif": "!{br}", "proto": "{proto}", "dport": "{hport}"},
     "DNAT", "§3.3 -p: DNAT to the container"),
    ("append", "nat", "DOCKER", "proxy_ip", {"daddr": "{hip}/{bits}", "iif": "!{br}", "proto": "{proto}",
     "dport": "{hport}"}, "DNAT", "§3.5 -p IP:HOST:CONTAINER: DNAT for that address only"),
    ("append", "nat", "DOCKER", "noproxy_any", {"proto": "{proto}", "dport": "{hport}"},
     "DNAT", "§3.5 -p without proxy: DNAT from everywhere"),
    ("append", "nat", "DOCKER", "noproxy_ip", {"daddr": "{hip}/{bits}", "proto": "{proto}",
     "dport": "{hport}"}, "DNAT", "§3.5 -p IP:HOST:CONTAINER without proxy"),
    ("append", "raw", "PREROUTING", "loopback", {"daddr": "{hip}/{bits}", "iif": "!lo",
     "proto": "{proto}", "dport": "{hport}"}, Drop(), "§3.5 28.x: 127.0.0.1 ports only from lo"),
]
BINDING_LEGACY: list[T] = [t for t in PORT_BINDING if t[3] != "loopback"]


@dataclass(frozen=True)
class RuleTemplates:
    """Everything one rule layout installs, by the moment Docker installs it."""

    chains: tuple[tuple[str, str], ...]  # created empty at daemon start
    start: tuple[T, ...]  # dockerd start
    network: tuple[T, ...]  # docker network create (bridge driver)
    endpoint: tuple[T, ...]  # each endpoint on a non-internal bridge
    port: tuple[T, ...]  # each published container port/proto
    binding: tuple[T, ...]  # each host binding of it
    # the ip6tables side (ipv6.md §3): the same templates, less the chains this layout does
    # not install for IPv6 (20.10: no DOCKER-USER), with extra match words on every DNAT
    # (28: `! -s fe80::/10`)
    skip6: tuple[str, ...] = ()
    dnat6: tuple[tuple[str, str], ...] = ()

    def chains_of(self, family: int) -> tuple[tuple[str, str], ...]:
        """The chains made at start; ip6tables' raw table comes with its first rule (an
        endpoint with IPv6), so an IPv4-only daemon shows none there."""
        return tuple(c for c in self.chains if family == 4 or (
            c[1] not in self.skip6 and c[0] != "raw"))

    def of(self, family: int, stage: tuple[T, ...]) -> tuple[T, ...]:
        """A stage's templates for one family."""
        if family == 4:
            return stage
        return tuple(t for t in stage if t[2] not in self.skip6 and not (
            isinstance(t[5], Jump) and t[5].chain in self.skip6))


_BASE_CHAINS = (("filter", "DOCKER"), ("filter", "DOCKER-ISOLATION-STAGE-1"),
                ("filter", "DOCKER-ISOLATION-STAGE-2"), ("filter", "DOCKER-USER"),
                ("nat", "DOCKER"))

LEGACY = RuleTemplates(  # 20.10, 26.x: DOCKER-USER RETURN, per-bridge FORWARD block
    chains=_BASE_CHAINS, start=(*START_LEGACY, *START_NAT),
    network=(*NET_NAT, *LOCAL_LEGACY, *NET_LEGACY),
    endpoint=(), port=tuple(PORT_LEGACY), binding=tuple(BINDING_LEGACY),
    skip6=("DOCKER-USER",))
DOCKER_FORWARD = RuleTemplates(  # 28.x: DOCKER-FORWARD / -CT / -BRIDGE, raw protection
    chains=(*_BASE_CHAINS, ("filter", "DOCKER-BRIDGE"), ("filter", "DOCKER-CT"),
            ("filter", "DOCKER-FORWARD"), ("raw", "PREROUTING")),
    start=(*START_28, *START_NAT), network=(*NET_NAT, *LOCAL_28, *NET_28),
    endpoint=tuple(ENDPOINT_28),
    port=tuple(PORT_28), binding=tuple(PORT_BINDING), dnat6=(("saddr", "!fe80::/10"),))


def why(origin: str) -> str:
    """"§3.3 traffic from the network" -> "traffic from the network (Docker §3.3)": the rule
    in words first, then the section of docs/docker-behaviour.md that explains it."""
    section, _, words = origin.partition(" ")
    return f"{words} (Docker {section})" if section.startswith("§") else origin
