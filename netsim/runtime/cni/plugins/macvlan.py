"""`macvlan` (containernetworking/plugins plugins/main/macvlan): a child of the node's `master`
link (its default-route link when none is named) with its own MAC, moved into the container;
the IPAM plugin's address and routes. The kernel keeps the node and its children apart (P01)."""

from __future__ import annotations

from netsim.model.graph import IfKind
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import ipam, master
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import INT, STRING, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", master=STRING, mode=STRING, mtu=INT)
DECODE = "failed to load netconf: "

MODES = ("bridge", "private", "vepa", "passthru")


def add(a: Add) -> dict:
    mode = str(a.plugin.get("mode", "bridge"))
    if mode not in MODES:
        raise a.cni.error((*a.path, "mode"), f"unknown macvlan mode: {mode}", ", ".join(MODES))
    lower = master.lookup(a)
    got = ipam.lease(a, l2=True)
    holder = got and a.cni.asm.used_lan.get(got.address.ip)
    if holder:
        raise a.cni.error((*a.path, "ipam"), f"host-local gives {a.container} "
                          f"{got.address.ip}, but {holder} already uses it on the LAN: "
                          "host-local does not know the LAN",
                          "narrow the range with rangeStart / rangeEnd")
    if got:
        a.cni.asm.used_lan[got.address.ip] = a.container
    return master.attach(a, IfKind.MACVLAN, lower, got, mode=mode,
                         mac=a.cni.asm.mac(("cni-macvlan", a.container)))
