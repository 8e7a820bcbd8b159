"""Docker's bridge driver: docker0, user bridges, docker_gwbridge (spec §1, §2, §3, §4).

The iptables rules are tables of templates, one per profile layout, applied with Docker's own
insert/append operations so that chain order matches `iptables-save` on a real daemon
(spec §3.3 for 28.x, §3.4 and docker-observed.md for 20.10 / 26.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from typing import TYPE_CHECKING

from netsim.model.graph import Iface, IfKind, Listener
from netsim.model.rules import Accept, Dnat, Drop, Is, Jump, Masquerade, Match, Return, Rule, Snat

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon, NetState

ICC = "com.docker.network.bridge.enable_icc"
MASQ = "com.docker.network.bridge.enable_ip_masquerade"
NAME = "com.docker.network.bridge.name"
MTU = "com.docker.network.driver.mtu"
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
HOST_IPV4 = "com.docker.network.host_ipv4"
OPTIONS = (ICC, MASQ, NAME, MTU, HOST_BINDING, HOST_IPV4,
           "com.docker.network.bridge.default_bridge", "com.docker.network.bridge.inhibit_ipv4",
           "com.docker.network.container_iface_prefix")


def m(**kw: object) -> Match:
    """Match from iptables-like words: "!docker0" negates; addresses become networks."""
    out: dict[str, object] = {}
    for key, value in kw.items():
        if key in ("iif", "oif", "saddr", "daddr"):
            text = str(value)
            neg = text.startswith("!")
            text = text.lstrip("!")
            val: object = IPv4Network(text) if key in ("saddr", "daddr") else text
            out[key] = Is(val, neg)
        elif key == "ct_state":
            out[key] = frozenset(str(value).split(","))
        else:
            out[key] = value
    return Match(**out)


# --- templates --------------------------------------------------------------------------
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
    ("append", "filter", "DOCKER-USER", "user_return", {}, Return(), "§3.4 DOCKER-USER RETURN"),
]
START_NAT: list[T] = [
    ("append", "nat", "PREROUTING", "always", {"dst_type": "local"}, Jump("DOCKER"),
     "§3.2 published ports: DNAT for local addresses"),
    ("append", "nat", "OUTPUT", "proxy", {"daddr": "!127.0.0.0/8", "dst_type": "local"},
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
    ("append", "nat", "POSTROUTING", "noproxy_ext", {"oif": "{br}", "src_type": "local"},
     Masquerade(), "§3.5 userland-proxy=false: host-originated traffic to the bridge"),
]
NET_28: list[T] = [
    ("append", "filter", "DOCKER-CT", "external", {"oif": "{br}", "ct_state": "related,established"},
     Accept(), "§3.3 replies to the network"),
    ("append", "filter", "DOCKER-BRIDGE", "external", {"oif": "{br}"}, Jump("DOCKER"), "§3.3"),
    ("append", "filter", "DOCKER", "external", {"iif": "!{br}", "oif": "{br}"}, Drop(),
     "§3.3 28.x: unpublished ports closed to other interfaces"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "external", {"iif": "{br}", "oif": "!{br}"},
     Jump("DOCKER-ISOLATION-STAGE-2"), "§3.3 isolation between bridges"),
    ("insert", "filter", "DOCKER-ISOLATION-STAGE-2", "external", {"oif": "{br}"}, Drop(),
     "§3.3 isolation between bridge networks"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "internal", {"saddr": "!{subnet}", "oif": "{br}"},
     Drop(), "§3.5 --internal: nothing from outside the subnet"),
    ("append", "filter", "DOCKER-ISOLATION-STAGE-1", "internal", {"daddr": "!{subnet}", "iif": "{br}"},
     Drop(), "§3.5 --internal: nothing leaves the subnet"),
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
    ("block", "filter", "FORWARD", "noicc", {"iif": "{br}", "oif": "{br}"}, Drop(),
     "§3.5 icc=false: no traffic between containers"),
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
    ("append", "raw", "PREROUTING", "raw_protect", {"daddr": "{ip}/32", "iif": "!{br}"}, Drop(),
     "§3.3 28.x raw: no direct access to container addresses"),
]
PORT_FILTER: list[T] = [  # once per container port/proto
    ("insert", "filter", "DOCKER", "new28", {"daddr": "{ip}/32", "iif": "!{br}", "oif": "{br}",
     "proto": "{proto}", "dport": "{cport}"}, Accept(), "§3.3 published port"),
    ("append", "filter", "DOCKER", "legacy", {"daddr": "{ip}/32", "iif": "!{br}", "oif": "{br}",
     "proto": "{proto}", "dport": "{cport}"}, Accept(), "§3.4 published port"),
    ("append", "nat", "POSTROUTING", "hairpin", {"saddr": "{ip}/32", "daddr": "{ip}/32",
     "proto": "{proto}", "dport": "{cport}"}, Masquerade(), "§3.6 hairpin to itself"),
]
PORT_BINDING: list[T] = [  # once per host binding
    ("append", "nat", "DOCKER", "proxy_any", {"iif": "!{br}", "proto": "{proto}", "dport": "{hport}"},
     "DNAT", "§3.3 -p: DNAT to the container"),
    ("append", "nat", "DOCKER", "proxy_ip", {"daddr": "{hip}/32", "iif": "!{br}", "proto": "{proto}",
     "dport": "{hport}"}, "DNAT", "§3.5 -p IP:HOST:CONTAINER: DNAT for that address only"),
    ("append", "nat", "DOCKER", "noproxy_any", {"proto": "{proto}", "dport": "{hport}"},
     "DNAT", "§3.5 -p without proxy: DNAT from everywhere"),
    ("append", "nat", "DOCKER", "noproxy_ip", {"daddr": "{hip}/32", "proto": "{proto}",
     "dport": "{hport}"}, "DNAT", "§3.5 -p IP:HOST:CONTAINER without proxy"),
    ("append", "raw", "PREROUTING", "loopback28", {"daddr": "{hip}/32", "iif": "!lo",
     "proto": "{proto}", "dport": "{hport}"}, Drop(), "§3.5 28.x: 127.0.0.1 ports only from lo"),
]


@dataclass(frozen=True)
class PortBinding:
    host_ip: IPv4Address
    host_port: int
    proto: str
    container: str
    container_ip: IPv4Address
    container_port: int
    network: str
    spec: str


def apply(b: Builder, d: Daemon, templates: list[T], when: set[str], fill: dict) -> None:
    rules = b.model.ns[d.ns].rules
    block = 2  # legacy FORWARD: below the two jumps, this network's rules in template order
    for op, table, chain, cond, words, action, origin in templates:
        if cond not in when:
            continue
        match = m(**{k: _fill(v, fill) for k, v in words.items()})
        if action == "DNAT":
            action = Dnat(fill["ip"], fill["cport"])
        elif action == "SNAT":
            action = Snat(fill["host_ipv4"])
        rule = Rule(match, action, f"spec {origin}")
        if op == "append":
            rules.append(table, chain, rule)
        elif op == "insert":
            rules.insert(table, chain, rule)
        else:  # legacy FORWARD block: newest network first
            rules.insert(table, chain, rule, block)
            block += 1


def _fill(value: object, fill: dict) -> object:
    if not isinstance(value, str) or "{" not in value:
        return value
    text = value.format(**fill)
    return int(text) if text.isdigit() else text


def daemon_start(b: Builder, d: Daemon) -> None:
    """What dockerd sets up before any network (spec §3.1, observed baseline)."""
    rules = b.model.ns[d.ns].rules
    for table, chain in (("filter", "DOCKER"), ("filter", "DOCKER-ISOLATION-STAGE-1"),
                         ("filter", "DOCKER-ISOLATION-STAGE-2"), ("filter", "DOCKER-USER"),
                         ("nat", "DOCKER")):
        rules.chain(table, chain)
    if b.profile.forward == "docker-forward":
        for chain in ("DOCKER-BRIDGE", "DOCKER-CT", "DOCKER-FORWARD"):
            rules.chain("filter", chain)
        rules.chain("raw", "PREROUTING")
    if d.spec.ip_forward:  # Docker turned forwarding on itself, so it sets the policy to DROP
        rules.policy("filter", "FORWARD", "drop")
    when = {"always", "proxy" if d.spec.userland_proxy else "noproxy"}
    if b.profile.docker_user_return:
        when.add("user_return")
    start = START_28 if b.profile.forward == "docker-forward" else START_LEGACY
    apply(b, d, start + START_NAT, when, {})


def create(b: Builder, d: Daemon, st: NetState) -> None:
    """Add the Linux bridge and the network's rules to the host (spec §2.2, §3.3-3.5)."""
    net = st.net
    opts = net.options
    br_name = opts.get(NAME) or ("docker0" if net.name == "bridge" else f"br-{net.id[:12]}")
    net.device = br_name
    mtu = int(opts.get(MTU) or 1500)
    bridge = Iface(d.ns, br_name, IfKind.BRIDGE, mtu=mtu, network=net.name,
                   addrs=[IPv4Interface(f"{net.gateway}/{net.subnet.prefixlen}")],
                   mac=b.mac(("bridge", d.name, net.name), None, random=True),
                   route_localnet=not d.spec.userland_proxy)
    b.model.add_iface(bridge)
    icc = opts.get(ICC, "true") != "false"
    masq = opts.get(MASQ, "true") != "false"
    when = {"always"}
    if net.internal:
        when |= {"internal", "internal_icc" if icc else "internal_noicc"}
    else:
        when |= {"external", "icc" if icc else "noicc", "external_icc" if icc else "external_noicc"}
        if masq and HOST_IPV4 in opts:
            when.add("snat")
        elif masq:
            when.add("masq")
        if masq and d.spec.userland_proxy:
            when.add("masq_proxy")
        if not d.spec.userland_proxy:
            when.add("noproxy_ext")
    fill = {"br": br_name, "subnet": str(net.subnet),
            "host_ipv4": IPv4Address(opts.get(HOST_IPV4, "0.0.0.0"))}
    layout = NET_28 if b.profile.forward == "docker-forward" else NET_LEGACY
    apply(b, d, NET_NAT + layout, when, fill)


