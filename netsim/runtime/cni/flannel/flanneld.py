"""flanneld on every CNI node, as kube-flannel runs it (`--ip-masq --kube-subnet-mgr`): a lease
per node, its /run/flannel/subnet.env, the backend's links and routes to every other node,
and the FLANNEL-POSTRTG / FLANNEL-FWD rules (pkg/trafficmngr/iptables). It starts before any
pod: the flannel plugin fails until subnet.env exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Network

from netsim.model.assembly import Assembly
from netsim.model.graph import Iface, IPAddress, IPNetwork, NodeFile
from netsim.model.rules import Accept, Is, Jump, Masquerade, Match, Return, Rule
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel.netconf import NetConf, read

DAEMON = "flanneld"
SUBNET_ENV = "/run/flannel/subnet.env"  # where the flannel plugin reads the lease
WRITER = "flannel"  # who writes these rules (netsim replays them with iptables-restore)
KUBE_PROXY_MARK = (0x4000, 0x4000)
MULTICAST = {4: IPv4Network("224.0.0.0/4"), 6: IPv6Network("ff00::/8")}
ENV_KEYS = {4: ("FLANNEL_NETWORK", "FLANNEL_SUBNET"),
            6: ("FLANNEL_IPV6_NETWORK", "FLANNEL_IPV6_SUBNET")}
OVERHEAD = {"vxlan": 50, "host-gw": 0}  # what the backend's encapsulation costs the MTU


@dataclass(frozen=True)
class Lease:
    node: str
    subnets: dict[int, IPNetwork]  # by family: the node's podCIDR (and its IPv6 one)
    public: dict[int, IPAddress]  # the node's address on its uplink per family (--iface)
    uplink: str
    mtu: int  # FLANNEL_MTU
    vtep_macs: dict[int, str]  # each VXLAN device's MAC (the vxlan backend's lease attribute)

    @property
    def subnet(self) -> IPv4Network:
        return self.subnets[4]  # type: ignore[return-value]

    @property
    def public_ip(self) -> IPv4Address:
        return self.public[4]  # type: ignore[return-value]


@dataclass
class Flannel:
    conf: NetConf
    leases: dict[str, Lease]  # every flannel node's, in node order

    def env(self, node: str) -> str:
        """/run/flannel/subnet.env as flanneld writes it (WriteSubnetFile: the subnets in
        their .1 form)."""
        lease, out = self.leases[node], ""
        for family, (net_key, subnet_key) in ENV_KEYS.items():
            if family in lease.subnets:
                subnet = lease.subnets[family]
                out += (f"{net_key}={self.conf.pools[family].network}\n"
                        f"{subnet_key}={subnet.network_address + 1}/{subnet.prefixlen}\n")
        return out + (f"FLANNEL_MTU={lease.mtu}\n"
                      f"FLANNEL_IPMASQ={'true' if self.conf.ip_masq else 'false'}\n")


Backend = Callable[[Cni, Flannel, Lease], None]


def nodes(asm: Assembly) -> list[str]:
    """flanneld runs as a DaemonSet: on every node whose pods CNI wires."""
    return [n for n, h in asm.sc.hosts.items() if "cni" in h.runtime]


def leases(asm: Assembly, conf: NetConf) -> dict[str, Lease]:
    """Each node's podCIDR if the scenario gives it (kubectl get nodes), else the next free
    subnet in node order, as kube-controller-manager allocates them (per family)."""
    subnets = {f: _subnets(asm, conf, f) for f in conf.families}
    out: dict[str, Lease] = {}
    for n in nodes(asm):
        uplink = asm.model.ns[n].ifaces[asm.sc.hosts[n].interface]
        public = {f: _public(asm, n, uplink, f) for f in conf.families}
        out[n] = Lease(n, {f: subnets[f][n] for f in conf.families}, public, uplink.name,
                       uplink.mtu - OVERHEAD[conf.backend],
                       {f: asm.mac(("flannel-vtep", n) if f == 4 else ("flannel-vtep6", n))
                        for f in conf.families})
    return out


def _subnets(asm: Assembly, conf: NetConf, family: int) -> dict[str, IPNetwork]:
    pool = conf.pools[family]
    taken = {n: asm.sc.hosts[n].pod_cidr for n in nodes(asm)
             if family == 4 and asm.sc.hosts[n].pod_cidr}
    for n, cidr in taken.items():
        if not cidr.subnet_of(pool.network):
            raise asm.error(("hosts", n, "pod_cidr"), f"{cidr} is not in the flannel Network "
                            f"{pool.network}", f"a /{pool.subnet_len} of {pool.network}")
    free = (s for s in pool.subnets() if not any(s.overlaps(t) for t in taken.values()))
    out: dict[str, IPNetwork] = {}
    for n in nodes(asm):
        subnet = taken.get(n) or next(free, None)
        if subnet is None:
            key = "Network" if family == 4 else "IPv6Network"
            raise asm.error(("flannel", key), f"{n}: failed to acquire lease: out of "
                            f"subnets in {pool.network}", "a larger Network or SubnetLen")
        out[n] = subnet
    return out


def _public(asm: Assembly, node: str, uplink: Iface, family: int) -> IPAddress:
    """The uplink's address of that family, as flanneld looks it up (ipmatch)."""
    for a in uplink.addrs:
        if a.version == family and not a.ip.is_link_local:
            return a.ip
    raise asm.error(("hosts", node), f"{node}: flanneld: failed to find IPv{family} address "
                    f"for interface {uplink.name}", "lan: {ipv6: 2001:db8:1::/64} (EnableIPv6 "
                    "needs the nodes' IPv6 addresses)")


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
        ns = asm.model.ns[node]
        was = ns.rules.writer, ns.rules6.writer
        ns.rules.writer = ns.rules6.writer = WRITER
        try:
            backends[conf.backend](cni, fl, lease)
            for family in conf.families:
                if conf.ip_masq:
                    masquerade(cni, fl, lease, family)
                forward(cni, fl, node, family)
        finally:
            ns.rules.writer, ns.rules6.writer = was


