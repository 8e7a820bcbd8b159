"""`host-device` (containernetworking/plugins plugins/main/host-device): moves one of the
node's own links — by `device` name or `hwaddr` — into the pod, renames it to the pod's
interface name (its old name kept as the alias) and brings it up; the IPAM plugin's address and
routes, if there is one. The link keeps its MAC and MTU and leaves the node: the next pod
finds no such device. On netsim's nodes such a link is a NIC on the LAN (`hosts.<n>.nics`)."""

from __future__ import annotations

import json
import re

from netsim.model.graph import Iface, Route
from netsim.runtime.cni.context import Add
from netsim.runtime.cni.plugins import ipam
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import STRING, extend, struct

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "NetConf", device=STRING, hwaddr=STRING, kernelpath=STRING,
              pciBusID=STRING, runtimeConfig=struct("struct", deviceID=STRING))
DECODE = "failed to load netconf: "

NOT_HERE = ("kernelpath", "pciBusID")  # sysfs paths of real hardware: netsim's nodes have none
MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")  # net.ParseMAC's 48-bit forms


def add(a: Add) -> dict:
    p, node = a.plugin, a.node
    if not any(p.get(k) for k in ("device", "hwaddr", *NOT_HERE)) and \
            not (p.get("runtimeConfig") or {}).get("deviceID"):
        raise a.cni.error(a.path, 'specify either "device", "hwaddr", "kernelpath" or '
                          '"pciBusID"', "device: eth1 (a NIC of the node: hosts.<n>.nics)")
    nic = _lookup(a)
    got = ipam.lease(a, l2=True)
    moved = Iface(a.ns, a.ifname, nic.kind, addrs=[got.address] if got else [], mac=nic.mac,
                  mtu=nic.mtu, built_by="cni", born=(node.ns, nic.name),
                  network=a.conflist["name"])
    a.cni.model.move_iface(nic, moved)
    for dst, gw in got.routes if got else ():
        a.cni.model.ns[a.ns].routes.append(Route(dst, a.ifname, via=gw or got.gateway))
    if nic.name == node.spec.interface:
        a.cni.warn("host-device", f"{a.conflist['name']}: host-device moves {node.name}'s "
                   f"uplink {nic.name} into {a.container}: the node leaves the LAN")
    return {"cniVersion": a.conflist["cniVersion"],
            "interfaces": [{"name": a.ifname, "mac": moved.mac, "sandbox": a.ns}],
            "ips": [ipam.ip_entry(got.address, got.gateway, 0)] if got else []}


def _lookup(a: Add) -> Iface:
    """getLink: by name, else by MAC, in the node's namespace (where the plugin runs)."""
    p, links = a.plugin, a.cni.model.ns[a.node.ns].ifaces
    head = "failed to find host device: "
    if p.get("device"):
        nic = links.get(str(p["device"]))
        if nic is None:
            raise a.cni.error((*a.path, "device"), head + "Link not found",
                              ", ".join(_nics(a)) or "give the node a NIC: hosts.<n>.nics")
        return nic
    if p.get("hwaddr"):
        text = str(p["hwaddr"])
        if not MAC.match(text):
            raise a.cni.error((*a.path, "hwaddr"), f"{head}failed to parse MAC address "
                              f"{json.dumps(text)}: address {text}: invalid MAC address",
                              "aa:bb:cc:dd:ee:ff")
        for nic in links.values():
            if nic.mac and nic.mac.lower() == text.lower().replace("-", ":"):
                return nic
        raise a.cni.error((*a.path, "hwaddr"), head + "failed to find physical interface",
                          ", ".join(f"{n.mac} ({n.name})" for n in links.values() if n.mac))
    key = next(k for k in NOT_HERE if p.get(k)) if any(p.get(k) for k in NOT_HERE) \
        else "runtimeConfig"
    raise a.cni.error((*a.path, key), f"netsim's nodes have no {key} (sysfs) devices: name "
                      "the NIC", "device: eth1 (hosts.<n>.nics)")


def _nics(a: Add) -> list[str]:
    return [n for n in a.node.spec.nics if n in a.cni.model.ns[a.node.ns].ifaces]
