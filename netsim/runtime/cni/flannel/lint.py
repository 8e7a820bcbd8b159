"""What goes wrong with flannel before rollout (cni.md §5-6), visible in the model. F01
(host-gw across a router) is said by the host-gw backend itself, as flanneld logs it."""

from __future__ import annotations

from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel import vxlan
from netsim.runtime.cni.flannel.flanneld import Flannel
from netsim.runtime.cni.flannel.netconf import FAMILIES


def run(cni: Cni) -> None:
    fl = cni.flannel
    if fl is None:
        return
    for check in CHECKS:
        check(cni, fl)


def port_blocked(cni: Cni, fl: Flannel) -> None:
    if fl.conf.backend != "vxlan" or len(fl.leases) < 2:
        return
    if any(p.port == fl.conf.port and p.proto == "udp" for p in cni.asm.sc.lan.block):
        cni.warn("F02", f"lan.block drops {fl.conf.port}/udp between the nodes: flannel's VXLAN "
                 "is dead, pods reach only the pods of their own node, and nothing says why "
                 f"(open {fl.conf.port}/udp between the nodes: security group, virtual switch)")


def mtu_blackhole(cni: Cni, fl: Flannel) -> None:
    if fl.conf.backend != "vxlan":
        return
    path = cni.asm.sc.lan.mtu
    for lease in fl.leases.values():
        nic = cni.model.ns[lease.node].ifaces[lease.uplink].mtu
        if nic > path:
            cni.warn("F03", f"{lease.node}: {lease.uplink} says MTU {nic} but the LAN carries "
                     f"{path}: flannel gives flannel.{fl.conf.vni} and the pods {lease.mtu}, and "
                     f"pod packets over {path - 50 + 4} bytes vanish between nodes (a port "
                     f"takes 4 bytes over its MTU; set {lease.uplink}'s MTU to {path}: flannel "
                     f"then derives {path - 50})")


def overlapping_ranges(cni: Cni, fl: Flannel) -> None:
    """The pod network must not overlap the LAN or a Docker network on the nodes (per
    family)."""
    lan = cni.asm.sc.lan
    for family, pool in fl.conf.pools.items():
        ours = lan.subnet if family == 4 else lan.ipv6
        clashes = [("the LAN", ours)] if ours and ours.overlaps(pool.network) else []
        clashes += [(f"Docker network {n.name} on {n.host}", s)
                    for n in cni.model.networks.values()
                    if not n.driver.startswith("cni") and n.host in fl.leases
                    for s in (n.subnet if family == 4 else n.subnet6,)
                    if s and s.overlaps(pool.network)]
        for what, subnet in clashes:
            cni.warn("F04", f"flannel {FAMILIES[family].network} {pool.network} overlaps "
                     f"{what} ({subnet}): the node's routes to one hide the other")


def v6_clamped(cni: Cni, fl: Flannel) -> None:
    """flanneld asks the same MTU of flannel-v6.<VNI> as of flannel.<VNI> and writes it for
    the pods, but the kernel keeps a VXLAN device over IPv6 70 bytes under its uplink."""
    if fl.conf.backend != "vxlan" or 6 not in fl.conf.pools or len(fl.leases) < 2:
        return
    name = vxlan.device(fl, 6)
    clamped = [lease for lease in fl.leases.values()
               if cni.model.ns[lease.node].ifaces[name].mtu < lease.mtu]
    if not clamped:
        return
    lease = clamped[0]
    dev = cni.model.ns[lease.node].ifaces[name].mtu
    nodes = ", ".join(x.node for x in clamped)
    cni.warn("F05", f"{nodes}: {name} has MTU {dev} (the kernel keeps VXLAN over IPv6 70 bytes "
             f"under the uplink's {dev + vxlan.HEADROOM[6]}) while flanneld gives the pods "
             f"{lease.mtu}: IPv6 packets of {dev + 1} to {lease.mtu} bytes from a pod to "
             "another node's pods get Packet Too Big from its node (PMTU discovery copes; a "
             "pod that drops ICMPv6 stalls). Give the pods the lower MTU: the flannel "
             f'plugin\'s "delegate": {{"mtu": {dev}}}')


CHECKS = (port_blocked, mtu_blackhole, overlapping_ranges, v6_clamped)
