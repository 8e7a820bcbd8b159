"""IPAM `host-local` (containernetworking/plugins plugins/ipam/host-local): the first range of
the first range set (IPv4), the gateway reserved, addresses handed out in turn after the
last one reserved, one store per network per node; an address asked for through the `ips`
capability is taken if it is in the range and free, in the plugin's words otherwise."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.runtime.cni.context import Add, Lease, Store


def _range(a: Add, ipam: dict) -> dict:
    ranges = ipam.get("ranges")
    if ranges is None and "subnet" in ipam:  # the older flat form
        ranges = [[{k: ipam[k] for k in ("subnet", "rangeStart", "rangeEnd", "gateway")
                    if k in ipam}]]
    if not ranges or not isinstance(ranges, list) or not ranges[0]:
        raise a.cni.error((*a.path, "ipam"), "invalid range set 0: no ranges",
                          "ranges: [[{subnet: 10.88.0.0/16}]]")
    return ranges[0][0]


def store(a: Add, ipam: dict) -> Store:
    if a.conflist["name"] in a.node.stores:
        return a.node.stores[a.conflist["name"]]
    r = _range(a, ipam)
    try:
        subnet = IPv4Network(r["subnet"])
        start = IPv4Address(r.get("rangeStart", subnet.network_address + 1))
        end = IPv4Address(r.get("rangeEnd", subnet.broadcast_address - 1))
        gateway = IPv4Address(r.get("gateway", subnet.network_address + 1))
    except (KeyError, ValueError) as e:
        raise a.cni.error((*a.path, "ipam"), f"invalid range: {e}") from None
    st = Store(subnet, start, end, gateway)
    a.node.stores[a.conflist["name"]] = st
    return st


def lease(a: Add, ipam: dict) -> Lease:
    addr, gateway, _ = allocate(a, ipam)
    return Lease(addr, gateway, routes(ipam))


def allocate(a: Add, ipam: dict) -> tuple[IPv4Interface, IPv4Address, Store]:
    st = store(a, ipam)
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


def routes(ipam: dict) -> list[tuple[IPv4Network, IPv4Address | None]]:
    return [(IPv4Network(r["dst"]), IPv4Address(r["gw"]) if r.get("gw") else None)
            for r in ipam.get("routes") or []]
