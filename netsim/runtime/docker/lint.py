"""Warnings for Docker pitfalls the model can see before anything is built (spec §9)."""

from __future__ import annotations

from ipaddress import IPv6Network

from netsim.links.vxlan import OVERHEAD as VXLAN_OVERHEAD
from netsim.runtime.docker.context import Docker
from netsim.runtime.docker.templates import LEGACY


def run(dk: Docker) -> None:
    for check in CHECKS:
        check(dk)


def _warn(dk: Docker, pid: str, text: str) -> None:
    dk.model.warnings.append((pid, text))


def _routed_vlan(dk: Docker, d, st) -> bool:
    """The parent is an 802.1Q sub-interface whose VLAN the LAN's router is on."""
    parent = dk.model.ns[d.ns].ifaces.get(st.extra.get("parent", ""))
    return parent is not None and parent.vlan_id is not None and \
        parent.vlan_id in dk.asm.sc.lan.vlans


def macvlan_host_isolation(dk: Docker) -> None:
    for d in dk.daemons.values():
        for st in d.nets.values():
            if _routed_vlan(dk, d, st):
                continue  # its VLAN's router carries host <-> containers: no isolation to see
            if st.net.driver == "macvlan" and st.net.endpoints and "shim" not in st.extra:
                _warn(dk, "P01", f"{d.name} cannot reach its macvlan containers on "
                      f"{st.net.name} and they cannot reach it: the kernel keeps a macvlan "
                      "parent and its children apart (shim: true is the usual workaround)")
            elif st.net.driver == "ipvlan" and st.net.endpoints:
                _warn(dk, "P01", f"{d.name} cannot reach its ipvlan containers on "
                      f"{st.net.name} and they cannot reach it: the kernel keeps an ipvlan "
                      "parent and its children apart")


def macvlan_default_pool(dk: Docker) -> None:
    for d in dk.daemons.values():
        for st in d.nets.values():
            if st.net.driver == "macvlan" and not st.user_subnet:
                _warn(dk, "P15", f"networks.{st.net.name}: macvlan without subnet got "
                      f"{st.net.subnet} from Docker's pools, not the LAN's subnet")


def macvlan_range_covers_the_lan(dk: Docker) -> None:
    """Docker's IPAM knows its own network, not the LAN: a macvlan or ipvlan range on the LAN
    that covers a machine already there (a Docker host, a peer, the router when it is not
    the network's gateway) will hand that machine's address to a container."""
    for name, spec in dk.sc.networks.items():
        rng = spec.ip_range or spec.subnet
        if spec.driver not in ("macvlan", "ipvlan") or rng is None or rng.version != 4 or \
                (spec.parent and "." in spec.parent):  # a VLAN's own range: not the LAN's
            continue
        reserved = {spec.gateway, *spec.aux_addresses.values()}
        taken = sorted((ip, who) for ip, who in dk.asm.used_lan.items()
                       if ip in rng and ip not in reserved and who != "lan"
                       and who not in dk.sc.containers)
        if taken:
            said = ", ".join(f"{who} ({ip})" for ip, who in taken[:4]) + (
                f" and {len(taken) - 4} more" if len(taken) > 4 else "")
            _warn(dk, "P33", f"networks.{name}: its range {rng} covers addresses the LAN "
                  f"already uses: {said}; Docker's IPAM does not know the LAN and hands "
                  "them out in turn")


def subnet_collides_with_lan(dk: Docker) -> None:
    lan = dk.sc.lan.subnet
    for key, net in dk.model.networks.items():
        if net.subnet and net.subnet.overlaps(lan) and net.driver not in ("macvlan", "ipvlan"):
            _warn(dk, "P15", f"networks.{net.name} ({key}): {net.subnet} overlaps the LAN {lan}: "
                  "LAN machines in the overlap become unreachable from its containers")


def ip_range_without_gateway(dk: Docker) -> None:
    for name, spec in dk.sc.networks.items():
        if spec.ip_range and not spec.gateway:
            gws = {str(n.gateway) for n in dk.model.networks.values() if n.name == name}
            _warn(dk, "P19", f"networks.{name}: ip_range without gateway: Docker makes the "
                  f"range's first free address the gateway ({', '.join(sorted(gws))}); "
                  "give gateway: explicitly")


def host_mode_port_clash(dk: Docker) -> None:
    for name, info in dk.model.containers.items():
        if info.mode != "host" or info.host not in dk.daemons:
            continue
        d = dk.daemons[info.host]
        for p in dk.listens(name, dk.sc.containers[name], warn=False):
            if d.ports.holds(p.port, p.proto):
                _warn(dk, "P16", f"containers.{name}: {p} is already held by a published port on "
                      f"{d.name}; the app's bind() will fail with EADDRINUSE")


