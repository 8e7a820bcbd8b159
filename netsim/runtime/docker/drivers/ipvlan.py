"""Docker's ipvlan driver (spec §8.1): children share the parent's MAC; no NAT, no rules.

l2: like macvlan in bridge mode (siblings meet inside the kernel, the gateway is the LAN's
router, the host cannot reach its children). l3: the parent routes for its children: no ARP,
no broadcast, `default dev eth0` without a gateway, and the LAN reaches the containers only
through a route to their subnet via the host (`lan.routes`). This kernel has no ipvlan:
`netsim check` predicts it, `netsim run` refuses it (exit 3) as Docker's container start
fails here ("failed to create the ipvlan port: operation not supported").
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from netsim.model.graph import Iface, IfKind
from netsim.runtime.docker.context import Daemon, Docker, Join, NetState
from netsim.runtime.docker.drivers import parent as parents
from netsim.scenario.schema import Network

MODES = {  # ipvlan_mode -> what it means for reachability (modelled ones only)
    "l2": "switched: siblings meet inside the kernel, ARP on the LAN with the parent's MAC",
    "l3": "routed by the parent: no ARP or broadcast; the LAN needs a route via the host",
}
DEFAULT_MODE = "l2"


def _mode(spec: Network) -> str:
    return spec.mode or spec.options.get("ipvlan_mode") or DEFAULT_MODE


def validate(dk: Docker, name: str, spec: Network, path: tuple) -> None:
    mode = _mode(spec)
    if mode == "l3s":
        raise dk.error((*path, "mode"), "ipvlan mode 'l3s' (l3 with the host's netfilter on "
                       "the way in) is Docker's, but netsim does not model it", ", ".join(MODES))
    if mode not in MODES:
        raise dk.error((*path, "mode"), f"requested ipvlan mode '{mode}' is not valid, 'l2' "
                       "mode is the ipvlan driver default", ", ".join(MODES))
    if spec.shim:
        raise dk.error((*path, "shim"), "shim: is netsim's macvlan workaround; an ipvlan "
                       "network has none", at_key=True)
    if spec.hosts is not None:
        raise dk.error((*path, "hosts"), "an ipvlan network belongs to one host: use host:",
                       at_key=True)


def create(dk: Docker, d: Daemon, st: NetState, spec: Network) -> None:
    mode = _mode(spec)
    st.net.options = {**st.net.options, "parent": parents.given(spec) or "", "ipvlan_mode": mode}
    parent = parents.resolve(dk, d, st, spec, mode)
    st.extra.update(parent=parent, mode=mode)
    st.net.device = parent
    if mode == "l3":  # the gateway is never used: the parent routes (spec §8.1)
        st.net.gateway = None


def attach(j: Join) -> Iface:
    dk, st = j.dk, j.st
    parent = dk.model.ns[j.daemon.ns].ifaces[st.extra["parent"]]
    iface = Iface(j.ns, j.ifname, IfKind.IPVLAN, mtu=parent.mtu, parent=parent.id,
                  mode=st.extra["mode"], mac=parent.mac, network=st.net.name,
                  addrs=[IPv4Interface(f"{j.ip}/{st.net.subnet.prefixlen}")])
    return dk.model.add_iface(iface)


def gives_gateway(dk: Docker, st: NetState) -> bool:
    if st.net.internal:
        return False
    return st.extra["mode"] == "l3" or st.net.gateway is not None
