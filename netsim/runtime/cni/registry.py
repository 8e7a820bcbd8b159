"""The CNI plugins netsim models: one module per plugin type, one line here."""

from __future__ import annotations

from collections.abc import Callable

from netsim.runtime.cni.plugins import (
    bandwidth,
    bridge,
    firewall,
    flannel,
    ipvlan,
    loopback,
    macvlan,
    portmap,
    ptp,
    tuning,
    vlan,
)

PLUGINS: dict[str, Callable] = {  # type -> (Add) -> the plugin's result
    "bandwidth": bandwidth.add,
    "bridge": bridge.add,
    "firewall": firewall.add,
    "flannel": flannel.add,
    "ipvlan": ipvlan.add,
    "loopback": loopback.add,
    "macvlan": macvlan.add,
    "portmap": portmap.add,
    "ptp": ptp.add,
    "tuning": tuning.add,
    "vlan": vlan.add,
}
