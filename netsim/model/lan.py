"""The physical world every runtime's hosts sit in: the LAN switch, the router, `outside`, `lan`,
the LAN peers, and each host's own namespace with its port on the LAN.

Nothing here knows a runtime: a Docker host and a CNI node are both a namespace with an
address on the LAN and a default route to the router. What runs inside is the runtime's job.
"""

from __future__ import annotations

from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Address,
    IPv6Interface,
    IPv6Network,
    ip_network,
)

from netsim.model import dns
from netsim.model.assembly import ANY, Assembly
from netsim.model.graph import Iface, IfKind, Listener, NodeKind, Route
from netsim.model.rules import Drop, Match, Rule
from netsim.scenario.portspec import PortProto
from netsim.scenario.schema import RESERVED, Host

OUTSIDE_NET = IPv4Network("203.0.113.0/24")  # TEST-NET-3: the world behind the router
OUTSIDE_ROUTER = IPv4Address("203.0.113.1")
OUTSIDE_ADDR = IPv4Address("203.0.113.10")
DEFAULT_LISTEN = (PortProto(80, "tcp"), PortProto(53, "udp"))
SWITCH = "_lan"  # node ids starting with "_" cannot clash with scenario names
DEFAULT_ROUTE = IPv4Network("0.0.0.0/0")
# the world behind the router in IPv6 (RFC 3849 documentation space), with lan.ipv6
OUTSIDE_NET6 = IPv6Network("2001:db8:ffff::/64")
OUTSIDE_ROUTER6 = IPv6Address("2001:db8:ffff::1")
OUTSIDE_ADDR6 = IPv6Address("2001:db8:ffff::10")
DEFAULT_ROUTE6 = IPv6Network("::/0")


def v6_of(prefix: IPv6Network, v4: IPv4Address, subnet: IPv4Network) -> IPv6Address:
    """A LAN machine's IPv6 address by default: the prefix + its IPv4 host part written in the
    same digits (.1 -> ::1, .10 -> ::10, .50 -> ::50), so the two read alike."""
    host = int(v4) - int(subnet.network_address)
    return prefix.network_address + (int(str(host), 16) if host <= 9999 else host)


def _dual(asm: Assembly, ns_id: str, iface: Iface, v4: IPv4Address,
          given: IPv6Address | None, path: tuple, route: bool = True) -> IPv6Address | None:
    """With lan.ipv6, the machine's IPv6 address on its LAN port (given or derived) and its
    IPv6 default route to the router; None on a LAN without IPv6."""
    prefix = asm.sc.lan.ipv6
    if prefix is None:
        if given is not None:
            raise asm.error((*path, "address6"), "the LAN has no IPv6 prefix",
                            "lan: {ipv6: 2001:db8:1::/64}")
        return None
    addr = given or v6_of(prefix, v4, asm.sc.lan.subnet)
    _claim_on(asm, asm.used_lan, ns_id, addr, (*path, "address6") if given else path, prefix,
              "the LAN")
    iface.addrs.append(IPv6Interface(f"{addr}/{prefix.prefixlen}"))
    if route:
        asm.model.ns[ns_id].routes.append(Route(DEFAULT_ROUTE6, iface.name,
                                                via=asm.lan_gateway6))
    return addr


def hosts(asm: Assembly) -> dict[str, Host]:
    """The scenario's hosts, or one of all defaults (of the format's own Host: with the
    runtimes' keys, netsim.runtime.schema)."""
    if asm.sc.hosts:
        return asm.sc.hosts
    if asm.default_hosts is None:
        asm.default_hosts = type(asm.sc).model_validate(
            {"name": asm.sc.name, "hosts": {"docker1": {}}}).hosts
    return asm.default_hosts


def check_names(asm: Assembly) -> None:
    owners: dict[str, str] = {}
    groups = [("hosts", list(hosts(asm))), ("lan.peers", list(asm.sc.lan.peers)),
              *((f"lan.vlans.{vid}.peers", list(v.peers)) for vid, v in asm.sc.lan.vlans.items()),
              ("containers", list(asm.sc.containers))]
    for section, names in groups:
        for name in names:
            path = (*section.split("."), name)
            if name in RESERVED:
                raise asm.error(path, f"'{name}' is a name netsim uses for its own LAN nodes",
                                f"any name but {', '.join(RESERVED)}", at_key=True)
            if name in owners:
                raise asm.error(path, f"name '{name}' is already used in {owners[name]}; "
                                "names must be unique", at_key=True)
            owners[name] = section


