"""flanneld on every CNI node, as kube-flannel runs it (`--ip-masq --kube-subnet-mgr`): a lease
per node, its /run/flannel/subnet.env, the backend's links and routes to every other node,
and the FLANNEL-POSTRTG / FLANNEL-FWD rules (pkg/trafficmngr/iptables). It starts before any
pod: the flannel plugin fails until subnet.env exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from netsim.model.assembly import Assembly
from netsim.model.graph import NodeFile
from netsim.model.rules import Accept, Is, Jump, Masquerade, Match, Return, Rule
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel.netconf import NetConf, read

DAEMON = "flanneld"
SUBNET_ENV = "/run/flannel/subnet.env"  # where the flannel plugin reads the lease
WRITER = "flannel"  # who writes these rules (netsim replays them with iptables-restore)
KUBE_PROXY_MARK = (0x4000, 0x4000)
MULTICAST = IPv4Network("224.0.0.0/4")
OVERHEAD = {"vxlan": 50, "host-gw": 0}  # what the backend's encapsulation costs the MTU


@dataclass(frozen=True)
class Lease:
    node: str
    subnet: IPv4Network
    public_ip: IPv4Address  # the node's address on its uplink (flanneld --iface)
    uplink: str
    mtu: int  # FLANNEL_MTU
    vtep_mac: str  # the VXLAN device's MAC (the vxlan backend's lease attribute)


@dataclass
class Flannel:
    conf: NetConf
    leases: dict[str, Lease]  # every flannel node's, in node order

    def env(self, node: str) -> str:
        """/run/flannel/subnet.env as flanneld writes it (FLANNEL_SUBNET is the .1 form)."""
        lease = self.leases[node]
        return (f"FLANNEL_NETWORK={self.conf.network}\n"
                f"FLANNEL_SUBNET={lease.subnet.network_address + 1}/{lease.subnet.prefixlen}\n"
                f"FLANNEL_MTU={lease.mtu}\n"
                f"FLANNEL_IPMASQ={'true' if self.conf.ip_masq else 'false'}\n")


Backend = Callable[[Cni, Flannel, Lease], None]


def nodes(asm: Assembly) -> list[str]:
    """flanneld runs as a DaemonSet: on every node whose pods CNI wires."""
    return [n for n, h in asm.sc.hosts.items() if "cni" in h.runtime]


def leases(asm: Assembly, conf: NetConf) -> dict[str, Lease]:
    """Each node's podCIDR if the scenario gives it (kubectl get nodes), else the next free
    subnet in node order, as kube-controller-manager allocates them."""
    taken = {n: asm.sc.hosts[n].pod_cidr for n in nodes(asm) if asm.sc.hosts[n].pod_cidr}
    for n, cidr in taken.items():
        if not cidr.subnet_of(conf.network):
            raise asm.error(("hosts", n, "pod_cidr"), f"{cidr} is not in the flannel Network "
                            f"{conf.network}", f"a /{conf.subnet_len} of {conf.network}")
    free = (s for s in conf.subnets() if not any(s.overlaps(t) for t in taken.values()))
    out: dict[str, Lease] = {}
    for n in nodes(asm):
        subnet = taken.get(n) or next(free, None)
        if subnet is None:
            raise asm.error(("flannel", "Network"), f"{n}: failed to acquire lease: out of "
                            f"subnets in {conf.network}", "a larger Network or SubnetLen")
        uplink = asm.model.ns[n].ifaces[asm.sc.hosts[n].interface]
        out[n] = Lease(n, subnet, uplink.addrs[0].ip, uplink.name,
                       uplink.mtu - OVERHEAD[conf.backend], asm.mac(("flannel-vtep", n)))
    return out


def start(cni: Cni, hosts: list[str], backends: dict[str, Backend]) -> None:
    """flanneld on each of `hosts`, which knows every node's lease."""
    asm = cni.asm
    conf = read(asm)
    if conf is None:
        return
    if not nodes(asm):
        raise asm.error(("flannel",), "flannel needs CNI nodes (hosts with runtime: cni)")
    cni.flannel = fl = Flannel(conf, leases(asm, conf))
    for node in hosts:
        lease = fl.leases[node]
        asm.model.files.append(NodeFile(node, SUBNET_ENV, fl.env(node), DAEMON))
        rules = asm.model.ns[node].rules
        was, rules.writer = rules.writer, WRITER
        try:
            backends[conf.backend](cni, fl, lease)
            if conf.ip_masq:
                masquerade(cni, fl, lease)
            forward(cni, fl, node)
        finally:
            rules.writer = was


def masquerade(cni: Cni, fl: Flannel, lease: Lease) -> None:
    """masqRules, in flanneld's order: pods keep their addresses inside the cluster network,
    everything else from a pod leaves as the node (--random-fully)."""
    cluster, pods = fl.conf.network, lease.subnet
    why = "flanneld --ip-masq"
    spec = [  # (match, action)
        (Match(mark=KUBE_PROXY_MARK), Return()),
        (Match(saddr=Is(pods), daddr=Is(cluster)), Return()),
        (Match(saddr=Is(cluster), daddr=Is(pods)), Return()),
        (Match(saddr=Is(cluster, negate=True), daddr=Is(pods)), Return()),
        (Match(saddr=Is(cluster), daddr=Is(MULTICAST, negate=True)), Masquerade(True)),
        (Match(saddr=Is(cluster, negate=True), daddr=Is(cluster)), Masquerade(True)),
    ]
    rules = cni.model.ns[lease.node].rules
    rules.chain("nat", "FLANNEL-POSTRTG")
    rules.append("nat", "POSTROUTING", Rule(Match(), Jump("FLANNEL-POSTRTG"), why,
                                            "flanneld masq"))
    for match, action in spec:  # flanneld puts its comment after the mark match
        rules.append("nat", "FLANNEL-POSTRTG", Rule(match, action, why, "flanneld masq",
                                                    comment_last=match.mark is not None))


def forward(cni: Cni, fl: Flannel, node: str) -> None:
    """forwardRules: to or from the cluster network is forwarded, whatever FORWARD's policy
    (Docker on the node sets it to DROP)."""
    cluster = fl.conf.network
    why = "flanneld: forward the pod network (FLANNEL-FWD)"
    rules = cni.model.ns[node].rules
    rules.chain("filter", "FLANNEL-FWD")
    rules.append("filter", "FORWARD", Rule(Match(), Jump("FLANNEL-FWD"), why,
                                           "flanneld forward"))
    for match in (Match(saddr=Is(cluster)), Match(daddr=Is(cluster))):
        rules.append("filter", "FLANNEL-FWD", Rule(match, Accept(), why, "flanneld forward"))
