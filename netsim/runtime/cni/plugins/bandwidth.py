"""`bandwidth` (containernetworking/plugins plugins/meta/bandwidth): tc token-bucket shaping
of the pod's host-side veth — ingress (to the pod) as tbf on it, egress (from the pod) by
redirecting it to an ifb device `bwp<hash>` and tbf there. Shaping is not reachability: the
predictor walks nothing new, but the ifb device is a link the kernel must have."""

from __future__ import annotations

import hashlib

from netsim.model.graph import Iface, IfKind
from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import UINT64, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "PluginConf", ingressRate=UINT64, ingressBurst=UINT64,
              egressRate=UINT64, egressBurst=UINT64)
DECODE = "failed to parse network configuration: "

DIRECTIONS = ("ingress", "egress")


def add(a: Add) -> dict:
    prev = a.prev or {}
    conf = {**a.plugin, **(a.args.get("bandwidth") or {})}  # the capability wins
    for d in DIRECTIONS:
        rate, burst = int(conf.get(f"{d}Rate", 0)), int(conf.get(f"{d}Burst", 0))
        if rate < 0 or burst < 0:
            raise a.cni.error((*a.path, f"{d}Rate"), "rate and burst must be positive")
        if rate and not burst:
            raise a.cni.error((*a.path, f"{d}Burst"), "if rate is set, burst must also be set")
        if burst and not rate:
            raise a.cni.error((*a.path, f"{d}Rate"), "if burst is set, rate must also be set")
    if not int(conf.get("egressRate", 0)):
        return prev
    name = "bwp" + hashlib.sha512((a.conflist["name"] + a.container).encode()).hexdigest()[:12]
    a.cni.model.add_iface(Iface(a.node.ns, name, IfKind.IFB, built_by="cni",
                                network=a.conflist["name"]))
    return prev | {"interfaces": [*prev.get("interfaces", []), {"name": name}]}