def build(asm: Assembly) -> None:
    """Switch, router, outside, `lan` and the peers."""
    lan = asm.sc.lan
    subnet = lan.subnet
    gateway = lan.gateway or subnet.network_address + 1
    asm.lan_gateway = gateway
    if gateway not in subnet:
        raise asm.error(("lan", "gateway"), f"{gateway} is not in the LAN subnet {subnet}")
    if subnet.overlaps(OUTSIDE_NET):
        raise asm.error(("lan", "subnet"), f"{subnet} overlaps {OUTSIDE_NET}, where netsim "
                        "puts `outside`", "any other private subnet")
    switch = asm.add_ns(SWITCH, NodeKind.SWITCH, "LAN", bridge_nf=bool(lan.block))
    for p in lan.block:  # a firewall between the LAN's machines (P14), in each family
        for rules in (switch.rules, switch.rules6) if lan.ipv6 else (switch.rules,):
            rules.append("filter", "FORWARD", Rule(
                Match(proto=p.proto, dport=p.port), Drop(),
                f"scenario lan.block: {p} is filtered between LAN machines"))
    asm.model.add_iface(Iface(SWITCH, "br0", IfKind.BRIDGE, mtu=lan.mtu, hairpin=lan.hairpin))
    router = asm.add_ns("router", NodeKind.ROUTER, "router", forwarding=True)
    r_lan = port(asm, "router", "eth0", gateway, ("lan", "gateway"))
    out = asm.add_ns("outside", NodeKind.OUTSIDE, "outside")
    r_out = Iface("router", "eth1", IfKind.VETH, addrs=[IPv4Interface(f"{OUTSIDE_ROUTER}/24")])
    o_if = Iface("outside", "eth0", IfKind.VETH, addrs=[IPv4Interface(f"{OUTSIDE_ADDR}/24")])
    asm.model.add_iface(r_out)
    asm.model.add_iface(o_if)
    asm.model.link_veth(r_out, o_if)
    out.routes.append(Route(DEFAULT_ROUTE, "eth0", via=OUTSIDE_ROUTER))
    router6 = out6 = None
    if lan.ipv6 is not None:
        if lan.ipv6.overlaps(OUTSIDE_NET6):
            raise asm.error(("lan", "ipv6"), f"{lan.ipv6} overlaps {OUTSIDE_NET6}, where "
                            "netsim puts `outside`", "another prefix, e.g. 2001:db8:1::/64")
        router.forwarding6 = True
        router6 = asm.lan_gateway6 = _dual(asm, "router", r_lan, gateway, None,
                                           ("lan", "ipv6"), route=False)
        r_out.addrs.append(IPv6Interface(f"{OUTSIDE_ROUTER6}/64"))
        o_if.addrs.append(IPv6Interface(f"{OUTSIDE_ADDR6}/64"))
        out.routes.append(Route(DEFAULT_ROUTE6, "eth0", via=OUTSIDE_ROUTER6))
        out6 = {"outside": OUTSIDE_ADDR6}
    if lan.dns.enabled:  # the hosts' upstream DNS server (see model/dns.py)
        asm.model.ns["router"].listeners.append(Listener(
            ANY, 53, "udp", "dns", None, "the LAN's DNS server"))
        asm.model.lan_dns = {dns.canonical(k): [v] for k, v in lan.dns.records.items()}
    listen = tuple(lan.listen) if lan.listen is not None else DEFAULT_LISTEN
    asm.listen(out, listen, "outside's echo service")
    asm.endpoint("outside", NodeKind.OUTSIDE, "outside", {"outside": OUTSIDE_ADDR}, out6)
    asm.endpoint("router", NodeKind.ROUTER, "router", {"lan": gateway, "outside": OUTSIDE_ROUTER},
                 router6 and {"lan": router6, "outside": OUTSIDE_ROUTER6})
    peers = {"lan": (lan.address or _out_of_the_way(asm, subnet.network_address + 2), None,
                     ("lan", "address"), None)}
    for name, peer in lan.peers.items():
        peers[name] = (peer.address, peer.listen, ("lan", "peers", name), peer.address6)
    for name, (addr, plisten, path, given6) in peers.items():
        ns = asm.add_ns(name, NodeKind.LAN_PEER, name)
        eth0 = port(asm, name, "eth0", addr, path)
        ns.routes.append(Route(DEFAULT_ROUTE, "eth0", via=gateway))
        six = _dual(asm, name, eth0, addr, given6, path)
        chosen = tuple(plisten) if plisten is not None else listen
        asm.listen(ns, chosen, f"{name}'s echo service")
        asm.endpoint(name, NodeKind.LAN_PEER, name, {"lan": addr}, six and {"lan": six})
    for vid in lan.vlans:
        vlan(asm, vid, listen)


