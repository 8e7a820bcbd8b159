"""`flannel` (flannel-io/cni-plugin): reads the node's subnet.env and delegates, by default to
`bridge` with `isGateway`, `ipMasq = !FLANNEL_IPMASQ`, `mtu = FLANNEL_MTU` and host-local on
FLANNEL_SUBNET (and FLANNEL_IPV6_SUBNET) with a route to each network; the conflist's
`delegate` keys win. The plugin is not packaged here: the realizer runs the delegate conf it
generates with the real plugins (`Add.runs_as`)."""

from __future__ import annotations

from dataclasses import replace

from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import ANY, STRING, extend, map_of

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", subnetFile=STRING, dataDir=STRING, delegate=map_of(ANY))
DECODE = "failed to load netconf: "

NO_ENV = ("loadFlannelSubnetEnv failed: open /run/flannel/subnet.env: no such file or "
          "directory (flanneld is not running on {node})")


def delegate(a: Add) -> dict:
    fl = a.cni.flannel
    if fl is None or a.node.name not in fl.leases:
        raise a.cni.error(a.path, NO_ENV.format(node=a.node.name),
                          "flannel: {Network: 10.244.0.0/16, Backend: {Type: vxlan}}")
    lease = fl.leases[a.node.name]
    conf = dict(a.plugin.get("delegate") or {})
    conf["name"] = a.conflist["name"]
    conf.setdefault("type", "bridge")
    conf.setdefault("ipMasq", not fl.conf.ip_masq)
    conf.setdefault("mtu", lease.mtu)
    if conf["type"] == "bridge":
        conf.setdefault("isGateway", True)
    conf["cniVersion"] = a.conflist["cniVersion"]
    ipam = dict(a.plugin.get("ipam") or {})
    ipam.setdefault("type", "host-local")
    # one range set and one route per family subnet.env carries (getDelegateIPAM)
    ipam["ranges"] = [[{"subnet": str(s)}] for s in lease.subnets.values()]
    ipam["routes"] = [*(ipam.get("routes") or []),
                      *({"dst": str(fl.conf.pools[f].network)} for f in lease.subnets)]
    conf["ipam"] = ipam
    return conf


def add(a: Add) -> dict:
    conf = delegate(a)
    kind = conf["type"]
    if kind == "flannel" or kind not in a.cni.plugins:
        raise a.cni.error((*a.path, "delegate", "type"), f'failed to find plugin "{kind}" in '
                          "path [/usr/lib/cni]", ", ".join(p for p in a.cni.plugins
                                                           if p != "flannel"))
    a.runs_as = conf
    return a.cni.plugins[kind].add(replace(a, plugin=conf))
