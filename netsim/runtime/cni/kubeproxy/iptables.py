"""kube-proxy's iptables mode (pkg/proxy/iptables/proxier.go, syncProxyRules) as rule objects:
the jumps from the built-in chains, KUBE-MARK-MASQ / KUBE-POSTROUTING, per Service port the
ClusterIP capture, the KUBE-SVC/SVL/EXT/SEP chains with their hashed names and the statistic
split, the REJECT of a Service without endpoints, the DROP of a `Local` one without local
endpoints, the NodePort tail and KUBE-FORWARD. What kube-proxy writes, in its order; a map's
order (Go's is random per sync) is the Service port's name here."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from ipaddress import IPv4Network

from netsim.model.rules import (
    Accept,
    Dnat,
    Drop,
    Is,
    Jump,
    Masquerade,
    Match,
    Reject,
    Return,
    Rule,
    Ruleset,
    SetMark,
)
from netsim.runtime.cni.kubeproxy.config import Config
from netsim.runtime.cni.kubeproxy.endpoints import Endpoint
from netsim.runtime.cni.kubeproxy.policy import Port
from netsim.scenario.k8s_service import Service, ServicePort

ORIGIN = "kube-proxy (iptables mode)"
NEW = frozenset({"new"})
# (table, chain, from built-in chain, comment, only NEW connections): EnsureRule(Prepend)
JUMPS = (
    ("filter", "KUBE-EXTERNAL-SERVICES", "INPUT", "kubernetes externally-visible service portals",
     True),
    ("filter", "KUBE-EXTERNAL-SERVICES", "FORWARD",
     "kubernetes externally-visible service portals", True),
    ("filter", "KUBE-NODEPORTS", "INPUT", "kubernetes health check service ports", False),
    ("filter", "KUBE-SERVICES", "FORWARD", "kubernetes service portals", True),
    ("filter", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", True),
    ("filter", "KUBE-FORWARD", "FORWARD", "kubernetes forwarding rules", False),
    ("filter", "KUBE-PROXY-FIREWALL", "INPUT", "kubernetes load balancer firewall", True),
    ("filter", "KUBE-PROXY-FIREWALL", "OUTPUT", "kubernetes load balancer firewall", True),
    ("filter", "KUBE-PROXY-FIREWALL", "FORWARD", "kubernetes load balancer firewall", True),
    ("nat", "KUBE-SERVICES", "OUTPUT", "kubernetes service portals", False),
    ("nat", "KUBE-SERVICES", "PREROUTING", "kubernetes service portals", False),
    ("nat", "KUBE-POSTROUTING", "POSTROUTING", "kubernetes postrouting rules", False),
)


def port_proto_hash(name: str, protocol: str, endpoint: str = "") -> str:
    """base32(sha256(ns/name[:port] + protocol [+ ip:port]))[:16]."""
    digest = hashlib.sha256(f"{name}{protocol}{endpoint}".encode()).digest()
    return base64.b32encode(digest).decode()[:16]


@dataclass(frozen=True)
class PortNames:
    """One Service port's names: `ns/name[:port]` and its chains."""

    text: str
    protocol: str  # lower case, as kube-proxy hashes it

    @classmethod
    def of(cls, svc: Service, sp: ServicePort) -> PortNames:
        port = f":{sp.name}" if sp.name else ""
        return cls(f"{svc.namespace}/{svc.name}{port}", sp.protocol.lower())

    def chain(self, prefix: str) -> str:
        return prefix + port_proto_hash(self.text, self.protocol)

    def sep(self, ep: Endpoint) -> str:
        return "KUBE-SEP-" + port_proto_hash(self.text, self.protocol, ep.text)


def _r(match: Match, action: object, comment: str | None = None, last: bool = False) -> Rule:
    return Rule(match, action, ORIGIN, comment, last)  # type: ignore[arg-type]


def jumps(rules: Ruleset) -> None:
    """The built-in chains' jumps, each put first (the last one ensured ends on top)."""
    for table, chain, source, comment, new in JUMPS:
        rules.chain(table, chain)
        rules.insert(table, source, _r(Match(ct_state=NEW if new else None), Jump(chain), comment,
                                       last=True))


def base(rules: Ruleset, cfg: Config) -> None:
    mark = cfg.masquerade_mark
    for chain in ("KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"):
        rules.chain("nat", chain)
    rules.append("nat", "KUBE-POSTROUTING", _r(Match(mark_not=(mark, mark)), Return()))
    rules.append("nat", "KUBE-POSTROUTING", _r(Match(), SetMark(mark, 0)))  # --xor-mark
    rules.append("nat", "KUBE-POSTROUTING", _r(Match(), Masquerade(True),
                                               "kubernetes service traffic requiring SNAT"))
    rules.append("nat", "KUBE-MARK-MASQ", _r(Match(), SetMark(mark, mark)))  # --or-mark


