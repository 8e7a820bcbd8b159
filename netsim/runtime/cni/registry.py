"""The CNI plugins netsim models: one module per plugin type, one line here."""

from __future__ import annotations

from types import ModuleType

from netsim.runtime.cni.calico import plugin as calico
from netsim.runtime.cni.plugins import (
    bandwidth,
    bridge,
    firewall,
    flannel,
    hostdevice,
    ipvlan,
    loopback,
    macvlan,
    portmap,
    ptp,
    sbr,
    tuning,
    vlan,
    vrf,
)

PLUGINS: dict[str, ModuleType] = {  # type -> its module: CONF, DECODE, add(Add) -> result
    "bandwidth": bandwidth,
    "bridge": bridge,
    "calico": calico,
    "firewall": firewall,
    "flannel": flannel,
    "host-device": hostdevice,
    "ipvlan": ipvlan,
    "loopback": loopback,
    "macvlan": macvlan,
    "portmap": portmap,
    "ptp": ptp,
    "sbr": sbr,
    "tuning": tuning,
    "vlan": vlan,
    "vrf": vrf,
}