def handed_out(asm: Assembly) -> list[tuple[str, IPv4Network]]:
    """The parts of the LAN that a network of the scenario hands addresses out of (a macvlan
    or ipvlan network on the LAN's subnet: its range, else its subnet), by network name."""
    lan = asm.sc.lan.subnet
    return [(name, r) for name, n in asm.sc.networks.items()
            if (r := n.ip_range or n.subnet) is not None and r.version == 4 and r.overlaps(lan)]


def _out_of_the_way(asm: Assembly, preferred: IPv4Address) -> IPv4Address:
    """netsim's own LAN machine `lan` takes .2 unless a network of the scenario may hand .2
    to a container (Docker's IPAM starts at the bottom of its range and knows nothing of the
    LAN): then the highest address no one is given and no range covers (else the highest no
    one is given: IPAM reaches it last), said in a note."""
    ranges = handed_out(asm)
    hit = next(((n, r) for n, r in ranges if preferred in r), None)
    if hit is None:
        return preferred
    sc, subnet = asm.sc, asm.sc.lan.subnet
    given = {asm.lan_gateway, *(p.address for p in sc.lan.peers.values()),
             *(h.address for h in sc.hosts.values() if h.address),
             *(subnet.network_address + 10 + i for i in range(len(sc.hosts)))}
    top, bottom = int(subnet.broadcast_address) - 1, int(subnet.network_address)
    free = [a for a in map(IPv4Address, range(top, max(bottom, top - 65536), -1))
            if a not in given]
    chosen = next((a for a in free if not any(a in r for _, r in ranges)),
                  free[0] if free else preferred)
    asm.model.warnings.append(("lan", f"lan.address: netsim's LAN machine `lan` is at {chosen}, "
                               f"not {preferred}: network {hit[0]} hands out {hit[1]}, and "
                               f"Docker's IPAM gives {preferred} to a container first "
                               "(lan: {address: ...} puts it elsewhere)"))
    return chosen


def vlan(asm: Assembly, vid: int, listen: tuple[PortProto, ...]) -> None:
    """`lan.vlans.<id>`: the switch carries VLAN <id> tagged; the router routes it on its
    sub-interface eth0.<id> (a router on a stick), and each of its peers is a machine with
    only a sub-interface on it."""
    spec, path = asm.sc.lan.vlans[vid], ("lan", "vlans", str(vid))  # as the YAML keys it
    subnet = spec.subnet
    gateway = spec.gateway or subnet.network_address + 1
    for other, what in ((asm.sc.lan.subnet, "the LAN"), (OUTSIDE_NET, "`outside`"),
                        *((v.subnet, f"VLAN {k}") for k, v in asm.sc.lan.vlans.items()
                          if k < vid)):
        if subnet.overlaps(other):
            raise asm.error((*path, "subnet"), f"{subnet} overlaps {what}'s {other}",
                            "a subnet of its own per VLAN")
    used = asm.used_vlan.setdefault(vid, {})
    _claim_on(asm, used, "router", gateway, (*path, "gateway"), subnet, f"VLAN {vid}")
    asm.model.add_iface(Iface("router", f"eth0.{vid}", IfKind.VLAN, parent="router/eth0",
                              vlan_id=vid, mtu=asm.sc.lan.mtu,
                              addrs=[IPv4Interface(f"{gateway}/{subnet.prefixlen}")]))
    asm.model.endpoints["router"].addresses[f"vlan{vid}"] = gateway
    for name, peer in spec.peers.items():
        ppath = (*path, "peers", name)
        _claim_on(asm, used, name, peer.address, ppath, subnet, f"VLAN {vid}")
        ns = asm.add_ns(name, NodeKind.LAN_PEER, name)
        trunk = _switch_port(asm, name, "eth0", None, None)
        asm.model.add_iface(Iface(name, f"eth0.{vid}", IfKind.VLAN, parent=trunk.id,
                                  vlan_id=vid, mtu=asm.sc.lan.mtu, mac=trunk.mac,
                                  addrs=[IPv4Interface(f"{peer.address}/{subnet.prefixlen}")]))
        ns.routes.append(Route(DEFAULT_ROUTE, f"eth0.{vid}", via=gateway))
        asm.listen(ns, tuple(peer.listen) if peer.listen is not None else listen,
                   f"{name}'s echo service")
        asm.endpoint(name, NodeKind.LAN_PEER, name, {f"vlan{vid}": peer.address})


