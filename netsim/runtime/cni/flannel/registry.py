"""flannel's backends netsim models: one module per backend, one line here."""

from __future__ import annotations

from netsim.runtime.cni.flannel import hostgw, vxlan
from netsim.runtime.cni.flannel.flanneld import Backend

BACKENDS: dict[str, Backend] = {
    "vxlan": vxlan.program,
    "host-gw": hostgw.program,
}
