"""`ptp` (containernetworking/plugins plugins/main/ptp): a veth pair per container and no
bridge. The container's address comes without its subnet route; it reaches the gateway (the
host side, which holds the gateway address as /32) on-link, and everything else — its own
subnet included — through it. The host routes the container's /32 to its veth. `ipMasq` as
the bridge plugin's."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network

from netsim.links import limits
from netsim.model.graph import Iface, IfKind, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import bridge, ipam
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import BOOL, INT, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", ipMasq=BOOL, mtu=INT)
DECODE = "failed to load netconf: "


def add(a: Add) -> dict:
    p, node, model = a.plugin, a.node, a.cni.model
    got = ipam.lease(a)
    if got is None:
        raise a.cni.error((*a.path, "ipam"), "netsim does not model an IPv6-only ptp network "
                          "yet", "an IPv4 range")
    addr = got.address
    gateway = got.gateway or addr.network.network_address + 1
    mtu = int(p.get("mtu") or 0)
    if limits.mtu_errno(mtu):
        raise a.cni.error(a.path, f"failed to make veth pair: {limits.mtu_errno(mtu)}")
    mtu = mtu if mtu > 0 else 1500  # unset: netlink leaves the kernel's default
    veth = "veth" + a.cni.asm.digest("cni-veth", node.name, a.container)[:8]
    outer = Iface(node.ns, veth, IfKind.VETH, mtu=mtu, built_by=bridge.BUILT_BY,
                  addrs=[IPv4Interface(f"{gateway}/32")], network=a.conflist["name"])
    inner = Iface(a.ns, a.ifname, IfKind.VETH, mtu=mtu, addrs=[addr], built_by=bridge.BUILT_BY,
                  prefix_route=False, mac=a.cni.asm.mac(("cni-pod", a.container,
                                                         a.conflist["name"])),
                  network=a.conflist["name"])
    model.add_iface(outer)
    model.add_iface(inner)
    model.link_veth(outer, inner)
    model.ns[node.ns].routes.append(Route(IPv4Network(f"{addr.ip}/32"), veth))
    model.ns[node.ns].forward_on("cni")  # ptp turns IP forwarding on
    pod = model.ns[a.ns]
    pod.routes.append(Route(IPv4Network(f"{gateway}/32"), a.ifname))
    pod.routes.append(Route(addr.network, a.ifname, via=gateway))
    for dst, gw in got.routes:
        pod.routes.append(Route(dst, a.ifname, via=gw or gateway))
    if p.get("ipMasq"):
        bridge.masquerade(a, addr)
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": veth}, {"name": a.ifname, "sandbox": a.ns}],
            "ips": [ipam.ip_entry(addr, gateway, 1)]}
