"""kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go: setupNFTables, syncProxyRules)
as rule objects: the one `ip kube-proxy` table, its base chains at kube-proxy's priorities,
the dispatch through verdict maps (service-ips, service-nodeports), `nodeport-ips` (the
node's primary address by default), the no-endpoint maps, cluster-ips-check (a ClusterIP's
unserved port is rejected, an unallocated ClusterIP dropped), and per Service port the
service- / local- / external- / endpoint- chains with their hashed names and the numgen
split. Written in one transaction's order, as kube-proxy writes it; a map's order (Go's is
random per sync) is the Service port's name here."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network

from netsim.model.rules import (
    Dnat,
    Drop,
    Goto,
    Hooked,
    IpSet,
    Is,
    Jump,
    Masquerade,
    Match,
    Native,
    Numgen,
    Reject,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Update,
    Vmap,
    VmapEntry,
)
from netsim.runtime.cni.kubeproxy.config import Config
from netsim.runtime.cni.kubeproxy.endpoints import Endpoint
from netsim.runtime.cni.kubeproxy.policy import Port

TABLE = "kube-proxy"
ORIGIN = "kube-proxy (nftables mode)"
NEW = frozenset({"new"})
# nftablesBaseChains: filtering sees the destination before DNAT (dstnat - 10)
BASES = (
    ("filter-prerouting", Hooked("filter", "prerouting", -110)),
    ("filter-input", Hooked("filter", "input", -110)),
    ("filter-forward", Hooked("filter", "forward", -110)),
    ("filter-output", Hooked("filter", "output", -110)),
    ("filter-output-post-dnat", Hooked("filter", "output", -90)),
    ("nat-prerouting", Hooked("nat", "prerouting", -100)),
    ("nat-output", Hooked("nat", "output", -100)),
    ("nat-postrouting", Hooked("nat", "postrouting", 100)),
)
# nftablesJumpChains: (chain, from base chain, only new connections)
JUMPS = (
    ("nodeport-endpoints-check", "filter-input", True),
    ("service-endpoints-check", "filter-input", True),
    ("service-endpoints-check", "filter-forward", True),
    ("service-endpoints-check", "filter-output", True),
    ("firewall-check", "filter-prerouting", True),
    ("firewall-check", "filter-output", True),
    ("services", "nat-output", False),
    ("services", "nat-prerouting", False),
    ("masquerading", "nat-postrouting", False),
    ("cluster-ips-check", "filter-forward", True),
    ("cluster-ips-check", "filter-output-post-dnat", True),
)
TRIPLE = "ipv4_addr . inet_proto . inet_service : verdict"
PAIR = "inet_proto . inet_service : verdict"
# the named sets and maps, in the order setupNFTables adds them: name -> (type, comment)
SETS = {
    "cluster-ips": ("ipv4_addr", "Active ClusterIPs"),
    "nodeport-ips": ("ipv4_addr", "IPs that accept NodePort traffic"),
    "no-endpoint-services": (TRIPLE, "vmap to drop or reject packets to services with no "
                             "endpoints"),
    "no-endpoint-nodeports": (PAIR, "vmap to drop or reject packets to service nodeports with "
                              "no endpoints"),
    "firewall-ips": (TRIPLE, "destinations that are subject to LoadBalancerSourceRanges"),
    "service-ips": (TRIPLE, "ClusterIP, ExternalIP and LoadBalancer IP traffic"),
    "service-nodeports": (PAIR, "NodePort traffic"),
}
CHAIN_COMMENTS = {"reject-chain": "helper for @no-endpoint-services / @no-endpoint-nodeports"}
LOCALHOST = IPv4Network("127.0.0.0/8")
MASQ = "mark-for-masquerade"
REJECT = Goto("reject-chain")


def hash_and_truncate(name: str) -> str:
    """hashAndTruncate: base32(sha256(name))[:8] + "-" + name (never long enough to cut)."""
    digest = hashlib.sha256(name.encode()).digest()
    return base64.b32encode(digest).decode()[:8] + "-" + name


@dataclass(frozen=True)
class Names:
    """One Service port's chain names: `ns/name/proto/port` (the port's name, maybe empty)."""

    base: str
    text: str  # ServicePortName.String(): ns/name[:port], the no-endpoint elements' comment

    @classmethod
    def of(cls, p: Port) -> Names:
        svc, sp = p.svc, p.sp
        return cls(f"{svc.namespace}/{svc.name}/{sp.protocol.lower()}/{sp.name}",
                   f"{svc.namespace}/{svc.name}" + (f":{sp.name}" if sp.name else ""))

    def chain(self, prefix: str) -> str:
        return prefix + hash_and_truncate(self.base)

    def endpoint(self, ep: Endpoint) -> str:
        return "endpoint-" + hash_and_truncate(f"{self.base}__{ep.ip}/{ep.port}")

    def affinity(self, ep: Endpoint) -> str:
        return "affinity-" + hash_and_truncate(f"{self.base}__{ep.ip}/{ep.port}")


@dataclass
class Elements:
    """What one sync puts in the sets and maps, in the order it adds them."""

    cluster_ips: list[IPv4Address] = field(default_factory=list)
    service_ips: list[VmapEntry] = field(default_factory=list)
    no_endpoint_services: list[VmapEntry] = field(default_factory=list)
    service_nodeports: list[VmapEntry] = field(default_factory=list)
    no_endpoint_nodeports: list[VmapEntry] = field(default_factory=list)


def _r(match: Match, action: object, comment: str | None = None) -> Rule:
    return Rule(match, action, ORIGIN, comment)  # type: ignore[arg-type]


def setup(rules: Ruleset, cfg: Config) -> None:
    """setupNFTables: the table, its base chains, the jumps, masquerading and reject-chain
    (the rules that use a set or map come once the sync knows their elements: finish)."""
    rules.native[TABLE] = Native("rules for kube-proxy", {
        k: v for k, v in SETS.items() if k != "nodeport-ips" or not _match_all(cfg)},
        dict(CHAIN_COMMENTS))
    for name, hooked in BASES:
        rules.base(TABLE, name, hooked)
    for chain, source, new in JUMPS:
        rules.chain(TABLE, chain)
        rules.append(TABLE, source, _r(Match(ct_state=NEW if new else None), Jump(chain)))
    mark = cfg.masquerade_mark
    rules.chain(TABLE, MASQ)
    rules.append(TABLE, MASQ, _r(Match(), SetMark(mark, mark)))
    rules.append(TABLE, "masquerading", _r(Match(mark=(0, mark)), Return()))
    rules.append(TABLE, "masquerading", _r(Match(), SetMark(mark, 0)))
    rules.append(TABLE, "masquerading", _r(Match(), Masquerade(True)))
    rules.chain(TABLE, "reject-chain")
    rules.append(TABLE, "reject-chain", _r(Match(), Reject()))


def _match_all(cfg: Config) -> bool:
    """nodePortAddresses that select every address: no nodeport-ips set (fib daddr local)."""
    return not cfg.node_port_addresses and not cfg.primary_only


def service_port(rules: Ruleset, cfg: Config, p: Port, el: Elements) -> None:
    """syncProxyRules' body for one Service port on one node."""
    if p.svc.cluster_ip is None:  # headless: kube-proxy skips it
        return
    names, t = Names.of(p), p.traffic
    proto, ip, sp = p.sp.protocol.lower(), p.svc.cluster_ip, p.sp
    cluster_chain, local_chain = names.chain("service-"), names.chain("local-")
    ext_chain = names.chain("external-")
    for ep in t.reachable:
        rules.chain(TABLE, names.endpoint(ep))
    if t.cluster:
        rules.chain(TABLE, cluster_chain)
    if t.local:
        rules.chain(TABLE, local_chain)
    uses_ext = t.has and p.external_access
    if uses_ext:
        rules.chain(TABLE, ext_chain)
    internal_chain = local_chain if p.internal_local else cluster_chain
    # without endpoints anywhere: reject; without the policy's local ones: drop
    verdict = REJECT if not t.has else Drop()
    el.cluster_ips.append(ip)
    if t.has_internal:
        el.service_ips.append(VmapEntry((ip, proto, sp.port), Goto(internal_chain)))
    else:
        el.no_endpoint_services.append(VmapEntry((ip, proto, sp.port), verdict,
                                                 names.text))
    if sp.node_port is not None:
        if t.has:
            el.service_nodeports.append(VmapEntry((proto, sp.node_port), Goto(ext_chain)))
        if not t.has_external:
            el.no_endpoint_nodeports.append(VmapEntry((proto, sp.node_port), verdict,
                                                      names.text))
    if t.has_internal:
        _masquerade_internal(rules, cfg, internal_chain, ip, proto, sp.port)
    if uses_ext:
        _external(rules, cfg, p, ext_chain, cluster_chain,
                  local_chain if p.external_local else cluster_chain)
    sticky = p.svc.affinity
    for ep in t.reachable if sticky else ():  # a dynamic set per endpoint: who it served
        rules.native[TABLE].sets[names.affinity(ep)] = ("ipv4_addr", None)
        rules.native[TABLE].timeouts[names.affinity(ep)] = sticky
    for chain, eps in ((cluster_chain, t.cluster), (local_chain, t.local)):
        for e in eps if sticky else ():  # a client back within the timeout: its endpoint
            rules.append(TABLE, chain, _r(Match(sset=Is(IpSet(names.affinity(e), ()))),
                                          Goto(names.endpoint(e))))
        if eps:
            rules.append(TABLE, chain, _r(Match(), Numgen(tuple(
                Goto(names.endpoint(e)) for e in eps))))
    for ep in t.reachable:
        chain = names.endpoint(ep)
        rules.append(TABLE, chain, _r(Match(saddr=Is(IPv4Network(f"{ep.ip}/32"))), Jump(MASQ)))
        if sticky:
            rules.append(TABLE, chain, _r(Match(), Update(names.affinity(ep))))
        rules.append(TABLE, chain, _r(Match(proto=proto), Dnat(ep.ip, ep.port)))