def service_port(rules: Ruleset, cfg: Config, p: Port) -> None:
    """syncProxyRules' body for one Service port on one node."""
    svc, sp = p.svc, p.sp
    names = PortNames.of(svc, sp)
    proto = sp.protocol.lower()
    cluster_chain, local_chain = names.chain("KUBE-SVC-"), names.chain("KUBE-SVL-")
    ext_chain = names.chain("KUBE-EXT-")
    t = p.traffic
    has, external_local = t.has, p.external_local
    internal_chain = local_chain if p.internal_local else cluster_chain
    external_policy_chain = local_chain if external_local else cluster_chain
    ip = svc.cluster_ip
    captured = Match(daddr=Is(IPv4Network(f"{ip}/32")), proto=proto, dport=sp.port) \
        if ip is not None else None
    word = ("REJECT", f"{names.text} has no endpoints") if not has else \
        ("DROP", f"{names.text} has no local endpoints")
    if captured is not None and t.has_internal:
        rules.append("nat", "KUBE-SERVICES", _r(captured, Jump(internal_chain),
                                                f"{names.text} cluster IP"))
    elif captured is not None:
        rules.append("filter", "KUBE-SERVICES", _r(captured, _target(word[0]), word[1]))
    if sp.node_port is not None:
        if has:
            rules.append("nat", "KUBE-NODEPORTS", _r(Match(proto=proto, dport=sp.node_port),
                                                     Jump(ext_chain), names.text))
        if not t.has_external:
            rules.append("filter", "KUBE-EXTERNAL-SERVICES", _r(
                Match(proto=proto, dport=sp.node_port, dst_type="local"), _target(word[0]),
                word[1]))
    if captured is not None and t.has_internal:
        if cfg.masquerade_all:
            rules.append("nat", internal_chain, _r(captured, Jump("KUBE-MARK-MASQ"),
                                                   f"{names.text} cluster IP"))
        elif cfg.cluster_cidrs:  # the local-traffic detector: `! -s clusterCIDR`
            rules.append("nat", internal_chain, _r(
                Match(saddr=Is(cfg.cluster_cidrs[0], negate=True), daddr=captured.daddr,
                      proto=proto, dport=sp.port), Jump("KUBE-MARK-MASQ"),
                f"{names.text} cluster IP"))
    if has and p.external_access:
        rules.chain("nat", ext_chain)
        if not external_local:
            rules.append("nat", ext_chain, _r(Match(), Jump("KUBE-MARK-MASQ"),
                                              f"masquerade traffic for {names.text} external "
                                              "destinations"))
        else:
            if cfg.cluster_cidrs:
                rules.append("nat", ext_chain, _r(Match(saddr=Is(cfg.cluster_cidrs[0])),
                                                  Jump(cluster_chain), f"pod traffic for "
                                                  f"{names.text} external destinations"))
            rules.append("nat", ext_chain, _r(Match(src_type="local"), Jump("KUBE-MARK-MASQ"),
                                              f"masquerade LOCAL traffic for {names.text} "
                                              "external destinations"))
            rules.append("nat", ext_chain, _r(Match(src_type="local"), Jump(cluster_chain),
                                              f"route LOCAL traffic for {names.text} external "
                                              "destinations"))
        if t.has_external:
            rules.append("nat", ext_chain, _r(Match(), Jump(external_policy_chain)))
    if t.cluster:
        _to_endpoints(rules, names, cluster_chain, t.cluster, svc.affinity)
    if t.local:
        _to_endpoints(rules, names, local_chain, t.local, svc.affinity)
    for ep in t.reachable:
        chain = names.sep(ep)
        rules.chain("nat", chain)
        rules.append("nat", chain, _r(Match(saddr=Is(IPv4Network(f"{ep.ip}/32"))),
                                      Jump("KUBE-MARK-MASQ"), names.text))
        remember = ("set", chain, 0) if svc.affinity else None  # the client's endpoint
        rules.append("nat", chain, _r(Match(proto=proto, recent=remember), Dnat(ep.ip, ep.port),
                                      names.text))


def _target(word: str) -> object:
    return Reject() if word == "REJECT" else Drop()


def _to_endpoints(rules: Ruleset, names: PortNames, chain: str, eps: list[Endpoint],
                  affinity: int | None) -> None:
    """writeServiceToEndpointRules: with ClientIP affinity first the endpoint a client had
    (its recent list), then the i-th of n with probability 1/(n-i), the last sure."""
    rules.chain("nat", chain)
    for ep in eps if affinity else ():
        sep = names.sep(ep)
        rules.append("nat", chain, _r(Match(recent=("rcheck", sep, affinity)), Jump(sep),
                                      f"{names.text} -> {ep.text}"))
    n = len(eps)
    for i, ep in enumerate(eps):
        rules.append("nat", chain, _r(Match(random=(i, n) if i < n - 1 else None),
                                      Jump(names.sep(ep)), f"{names.text} -> {ep.text}"))


def tail(rules: Ruleset, cfg: Config, node_ips: list) -> None:
    """After every Service: the NodePort jump (every local address, or the ones
    nodePortAddresses selects) and KUBE-FORWARD."""
    comment = "kubernetes service nodeports; NOTE: this must be the last rule in this chain"
    if not cfg.node_port_addresses and not cfg.primary_only:
        rules.append("nat", "KUBE-SERVICES", _r(Match(dst_type="local"), Jump("KUBE-NODEPORTS"),
                                                comment))
    else:
        for ip in node_ips:
            rules.append("nat", "KUBE-SERVICES", _r(Match(daddr=Is(IPv4Network(f"{ip}/32"))),
                                                    Jump("KUBE-NODEPORTS"), comment))
    mark = cfg.masquerade_mark
    rules.append("filter", "KUBE-FORWARD", _r(Match(ct_state=frozenset({"invalid"})), Drop()))
    rules.append("filter", "KUBE-FORWARD", _r(Match(mark=(mark, mark)), Accept(),
                                              "kubernetes forwarding rules"))
    rules.append("filter", "KUBE-FORWARD", _r(Match(ct_state=frozenset({"related",
                                                                        "established"})),
                                              Accept(), "kubernetes forwarding conntrack rule"))
