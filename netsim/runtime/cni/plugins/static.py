"""IPAM `static` (containernetworking/plugins plugins/ipam/static): the addresses, gateway
and routes written in the configuration (or asked for through the `ips` capability), no
store. netsim models the first IPv4 address, as every main plugin here uses one."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

from netsim.runtime.cni.context import Add, Lease
from netsim.runtime.cni.plugins import hostlocal
from netsim.scenario.cni.gojson import IP, STRING, list_of, struct

ADDRESS = struct("Address", "main.Address", address=STRING, gateway=IP)  # parsed after
CONF = struct("Net", ipam=struct("IPAMConfig", type=STRING, routes=list_of(hostlocal.ROUTE),
                                 addresses=list_of(ADDRESS)))
DECODE = ""


def lease(a: Add, ipam: dict) -> Lease:
    where = (*a.path, "ipam")
    wanted = a.args.get("ips")
    given = [{"address": w} for w in wanted] if wanted else ipam.get("addresses") or []
    if not given:  # the main plugin's words, observed (1.1.1)
        raise a.cni.error(where, "IPAM plugin returned missing IP config",
                          "addresses: [{address: 10.10.0.5/24, gateway: 10.10.0.1}]")
    first = given[0]
    text = str(first.get("address"))
    if "/" not in text:
        said = (f"an entry in the 'ips' field is NOT in CIDR notation, got: '{text}'" if wanted
                else f"the 'address' field is expected to be in CIDR notation, got: '{text}'")
        raise a.cni.error(where, said, "10.10.0.5/24")
    try:
        addr = IPv4Interface(text)
    except ValueError:
        raise a.cni.error(where, f"invalid CIDR address: {text}", "10.10.0.5/24") from None
    gateway = IPv4Address(first["gateway"]) if first.get("gateway") else None
    return Lease(addr, gateway, hostlocal.routes(a, ipam))
