"""`bridge` (containernetworking/plugins plugins/main/bridge): a Linux bridge on the node (cni0
unless named), a veth per container, the IPAM plugin's address; `isGateway` puts the gateway
on the bridge and turns on forwarding, `isDefaultGateway` also gives the default route,
`ipMasq` masquerades through a chain per container (pkg/ip/ipmasq_linux.go), `hairpinMode`
sets the port's hairpin, `mtu` the veth's."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Network, IPv6Network, ip_interface, ip_network

from netsim.links import limits
from netsim.model.graph import Iface, IfKind, Route
from netsim.model.rules import Accept, Is, Jump, Masquerade, Match, Rule
from netsim.runtime.cni.context import Add, Lease
from netsim.runtime.cni.plugins import ipam
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import BOOL, INT, STRING, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", bridge=STRING, isGateway=BOOL, isDefaultGateway=BOOL,
              forceAddress=BOOL, ipMasq=BOOL, mtu=INT, hairpinMode=BOOL,
              promiscMode=BOOL, vlan=INT, macspoofchk=BOOL, enabledad=BOOL)
DECODE = "failed to load netconf: "

BUILT_BY = "cni"
MULTICAST = {4: IPv4Network("224.0.0.0/4"), 6: IPv6Network("ff00::/8")}  # never masqueraded
DEFAULT = {4: IPv4Network("0.0.0.0/0"), 6: IPv6Network("::/0")}
IPV6 = True  # models both families: its IPv6 (with host-local) is predicted, not carried


def chain_name(network: str, container_id: str) -> str:
    """utils.FormatChainName: "CNI-" + sha512(name + id) in hex, 28 characters in all."""
    return ("CNI-" + hashlib.sha512((network + container_id).encode()).hexdigest())[:28]


def add(a: Add) -> dict:
    p, node, model = a.plugin, a.node, a.cni.model
    br = str(p.get("bridge", "cni0"))
    mtu = int(p.get("mtu") or 0)  # 0 or less: not set, the kernel's default
    gateway_mode = bool(p.get("isGateway") or p.get("isDefaultGateway"))
    if p.get("hairpinMode") and p.get("promiscMode"):  # the plugin's words (cni.md §7)
        raise a.cni.error(a.path, "cannot set hairpin mode and promiscuous mode at the same "
                          "time.")
    host = model.ns[node.ns]
    bridge = host.ifaces.get(br)
    _ensure_bridge(a, br, mtu, bridge)  # before IPAM, as setupBridge comes first
    mtu = mtu if mtu > 0 else 1500
    got = ipam.leases(a, l2=True)  # none: an L2-only link (no IPAM)
    if bridge is None:
        bridge = model.add_iface(Iface(node.ns, br, IfKind.BRIDGE, mtu=mtu, built_by=BUILT_BY,
                                       network=a.conflist["name"],
                                       mac=a.cni.asm.mac(("cni-bridge", node.name, br))))
    veth = "veth" + a.cni.asm.digest("cni-veth", node.name, a.container)[:8]
    outer = Iface(node.ns, veth, IfKind.VETH, mtu=mtu, master=br, built_by=BUILT_BY,
                  hairpin=bool(p.get("hairpinMode")), network=a.conflist["name"])
    inner = Iface(a.ns, a.ifname, IfKind.VETH, mtu=mtu, addrs=[lease.address for lease in got],
                  built_by=BUILT_BY, network=a.conflist["name"],
                  mac=a.cni.asm.mac(("cni-pod", a.container, a.conflist["name"])))
    model.add_iface(outer)
    model.add_iface(inner)
    model.link_veth(outer, inner)
    result = {"cniVersion": a.conflist["cniVersion"],
              "interfaces": [{"name": br}, {"name": veth}, {"name": a.ifname,
                                                              "sandbox": a.ns}], "ips": []}
    result["ips"] = [_layer3(a, lease, bridge, gateway_mode) for lease in got]
    return result


def _ensure_bridge(a: Add, br: str, mtu: int, have: Iface | None) -> None:
    """ensureBridge's refusals: the kernel's to LinkAdd, then a link of that name that is
    not a bridge."""
    if have is not None and have.kind is not IfKind.BRIDGE:
        why = f"{br!r} already exists but is not a bridge".replace("'", '"')
    else:
        errno = limits.name_errno(br) or (limits.mtu_errno(mtu) if have is None else None)
        why = f'could not add "{br}": {errno}' if errno else None
    if why:
        raise a.cni.error(a.path, f'failed to create bridge "{br}": {why}')
    if limits.mtu_errno(mtu):  # the bridge was there: the veth is refused instead
        raise a.cni.error(a.path, f"failed to make veth pair: {limits.mtu_errno(mtu)}")


def _layer3(a: Add, got: Lease, bridge: Iface, gateway_mode: bool) -> dict:
    """What the plugin does once IPAM gave an address, per family: the gateway on the bridge
    (and forwarding on, net.ipv6.conf.all.forwarding for IPv6), the routes, ipMasq (in
    ip6tables for IPv6); the result's `ips` entry."""
    p, addr, host = a.plugin, got.address, a.cni.model.ns[a.node.ns]
    family = addr.version
    gateway = got.gateway or (addr.network.network_address + 1 if gateway_mode else None)
    if gateway_mode:
        gw_addr = ip_interface(f"{gateway}/{addr.network.prefixlen}")
        have = [x for x in bridge.addrs if x.version == family]
        if have and gw_addr not in have:
            raise a.cni.error(a.path, f'failed to set bridge addr: "{bridge.name}" already has '
                              f"an IP address different from {gw_addr}")
        if not have:
            bridge.addrs.append(gw_addr)
        if family == 6:
            host.forwarding6 = True
        else:
            host.forward_on("cni")
    pod = a.cni.model.ns[a.ns]
    for dst, gw in got.routes:
        pod.routes.append(Route(dst, a.ifname, via=gw or gateway))
    if p.get("isDefaultGateway") and not any(r.dst == DEFAULT[family] for r in pod.routes):
        pod.routes.append(Route(DEFAULT[family], a.ifname, via=gateway))
    if p.get("ipMasq"):
        masquerade(a, addr)
    return ipam.ip_entry(addr, gateway, 2)


def masquerade(a: Add, addr) -> None:
    """POSTROUTING -s <pod> -j CNI-<hash>; the chain ACCEPTs the pod's own network, then
    MASQUERADEs all but multicast (all appended, as SetupIPMasq does), in the address's
    family's tables (the same chain name in both)."""
    node = a.cni.model.ns[a.node.ns]
    rules = node.ruleset(addr.version)
    chain = chain_name(a.conflist["name"], a.container)
    why = f'name: "{a.conflist["name"]}" id: "{a.container}"'
    rules.append("nat", chain, Rule(Match(daddr=Is(addr.network)), Accept(),
                                    f"CNI bridge ipMasq ({why}): the pod's own network", why))
    rules.append("nat", chain, Rule(Match(daddr=Is(MULTICAST[addr.version], negate=True)),
                                    Masquerade(), f"CNI bridge ipMasq ({why})", why))
    rules.append("nat", "POSTROUTING", Rule(Match(saddr=Is(ip_network(addr.ip))),
                                            Jump(chain), f"CNI bridge ipMasq ({why})", why))
