"""`loopback`: brings the container's lo up (netsim's namespaces already have it)."""

from __future__ import annotations

from netsim.runtime.cni.context import Add


def add(a: Add) -> dict:
    return a.prev or {"cniVersion": a.conflist["cniVersion"], "interfaces": [], "ips": []}
