"""Docker's bridge driver: docker0, user bridges, docker_gwbridge (spec §1, §2, §3, §4).

The iptables rules are the profile's template tables (netsim.runtime.docker.templates),
applied with Docker's own insert/append operations so that chain order matches
`iptables-save` on a real daemon.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv6Address,
    IPv6Interface,
    ip_address,
    ip_network,
)

from netsim.links import limits
from netsim.model.graph import Iface, IfKind, Listener, NetRecord, PortBinding
from netsim.model.rules import Dnat, Is, Match, Rule, Snat
from netsim.runtime.docker.context import Daemon, Docker, Join, NetState
from netsim.runtime.docker.drivers import mtu as mtu_option
from netsim.runtime.docker.templates import T, why
from netsim.scenario.schema import Network

ICC = "com.docker.network.bridge.enable_icc"
MASQ = "com.docker.network.bridge.enable_ip_masquerade"
NAME = "com.docker.network.bridge.name"
MTU = "com.docker.network.driver.mtu"
HOST_BINDING = "com.docker.network.bridge.host_binding_ipv4"
HOST_IPV4 = "com.docker.network.host_ipv4"
GATEWAY_MODE6 = "com.docker.network.bridge.gateway_mode_ipv6"
OPTIONS = (ICC, MASQ, NAME, MTU, HOST_BINDING, HOST_IPV4, GATEWAY_MODE6,
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
            val: object = ip_network(text) if key in ("saddr", "daddr") else text
            out[key] = Is(val, neg)
        elif key == "ct_state":
            out[key] = frozenset(str(value).split(","))
        else:
            out[key] = value
    return Match(**out)


FAMILY = {4: {"bits": 32, "loopback": "127.0.0.0/8"}, 6: {"bits": 128, "loopback": "::1/128"}}


def apply(dk: Docker, d: Daemon, templates: tuple[T, ...], when: set[str], fill: dict,
          owner: tuple[str, str] | None = None, family: int = 4) -> None:
    """Install the templates that hold, in iptables (4) or ip6tables (6); `owner` (container,
    network) records the rules so that `docker rm` / `network disconnect` can take them out."""
    ns = dk.model.ns[d.ns]
    rules = ns.ruleset(family)
    layout = dk.profile.templates
    fill = {**FAMILY[family], **fill}
    # legacy FORWARD: below the daemon's own jumps, this network's rules in template order
    block = sum(1 for t in layout.of(family, layout.start) if t[2] == "FORWARD")
    for op, table, chain, cond, words, action, origin in layout.of(family, templates):
        if cond not in when:
            continue
        if action == "DNAT" and family == 6:
            words = {**dict(layout.dnat6), **words}
        match = m(**{k: _fill(v, fill) for k, v in words.items()})
        if action == "DNAT":
            action = Dnat(ip_address(str(fill["ip"])), fill["cport"])
        elif action == "SNAT":
            action = Snat(fill["host_ipv4"])
        rule = Rule(match, action, why(origin))
        if owner is not None:
            dk.owned.setdefault(owner, []).append((d.ns, table if family == 4 else
                                                   f"ip6 {table}", chain, rule))
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


def daemon_start(dk: Docker, d: Daemon) -> None:
    """What dockerd sets up before any network (spec §3.1, observed baseline; ipv6.md §1:
    with ip6tables the same in ip6tables, FORWARD DROP there too)."""
    ns = dk.model.ns[d.ns]
    if ns.forwarding_by is None:  # dockerd turns forwarding on itself, so it sets FORWARD
        ns.forwarding_by = "docker"  # DROP; when it was on already it leaves the policy
        ns.rules.policy("filter", "FORWARD", "drop")
    when = {"always", "proxy" if d.spec.userland_proxy else "noproxy"}
    for family in d.families():
        rules = ns.ruleset(family)
        for table, chain in dk.profile.templates.chains_of(family):
            rules.chain(table, chain)
        if family == 6:
            rules.policy("filter", "FORWARD", "drop")
        apply(dk, d, dk.profile.templates.start, when, {}, family=family)


def mtu_of(dk: Docker, st: NetState) -> int:
    """`-o com.docker.network.driver.mtu`, checked as Docker checks it at create (observed,
    20.10.24); 0 or none means the default."""
    return mtu_option.parse(dk, st.net.options, st.path, "failed to parse {option} value: {text} "
                     '(strconv.Atoi: parsing "{text}": invalid syntax)',
                     "invalid MTU number: {mtu}")


def bad_mtu(mtu: int) -> str | None:
    return limits.mtu_errno(mtu)


def endpoint_problem(dk: Docker, st: NetState, name: str) -> str | None:
    """What makes `docker run` fail on this network before anything is wired (observed)."""
    why = bad_mtu(mtu_of(dk, st))
    if why is None:
        return None
    veth = veth_name(dk, dk.daemons[st.net.host], name, st.net.name)
    return (f"failed to create endpoint {name} on network {st.net.name}: failed to set MTU on "
            f"host interface {veth}: {why}")


def bridge_name(dk: Docker, st: NetState) -> str:
    """The Linux bridge's name; Docker refuses what the kernel refuses (observed, 20.10.24)."""
    net = st.net
    name = net.options.get(NAME) or ("docker0" if net.name == "bridge" else f"br-{net.id[:12]}")
    where = (*st.path, "options", NAME)
    errno = limits.name_errno(name)  # Docker looks the name up first: ERANGE comes from there
    if errno == "numerical result out of range":
        raise dk.error(where, "Error response from daemon: failed to check bridge interface "
                       f"existence: {errno}", "an interface name of at most 15 bytes")
    if errno:
        raise dk.error(where, f"Error response from daemon: {errno}",
                       "an interface name without '/', ':' or white space")
    if not all(c.isalnum() or c in "-_." for c in name):
        raise dk.error(where, f"netsim cannot write nftables rules for the interface name "
                       f"{name!r} (Docker 20.10 accepts it)", "letters, digits, '-', '_', '.'")
    have = dk.model.ns[dk.daemons[net.host].ns].ifaces.get(name)
    if have is not None and have.kind is not IfKind.BRIDGE:  # the host's NIC, a VXLAN ...
        raise dk.error(where, f"Error response from daemon: existing interface {name} is not "
                       "a bridge", "a name no interface of the host has")
    taken = [o.net.name for o in dk.daemons[net.host].nets.values()
             if o is not st and o.net.device == name]
    if taken:
        raise dk.error(where, f"bridge {name} already serves network {taken[0]}: Docker 20.10 "
                       "accepts it and re-addresses that bridge; netsim does not model two "
                       "networks on one bridge", "another bridge name")
    return name


