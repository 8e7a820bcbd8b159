"""`sbr` (containernetworking/plugins plugins/meta/sbr, source-based routing): chained after a
main plugin, it gives each of the interface's addresses a table of its own (the first unused
from 100) and a rule `from <address>/32 lookup <table>`; a default route via the address's
gateway goes there, and every main-table route of the interface that belongs to the address
(its subnet route included) is copied there, then all of them leave main.

What that does (1.1.1, this kernel): answers, which leave from the pod's own address, find
their table; what the pod starts from an unbound socket looks main up with no source yet, so
with sbr on its only interface the pod reaches nothing itself ("Network is unreachable")."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from netsim.model.graph import MAIN_TABLE, PolicyRule, Route
from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni

CONF = libcni.NETCONF  # sbr's PluginConf is types.NetConf and the prevResult
DECODE = "failed to parse network configuration: "

FIRST_TABLE = 100  # firstTableID
FIRST_PRIORITY = 32765  # the kernel's pref for a rule added without one: just before main


def add(a: Add) -> dict:
    if a.prev is None:
        raise a.cni.error(a.path, "This plugin must be called as chained plugin",
                          "after a main plugin in the same conflist")
    ips = _ips(a, a.prev)
    ns = a.cni.model.ns[a.ns]
    iface = ns.ifaces[a.ifname]
    mine = [r for r in ns.routes if r.dev == a.ifname and r.table == MAIN_TABLE]
    if iface.prefix_route:  # the kernel's subnet routes, prefsrc the address
        mine += [Route(x.network, a.ifname, src=x.ip) for x in iface.addrs]
    table = _next_table(ns, FIRST_TABLE)
    for address, gateway in ips:
        if address is None:  # an IPv6 address: its rule and table are carried, not modelled
            table = _next_table(ns, table + 1)
            continue
        ns.policy.append(PolicyRule(FIRST_PRIORITY - len(ns.policy),
                                    IPv4Network(f"{address.ip}/32"), table))
        copied = [Route(IPv4Network("0.0.0.0/0"), a.ifname, via=gateway, table=table)] \
            if gateway else []
        copied += [_to(r, table) for r in mine if _belongs(r, address)]
        ns.routes.extend(_replace(copied))
        table = _next_table(ns, table + 1)
    ns.routes[:] = [r for r in ns.routes if r not in mine]
    iface.prefix_route = False
    a.cni.warn("sbr", f"{a.conflist['name']}: sbr moves {a.ifname}'s routes into a table read "
               f"only for traffic from its own address: what a pod starts from an unbound "
               f"socket has no route unless another interface's routes stay in main")
    return a.prev


def _ips(a: Add, prev: dict) -> list[tuple[IPv4Interface | None, IPv4Address | None]]:
    """getIPCfgs: the result's addresses on this interface (or on none named), in order;
    an IPv6 one as None (it still takes a table number)."""
    if not prev.get("ips"):
        raise a.cni.error(a.path, f"No IP addresses supplied on interface: {a.ifname}",
                          "a main plugin with an IPAM plugin before sbr")
    names = [i.get("name") for i in prev.get("interfaces", [])]
    out = []
    for ip in prev["ips"]:
        at = ip.get("interface")
        if isinstance(at, int) and 0 <= at < len(names) and names[at] != a.ifname:
            continue
        if ":" in ip["address"]:
            out.append((None, None))
            continue
        gw = ip.get("gateway")
        out.append((IPv4Interface(ip["address"]), IPv4Address(gw) if gw else None))
    return out


def _belongs(r: Route, address: IPv4Interface) -> bool:
    """The plugin's test: the route's source or gateway is in the address's subnet, or it
    names neither."""
    net = address.network
    return (r.src is not None and r.src in net) or (r.via is not None and r.via in net) or \
        (r.src is None and r.via is None)


def _to(r: Route, table: int) -> Route:
    return Route(r.dst, r.dev, r.via, r.src, r.onlink, table)


def _replace(routes: list[Route]) -> list[Route]:
    """RouteReplace: a later route to the same destination in a table replaces the earlier."""
    out: dict[tuple, Route] = {}
    for r in routes:
        out[(r.table, r.dst)] = r
    return list(out.values())


def _next_table(ns, table: int) -> int:
    """getNextTableID: the first table no rule and no route of the namespace uses."""
    used = {p.table for p in ns.policy} | {r.table for r in ns.routes}
    while table in used:
        table += 1
    return table
