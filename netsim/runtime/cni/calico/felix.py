"""felix's iptables dataplane, the part a pod's packets meet (felix/rules: static.go,
endpoints.go, policy.go, nat.go), with Kubernetes NetworkPolicy converted as libcalico-go
converts it (conversion.go): chains hooked at the top of INPUT, FORWARD and OUTPUT; a dispatch
chain per direction that sends each `cali` device to its endpoint chain (`-g`); in an endpoint
chain, conntrack first, then, if any policy selects the pod in that direction, each policy's
chain and the tier's default drop, else the namespace's profile (which allows). A policy rule
marks 0x10000 and the chain returns on it. Selectors are ipsets of pod addresses.

Left out, as they change nothing a pod's packet meets here: host endpoint chains (empty without
HostEndpoints), the raw and mangle tables, the rules' "cali:<hash>" comments."""

from __future__ import annotations

import hashlib
from base64 import urlsafe_b64encode
from ipaddress import IPv4Network, ip_network

from netsim.model.rules import (
    Accept,
    Drop,
    Goto,
    IpSet,
    Is,
    Jump,
    Masquerade,
    Match,
    Return,
    Rule,
    Ruleset,
    SetMark,
)
from netsim.runtime.cni.context import Cni
from netsim.scenario import kubernetes as k8s

ACCEPT, PASS, SCRATCH0 = 0x10000, 0x20000, 0x80000
MAX_CHAIN = 28  # iptables.MaxChainNameLength
ORIGIN = "felix (calico-node)"
PROTO = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}


def limited(prefix: str, suffix: str, max_len: int = MAX_CHAIN) -> str:
    """hash.GetLengthLimitedID: the suffix, or "_" + base64url(sha256) cut to fit."""
    if len(prefix) + len(suffix) > max_len or (len(prefix) + len(suffix) == max_len
                                               and suffix.startswith("_")):
        digest = urlsafe_b64encode(hashlib.sha256(suffix.encode()).digest()).decode().rstrip("=")
        return prefix + "_" + digest[:max_len - 1 - len(prefix)]
    return prefix + suffix


def _r(match: Match, action: object, comment: str | None = None, why: str = ORIGIN) -> Rule:
    return Rule(match, action, why, comment)  # type: ignore[arg-type]


def _mark(value: int, mask: int) -> SetMark:
    return SetMark(value, mask)


def base(cni: Cni, cal, node: str) -> None:
    """static.go's hooks and the chains every pod's packet passes (endpoint dispatch is added
    once the pods exist)."""
    rules = cni.model.ns[node].rules
    for chain in ("cali-FORWARD", "cali-INPUT", "cali-OUTPUT", "cali-from-wl-dispatch",
                  "cali-to-wl-dispatch", "cali-wl-to-host"):
        rules.chain("filter", chain)
    rules.insert("filter", "FORWARD", _r(Match(), Jump("cali-FORWARD")))
    rules.append("filter", "FORWARD", _r(Match(mark=(ACCEPT, ACCEPT)), Accept(),
                                         "Policy explicitly accepted packet."))
    rules.append("filter", "FORWARD", _r(Match(), _mark(ACCEPT, ACCEPT)))
    rules.insert("filter", "INPUT", _r(Match(), Jump("cali-INPUT")))
    rules.insert("filter", "OUTPUT", _r(Match(), Jump("cali-OUTPUT")))
    rules.append("filter", "cali-FORWARD", _r(Match(), _mark(0, 0x1A0000)))
    rules.append("filter", "cali-FORWARD", _r(Match(iif=Is("cali+")),
                                              Jump("cali-from-wl-dispatch")))
    rules.append("filter", "cali-FORWARD", _r(Match(oif=Is("cali+")),
                                              Jump("cali-to-wl-dispatch")))
    rules.append("filter", "cali-INPUT", _r(Match(iif=Is("cali+")), Goto("cali-wl-to-host")))
    rules.append("filter", "cali-INPUT", _r(Match(mark=(ACCEPT, ACCEPT)), Accept()))
    rules.append("filter", "cali-OUTPUT", _r(Match(mark=(ACCEPT, ACCEPT)), Accept()))
    # "We don't currently police host -> endpoint" (static.go)
    rules.append("filter", "cali-OUTPUT", _r(Match(oif=Is("cali+")), Return()))
    rules.append("filter", "cali-wl-to-host", _r(Match(), Jump("cali-from-wl-dispatch")))
    action = {"Accept": Accept(), "Drop": Drop(), "Return": Return()}[cal.res.endpoint_to_host]
    rules.append("filter", "cali-wl-to-host", _r(Match(), action,
                                                 "Configured DefaultEndpointToHostAction"))