def _address_options(dk: Docker, st: NetState) -> None:
    for key in (HOST_BINDING, HOST_IPV4):
        if key in st.net.options:
            try:
                IPv4Address(st.net.options[key])
            except ValueError:
                raise dk.error((*st.path, "options", key), f"Error response from daemon: "
                               f"invalid {key}: {st.net.options[key]!r} is not an IPv4 address",
                               "an IPv4 address such as 192.168.1.10") from None


def create(dk: Docker, d: Daemon, st: NetState, spec: Network) -> None:
    """Add the Linux bridge and the network's rules to the host (spec §2.2, §3.3-3.5)."""
    net = st.net
    _address_options(dk, st)
    opts = net.options
    br_name = bridge_name(dk, st)
    net.device = br_name
    mtu = mtu_of(dk, st)  # out of range: create succeeds, each endpoint fails (bad_mtu)
    bridge = Iface(d.ns, br_name, IfKind.BRIDGE, mtu=mtu if bad_mtu(mtu) is None else 1500,
                   network=net.name,
                   addrs=[IPv4Interface(f"{net.gateway}/{net.subnet.prefixlen}"),
                          *_gateway6(dk, net)],
                   mac=dk.asm.mac(("bridge", d.name, net.name)),
                   route_localnet=not d.spec.userland_proxy)
    dk.model.add_iface(bridge)
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
    apply(dk, d, dk.profile.templates.network, when, fill)
    if net.subnet6 is not None:
        d.ipv6_used(dk.model)
        if d.ip6tables:
            routed = routed6(net)
            when6 = (when - {"masq", "masq_proxy", "noproxy_ext"}) | {"routed6"} if routed \
                else when
            apply(dk, d, dk.profile.templates.network, when6 - {"snat"},
                  {**fill, "subnet": str(net.subnet6)}, family=6)


