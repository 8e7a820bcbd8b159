"""`loopback`: brings the container's lo up (netsim's namespaces already have it)."""

from __future__ import annotations

from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf")
DECODE = "failed to parse network config: "


def add(a: Add) -> dict:
    return a.prev or {"cniVersion": a.conflist["cniVersion"], "interfaces": [], "ips": []}
