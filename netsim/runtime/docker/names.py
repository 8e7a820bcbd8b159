"""Names as Docker wires them (spec §1.7, §1.8, §2.5, P11): each container's view (its
resolv.conf and /etc/hosts, and the embedded resolver's table), and the embedded resolver's
NAT in the container's own namespace. netsim.model.dns answers from these views."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from netsim.model import dns
from netsim.model.graph import Listener, NetRecord
from netsim.model.rules import Dnat, Is, Jump, Match, Rule, Snat
from netsim.runtime.docker.context import Docker

HOST_GATEWAY = "host-gateway"  # --add-host NAME:host-gateway

Table = dict[str, list[IPv4Address]]


def is_user_defined(net: NetRecord) -> bool:
    return not (net.driver == "bridge" and net.name in ("bridge", "docker_gwbridge"))


def build(dk: Docker) -> None:
    """Who can resolve which name, per container, and Docker's resolver wiring."""
    tables = {key: network_names(dk, net) for key, net in dk.model.networks.items()
              if is_user_defined(net)}
    tables6 = {key: network_names(dk, net, six=True) for key, net in dk.model.networks.items()
               if is_user_defined(net) and net.endpoints6}
    for name, info in dk.model.containers.items():
        if info.runtime != "docker":
            continue
        view = _view(dk, name, tables)
        _names6(dk, name, view, tables6)
        view.resolv_conf = dns.resolv_conf(view)
        dk.model.names[name] = view


def network_names(dk: Docker, net: NetRecord, six: bool = False) -> Table:
    """Name, aliases, short ID, hostname and name.network of every endpoint of a network
    (`six`: their IPv6 addresses, the embedded DNS's AAAA answers: ipv6.md §8)."""
    table: Table = {}
    for cname, addr in (net.endpoints6 if six else net.endpoints).items():
        spec = dk.sc.containers[cname]
        names = [cname, dk.model.containers[cname].short_id, f"{cname}.{net.name}"]
        if spec.hostname:
            names.append(spec.hostname)
        if spec.networks and spec.networks.get(net.name):
            names += spec.networks[net.name].aliases
        for n in names:
            table.setdefault(dns.canonical(n), []).append(addr.ip)
    return table


def _view(dk: Docker, name: str, tables: dict[str, Table]) -> dns.NameView:
    info = dk.model.containers[name]
    if info.mode == "container":  # the target's namespace, and its files
        target = dk.model.names.get(info.joins) or _view(dk, info.joins, tables)
        return dns.NameView(name, target.embedded, target.nameserver, dict(target.hosts),
                            target.names, target.forwards, hosts_file=target.hosts_file,
                            resolver_port=target.resolver_port, failure=target.failure,
                            upstream=target.upstream)
    mine = [key for key in tables if name in dk.model.networks[key].endpoints]
    spec = dk.sc.containers[name]
    host = dk.daemons[info.host].spec
    upstream = (spec.dns or host.dns or [dk.asm.lan_gateway])[0]  # --dns, dockerd --dns, LAN
    view = dns.NameView(name, bool(mine), dns.EMBEDDED if mine else upstream,
                        failure=dk.profile.dns_upstream_failure.value, upstream=upstream)
    shared = None  # the first network's table, as is, until this view needs its own
    for key in mine:  # the first network's address wins a name; lists are shared, never changed
        if shared is None:
            view.names = shared = tables[key]
            continue
        view.names = _own(view.names, shared)
        for n, ips in tables[key].items():
            view.names.setdefault(n, ips)
    view.forwards = any(not dk.model.networks[k].internal for k in mine)
    for link in dk.sc.containers[name].links:  # spec §1.8
        target, _, alias = link.partition(":")
        ep = dk.model.endpoints.get(target)
        if ep is None:  # removed since: the link is gone with it
            continue
        on_both = [k for k in mine if target in dk.model.networks[k].endpoints]
        if on_both:  # user network: a container-scoped alias in the embedded DNS
            ip = dk.model.networks[on_both[0]].endpoints[target].ip
            view.names = _own(view.names, shared)
            view.names[dns.canonical(alias or target)] = [ip]
        elif ep.primary is not None:  # default bridge: /etc/hosts
            for n in dict.fromkeys([alias or target, target,
                                    dk.model.containers[target].short_id]):
                view.hosts[dns.canonical(n)] = [ep.primary]
    for n, ip in spec.add_hosts.items():  # --add-host: written into /etc/hosts
        view.hosts[dns.canonical(n)] = [_host_gateway(dk, name, info.host) if ip == HOST_GATEWAY
                                        else ip]
    view.hosts_file = dns.hosts_file(view, _own_entries(dk, name))
    if mine:
        _wire_resolver(dk, name, view)
    return view