def attach(b: Builder, d: Daemon, st: NetState, name: str, ip: IPv4Address, ifname: str,
           cns: str) -> Iface:
    """A veth pair: `veth<7 hex>` on the bridge, `ethN` in the container (spec §1.6)."""
    net = st.net
    mtu = int(net.options.get(MTU) or 1500)
    # userland-proxy=false: Docker puts the port in hairpin mode (bridge_linux.go setHairpinMode),
    # because br_netfilter sends a DNATed packet for a container on the same bridge back out
    # through the bridge, possibly through the port it came in by (a container to itself)
    host_end = Iface(d.ns, "veth" + b.digest("veth", name, net.name)[:7], IfKind.VETH, mtu=mtu,
                     master=net.device, network=net.name, hairpin=not d.spec.userland_proxy)
    mac = b.mac(("endpoint", name, net.name), ip)
    inside = Iface(cns, ifname, IfKind.VETH, mtu=mtu, mac=mac, network=net.name,
                   addrs=[IPv4Interface(f"{ip}/{net.subnet.prefixlen}")])
    b.model.add_iface(host_end)
    b.model.add_iface(inside)
    b.model.link_veth(host_end, inside)
    if b.profile.raw_protection and not net.internal:
        apply(b, d, ENDPOINT_28, {"raw_protect"}, {"ip": str(ip), "br": net.device})
    return inside