def routed6(net: NetRecord) -> bool:
    """28's `com.docker.network.bridge.gateway_mode_ipv6=routed` (ipv6.md §3): no NAT66, no
    DNAT, no raw DROP for the network's IPv6; published container ports and ICMPv6 open."""
    return net.options.get(GATEWAY_MODE6) == "routed"


def _gateway6(dk: Docker, net: NetRecord) -> list[IPv6Interface]:
    """The IPv6 gateway on the bridge; 20.10 also gives each bridge fe80::1 (ipv6.md §2)."""
    if net.subnet6 is None:
        return []
    out = [IPv6Interface(f"{net.gateway6}/{net.subnet6.prefixlen}")]
    if dk.profile.bridge_link_local6:
        out.append(IPv6Interface("fe80::1/64"))
    return out


def attach(j: Join) -> Iface:
    """A veth pair: `veth<7 hex>` on the bridge, `ethN` in the container (spec §1.6)."""
    dk, d, net, name, ip = j.dk, j.daemon, j.st.net, j.container, j.ip
    mtu = mtu_of(dk, j.st)
    # userland-proxy=false: Docker puts the port in hairpin mode (bridge_linux.go setHairpinMode),
    # because br_netfilter sends a DNATed packet for a container on the same bridge back out
    # through the bridge, possibly through the port it came in by (a container to itself)
    host_end = Iface(d.ns, veth_name(dk, d, name, net.name), IfKind.VETH, mtu=mtu,
                     master=net.device, network=net.name, hairpin=not d.spec.userland_proxy)
    mac = dk.mac(("endpoint", name, net.name), ip)
    addrs: list = [IPv4Interface(f"{ip}/{net.subnet.prefixlen}")]
    if j.ip6 is not None:
        addrs.append(IPv6Interface(f"{j.ip6}/{net.subnet6.prefixlen}"))
    inside = Iface(j.ns, j.ifname, IfKind.VETH, mtu=mtu, mac=mac, network=net.name,
                   addrs=addrs)
    dk.model.add_iface(host_end)
    dk.model.add_iface(inside)
    dk.model.link_veth(host_end, inside)
    if not net.internal:
        apply(dk, d, dk.profile.templates.endpoint, {"always"}, {"ip": str(ip), "br": net.device},
              owner=(name, net.name))
        if j.ip6 is not None and d.ip6tables and not routed6(net):
            apply(dk, d, dk.profile.templates.endpoint, {"always"},
                  {"ip": str(j.ip6), "br": net.device}, owner=(name, net.name), family=6)
    return inside


def veth_name(dk: Docker, d: Daemon, name: str, network: str) -> str:
    """`veth<7 hex>` as Docker names it; on a clash (thousands of endpoints) the next draw."""
    taken = dk.model.ns[d.ns].ifaces
    for draw in range(64):
        candidate = "veth" + dk.digest("veth", name, network, *([draw] if draw else []))[:7]
        if candidate not in taken:
            return candidate
    raise dk.error(("containers", name), "no free veth name on the host")


def gives_gateway(dk: Docker, st: NetState) -> bool:
    """Internal networks give no default route (26+; 20.10 still did: docker-observed §5)."""
    return not st.net.internal or dk.profile.internal_default_route


def ports_owner(pb: PortBinding) -> tuple[str, str]:
    """Published ports move with the gateway endpoint: their rules are owned apart."""
    return (pb.container, f"{pb.network}:ports")


def publish(dk: Docker, d: Daemon, st: NetState, bindings: list[PortBinding]) -> None:
    """DNAT, filter ACCEPT, hairpin MASQUERADE and docker-proxy per binding (spec §3.3-3.6);
    a binding on an IPv6 host address goes to the IPv6 side alone (ipv6.md §4)."""
    proxy = d.spec.userland_proxy
    templates = dk.profile.templates
    seen: set[tuple[str, int]] = set()
    seen6: set[tuple[str, int]] = set()  # the same, for the IPv6 side
    for pb in bindings:
        if pb.host_ip.version == 6:
            _publish6(dk, d, st, pb, seen6, explicit=True)
            continue
        fill = _binding_fill(st, pb)
        if (pb.proto, pb.container_port) not in seen:
            seen.add((pb.proto, pb.container_port))
            when = {"always"}
            if not proxy or dk.profile.hairpin_masq_always:
                when.add("hairpin")
            apply(dk, d, templates.port, when, fill, owner=ports_owner(pb))
        any_ip = pb.host_ip.is_unspecified
        when = {("proxy_" if proxy else "noproxy_") + ("any" if any_ip else "ip")}
        if pb.host_ip.is_loopback:
            when.add("loopback")
        apply(dk, d, templates.binding, when, fill, owner=ports_owner(pb))
        if proxy:
            _proxy(dk, d, pb, routed_reply=pb.proto == "udp" and any_ip
                   and dk.profile.udp_proxy_routed_reply)
        if any_ip and not pb.spec.startswith("0.0.0.0:") and dk.model.ipv6_on(d.ns):
            _publish6(dk, d, st, replace(pb, host_ip=IPv6Address("::")), seen6)