def _pool_sets(cal) -> tuple[IpSet, IpSet]:
    pools = tuple(p.cidr for p in cal.res.pools if not p.disabled)
    masq = tuple(p.cidr for p in cal.res.pools if p.nat_outgoing and not p.disabled)
    return IpSet("cali40masq-ipam-pools", masq), IpSet("cali40all-ipam-pools", pools)


def nat_outgoing(cni: Cni, cal, node: str) -> None:
    """nat.go: from a natOutgoing pool to anything outside every pool leaves as the node."""
    rules = cni.model.ns[node].rules
    rules.chain("nat", "cali-POSTROUTING")
    rules.chain("nat", "cali-nat-outgoing")
    rules.insert("nat", "POSTROUTING", _r(Match(), Jump("cali-POSTROUTING")))
    rules.append("nat", "cali-POSTROUTING", _r(Match(), Jump("cali-nat-outgoing")))
    masq, every = _pool_sets(cal)
    if masq.nets:
        rules.append("nat", "cali-nat-outgoing", _r(
            Match(sset=Is(masq), dset=Is(every, negate=True)), Masquerade(True)))


def endpoints(cni: Cni, cal, node: str) -> None:
    """Dispatch, endpoint chains, the policies and profiles they jump to, for this node's
    pods (by interface name, as felix sorts them)."""
    rules = cni.model.ns[node].rules
    mine = sorted((e for e in cal.endpoints.values() if e.node == node), key=lambda e: e.iface)
    made: set[str] = set()
    for e in mine:
        rules.append("filter", "cali-from-wl-dispatch",
                     _r(Match(iif=Is(e.iface)), Goto(f"cali-fw-{e.iface}")))
    rules.append("filter", "cali-from-wl-dispatch", _r(Match(), Drop(), "Unknown interface"))
    for e in mine:
        rules.append("filter", "cali-to-wl-dispatch",
                     _r(Match(oif=Is(e.iface)), Goto(f"cali-tw-{e.iface}")))
    rules.append("filter", "cali-to-wl-dispatch", _r(Match(), Drop(), "Unknown interface"))
    for e in mine:
        for ingress in (True, False):
            _endpoint_chain(rules, cal, e, ingress, made)


def selecting(cal, e, ingress: bool) -> list[k8s.Policy]:
    """The policies that isolate this pod in this direction, in felix's order (by name)."""
    kind = "Ingress" if ingress else "Egress"
    return sorted((p for p in cal.cluster.policies if p.namespace == e.namespace
                   and kind in p.types and p.selector.matches(e.labels)),
                  key=lambda p: p.name)


def _endpoint_chain(rules: Ruleset, cal, e, ingress: bool, made: set[str]) -> None:
    chain = f"cali-{'tw' if ingress else 'fw'}-{e.iface}"
    rules.chain("filter", chain)
    add = lambda m, a, c=None, w=ORIGIN: rules.append("filter", chain, _r(m, a, c, w))  # noqa: E731
    pod = f"{e.name}.{e.namespace}"
    direction = "ingress" if ingress else "egress"
    add(Match(ct_state=frozenset({"related", "established"})), Accept())
    add(Match(ct_state=frozenset({"invalid"})), Drop())
    add(Match(), _mark(0, ACCEPT))
    if not ingress:
        add(Match(proto="udp", dports=(4789,)), Drop(),
            "Drop VXLAN encapped packets originating in workloads")
        add(Match(proto="ipencap"), Drop(),
            "Drop IPinIP encapped packets originating in workloads")
    policies = selecting(cal, e, ingress)
    if policies:
        add(Match(), _mark(0, PASS), "Start of tier default")
        for p in policies:
            name = policy_chain(p, ingress)
            add(Match(mark=(0, PASS)), Jump(name))
            add(Match(mark=(ACCEPT, ACCEPT)), Return(), "Return if policy accepted")
            if name not in made:
                made.add(name)
                _policy_chain(rules, cal, p, ingress, name)
        names = ", ".join(p.name for p in policies)
        add(Match(mark=(0, PASS)), Drop(),
            "End of tier default. Drop if no policies passed packet",
            f"felix: no rule of the {direction} policies selecting {pod} ({names}) allows it "
            "(the tier's default drop)")
        return
    profile = limited("cali-pri-" if ingress else "cali-pro-", f"kns.{e.namespace}")
    add(Match(), Jump(profile))
    add(Match(mark=(ACCEPT, ACCEPT)), Return(), "Return if profile accepted")
    add(Match(), Drop(), "Drop if no profiles matched")
    if profile not in made:
        made.add(profile)
        rules.chain("filter", profile)  # a namespace's profile allows everything
        rules.append("filter", profile, _r(
            Match(), _mark(ACCEPT, ACCEPT), None, f"felix: no {direction} policy selects "
            f"the pod: namespace {e.namespace}'s profile allows everything"))
        rules.append("filter", profile, _r(Match(mark=(ACCEPT, ACCEPT)), Return()))


