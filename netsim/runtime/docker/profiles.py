"""Docker versions netsim reproduces, as data (spec §0.1 version matrix; observed 20.10, 26.1,
28.5.2). Each profile is the one before it with what that version changed, so a difference
between two versions is written once, where it happened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from netsim.runtime.docker.templates import DOCKER_FORWARD, LEGACY, RuleTemplates


class MacScheme(Enum):
    FROM_IP = "02:42 + the IPv4 address"  # <= 27
    RANDOM = "random, locally administered"  # 28+


class DnsFailure(Enum):
    """What the embedded resolver answers when its upstream is silent."""

    TIMEOUT = "timeout"  # 20.10: nothing comes back
    SERVFAIL = "servfail"  # 26.1+


@dataclass(frozen=True)
class Profile:
    name: str
    mac: MacScheme
    templates: RuleTemplates  # the iptables rules this version installs
    hairpin_masq_always: bool  # <= 27: per-port MASQUERADE even with the userland proxy
    internal_default_route: bool  # 20.10 kept `default via <gateway>` on --internal networks
    macvlan_share_parent: bool  # >= 27 lets several macvlan networks use one parent
    dns_upstream_failure: DnsFailure
    publish_all_descending: bool  # -P: 20.10 gives the highest exposed port the lowest host port
    sort_port_map: bool  # 20.10: -p bindings in go-connections nat.SortPortMap's order
    port_overlap: bool  # 28's allocator knows 0.0.0.0 overlaps every address; 20.10's does not
    binds_without_proxy: bool  # 28's dockerd binds host ports itself; <= 27 only docker-proxy
    # 20.10's docker-proxy answers UDP with a plain WriteTo from 0.0.0.0: the reply leaves from
    # the route's source address, which a connected client drops (real engines, issue 13)
    udp_proxy_routed_reply: bool
    forwarding_warning: str | None  # what `docker run` prints when ip_forward is 0
    pool_exhausted: str
    ip_outside_subnet: str  # {ip} {network}
    static_ip_default_bridge: str
    static_ip_auto_subnet: str
    wrap_prefix: str  # 28.1+: "failed to set up container networking: "
    port_allocated: str  # {ip} {port}: the allocator refuses
    bind_in_use: str  # {proto} {v} {ip} {port}: the socket's bind() refuses (20.10's proxy)
    bind_unassigned: str  # {proto} {v} {hip} {hport} {cip} {cport}: a host address it lacks
    # IPv6 (ipv6.md, observed on 20.10.24 and 28.5.2; 26 was not asked)
    ipv6_observed: bool
    ip6tables_default: bool  # 20.10: off; 27+: on
    ip6tables_needs_experimental: bool  # 20.10: dockerd refuses to start without it
    mac_derived_v6: bool  # 20.10: docker0's containers get prefix + their MAC
    bridge_link_local6: bool  # 20.10: every bridge also carries fe80::1/64
    v6_overlaps: str  # network create over another network's IPv6 subnet


DOCKER_20_10 = Profile(
    name="20.10", mac=MacScheme.FROM_IP, templates=LEGACY, hairpin_masq_always=True,
    internal_default_route=True, macvlan_share_parent=False,
    dns_upstream_failure=DnsFailure.TIMEOUT, publish_all_descending=True, sort_port_map=True,
    port_overlap=False,
    binds_without_proxy=False, udp_proxy_routed_reply=True,
    forwarding_warning="WARNING: IPv4 forwarding is disabled. Networking will not work.",
    pool_exhausted="could not find an available, non-overlapping IPv4 address pool among the "
                   "defaults to assign to the network",
    ip_outside_subnet="Invalid address {ip}: It does not belong to any of this network's subnets",
    static_ip_default_bridge="user specified IP address is supported on user defined networks "
                             "only",
    static_ip_auto_subnet="user specified IP address is supported only when connecting to "
                          "networks with user configured subnets",
    wrap_prefix="",
    port_allocated="Bind for {ip}:{port} failed: port is already allocated",
    bind_in_use="Error starting userland proxy: listen {proto}{v} {ip}:{port}: bind: address "
                "already in use",
    bind_unassigned="Error starting userland proxy: listen {proto}{v} {hip}:{hport}: bind: "
                    "cannot assign requested address",
    ipv6_observed=True, ip6tables_default=False, ip6tables_needs_experimental=True,
    mac_derived_v6=True, bridge_link_local6=True,
    v6_overlaps="Pool overlaps with other one on this address space",
)
DOCKER_26 = replace(
    DOCKER_20_10, name="26", internal_default_route=False, ipv6_observed=False,
    dns_upstream_failure=DnsFailure.SERVFAIL,
    ip_outside_subnet="invalid config for network {network}: invalid endpoint settings: no "
                      "configured subnet or ip-range contain the IP address {ip}",
)
DOCKER_28 = replace(
    DOCKER_26, name="28", mac=MacScheme.RANDOM, templates=DOCKER_FORWARD,
    hairpin_masq_always=False, macvlan_share_parent=True, publish_all_descending=False,
    sort_port_map=False,
    port_overlap=True, binds_without_proxy=True, forwarding_warning=None,
    udp_proxy_routed_reply=False, ipv6_observed=True, ip6tables_default=True,
    ip6tables_needs_experimental=False, mac_derived_v6=False, bridge_link_local6=False,
    v6_overlaps="invalid pool request: Pool overlaps with other one on this address space",
    pool_exhausted="all predefined address pools have been fully subnetted",
    wrap_prefix="failed to set up container networking: ",
    static_ip_default_bridge="invalid config for network bridge: invalid endpoint settings:\n"
                             "user specified IP address is supported on user defined networks "
                             "only",
    bind_unassigned="failed to bind host port for {hip}:{hport}:{cip}:{cport}/{proto}: cannot "
                    "assign requested address",
)

PROFILES: dict[str, Profile] = {p.name: p for p in (DOCKER_28, DOCKER_26, DOCKER_20_10)}
ALIASES = {"28.0": "28", "26.1": "26", "26.0": "26"}  # what users write for the same profile
DEFAULT = DOCKER_28.name


def for_version(version: str) -> str:
    """A real engine's version ("20.10.24+dfsg1", "28.5.2") -> the profile that reproduces
    it: the same major version, else the newest profile not newer than it."""
    try:
        major = int(version.split(".")[0])
    except ValueError:
        return DEFAULT
    majors = {int(name.split(".")[0]): name for name in PROFILES}
    older = [m for m in majors if m <= major]
    return majors[max(older)] if older else majors[min(majors)]
