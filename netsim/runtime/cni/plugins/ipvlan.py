"""`ipvlan` (containernetworking/plugins plugins/main/ipvlan): a child of the node's `master`
link sharing its MAC, moved into the container, in mode l2 (default), l3 or l3s; the IPAM
plugin's address and routes. It cannot reach its master. Modelled with the ipvlan link kind;
this machine's kernel has no ipvlan, so `netsim run` refuses it (exit 3)."""

from __future__ import annotations

from netsim.model.graph import IfKind
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import ipam, master
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import INT, STRING, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", master=STRING, mode=STRING, mtu=INT)
DECODE = "failed to load netconf: "

MODES = ("l2", "l3", "l3s")


def add(a: Add) -> dict:
    mode = str(a.plugin.get("mode", "l2"))
    if mode not in MODES:
        raise a.cni.error((*a.path, "mode"), f"unknown ipvlan mode: {mode}", ", ".join(MODES))
    lower = master.lookup(a)
    return master.attach(a, IfKind.IPVLAN, lower, ipam.lease(a, l2=True), mode=mode, mac=lower.mac)
