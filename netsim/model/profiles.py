"""Docker versions netsim reproduces, as data (spec §0.1 version matrix; observed 20.10 and 26.1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    mac: str  # "random": locally administered (28+); "from-ip": 02:42 + IPv4 bytes (<= 27)
    forward: str  # "docker-forward": 28.x DOCKER-FORWARD/-CT/-BRIDGE chains; "legacy": <= 27
    raw_protection: bool  # 28.0.2+: raw PREROUTING drops direct access to container IPs
    docker_user_return: bool  # <= 27 appends -j RETURN to DOCKER-USER
    hairpin_masq_always: bool  # <= 27: per-port MASQUERADE even with the userland proxy
    internal_default_route: bool  # 20.10 kept `default via <gateway>` on --internal networks
    pool_exhausted: str
    ip_outside_subnet: str  # {ip} {network}
    static_ip_default_bridge: str
    static_ip_auto_subnet: str
    wrap_prefix: str  # 28.1+: "failed to set up container networking: "
    macvlan_share_parent: bool  # >= 27 lets several macvlan networks use one parent
    dns_upstream_failure: str  # embedded DNS, upstream silent: 20.10 times out, 26.1 SERVFAILs


PROFILES: dict[str, Profile] = {
    "28": Profile(
        name="28", mac="random", forward="docker-forward", raw_protection=True,
        docker_user_return=False, hairpin_masq_always=False, internal_default_route=False,
        pool_exhausted="all predefined address pools have been fully subnetted",
        ip_outside_subnet="invalid config for network {network}: invalid endpoint settings: "
                          "no configured subnet or ip-range contain the IP address {ip}",
        static_ip_default_bridge="user specified IP address is supported on user defined "
                                 "networks only",
        static_ip_auto_subnet="user specified IP address is supported only when connecting to "
                              "networks with user configured subnets",
        wrap_prefix="failed to set up container networking: ",
        macvlan_share_parent=True,
        dns_upstream_failure="servfail",
    ),
    "26": Profile(
        name="26", mac="from-ip", forward="legacy", raw_protection=False,
        docker_user_return=True, hairpin_masq_always=True, internal_default_route=False,
        pool_exhausted="could not find an available, non-overlapping IPv4 address pool among "
                       "the defaults to assign to the network",
        ip_outside_subnet="invalid config for network {network}: invalid endpoint settings: "
                          "no configured subnet or ip-range contain the IP address {ip}",
        static_ip_default_bridge="user specified IP address is supported on user defined "
                                 "networks only",
        static_ip_auto_subnet="user specified IP address is supported only when connecting to "
                              "networks with user configured subnets",
        wrap_prefix="",
        macvlan_share_parent=False,
        dns_upstream_failure="servfail",
    ),
    "20.10": Profile(
        name="20.10", mac="from-ip", forward="legacy", raw_protection=False,
        docker_user_return=True, hairpin_masq_always=True, internal_default_route=True,
        pool_exhausted="could not find an available, non-overlapping IPv4 address pool among "
                       "the defaults to assign to the network",
        ip_outside_subnet="Invalid address {ip}: It does not belong to any of this network's "
                          "subnets",
        static_ip_default_bridge="user specified IP address is supported on user defined "
                                 "networks only",
        static_ip_auto_subnet="user specified IP address is supported only when connecting to "
                              "networks with user configured subnets",
        wrap_prefix="",
        macvlan_share_parent=False,
        dns_upstream_failure="timeout",
    ),
}
