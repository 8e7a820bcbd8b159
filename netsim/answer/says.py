"""The sentences of the predictor's steps, one per kind (answer/step.py): a table, so that
what a step says is written once and a step is data everywhere else. `{ns}` is the step's place,
`{0}`, `{1}` ... its args in order; an arg that is a tuple of steps is rendered in place."""

from __future__ import annotations

from collections.abc import Iterable

from netsim.answer.step import Step

SAYS: dict[str, str] = {
    # routing and forwarding
    "loop": "routing loop: more than 32 hops",
    "martian": "{ns} drops {0} arriving on {1}: martian (loopback address from outside)",
    "no_forwarding": "{ns} does not route: IP forwarding is disabled (\"IPv4 forwarding is "
                     "disabled. Networking will not work.\")",
    "no_forwarding6": "{ns} does not route IPv6: net.ipv6.conf.all.forwarding is 0",
    "no_route": "{ns} has no route to {0} (Network is unreachable)",
    "blackhole": "{ns} routes {0} to a blackhole ({1}): discarded without an answer",
    "no_route_policy": "{ns} has no route to {0} (Network is unreachable): main has none, "
                       "and {1} is read only for traffic from that address",
    "no_address": "{ns} has no address on {0}",
    "loopback_source": "{ns} will not send {0} out of {1}: loopback source (route_localnet "
                       "is off)",
    "loopback_source6": "{ns} will not send {0} out of {1}: ::1 never leaves a host (IPv6 has "
                        "no route_localnet)",
    # netfilter: {0} is the rule's own text
    "forward": "{ns} FORWARD: {0}",
    "forward_bridged": "{ns} FORWARD (bridged): {0}",
    "dropped": "dropped in {ns} {0} {1}: {2}",
    "rejected": "rejected in {ns} {0} {1} (ICMP port unreachable: refused): {2}",
    "ndp_dropped": "{ns}'s bridge drops the neighbour solicitation for {0} (br_netfilter): "
                   "{1} {2}: {3}",
    "snat": "{ns} {0} {1} -> {2} ({3})",
    "dnat": "{ns} DNAT {0}:{1} -> {2}:{3} ({4})",
    "hairpin": "{ns}: the DNATed packet goes back out {0}, the port it came in by, and {0} "
               "is not in hairpin mode",
    # links
    "frag_needed": "{0}-byte packet, MTU {1} on {ns} {2}: frag needed and DF set",
    "fragments": "{ns} fragments the {0}-byte packet to MTU {1} on {2}",
    "no_arp": "{ns}: no answer to ARP for {0} on {1}",
    "no_ndp": "{ns}: no answer to neighbour solicitation for {0} on {1}",
    "too_big6": "{0}-byte packet, MTU {1} on {ns} {2}: ICMPv6 packet too big (IPv6 routers "
                "never fragment)",
    "frame_too_big": "{0}-byte frame dropped at {1}: MTU {2} (+{3}; no ICMP: a silent drop)",
    "underlay": "{0} from {ns} to {1}{2}/{3}: {4}",
    "underlay_silent": "no {0} endpoint answers there",
    "tunnel_mtu": "{0} packet of {1} bytes exceeds the {2} the underlay carries: dropped "
                  "without an error (overlay MTU blackhole, P13)",
    # the server
    "no_listener": "nothing listens on {0}:{1}/{2} in {ns}: {3}",
    "vrf_unbound": "{0}:{1}/{2} in {ns} is bound to no VRF: it hears nothing that arrives by "
                   "{3}, a link of VRF {4}: {5}",
    "tunnel_socket": "{ns}:{0}/{1} is the {2} socket: it answers nothing",
    "proxy": "docker-proxy in {ns} relays to {0}:{1}",
    "proxy_no_answer": "docker-proxy got no answer: {0}",
    "proxy_failed": "but its own connection failed ({0}): the client's connection opens and "
                    "closes without data",
    # the reply
    "no_reply": "no reply: {0}",
    "wrong_reply": "the reply reached {ns} from {0}, not the client from {1}",
    "wrong_reply_routed": "docker-proxy (bound to 0.0.0.0) answered from the address of its "
                          "route to the client; the reply reached {ns} from {0}, not the "
                          "client from {1}",
}


NO_ROUTE = frozenset({"no_route", "no_route_policy"})  # the sender's ENETUNREACH


def place(step: Step) -> str:
    """Where a step happened: its own namespace, else its inner connection's first place."""
    if step.ns:
        return step.ns
    return next((place(s) for a in step.args if type(a) is tuple for s in a), "")


# kind -> the args that are an address followed by its port: an IPv6 one is written [addr]
ENDPOINTS = {"dnat": (0, 2), "proxy": (0,), "no_listener": (0,), "vrf_unbound": (0,)}


def say(step: Step) -> str:
    args = [render(a) if type(a) is tuple else a for a in step.args]
    for i in ENDPOINTS.get(step.kind, ()):
        if getattr(args[i], "version", 4) == 6:
            args[i] = f"[{args[i]}]"
    return SAYS[step.kind].format(*args, ns=step.ns)


def render(steps: Iterable[Step]) -> str:
    """Steps as today's words: each its sentence, joined by "; "."""
    return "; ".join([say(s) for s in steps])
