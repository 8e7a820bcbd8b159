"""The CNI plugins netsim models: one module per plugin type, one line here."""

from __future__ import annotations

from collections.abc import Callable

from netsim.runtime.cni.plugins import bridge, firewall, loopback, macvlan, portmap, ptp

PLUGINS: dict[str, Callable] = {  # type -> (Add) -> the plugin's result
    "bridge": bridge.add,
    "firewall": firewall.add,
    "loopback": loopback.add,
    "macvlan": macvlan.add,
    "portmap": portmap.add,
    "ptp": ptp.add,
}
