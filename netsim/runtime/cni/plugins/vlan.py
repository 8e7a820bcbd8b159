"""`vlan` (containernetworking/plugins plugins/main/vlan): an 802.1q sub-interface of the
node's `master` with `vlanId`, made and moved into the container; the IPAM plugin's address
and routes. Modelled with the vlan link kind; this machine's kernel has no 8021q, so
`netsim run` refuses it (exit 3)."""

from __future__ import annotations

from netsim.model.graph import IfKind
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import ipam, master
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import INT, STRING, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", master=STRING, vlanId=INT, mtu=INT)
DECODE = "failed to load netconf: "


def add(a: Add) -> dict:
    vid = a.plugin.get("vlanId")
    if not isinstance(vid, int) or not 0 <= vid <= 4094:
        raise a.cni.error((*a.path, "vlanId"), f"invalid VLAN ID {vid} (must be between 0 and "
                          "4094 inclusive)", "0-4094")
    lower = master.lookup(a)
    return master.attach(a, IfKind.VLAN, lower, ipam.lease(a), vlan_id=vid,
                         mac=a.cni.asm.mac(("cni-vlan", a.container)))
