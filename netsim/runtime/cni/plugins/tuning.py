"""`tuning` (containernetworking/plugins plugins/meta/tuning): changes the container's
interface after the main plugin made it — `mtu`, `mac`, `promisc`, `allmulti`, `txQLen` — and
sets `sysctl` keys inside the container's namespace (net.* only: the namespace's own; not
modelled further). The MTU is what changes reachability: the pod's side only, the host's veth
keeps its own."""

from __future__ import annotations

import re

from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import BOOL, INT, STRING, extend, map_of

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "TuningConf", mac=STRING, mtu=INT, promisc=BOOL, allmulti=BOOL,
              sysctl=map_of(STRING))
DECODE = "failed to load netconf: "

MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


def add(a: Add) -> dict:
    p = a.plugin
    prev = a.prev or {}
    iface = a.cni.model.ns[a.ns].ifaces.get(a.ifname)
    if iface is None:
        raise a.cni.error(a.path, f"tuning runs after a main plugin: {a.ifname} does not exist")
    for key in p.get("sysctl") or {}:
        if not str(key).startswith("net."):
            raise a.cni.error((*a.path, "sysctl", key), f'invalid net sysctl key: "{key}"',
                              "net.* keys: the container namespace's own")
    if "mtu" in p:
        mtu = int(p["mtu"])
        if not 68 <= mtu <= 65535:
            raise a.cni.error((*a.path, "mtu"), f"failed to set MTU {mtu} on {a.ifname}: "
                              "invalid argument", "68-65535")
        iface.mtu = mtu
    if "mac" in p:
        if not MAC.match(str(p["mac"])):
            raise a.cni.error((*a.path, "mac"), f"invalid MAC address {p['mac']!r}",
                              "aa:bb:cc:dd:ee:ff")
        iface.mac = str(p["mac"]).lower()
    interfaces = [dict(i) for i in prev.get("interfaces", [])]
    for i in interfaces:
        if i.get("sandbox") and "mac" in p:  # the result names the pod side's new MAC
            i["mac"] = iface.mac
    return prev | {"interfaces": interfaces}
