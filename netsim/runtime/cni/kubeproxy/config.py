"""`kube_proxy:`: KubeProxyConfiguration's keys as they are (kubeproxy.config.k8s.io/v1alpha1),
checked with kube-proxy's words; the defaults are kubeadm's."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network

from netsim.model.assembly import Assembly

MODES = {"": "iptables", "iptables": "iptables", "nftables": "nftables"}
KNOWN = {"apiVersion", "kind", "mode", "clusterCIDR", "nodePortAddresses", "masqueradeAll",
         "iptables", "nftables"}


@dataclass(frozen=True)
class Config:
    mode: str = "iptables"
    cluster_cidrs: tuple[IPv4Network, ...] = ()  # the local-traffic detector's (clusterCIDR)
    node_port_addresses: tuple[IPv4Network, ...] = ()  # () = every local address
    primary_only: bool = False  # nodePortAddresses: ["primary"]
    masquerade_all: bool = False
    masquerade_mark: int = 1 << 14  # masqueradeBit 14


def read(asm: Assembly, value: dict | None, pod_cidr: IPv4Network | None) -> Config:
    """`pod_cidr`: kubeadm's networking.podSubnet (kube-proxy's clusterCIDR unless said)."""
    value = value or {}
    unknown = sorted(set(value) - KNOWN)
    if unknown:
        raise asm.error(("kube_proxy", unknown[0]), f'strict decoding error: unknown field '
                        f'"{unknown[0]}"', ", ".join(sorted(KNOWN)))
    mode = value.get("mode", "")
    if mode == "ipvs":
        raise asm.error(("kube_proxy", "mode"), "netsim does not model ipvs mode (deprecated "
                        "since Kubernetes 1.35)", "iptables, nftables")
    if mode not in MODES:
        raise asm.error(("kube_proxy", "mode"), f'invalid value for proxy mode: "{mode}"',
                        "iptables, nftables")
    cidrs = _cidrs(asm, value.get("clusterCIDR"), ("kube_proxy", "clusterCIDR"))
    if "clusterCIDR" not in value and pod_cidr is not None:
        cidrs = (pod_cidr,)
    raw = value.get("nodePortAddresses") or []
    # unset: every local address in iptables mode, the node's primary one in nftables mode
    primary = raw == ["primary"] or (not raw and MODES[mode] == "nftables")
    ports = () if primary else _cidrs(asm, ",".join(map(str, raw)) or None,
                                       ("kube_proxy", "nodePortAddresses"))
    return Config(MODES[mode], cidrs, ports, primary, bool(value.get("masqueradeAll")))


def _cidrs(asm: Assembly, text: object, at: tuple) -> tuple[IPv4Network, ...]:
    out = []
    for part in str(text).split(",") if text else ():
        try:
            net = ip_network(part.strip(), strict=False)
        except ValueError:
            raise asm.error(at, f'invalid CIDR address: {part.strip()}') from None
        if net.version == 4:
            out.append(net)
    return tuple(out)