def port(asm: Assembly, ns_id: str, ifname: str, addr: IPv4Address, path: tuple,
         mtu: int | None = None, hairpin: bool | None = None,
         segment: IPv4Network | None = None) -> Iface:
    """A machine's interface on the LAN (or on a segment behind the router): a veth whose
    other end is a switch port. The switch port has the LAN's MTU whatever the machine's NIC
    says: a NIC set larger than its network carries loses the larger frames silently."""
    subnet = segment or asm.sc.lan.subnet
    _claim(asm, ns_id, addr, path, subnet)
    return _switch_port(asm, ns_id, ifname, IPv4Interface(f"{addr}/{subnet.prefixlen}"),
                        segment, mtu, hairpin)


def _switch_port(asm: Assembly, ns_id: str, ifname: str, addr: IPv4Interface | None,
                 segment: IPv4Network | None, mtu: int | None = None,
                 hairpin: bool | None = None, nic: int = 0) -> Iface:
    lan = asm.sc.lan
    port_no = sum(i.kind == IfKind.VETH for i in asm.model.ns[SWITCH].ifaces.values())
    sw = Iface(SWITCH, f"sw{port_no}", IfKind.VETH, mtu=lan.mtu,
               master=asm.segments[segment] if segment else "br0",
               hairpin=lan.hairpin if hairpin is None else hairpin)
    inside = Iface(ns_id, ifname, IfKind.VETH, mtu=mtu or lan.mtu, addrs=[addr] if addr else [],
                   mac=asm.mac(("lan", ns_id, nic) if nic else ("lan", ns_id)))
    asm.model.add_iface(sw)
    asm.model.add_iface(inside)
    asm.model.link_veth(sw, inside)
    return inside


def segment(asm: Assembly, addr: IPv4Address, path: tuple) -> IPv4Network:
    """A host addressed outside the LAN sits on its own /24 behind the router (another rack,
    another site): a bridge of its own in the switch, the router's .1 on it."""
    net = IPv4Network(f"{addr}/24", strict=False)
    if net in asm.segments:
        return net
    for taken in (asm.sc.lan.subnet, OUTSIDE_NET, *asm.segments):
        if net.overlaps(taken):
            raise asm.error(path, f"{addr}: its segment {net} overlaps {taken}",
                            f"an address in {asm.sc.lan.subnet} or another private /24")
    k = len(asm.segments) + 1
    bridge = f"br{k}"
    asm.segments[net] = bridge
    asm.model.add_iface(Iface(SWITCH, bridge, IfKind.BRIDGE, mtu=asm.sc.lan.mtu,
                              hairpin=asm.sc.lan.hairpin))
    port(asm, "router", f"eth{k + 1}", net.network_address + 1, path, segment=net)
    asm.model.warnings.append(("segment", f"{'.'.join(map(str, path))}: {addr} is outside the LAN "
                               f"{asm.sc.lan.subnet}: netsim puts it on segment {net} behind "
                               f"the router ({net.network_address + 1})"))
    return net