def _own(names: Table, shared: Table | None) -> Table:
    """A view's table it may change: a network's shared one is copied first (thousands of
    containers on one network share its table instead of each holding a copy)."""
    return dict(names) if names is shared else names


def _names6(dk: Docker, name: str, view: dns.NameView, tables6: dict[str, Table]) -> None:
    """The AAAA side of the embedded DNS: the same names, from the container's networks with
    IPv6 (the first network's address wins, as for A; one network's table is shared)."""
    if not view.embedded or dk.model.containers[name].mode == "container":
        return
    mine = [t for key, t in tables6.items() if name in dk.model.networks[key].endpoints]
    if len(mine) == 1:
        view.names6 = mine[0]
        return
    for table in mine:
        for n, ips in table.items():
            view.names6.setdefault(n, ips)


def _host_gateway(dk: Docker, name: str, host: str) -> IPv4Address:
    """`host-gateway`: dockerd's default bridge gateway (docker0's address; every version
    here, 20.10 to 28, without --host-gateway-ip), refused in dockerd's words without one."""
    bridge = dk.daemons[host].nets.get("bridge")
    if bridge is None or bridge.net.gateway is None:
        raise dk.asm.error(("containers", name, "add_hosts"), "unable to derive the IP value "
                           "for host-gateway", "an address, or a daemon with its default bridge")
    return bridge.net.gateway


def _own_entries(dk: Docker, name: str) -> list[tuple[IPv4Address, list[str]]]:
    """Docker writes the container's own addresses with its hostname (default: short ID)."""
    info = dk.model.containers[name]
    if info.mode == "host":
        return []
    ep = dk.model.endpoints[name]
    return [(ip, [info.hostname or info.short_id]) for ip in dict.fromkeys(ep.addresses.values())]


def _wire_resolver(dk: Docker, name: str, view: dns.NameView) -> None:
    """Docker's NAT in the container's own namespace: 127.0.0.11:53 -> the resolver's port
    (docker-observed §3 user-defined bridge; libnetwork resolver_unix.go)."""
    port = dns.resolver_port(dk.sc.name, name)
    view.resolver_port = port
    ns = dk.model.ns[dk.model.endpoints[name].ns]
    here = Is(IPv4Network("127.0.0.11/32"))
    # UDP only: netsim's resolver does not serve TCP (Docker's does)
    ns.rules.append("nat", "OUTPUT", Rule(Match(daddr=here), Jump("DOCKER_OUTPUT"),
                                          "embedded DNS (Docker §2.5)"))
    ns.rules.append("nat", "POSTROUTING", Rule(Match(daddr=here), Jump("DOCKER_POSTROUTING"),
                                               "embedded DNS (Docker §2.5)"))
    ns.rules.append("nat", "DOCKER_OUTPUT", Rule(
        Match(daddr=here, proto="udp", dport=53), Dnat(dns.EMBEDDED, port),
        "127.0.0.11:53 -> the resolver (Docker §2.5)"))
    ns.rules.append("nat", "DOCKER_POSTROUTING", Rule(
        Match(saddr=here, proto="udp", sport=port), Snat(dns.EMBEDDED, 53),
        "answers appear to come from :53 (Docker §2.5)"))
    ns.listeners.append(Listener(dns.EMBEDDED, port, "udp", "dns", None,
                                 f"Docker's embedded DNS for {name}"))
