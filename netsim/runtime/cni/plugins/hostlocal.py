"""IPAM `host-local` (containernetworking/plugins plugins/ipam/host-local): the first range of
each range set (one per family: IPv4 and IPv6), the gateway reserved, addresses handed out in
turn after the last one reserved, one store per network per node; an address asked for through the `ips`
capability is taken if it is in the range and free, in the plugin's words otherwise."""

from __future__ import annotations

from ipaddress import IPv6Address, ip_address, ip_interface, ip_network

from netsim.model.graph import IPAddress, IPInterface, IPNetwork
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


def _last(subnet: IPNetwork) -> IPAddress:
    """lastIP(): the subnet's last address, less the broadcast in IPv4."""
    return subnet.broadcast_address - (1 if subnet.version == 4 else 0)


def _store(a: Add, r: dict, key: str) -> Store:
    if key in a.node.stores:
        return a.node.stores[key]
    subnet = ip_network(r["subnet"], strict=False)  # checked: valid
    start = ip_address(r.get("rangeStart", subnet.network_address + 1))
    end = ip_address(r.get("rangeEnd", _last(subnet)))
    gateway = ip_address(r.get("gateway", subnet.network_address + 1))
    st = a.node.stores[key] = Store(subnet, start, end, gateway)
    return st


def stores(a: Add, ipam: dict, families: tuple[int, ...] = (4, 6)) -> list[Store]:
    """The network's stores on this node, one per range set of `families` in the conf's
    order (the first range of each; a set's last_reserved_ip is its own, as the plugin's
    `last_reserved_ip.<set>` files are). The first IPv4 set keys by the network's name."""
    out, name = [], a.conflist["name"]
    for i, rs in enumerate(range_sets(a, ipam)):
        if ip_network(rs[0]["subnet"], strict=False).version not in families:
            continue
        key = name if not any(s.subnet.version == 4 for s in out) and \
            ip_network(rs[0]["subnet"], strict=False).version == 4 else f"{name}/{i}"
        out.append(_store(a, rs[0], key))
    return out


def store(a: Add, ipam: dict) -> Store | None:
    """The network's store for its first IPv4 range set (None: IPv6 only)."""
    return next(iter(stores(a, ipam, (4,))), None)


def lease(a: Add, ipam: dict) -> Lease | None:
    got = leases(a, ipam, (4,))
    return got[0] if got else None


def leases(a: Add, ipam: dict, families: tuple[int, ...] = (4, 6)) -> list[Lease]:
    """An address from each range set of `families`, each with its family's routes (a route
    without gw goes via that family's gateway)."""
    out = []
    for st in stores(a, ipam, families):
        addr = allocate_in(a, st)
        out.append(Lease(addr, st.gateway, routes(a, ipam, st.subnet.version)))
    return out


def allocate_in(a: Add, st: Store) -> IPInterface:
    """The `ips` capability's address of this store's family, else the next free one after
    the last reserved."""
    wanted = [w for w in a.args.get("ips") or [] if ip_interface(w).version == st.subnet.version]
    if wanted:
        return _requested(a, st, ip_interface(wanted[0]).ip)
    first = int(st.start)
    size = int(st.end) - first + 1
    after = int(st.last) + 1 - first if st.last is not None else 0
    for k in range(size):
        ip = ip_address(first + (after + k) % size) if st.subnet.version == 4 else \
            IPv6Address(first + (after + k) % size)
        if ip != st.gateway and ip not in st.used:
            st.used.add(ip)
            st.last = ip
            return ip_interface(f"{ip}/{st.subnet.prefixlen}")
    raise a.cni.error((*a.path, "ipam"), f"failed to allocate for range 0: no IP addresses "
                      f"available in range set: {st.start}-{st.end}")


def _requested(a: Add, st: Store, ip: IPAddress) -> IPInterface:
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
    return ip_interface(f"{ip}/{st.subnet.prefixlen}")


def routes(a: Add, ipam: dict, family: int = 4) -> list[tuple[IPNetwork, IPAddress | None]]:
    """The routes of one family (the plugin hands each to the kernel in its family)."""
    out = []
    where = (*a.path, "ipam", "routes")
    for r in ipam.get("routes") or []:
        r = r or {}  # a JSON null: Go's zero Route
        dst = _network(a, r.get("dst", "<nil>"), where)  # Go's words for a missing dst
        gw = ip_address(r["gw"]) if r.get("gw") else None  # decoded: a valid address
        if gw is not None and gw.version != dst.version:  # the kernel's refusal, as netlink
            raise a.cni.error(where, f"failed to add route '{dst} via {gw} dev eth0': "
                              "invalid argument")
        if dst.version == family:
            out.append((dst, gw))
    return out
