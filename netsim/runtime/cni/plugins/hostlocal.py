"""IPAM `host-local` (containernetworking/plugins plugins/ipam/host-local): the first range of
the first range set (IPv4), the gateway reserved, addresses handed out in turn after the
last one reserved, one store per network per node; an address asked for through the `ips`
capability is taken if it is in the range and free, in the plugin's words otherwise."""

from __future__ import annotations

from ipaddress import (
    IPv4Address,
    IPv4Interface,
    IPv4Network,
    IPv6Network,
    ip_address,
    ip_network,
)

from netsim.runtime.cni.context import Add, Lease, Store
from netsim.scenario.cni.gojson import CIDR, IP, STRING, list_of, parse_cidr, struct

RANGE = struct("Range", "allocator.Range", rangeStart=IP, rangeEnd=IP, subnet=CIDR, gateway=IP)
# types.Route decodes itself through an unexported `route` struct: its errors name that
ROUTE = struct("Route", "types.route", flat=True, dst=CIDR, gw=IP)
# the plugin decodes the whole config as {name, cniVersion, ipam: IPAMConfig}, Range embedded
CONF = struct("Net", ipam=struct("IPAMConfig", **dict(RANGE.fields), type=STRING,
                                 routes=list_of(ROUTE, "[]*types.Route"), dataDir=STRING,
                                 resolvConf=STRING,
                                 ranges=list_of(list_of(RANGE, "allocator.RangeSet"),
                                                "[]allocator.RangeSet")))
DECODE = ""
IPNetwork = IPv4Network | IPv6Network


def range_sets(a: Add, ipam: dict) -> list[list[dict]]:
    """`ranges` (or the older flat `subnet` form), checked as the plugin's Canonicalize
    checks them, in its words."""
    sets = ipam.get("ranges")
    if not sets and ipam.get("subnet"):
        sets = [[{k: ipam[k] for k in ("subnet", "rangeStart", "rangeEnd", "gateway")
                  if k in ipam}]]
    if not sets:
        raise a.cni.error((*a.path, "ipam"), "no IP ranges specified",
                          "ranges: [[{subnet: 10.88.0.0/16}]]")
    seen: list[tuple[int, IPNetwork]] = []
    sets = [[r or {} for r in rs or []] for rs in sets]  # a JSON null is Go's zero value
    for i, rs in enumerate(sets):
        where = (*a.path, "ipam", "ranges", i)
        if not rs:
            raise a.cni.error(where, f"invalid range set {i}: empty range set")
        if any("subnet" not in r for r in rs):  # Range.Canonicalize on a zero IPNet
            raise a.cni.error(where, f"invalid range set {i}: IP <nil> not v4 nor v6")
        nets = [_network(a, r["subnet"], where) for r in rs]
        if len({n.version for n in nets}) > 1:
            raise a.cni.error(where, f"invalid range set {i}: mixed address families")
        for r, net in zip(rs, nets, strict=True):
            _check_range(a, r, net, i, where)
            for j, other in seen:
                if net.overlaps(other):
                    raise a.cni.error(where, f"range set {j} overlaps with {i}")
        seen += [(i, n) for n in nets]
    return sets


def _network(a: Add, text: str, where: tuple) -> IPNetwork:
    """types.ParseCIDR, in its words."""
    net = parse_cidr(text)
    if net is None:
        raise a.cni.error(where, f"invalid CIDR address: {text}")
    return net


def _check_range(a: Add, r: dict, net: IPNetwork, i: int, where: tuple) -> None:
    if net.prefixlen > net.max_prefixlen - 2:
        raise a.cni.error(where, f"invalid range set {i}: Network {net} too small to "
                          "allocate from")
    for key in ("rangeStart", "rangeEnd", "gateway"):
        if key in r and ip_address(r[key]) not in net:
            words = "RangeStart" if key == "rangeStart" else "RangeEnd"
            what = f"{words} {r[key]}" if key != "gateway" else f"gateway {r[key]}"
            raise a.cni.error(where, f"invalid range set {i}: {what} not in network {net}")


