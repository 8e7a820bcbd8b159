"""`firewall` (containernetworking/plugins plugins/meta/firewall, iptables backend): filter
FORWARD jumps to CNI-FORWARD, which goes first to the admin's CNI-ADMIN, then accepts each
container's replies and its own traffic. Under FORWARD ACCEPT it changes no verdict; under
DROP (Docker on the node) it keeps pod traffic alive and nothing else (cni.md §7)."""

from __future__ import annotations

from ipaddress import IPv4Interface, IPv4Network

from netsim.model.rules import Accept, Is, Jump, Match, Rule
from netsim.runtime.cni.context import Add

FORWARD = "CNI-FORWARD"
ADMIN = "CNI-ADMIN"


def add(a: Add) -> dict:
    prev = a.prev or {}
    policy = a.plugin.get("ingressPolicy", "open")
    if policy != "open":
        raise a.cni.error((*a.path, "ingressPolicy"), f"netsim does not model the firewall "
                          f"plugin's ingressPolicy {policy!r} yet", "open")
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
    return prev
