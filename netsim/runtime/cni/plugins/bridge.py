"""`bridge` (containernetworking/plugins plugins/main/bridge): a Linux bridge on the node (cni0
unless named), a veth per container, the IPAM plugin's address; `isGateway` puts the gateway
on the bridge and turns on forwarding, `isDefaultGateway` also gives the default route,
`ipMasq` masquerades through a chain per container (pkg/ip/ipmasq_linux.go), `hairpinMode`
sets the port's hairpin, `mtu` the veth's."""

from __future__ import annotations

import hashlib
from ipaddress import IPv4Interface, IPv4Network

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
MULTICAST = IPv4Network("224.0.0.0/4")


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
    got = ipam.lease(a, l2=True)  # None: an L2-only link (no IPAM), or IPv6 only
    addr = got.address if got else None
    if bridge is None:
        bridge = model.add_iface(Iface(node.ns, br, IfKind.BRIDGE, mtu=mtu, built_by=BUILT_BY,
                                       network=a.conflist["name"],
                                       mac=a.cni.asm.mac(("cni-bridge", node.name, br))))
    veth = "veth" + a.cni.asm.digest("cni-veth", node.name, a.container)[:8]
    outer = Iface(node.ns, veth, IfKind.VETH, mtu=mtu, master=br, built_by=BUILT_BY,
                  hairpin=bool(p.get("hairpinMode")), network=a.conflist["name"])
    inner = Iface(a.ns, a.ifname, IfKind.VETH, mtu=mtu, addrs=[addr] if addr else [],
                  built_by=BUILT_BY, network=a.conflist["name"],
                  mac=a.cni.asm.mac(("cni-pod", a.container, a.conflist["name"])))
    model.add_iface(outer)
    model.add_iface(inner)
    model.link_veth(outer, inner)
    result = {"cniVersion": a.conflist["cniVersion"],
              "interfaces": [{"name": br}, {"name": veth}, {"name": a.ifname,
                                                              "sandbox": a.ns}], "ips": []}
    if got is not None:
        result["ips"] = [_layer3(a, got, bridge, gateway_mode)]
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
    """What the plugin does once IPAM gave an address: the gateway on the bridge, the routes,
    ipMasq; the result's `ips` entry."""
    p, addr, host = a.plugin, got.address, a.cni.model.ns[a.node.ns]
    gateway = got.gateway or (addr.network.network_address + 1 if gateway_mode else None)
    if gateway_mode:
        gw_addr = IPv4Interface(f"{gateway}/{addr.network.prefixlen}")
        if bridge.addrs and gw_addr not in bridge.addrs:
            raise a.cni.error(a.path, f'failed to set bridge addr: "{bridge.name}" already has '
                              f"an IP address different from {gw_addr}")
        if not bridge.addrs:
            bridge.addrs.append(gw_addr)
        host.forward_on("cni")
    pod = a.cni.model.ns[a.ns]
    for dst, gw in got.routes:
        pod.routes.append(Route(dst, a.ifname, via=gw or gateway))
    if p.get("isDefaultGateway") and not any(r.dst.prefixlen == 0 for r in pod.routes):
        pod.routes.append(Route(IPv4Network("0.0.0.0/0"), a.ifname, via=gateway))
    if p.get("ipMasq"):
        masquerade(a, addr)
    return ipam.ip_entry(addr, gateway, 2)


def masquerade(a: Add, addr: IPv4Interface) -> None:
    """POSTROUTING -s <pod> -j CNI-<hash>; the chain ACCEPTs the pod's own network, then
    MASQUERADEs all but multicast (all appended, as SetupIPMasq does)."""
    rules = a.cni.model.ns[a.node.ns].rules
    chain = chain_name(a.conflist["name"], a.container)
    why = f'name: "{a.conflist["name"]}" id: "{a.container}"'
    rules.append("nat", chain, Rule(Match(daddr=Is(addr.network)), Accept(),
                                    f"CNI bridge ipMasq ({why}): the pod's own network", why))
    rules.append("nat", chain, Rule(Match(daddr=Is(MULTICAST, negate=True)), Masquerade(),
                                    f"CNI bridge ipMasq ({why})", why))
    rules.append("nat", "POSTROUTING", Rule(Match(saddr=Is(IPv4Network(f"{addr.ip}/32"))),
                                            Jump(chain), f"CNI bridge ipMasq ({why})", why))