def store(a: Add, ipam: dict) -> Store | None:
    """The network's store on this node, for its first IPv4 range set (None: IPv6 only; IPv6
    range sets are carried to the real plugin, not modelled yet: conflist.ipv6 says so)."""
    if a.conflist["name"] in a.node.stores:
        return a.node.stores[a.conflist["name"]]
    v4 = [rs[0] for rs in range_sets(a, ipam)
          if ip_network(rs[0]["subnet"], strict=False).version == 4]  # checked: valid
    if not v4:
        return None
    r = v4[0]
    subnet = IPv4Network(r["subnet"], strict=False)
    start = IPv4Address(r.get("rangeStart", subnet.network_address + 1))
    end = IPv4Address(r.get("rangeEnd", subnet.broadcast_address - 1))
    gateway = IPv4Address(r.get("gateway", subnet.network_address + 1))
    st = Store(subnet, start, end, gateway)
    a.node.stores[a.conflist["name"]] = st
    return st


def lease(a: Add, ipam: dict) -> Lease | None:
    got = allocate(a, ipam)
    if got is None:
        return None
    addr, gateway, _ = got
    return Lease(addr, gateway, routes(a, ipam))


def allocate(a: Add, ipam: dict) -> tuple[IPv4Interface, IPv4Address, Store] | None:
    st = store(a, ipam)
    if st is None:
        return None
    wanted = a.args.get("ips")
    if wanted:
        return _requested(a, st, IPv4Interface(wanted[0]).ip), st.gateway, st
    first = int(st.start)
    size = int(st.end) - first + 1
    after = int(st.last) + 1 - first if st.last is not None else 0
    for k in range(size):
        ip = IPv4Address(first + (after + k) % size)
        if ip != st.gateway and ip not in st.used:
            st.used.add(ip)
            st.last = ip
            return IPv4Interface(f"{ip}/{st.subnet.prefixlen}"), st.gateway, st
    raise a.cni.error((*a.path, "ipam"), f"failed to allocate for range 0: no IP addresses "
                      f"available in range set: {st.start}-{st.end}")


def _requested(a: Add, st: Store, ip: IPv4Address) -> IPv4Interface:
    where = (*a.path, "ipam")
    span = f"{st.start}-{st.end}"
    if not int(st.start) <= int(ip) <= int(st.end):  # observed, 1.1.1
        raise a.cni.error(where, f"failed to allocate all requested IPs: {ip}",
                          f"an address in {span}")
    if ip == st.gateway:
        raise a.cni.error(where, f"failed to allocate for range 0: requested ip {ip} is "
                          "subnet's gateway")
    if ip in st.used:
        raise a.cni.error(where, f"failed to allocate for range 0: requested IP address {ip} "
                          f"is not available in range set {span}")
    st.used.add(ip)
    st.last = ip
    return IPv4Interface(f"{ip}/{st.subnet.prefixlen}")


def routes(a: Add, ipam: dict) -> list[tuple[IPv4Network, IPv4Address | None]]:
    """The IPv4 routes (IPv6 ones are carried to the real plugin, not modelled yet)."""
    out = []
    where = (*a.path, "ipam", "routes")
    for r in ipam.get("routes") or []:
        r = r or {}  # a JSON null: Go's zero Route
        dst = _network(a, r.get("dst", "<nil>"), where)  # Go's words for a missing dst
        gw = ip_address(r["gw"]) if r.get("gw") else None  # decoded: a valid address
        if gw is not None and gw.version != dst.version:  # the kernel's refusal, as netlink
            raise a.cni.error(where, f"failed to add route '{dst} via {gw} dev eth0': "
                              "invalid argument")
        if dst.version == 4:
            out.append((dst, gw))
    return out
