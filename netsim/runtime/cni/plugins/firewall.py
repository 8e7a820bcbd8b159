"""`firewall` (containernetworking/plugins plugins/meta/firewall, iptables backend): filter
FORWARD jumps to CNI-FORWARD, which goes first to the admin's CNI-ADMIN, then accepts each
container's replies and its own traffic. Under FORWARD ACCEPT it changes no verdict; under
DROP (Docker on the node) it keeps pod traffic alive and nothing else (cni.md §7)."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network

from netsim.model.rules import Accept, Drop, Is, Jump, Match, Return, Rule
from netsim.runtime.cni.context import Add
from netsim.scenario.cni import libcni
from netsim.scenario.cni.gojson import STRING, extend

# the plugin's own config struct (1.1.1): what it decodes, in its words
CONF = extend(libcni.NETCONF, "FirewallNetConf", backend=STRING, iptablesAdminChainName=STRING,
              firewalldZone=STRING, ingressPolicy=STRING)
DECODE = "failed to load netconf: "

FORWARD = "CNI-FORWARD"
ADMIN = "CNI-ADMIN"
STAGE1, STAGE2 = "CNI-ISOLATION-STAGE-1", "CNI-ISOLATION-STAGE-2"
SAME_BRIDGE = "CNI firewall plugin rules (ingressPolicy: same-bridge)"
POLICIES = ("open", "same-bridge")


def add(a: Add) -> dict:
    prev = a.prev or {}
    policy = a.plugin.get("ingressPolicy") or "open"
    if policy not in POLICIES:  # the plugin's words (firewall.go parseConf)
        raise a.cni.error((*a.path, "ingressPolicy"), f'unknown ingress policy: "{policy}"',
                          ", ".join(POLICIES))
    if a.plugin.get("backend", "iptables") != "iptables":
        raise a.cni.error((*a.path, "backend"), "netsim models the firewall plugin's iptables "
                          "backend (firewalld is not on netsim's nodes)", "iptables")
    if not prev.get("ips"):
        raise a.cni.error(a.path, "firewall needs a previous plugin's result with an address")
    rules = a.cni.model.ns[a.node.ns].rules
    if not rules.has("filter", FORWARD):
        said = "CNI firewall plugin rules"
        rules.insert("filter", "FORWARD", Rule(Match(), Jump(FORWARD), said, said))
        said = "CNI firewall plugin admin overrides"
        rules.append("filter", FORWARD, Rule(Match(), Jump(ADMIN), said, said))
        rules.chain("filter", ADMIN)
    pod = IPv4Network(f"{IPv4Interface(prev['ips'][0]['address']).ip}/32")
    rules.append("filter", FORWARD, Rule(Match(daddr=Is(pod),
                                               ct_state=frozenset({"related", "established"})),
                                         Accept(), "CNI firewall: replies to the pod"))
    rules.append("filter", FORWARD, Rule(Match(saddr=Is(pod)), Accept(),
                                         "CNI firewall: the pod's own traffic"))
    if policy == "same-bridge":
        same_bridge(a, prev)
    return prev


def same_bridge(a: Add, prev: dict) -> None:
    """Docker's isolation, on the pod's bridge (the previous result's first host-side link):
    FORWARD first jumps to STAGE-1, which sends what comes in on a bridge and leaves on
    another to STAGE-2, which drops what leaves on a bridge. Each rule is inserted at the top
    of its chain once (the RETURNs are appended when the chain is made): observed, 1.1.1."""
    bridge = next((i["name"] for i in prev.get("interfaces", []) if not i.get("sandbox")), None)
    if bridge is None:
        raise a.cni.error((*a.path, "ingressPolicy"), "ingressPolicy same-bridge needs a "
                          "bridge in the previous plugin's result", "open")
    rules = a.cni.model.ns[a.node.ns].rules
    for chain in (STAGE1, STAGE2):
        if not rules.has("filter", chain):
            rules.append("filter", chain, _rule(Match(), Return()))
    for chain, match, action in (
            ("FORWARD", Match(), Jump(STAGE1)),
            (STAGE1, Match(iif=Is(bridge), oif=Is(bridge, negate=True)), Jump(STAGE2)),
            (STAGE2, Match(oif=Is(bridge)), Drop())):
        if not any(r.match == match and r.action == action
                   for r in rules.chain("filter", chain).rules):
            rules.insert("filter", chain, _rule(match, action))


def _rule(match: Match, action: object) -> Rule:
    return Rule(match, action, SAME_BRIDGE, SAME_BRIDGE, comment_last=True)