def _masquerade_internal(rules: Ruleset, cfg: Config, chain: str, ip: IPv4Address,
                         proto: str, port: int) -> None:
    """Off-cluster traffic to a ClusterIP is masqueraded (or all, with masqueradeAll)."""
    dst = Is(IPv4Network(f"{ip}/32"))
    if cfg.masquerade_all:
        rules.append(TABLE, chain, _r(Match(daddr=dst, proto=proto, dport=port), Jump(MASQ)))
    elif cfg.cluster_cidrs:  # the local-traffic detector's `ip saddr != clusterCIDR`
        rules.append(TABLE, chain, _r(Match(daddr=dst, proto=proto, dport=port,
                                            saddr=Is(cfg.cluster_cidrs[0], negate=True)),
                                      Jump(MASQ)))


def _external(rules: Ruleset, cfg: Config, p: Port, chain: str, cluster_chain: str,
              policy_chain: str) -> None:
    if not p.external_local:
        rules.append(TABLE, chain, _r(Match(), Jump(MASQ)))
    else:
        if cfg.cluster_cidrs:
            rules.append(TABLE, chain, _r(Match(saddr=Is(cfg.cluster_cidrs[0])),
                                          Goto(cluster_chain), "short-circuit pod traffic"))
        rules.append(TABLE, chain, _r(Match(src_type="local"), Jump(MASQ),
                                      "masquerade local traffic"))
        rules.append(TABLE, chain, _r(Match(src_type="local"), Goto(cluster_chain),
                                      "short-circuit local traffic"))
    if p.traffic.has_external:
        rules.append(TABLE, chain, _r(Match(), Goto(policy_chain)))