def _claim(asm: Assembly, ns_id: str, addr: IPv4Address, path: tuple,
           subnet: IPv4Network | None = None) -> None:
    _claim_on(asm, asm.used_lan, ns_id, addr, path, subnet or asm.sc.lan.subnet, "the LAN")


def _claim_on(asm: Assembly, used: dict[IPv4Address, str], ns_id: str, addr: IPv4Address,
              path: tuple, subnet: IPv4Network, where: str) -> None:
    if addr not in subnet or addr in (subnet.network_address, subnet.broadcast_address):
        raise asm.error(path, f"{addr} is not a usable address of {where} {subnet}")
    if addr in used:
        holder = used[addr]
        hint = (" (netsim's LAN machine `lan` takes the LAN's .2 unless lan.address moves it: "
                "lan: {address: 192.168.1.3})" if holder == "lan" else "")
        raise asm.error(path, f"{addr} is already used by {holder} on {where}{hint}")
    used[addr] = ns_id


def add_host(asm: Assembly, index: int, name: str, spec: Host) -> IPv4Address:
    """A container host's own namespace on the LAN (.10, .11, ... unless given)."""
    path = ("hosts", name)
    addr = spec.address or asm.sc.lan.subnet.network_address + 10 + index
    ns = asm.add_ns(name, NodeKind.HOST, name, host=name, forwarding=spec.ip_forward,
                    bridge_nf=True)
    ns.forwarding_by = "boot" if spec.ip_forward_at_start else None
    seg = None if addr in asm.sc.lan.subnet else segment(asm, addr, (*path, "address"))
    iface = port(asm, name, spec.interface, addr, (*path, "address"), mtu=spec.mtu,
                 hairpin=spec.hairpin, segment=seg)
    for i, extra in enumerate(spec.addresses):  # a host with several addresses on its link
        _claim(asm, name, extra, (*path, "addresses", i), seg)
        iface.addrs.append(IPv4Interface(f"{extra}/{iface.addrs[0].network.prefixlen}"))
    gateway = seg.network_address + 1 if seg else asm.lan_gateway
    ns.routes.append(Route(DEFAULT_ROUTE, spec.interface, via=gateway))
    six = None
    if seg is None:
        six = _dual(asm, name, iface, addr, spec.address6, path)
    elif spec.address6 is not None:
        raise asm.error((*path, "address6"), f"{name} sits on segment {seg}, which carries "
                        "no IPv6", "an IPv4 address in the LAN's subnet, or no address6")
    for n, nic in enumerate(spec.nics, 1):
        if nic in ns.ifaces:
            raise asm.error((*path, "nics", n - 1), f"{name} already has an interface {nic}",
                            "another name")
        _switch_port(asm, name, nic, None, seg, spec.mtu, spec.hairpin, nic=n)
    for p in spec.listen:
        asm.listen(ns, [p], f"{name}'s own service", ip=p.ip or ANY)
    asm.endpoint(name, NodeKind.HOST, name, {"lan": addr}, six and {"lan": six})
    return addr


def routes(asm: Assembly) -> None:
    """`lan.routes`: LAN machines (and the router) that route container subnets to a host."""
    machines = [*hosts(asm), *asm.sc.lan.peers]
    for cidr, via in asm.sc.lan.routes.items():
        path = ("lan", "routes", cidr)
        try:
            dst = ip_network(cidr)
        except ValueError:
            raise asm.error(path, f'"{cidr}" is not a subnet', "CIDR such as 172.16.0.0/12 "
                            "or fd00:30::/64", at_key=True) from None
        if via not in machines:
            raise asm.error(path, f"'{via}' is not a machine on the LAN", ", ".join(machines))
        gw = asm.endpoint_address(via) if dst.version == 4 else \
            asm.model.endpoints[via].addresses6.get("lan")
        if gw is None:
            raise asm.error(path, f"{via} has no IPv6 address on the LAN",
                            "lan: {ipv6: 2001:db8:1::/64}")
        for ns in asm.model.ns.values():
            if ns.kind in (NodeKind.LAN_PEER, NodeKind.ROUTER) and ns.id != via:
                ns.routes.append(Route(dst, "eth0", via=gw))
