"""The IPAM plugin a main plugin (bridge, ptp, macvlan, ipvlan, vlan) delegates to: one line per
IPAM type; and the `ips` entry of the main plugin's result."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from types import ModuleType

from netsim.runtime.cni.context import Add, Lease
from netsim.runtime.cni.plugins import hostlocal, static

IPAMS: dict[str, ModuleType] = {  # type -> its module: CONF, DECODE, lease(Add, ipam)
    "host-local": hostlocal,
    "static": static,
}
REFUSED = {"dhcp": "error dialing DHCP daemon: dial unix /run/cni/dhcp.sock: connect: no such "
           "file or directory (the dhcp IPAM plugin needs its daemon on the node, and a DHCP "
           "server on the LAN; netsim runs neither)"}


def ip_entry(addr: IPv4Interface, gateway: IPv4Address | None, interface: int) -> dict:
    """One entry of a plugin result's `ips` (the gateway only when there is one)."""
    out = {"address": str(addr), "interface": interface}
    return out | ({"gateway": str(gateway)} if gateway else {})


def lease(a: Add, l2: bool = False) -> Lease | None:
    """The IPAM plugin's lease; None when it gives no IPv4 address (IPv6 only), or when there
    is no IPAM and the main plugin makes an L2-only link (`l2`: `isLayer3 := IPAM.Type != ""`
    in bridge, macvlan and ipvlan)."""
    ipam = a.plugin.get("ipam") or {}
    kind = ipam.get("type")
    if not kind:
        if l2:
            return None
        raise a.cni.error((*a.path, "ipam"), "no plugin name provided (the plugin needs an "
                          "IPAM plugin)", ", ".join(IPAMS))
    if kind in REFUSED:
        raise a.cni.error((*a.path, "ipam", "type"), REFUSED[kind], ", ".join(IPAMS))
    if kind not in IPAMS:
        raise a.cni.error((*a.path, "ipam", "type"), f'failed to find plugin "{kind}" in path '
                          "[/usr/lib/cni]", ", ".join(IPAMS))
    return IPAMS[kind].lease(a, ipam)
