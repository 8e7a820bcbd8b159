"""What goes wrong with flannel before rollout (cni.md §5-6), visible in the model. F01
(host-gw across a router) is said by the host-gw backend itself, as flanneld logs it."""

from __future__ import annotations

from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel.flanneld import Flannel


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
    """The pod network must not overlap the LAN or a Docker network on the nodes."""
    lan = cni.asm.sc.lan.subnet
    clashes = [("the LAN", lan)] if lan.overlaps(fl.conf.network) else []
    clashes += [(f"Docker network {n.name} on {n.host}", n.subnet)
                for n in cni.model.networks.values()
                if n.subnet and not n.driver.startswith("cni") and n.host in fl.leases
                and n.subnet.overlaps(fl.conf.network)]
    for what, subnet in clashes:
        cni.warn("F04", f"flannel Network {fl.conf.network} overlaps {what} ({subnet}): "
                 "the node's routes to one hide the other")


CHECKS = (port_blocked, mtu_blackhole, overlapping_ranges)