def finish(rules: Ruleset, cfg: Config, el: Elements, node_ips: list[IPv4Address],
           service_cidr: IPv4Network) -> None:
    """The rules that use the sets and maps, with the elements this sync added."""
    cluster = IpSet("cluster-ips", tuple(IPv4Network(f"{ip}/32")  # once per Service
                                         for ip in dict.fromkeys(el.cluster_ips)))
    rules.append(TABLE, "cluster-ips-check", _r(Match(dset=Is(cluster)), Reject(),
                                                "Reject traffic to invalid ports of ClusterIPs"))
    rules.append(TABLE, "cluster-ips-check", _r(Match(daddr=Is(service_cidr)), Drop(),
                                                "Drop traffic to unallocated ClusterIPs"))
    triple, pair = ("daddr", "proto", "dport"), ("proto", "dport")
    if _match_all(cfg):
        to_node = Match(dst_type="local", daddr=Is(LOCALHOST, negate=True))
        checked = Match(daddr=Is(LOCALHOST, negate=True))
    else:
        ips = IpSet("nodeport-ips", tuple(IPv4Network(f"{ip}/32") for ip in node_ips))
        to_node = checked = Match(dset=Is(ips))
    rules.append(TABLE, "service-endpoints-check", _r(Match(), Vmap(
        "no-endpoint-services", triple, tuple(el.no_endpoint_services))))
    rules.append(TABLE, "nodeport-endpoints-check", _r(checked, Vmap(
        "no-endpoint-nodeports", pair, tuple(el.no_endpoint_nodeports))))
    rules.append(TABLE, "firewall-check", _r(Match(), Vmap("firewall-ips", triple, ())))
    rules.append(TABLE, "services", _r(Match(), Vmap("service-ips", triple,
                                                     tuple(el.service_ips))))
    rules.append(TABLE, "services", _r(to_node, Vmap("service-nodeports", pair,
                                                     tuple(el.service_nodeports))))