def _binding_fill(st: NetState, pb: PortBinding) -> dict:
    return {"br": st.net.device, "ip": pb.container_ip, "cport": pb.container_port,
            "proto": pb.proto, "hport": pb.host_port, "hip": str(pb.host_ip)}


def _proxy(dk: Docker, d: Daemon, pb: PortBinding, routed_reply: bool = False) -> None:
    """A docker-proxy process for one host binding; on [::] Go listens "tcp6" (V6ONLY)."""
    dk.owned.setdefault(ports_owner(pb), []).append(
        (d.ns, "", "", (pb.host_ip, pb.host_port, pb.proto)))
    dk.model.ns[d.ns].listeners.append(Listener(
        pb.host_ip, pb.host_port, pb.proto, "proxy", (pb.container_ip, pb.container_port),
        f"docker-proxy -proto {pb.proto} -host-ip {pb.host_ip} -host-port {pb.host_port} "
        f"-container-ip {pb.container_ip} -container-port {pb.container_port}",
        routed_reply=routed_reply, v6only=pb.host_ip.version == 6))


def _publish6(dk: Docker, d: Daemon, st: NetState, pb: PortBinding,
              seen6: set[tuple[str, int]], explicit: bool = False) -> None:
    """The IPv6 side of a binding (ipv6.md §3, §4; libnetwork configurePortBindingIPv6):
    `[::]:PORT` of an address-less `-p`, or the IPv6 host address written. To the
    container's IPv6 address: ip6tables DNAT where ip6tables is on, docker-proxy with the
    proxy on; to an IPv4-only container only docker-proxy, into its IPv4 address (without
    the proxy dockerd maps nothing and says so only in its log). Routed mode maps no host
    port: the container port is opened instead."""
    ip6 = st.net.endpoints6.get(pb.container)
    proxy = d.spec.userland_proxy
    ports = dk.model.containers[pb.container].ports
    if explicit:
        ports.remove(pb)  # put back below with the address it maps to
    routed = ip6 is not None and d.ip6tables and routed6(st.net)
    if routed or (ip6 is None and not proxy):
        d.ports.release(pb.host_ip, pb.host_port, pb.proto)  # no IPv6 host port is taken
    if routed:
        if (pb.proto, pb.container_port) not in seen6:
            seen6.add((pb.proto, pb.container_port))
            apply(dk, d, dk.profile.templates.port, {"always"},
                  {**_binding_fill(st, pb), "ip": str(ip6.ip)}, owner=ports_owner(pb), family=6)
        return
    if ip6 is None and not proxy:
        return  # dockerd maps an IPv4-only container's port over IPv4 only (ipv6.md §3)
    pb6 = replace(pb, container_ip=ip6.ip if ip6 is not None else pb.container_ip)
    ports.append(pb6)
    if ip6 is not None and d.ip6tables:
        fill6 = _binding_fill(st, pb6)
        when = {"always"}
        if not proxy or dk.profile.hairpin_masq_always:
            when.add("hairpin")
        if (pb.proto, pb.container_port) not in seen6:  # once per container port/proto
            seen6.add((pb.proto, pb.container_port))
            apply(dk, d, dk.profile.templates.port, when, fill6, owner=ports_owner(pb), family=6)
        any_ip = pb.host_ip.is_unspecified
        apply(dk, d, dk.profile.templates.binding,
              {("proxy_" if proxy else "noproxy_") + ("any" if any_ip else "ip")},
              fill6, owner=ports_owner(pb), family=6)
    if proxy:
        _proxy(dk, d, pb6)