def policy_chain(p: k8s.Policy, ingress: bool) -> str:
    return limited("cali-pi-" if ingress else "cali-po-", f"knp/{p.namespace}/{p.name}")


def _policy_chain(rules: Ruleset, cal, p: k8s.Policy, ingress: bool, name: str) -> None:
    rules.chain("filter", name)
    direction = "ingress" if ingress else "egress"
    for rule in p.ingress if ingress else p.egress:
        why = f"NetworkPolicy {p.namespace}/{p.name} {direction}[{rule.index}]"
        for peer in rule.peers or (None,):
            for proto, ports in _by_protocol(rule.ports):
                _one(rules, cal, p, name, ingress, peer, proto, ports, why)


def _by_protocol(ports: tuple[k8s.PortRule, ...]) -> list[tuple[str | None, tuple]]:
    """A Calico rule has one protocol: the Kubernetes ports grouped by theirs (every port of a
    protocol when one entry names none); no ports: any protocol."""
    if not ports:
        return [(None, ())]
    out: dict[str, list] = {}
    for port in ports:
        group = out.setdefault(PROTO[port.protocol], [])
        if group is not None and port.port is None:
            out[PROTO[port.protocol]] = None  # type: ignore[assignment]
        elif group is not None:
            group.append(port.port if port.end in (None, port.port) else (port.port, port.end))
    return [(proto, tuple(v) if v else ()) for proto, v in out.items()]


def _one(rules: Ruleset, cal, p: k8s.Policy, chain: str, ingress: bool, peer, proto, ports,
         why: str) -> None:
    """One Calico rule: its matches set the accept mark; the chain returns on it."""
    field = "sset" if ingress else "dset"
    addr = "saddr" if ingress else "daddr"
    match: dict = {"proto": proto}
    if ports:
        match["dports"] = tuple(ports)
    excepts: tuple[IPv4Network, ...] = ()
    if peer is not None and peer.cidr is not None:
        match[addr] = Is(ip_network(peer.cidr))
        excepts = tuple(ip_network(x) for x in peer.except_)  # type: ignore[misc]
    elif peer is not None:
        match[field] = Is(selector_set(cal, p, peer))
    add = lambda m, a: rules.append("filter", chain, _r(m, a))  # noqa: E731
    if excepts:  # felix's negated block: scratch bit set, cleared by each except, then tested
        add(Match(), _mark(0, SCRATCH0))
        add(Match(**{addr: match.pop(addr)}), _mark(SCRATCH0, SCRATCH0))
        for x in excepts:
            add(Match(**{addr: Is(x)}), _mark(0, SCRATCH0))
        match["mark"] = (SCRATCH0, SCRATCH0)
    rules.append("filter", chain, _r(Match(**match), _mark(ACCEPT, ACCEPT), None, why))
    add(Match(mark=(ACCEPT, ACCEPT)), Return())


def peer_pods(cal, p: k8s.Policy, peer: k8s.Peer) -> list:
    """The endpoints a peer selects: podSelector alone in the policy's namespace,
    namespaceSelector alone every pod of the matching namespaces, both: AND."""
    out = []
    for e in cal.endpoints.values():
        ns_labels = cal.cluster.namespaces.get(e.namespace, {k8s.NAME_LABEL: e.namespace})
        if peer.namespaces is None and e.namespace != p.namespace:
            continue
        if peer.namespaces is not None and not peer.namespaces.matches(ns_labels):
            continue
        if peer.pods is not None and not peer.pods.matches(e.labels):
            continue
        out.append(e)
    return out


def selector_set(cal, p: k8s.Policy, peer: k8s.Peer) -> IpSet:
    """The peer's pods as an ipset named from the selector, as felix names its `s:` sets
    (a hash of the selector, 31 characters at most)."""
    text = repr((p.namespace if peer.namespaces is None else None, peer.pods, peer.namespaces))
    digest = urlsafe_b64encode(hashlib.sha224(text.encode()).digest()).decode().rstrip("=")
    nets = tuple(sorted(IPv4Network(f"{e.ip}/32") for e in peer_pods(cal, p, peer)))
    return IpSet(("cali40s:" + digest)[:31], nets)
