"""`vrf` (containernetworking/plugins plugins/meta/vrf): chained after a main plugin, it makes
the VRF device `vrfname` in the pod (its `table`, else the first table no other VRF there
uses, from 1) and enslaves the interface to it. Enslaving cycles the link: the kernel drops
every route through it (the IPAM default route too; 1.1.1 does not put it back) and makes
the subnet route again in the VRF's table.

What that does: the pod's own unbound sockets find no route; its answers to ICMP leave by
the VRF's table (its subnet only); its TCP and UDP services, bound to no VRF, hear nothing
that arrives by the interface (RST, port unreachable). This kernel has no VRF: `run` refuses."""

from __future__ import annotations

from ipaddress import IPv4Network

from netsim.model.graph import MAIN_TABLE, Iface, IfKind, PolicyRule, Route
from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import STRING, UINT32, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "VRFNetConf", vrfname=STRING, table=UINT32)
DECODE = "failed to load netconf: "

L3MDEV_PRIORITY = 1000  # the rule the kernel adds with the first VRF


def add(a: Add) -> dict:
    name = a.plugin.get("vrfname")
    if not name:
        raise a.cni.error(a.path, "configuration is expected to have a valid vrf name",
                          "vrfname: blue")
    if a.prev is None:
        raise a.cni.error(a.path, "missing prevResult from earlier plugin",
                          "after a main plugin in the same conflist")
    ns = a.cni.model.ns[a.ns]
    vrf = ns.ifaces.get(name) or _create(a, name)
    table = a.plugin.get("table")
    if table and vrf.table != table:
        raise a.cni.error((*a.path, "table"), f"cmdAdd failed: VRF {name} already exist with "
                          f"different routing table {vrf.table}", str(vrf.table))
    link = ns.ifaces.get(a.ifname)
    if link is None:
        raise a.cni.error(a.path, f"cmdAdd failed: could not get link by name {a.ifname}")
    link.vrf = name
    ns.routes[:] = [r for r in ns.routes if r.dev != a.ifname or r.table != MAIN_TABLE]
    if link.prefix_route:
        ns.routes += [Route(x.network, a.ifname, src=x.ip, table=vrf.table) for x in link.addrs]
    link.prefix_route = False
    # the l3mdev rule: traffic of the VRF's links, whose source is their address here
    ns.policy += [PolicyRule(L3MDEV_PRIORITY, IPv4Network(f"{x.ip}/32"), vrf.table)
                  for x in link.addrs]
    return a.prev


def _create(a: Add, name: str) -> Iface:
    ns = a.cni.model.ns[a.ns]
    taken = {i.table for i in ns.ifaces.values() if i.kind == IfKind.VRF}
    table = a.plugin.get("table") or next(t for t in range(1, len(taken) + 2) if t not in taken)
    return a.cni.model.add_iface(Iface(a.ns, name, IfKind.VRF, built_by="cni", table=table,
                                       network=a.conflist["name"]))