def publish(b: Builder, d: Daemon, st: NetState, bindings: list[PortBinding]) -> None:
    """DNAT, filter ACCEPT, hairpin MASQUERADE and docker-proxy per binding (spec §3.3-3.6)."""
    br = st.net.device
    proxy = d.spec.userland_proxy
    legacy = b.profile.forward == "legacy"
    seen: set[tuple[str, int]] = set()
    for pb in bindings:
        fill = {"br": br, "ip": pb.container_ip, "cport": pb.container_port, "proto": pb.proto,
                "hport": pb.host_port, "hip": str(pb.host_ip)}
        if (pb.proto, pb.container_port) not in seen:
            seen.add((pb.proto, pb.container_port))
            when = {"legacy" if legacy else "new28"}
            if not proxy or b.profile.hairpin_masq_always:
                when.add("hairpin")
            apply(b, d, PORT_FILTER, when, fill)
        any_ip = pb.host_ip == IPv4Address("0.0.0.0")
        when = {("proxy_" if proxy else "noproxy_") + ("any" if any_ip else "ip")}
        if b.profile.raw_protection and pb.host_ip.is_loopback:
            when.add("loopback28")
        apply(b, d, PORT_BINDING, when, fill)
        if proxy:
            b.model.ns[d.ns].listeners.append(Listener(
                pb.host_ip, pb.host_port, pb.proto, "proxy", (pb.container_ip, pb.container_port),
                f"docker-proxy -proto {pb.proto} -host-ip {pb.host_ip} -host-port {pb.host_port} "
                f"-container-ip {pb.container_ip} -container-port {pb.container_port}"))