def overlay_mtu(dk: Docker) -> None:
    for name, st in dk.swarm.items():
        need = st.extra["mtu"] + VXLAN_OVERHEAD
        for h in st.net.hosts:
            d = dk.daemons[h]
            mtu = dk.model.ns[d.ns].ifaces[d.spec.interface].mtu
            lan = dk.sc.lan.mtu
            if min(mtu, lan) < need:
                _warn(dk, "P13", f"networks.{name}: overlay MTU {st.extra['mtu']} needs an "
                      f"underlay of {need}, {h}'s is {min(mtu, lan)}: small packets pass, large "
                      "ones vanish (MTU blackhole)")


def too_many_endpoints(dk: Docker) -> None:
    for key, net in dk.model.networks.items():
        if len(net.endpoints) > 1000:
            _warn(dk, "P21", f"network {key} has {len(net.endpoints)} endpoints; Docker's bridges "
                  "become unstable above about 1000")


def internal_default_route(dk: Docker) -> None:
    if dk.profile.internal_default_route:
        return
    for d in dk.daemons.values():
        for st in d.nets.values():
            if st.net.internal and st.net.endpoints and st.net.driver == "bridge":
                _warn(dk, "internal", f"networks.{st.net.name}: --internal: containers get no "
                      "default route; they still reach the gateway address on the host")


def macvlan_passthru(dk: Docker) -> None:
    for d in dk.daemons.values():
        for st in d.nets.values():
            if st.net.driver == "macvlan" and st.extra.get("mode") == "passthru" and st.net.endpoints:
                _warn(dk, "passthru", f"networks.{st.net.name}: passthru hands {st.extra['parent']} "
                      f"to one container: {d.name} itself no longer hears anything on that link")


def ipv6_unfiltered(dk: Docker) -> None:
    """ip6tables off (20.10's default, or `ip6tables: false`): no IPv6 rule at all (ipv6.md
    §3, §6, §7)."""
    for d in dk.daemons.values():
        six = [st.net.name for st in d.nets.values() if st.net.subnet6 is not None]
        if six and not d.ip6tables:
            _warn(dk, "P30", f"hosts.{d.name}: ip6tables is off, so nothing filters IPv6 on "
                  f"{', '.join(six)}: icc=false, --internal and the isolation between networks "
                  "do not hold there, and the LAN reaches every container directly where it "
                  "routes the subnet")


def ipv6_no_route_back(dk: Docker) -> None:
    """IPv6 leaving without NAT66 keeps the container's address: the LAN must route it back."""
    routed = [net for net in dk.sc.lan.routes if ":" in net]
    for d in dk.daemons.values():
        for st in d.nets.values():
            net = st.net
            if net.subnet6 is None or net.internal or not net.endpoints6:
                continue
            if d.ip6tables and net.options.get("com.docker.network.bridge.gateway_mode_ipv6") \
                    != "routed":
                continue  # NAT66
            if not any(net.subnet6.subnet_of(IPv6Network(r, strict=False)) for r in routed):
                _warn(dk, "P31", f"networks.{net.name}: IPv6 from {net.subnet6} leaves "
                      f"{d.name} without NAT66 and the LAN has no route back to it: replies "
                      f"never come (lan.routes: {net.subnet6} -> {d.name})")


def ipv6_internal_ndp(dk: Docker) -> None:
    """20.10 with ip6tables: its --internal rules meet bridged neighbour solicitations."""
    if dk.profile.templates is not LEGACY:  # 28 qualifies them: bridged traffic passes
        return
    for d in dk.daemons.values():
        for st in d.nets.values():
            if d.ip6tables and st.net.internal and len(st.net.endpoints6) > 1:
                _warn(dk, "P32", f"networks.{st.net.name}: Docker {dk.profile.name}'s "
                      "--internal rules in ip6tables drop the neighbour solicitations bridged "
                      "between its containers: they reach each other over IPv4 only")


CHECKS = (ipv6_unfiltered, ipv6_no_route_back, ipv6_internal_ndp,
          macvlan_host_isolation, macvlan_passthru, macvlan_default_pool,
          macvlan_range_covers_the_lan, subnet_collides_with_lan,
          ip_range_without_gateway, host_mode_port_clash, overlay_mtu, too_many_endpoints,
          internal_default_route)
