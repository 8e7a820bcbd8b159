"""Warnings for what CNI users get wrong (cni.md §5), visible in the model before rollout."""

from __future__ import annotations

from ipaddress import IPv6Network

from netsim.model.graph import IfKind
from netsim.runtime.cni.context import Cni


def run(cni: Cni) -> None:
    for check in CHECKS:
        check(cni)


def hostport_without_hairpin(cni: Cni) -> None:
    for name, conf in cni.conflists.items():
        maps = any((p.get("capabilities") or {}).get("portMappings") for p in conf["plugins"])
        bridges = [p for p in conf["plugins"] if p.get("type") == "bridge"]
        if maps and bridges and not any(p.get("hairpinMode") for p in bridges):
            cni.warn("C01", f"cni.{name}: hostPorts without hairpinMode: a pod cannot reach "
                     "its own hostPort through the node's address (set hairpinMode: true on the "
                     "bridge plugin)")


def no_masquerade(cni: Cni) -> None:
    for name, conf in cni.conflists.items():
        bridges = [p for p in conf["plugins"] if p.get("type") == "bridge"]
        if bridges and not any(p.get("ipMasq") for p in bridges):
            cni.warn("C02", f"cni.{name}: ipMasq is off: pods reach beyond the node only if "
                     "the network routes their subnet back to it (lan.routes), else no egress")


def shared_range(cni: Cni) -> None:
    for node in cni.nodes.values():
        seen: dict = {}
        for network, store in node.stores.items():
            other = next((n for n, s in seen.items() if s.overlaps(store.subnet)), None)
            if other:
                cni.warn("C03", f"{node.name}: networks {other} and {network} share "
                         f"{store.subnet}: host-local keeps one store per network, so both hand "
                         "out the same addresses")
            seen[network] = store.subnet


def docker_forward_drop(cni: Cni) -> None:
    """dockerd that found ip_forward=0 turned it on and set FORWARD DROP (cni.md §7): the
    node's FORWARD policy says so, whoever set it."""
    for node in cni.nodes.values():
        ns = cni.model.ns[node.ns]
        # the node's side of each pod: a bridge plugin's bridge, or a ptp veth itself
        routed = sorted({i.master or i.name for i in ns.ifaces.values()
                         if i.built_by == "cni" and i.kind == IfKind.VETH})
        flannel = cni.flannel is not None and node.name in cni.flannel.leases
        fwd = ns.rules.tables.get("filter", {}).get("FORWARD")
        dropped = fwd is not None and fwd.policy == "drop"  # set by the runtime before it
        if dropped and routed and not flannel:  # FLANNEL-FWD accepts them
            cni.warn("C04", f"{node.name}: dockerd started first, turned ip_forward on and "
                     "set FORWARD policy DROP: pod-to-pod on a bridge, pod egress and hostPorts "
                     "from outside the node are dropped (accept the pods' devices in DOCKER-USER, "
                     f"e.g. iptables -I DOCKER-USER -i {routed[0]} -j ACCEPT and -o, or turn "
                     "ip_forward on before dockerd starts; Docker 28: --ip-forward-no-drop)")


def one_mac_for_all(cni: Cni) -> None:
    """tuning's `mac` in a conflist is every pod's MAC: two pods of it on one bridge break
    each other (observed: pod to pod dead)."""
    for name, conf in cni.conflists.items():
        macs = [p["mac"] for p in conf["plugins"] if p.get("type") == "tuning" and p.get("mac")]
        pods = [c for c in cni.model.containers.values() if c.networks == [name]]
        if macs and len(pods) > 1:
            cni.warn("C05", f"cni.{name}: tuning sets mac {macs[0]} for every pod of this "
                     f"network ({', '.join(p.name for p in pods)}): they break each other on the "
                     "bridge; give the MAC per pod (the mac capability, CNI_ARGS MAC=)")


# public IPv6 space that conflists are known to hand out: whose it is
WELL_KNOWN6 = {IPv6Network("2001:4860:4860::/48"): "Google Public DNS's prefix "
               "(2001:4860:4860::8888 and ::8844 are then on-link on the bridge: a pod's DNS "
               "queries to them never leave the node)"}


def public_ipv6_range(cni: Cni) -> None:
    """An IPv6 range in someone else's global space (containerd's default conflist hands out
    2001:4860:4860::/64): its addresses shadow the real owner's for every pod."""
    seen = set()
    for node in cni.nodes.values():
        for network, store in node.stores.items():
            net = store.subnet
            if net.version != 6 or not net.is_global or net in seen:
                continue
            seen.add(net)
            whose = next((w for known, w in WELL_KNOWN6.items() if net.subnet_of(known)),
                         "global unicast space that is not yours")
            cni.warn("C07", f"cni.{network.split('/')[0]}: IPv6 range {net} is {whose}; give "
                     "pods a ULA prefix (fd00::/8) of your own")


CHECKS = (hostport_without_hairpin, no_masquerade, shared_range, docker_forward_drop,
          one_mac_for_all, public_ipv6_range)
