"""The IPAM plugin a main plugin (bridge, ptp, macvlan, ipvlan, vlan) delegates to: one line per
IPAM type; and the `ips` entry of the main plugin's result."""

from __future__ import annotations

from types import ModuleType

from netsim.model.graph import IPAddress, IPInterface
from netsim.runtime.cni.context import Add, Lease
from netsim.runtime.cni.plugins import hostlocal, static

IPAMS: dict[str, ModuleType] = {  # type -> its module: CONF, DECODE, lease(Add, ipam)
    "host-local": hostlocal,
    "static": static,
}
REFUSED = {"dhcp": "error dialing DHCP daemon: dial unix /run/cni/dhcp.sock: connect: no such "
           "file or directory (the dhcp IPAM plugin needs its daemon on the node, and a DHCP "
           "server on the LAN; netsim runs neither)"}


def ip_entry(addr: IPInterface, gateway: IPAddress | None, interface: int) -> dict:
    """One entry of a plugin result's `ips` (the gateway only when there is one)."""
    out = {"address": str(addr), "interface": interface}
    return out | ({"gateway": str(gateway)} if gateway else {})


def lease(a: Add, l2: bool = False) -> Lease | None:
    """The IPAM plugin's IPv4 lease; None when it gives no IPv4 address (IPv6 only), or when
    there is no IPAM and the main plugin makes an L2-only link (`l2`: `isLayer3 :=
    IPAM.Type != ""` in bridge, macvlan and ipvlan)."""
    ipam = _ipam(a, l2)
    return None if ipam is None else IPAMS[ipam["type"]].lease(a, ipam)


def leases(a: Add, l2: bool = False) -> list[Lease]:
    """Every address the IPAM plugin gives, in its result's order (host-local: one per
    range set, IPv4 and IPv6); for a main plugin that models both families (bridge)."""
    ipam = _ipam(a, l2)
    if ipam is None:
        return []
    module = IPAMS[ipam["type"]]
    if hasattr(module, "leases"):
        return module.leases(a, ipam)
    got = module.lease(a, ipam)
    return [got] if got else []


def _ipam(a: Add, l2: bool) -> dict | None:
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
    return ipam