def masquerade(cni: Cni, fl: Flannel, lease: Lease, family: int) -> None:
    """masqRules (masqIP6Rules), in flanneld's order: pods keep their addresses inside the
    cluster network, everything else from a pod leaves as the node (--random-fully)."""
    cluster, pods = fl.conf.pools[family].network, lease.subnets[family]
    why = "flanneld --ip-masq"
    spec = [  # (match, action)
        (Match(mark=KUBE_PROXY_MARK), Return()),
        (Match(saddr=Is(pods), daddr=Is(cluster)), Return()),
        (Match(saddr=Is(cluster), daddr=Is(pods)), Return()),
        (Match(saddr=Is(cluster, negate=True), daddr=Is(pods)), Return()),
        (Match(saddr=Is(cluster), daddr=Is(MULTICAST[family], negate=True)), Masquerade(True)),
        (Match(saddr=Is(cluster, negate=True), daddr=Is(cluster)), Masquerade(True)),
    ]
    rules = cni.model.ns[lease.node].ruleset(family)
    rules.chain("nat", "FLANNEL-POSTRTG")
    rules.append("nat", "POSTROUTING", Rule(Match(), Jump("FLANNEL-POSTRTG"), why,
                                            "flanneld masq"))
    for match, action in spec:  # flanneld puts its comment after the mark match
        rules.append("nat", "FLANNEL-POSTRTG", Rule(match, action, why, "flanneld masq",
                                                    comment_last=match.mark is not None))


def forward(cni: Cni, fl: Flannel, node: str, family: int) -> None:
    """forwardRules: to or from the cluster network is forwarded, whatever FORWARD's policy
    (Docker on the node sets it to DROP)."""
    cluster = fl.conf.pools[family].network
    why = "flanneld: forward the pod network (FLANNEL-FWD)"
    rules = cni.model.ns[node].ruleset(family)
    rules.chain("filter", "FLANNEL-FWD")
    rules.append("filter", "FORWARD", Rule(Match(), Jump("FLANNEL-FWD"), why,
                                           "flanneld forward"))
    for match in (Match(saddr=Is(cluster)), Match(daddr=Is(cluster))):
        rules.append("filter", "FLANNEL-FWD", Rule(match, Accept(), why, "flanneld forward"))
