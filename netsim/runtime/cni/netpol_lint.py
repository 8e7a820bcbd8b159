"""What NetworkPolicy authors get wrong (calico.md §5), said before rollout: policies on a CNI
that enforces none, an egress default deny that blocks DNS, a peer split in two where one was
likely meant, a DNS rule without UDP; hostNetwork pods, which are their node. Codes K01-K04
and K08 (calico-node's own: K05-K07)."""

from __future__ import annotations

from netsim.runtime.cni.context import Cni
from netsim.scenario import kubernetes as k8s


def run(cni: Cni) -> None:
    if not cni.asm.sc.kubernetes:
        return
    cluster = cni.cluster
    host_network(cni, cluster.host_network)
    policies = cluster.policies
    if not policies:
        return
    ignored(cni, policies)
    for p in policies:
        dns_blocked(cni, p)
        split_peer(cni, p)
        dns_tcp_only(cni, p)


def host_network(cni: Cni, pods: list[str]) -> None:
    """K08: hostNetwork pods are their node: no sandbox, no endpoint, no policy."""
    if pods:
        shown = ", ".join(pods[:5]) + (f" and {len(pods) - 5} more" if len(pods) > 5 else "")
        cni.warn("K08", f"{len(pods)} hostNetwork pod(s) ({shown}) share their node's network: "
                 "netsim makes no container of them (probe the node), and no NetworkPolicy "
                 "selects them")


def ignored(cni: Cni, policies: list[k8s.Policy]) -> None:
    """K01: a conflist none of whose plugins enforces NetworkPolicy (flannel, bridge)."""
    used = {net for info in cni.model.containers.values() if info.runtime == "cni"
            for net in info.networks if net in cni.conflists}
    for name in sorted(used):
        plugins = cni.conflists[name]["plugins"]
        if not any(getattr(cni.plugins.get(p["type"]), "ENFORCES_POLICY", False)
                   for p in plugins):
            kinds = " + ".join(p["type"] for p in plugins)
            cni.warn("K01", f"these {len(policies)} NetworkPolicies have no effect on "
                     f"{name}'s pods: no plugin of it ({kinds}) enforces NetworkPolicy; the API "
                     "server accepts them and nothing happens (run a policy agent: Calico, or "
                     "Canal on flannel)")


def dns_blocked(cni: Cni, p: k8s.Policy) -> None:
    """K02: isolated for egress and no rule lets port 53 out."""
    if "Egress" not in p.types:
        return
    for rule in p.egress:
        if not rule.ports or any(x.port is None or (x.port <= 53 <= (x.end or x.port))
                                 for x in rule.ports):
            return
    cni.warn("K02", f"NetworkPolicy {p.key}: egress is isolated and no rule allows port 53: "
             "the selected pods cannot resolve names (allow UDP and TCP 53 to kube-dns)")


def split_peer(cni: Cni, p: k8s.Policy) -> None:
    """K03: a namespaceSelector and a podSelector as two peers (OR) in one rule."""
    for direction, rules in (("ingress", p.ingress), ("egress", p.egress)):
        for rule in rules:
            ns_only = [x for x in rule.peers if x.namespaces is not None and x.pods is None]
            pod_only = [x for x in rule.peers if x.pods is not None and x.namespaces is None]
            if ns_only and pod_only:
                cni.warn("K03", f"NetworkPolicy {p.key} {direction}[{rule.index}]: a "
                         "namespaceSelector and a podSelector are two peers (OR: every pod of "
                         "those namespaces, or those pods of this one); in one peer, without "
                         "the dash, they would mean both (AND)")


def dns_tcp_only(cni: Cni, p: k8s.Policy) -> None:
    """K04: a rule for port 53 that names no protocol (TCP only)."""
    for direction, rules in (("ingress", p.ingress), ("egress", p.egress)):
        for rule in rules:
            fiftythree = [x for x in rule.ports if x.port == 53]
            if fiftythree and not any(x.protocol == "UDP" for x in fiftythree):
                cni.warn("K04", f"NetworkPolicy {p.key} {direction}[{rule.index}]: port 53 "
                         "without protocol UDP is TCP only: DNS queries (UDP) stay blocked")
