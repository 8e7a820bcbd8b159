"""Predict a probe by walking a packet over the model, as the kernel would (no root needed).

Per namespace: routing (local table, longest prefix), the netfilter hooks in kernel order
(raw, nat, filter; conntrack NAT undone on replies), forwarding only where it is on.
Between namespaces: a frame search over veths, bridges (with br_netfilter hooks where the
namespace has them), macvlan parents and modes, and VXLAN (carried by a real underlay probe).
A verdict needs the reply to come back too, exactly as a socket would need it.
"""

from __future__ import annotations

import itertools
from collections import deque
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network, IPv6Address

from netsim.answer.outcome import Outcome
from netsim.answer.step import Step
from netsim.answer.verdict import Result, Verdict
from netsim.gcpause import paused
from netsim.links.kind import State, Tunnel
from netsim.links.registry import LINKS
from netsim.model.graph import (
    ANY6,
    MAIN_PRIORITY,
    MAIN_TABLE,
    Iface,
    IfKind,
    IPAddress,
    Listener,
    Model,
    Netns,
    Route,
)
from netsim.model.rules import Dnat, Drop, Masquerade, Reject, Snat
from netsim.predict.netfilter import Decision, Netfilter, Seen

LOOPBACK = IPv4Network("127.0.0.0/8")
ANY = IPv4Address("0.0.0.0")
LOOPBACK6 = IPv6Address("::1")
V6 = 1 << 128  # an IPv6 address's integer in a set that holds IPv4 ones too: never equal
# a failure's step in IPv4 -> in IPv6, where the kernel's mechanism differs
SOLICITED = int(IPv6Address("ff02::1:ff00:0"))  # + the low 24 bits of the address sought
IN_IPV6 = {"no_arp": "no_ndp", "frag_needed": "too_big6", "no_forwarding": "no_forwarding6",
           "loopback_source": "loopback_source6"}


def _family(kind: str, pkt: Pkt) -> str:
    return IN_IPV6[kind] if pkt.v6 else kind
EPHEMERAL_SPORT = 40000
MAX_HOPS = 32
# a listener of one of these roles is a tunnel's endpoint, which answers nothing itself
TUNNEL_ROLES = {k.tunnel.role: k.tunnel.name for k in LINKS.values() if k.tunnel}


@dataclass
class Pkt:
    src: IPAddress | None
    dst: IPAddress
    proto: str  # icmp (ICMPv6 in IPv6) | tcp | udp
    sport: int | None = None
    dport: int | None = None
    size: int = 84  # the IP packet's length: ping -s 56 is 84 in IPv4, 104 in IPv6
    df: bool = False  # IPv6: always (only the sender fragments; routers send Packet Too Big)
    port: Iface | None = None  # the bridge port the packet last entered a bridge by
    mark: int = 0  # skb mark: set by MARK rules, scrubbed when it crosses into another netns
    v6: bool = False  # an IPv6 packet: routes, rules (ip6tables) and neighbours of that family

    def copy(self) -> Pkt:
        """A shallow copy (copy.copy and dataclasses.replace cost several times as much)."""
        new = object.__new__(Pkt)
        new.__dict__.update(self.__dict__)
        return new


def _loopback(a: IPAddress, v6: bool) -> bool:
    """In 127.0.0.0/8, or ::1 (an integer test: ipaddress's `in` costs a microsecond or two)."""
    return int(a) == 1 if v6 else int(a) >> 24 == 127


@dataclass
class Nat:
    ns: str
    kind: str  # "dnat" (destination changed) | "snat" (source changed)
    before: tuple[IPv4Address, int | None]
    after: tuple[IPv4Address, int | None]


@dataclass
class Trace:
    path: list[str] = field(default_factory=list)
    nat: list[Nat] = field(default_factory=list)
    notes: list[Step] = field(default_factory=list)
    src: IPv4Address | None = None  # the source address the kernel chose for the first packet

    def hop(self, name: str) -> None:
        if not self.path or self.path[-1] != name:
            self.path.append(name)


# what a reply has that the NAT of its connection changed: (address, port) fields of Pkt
_REVERSED = {"snat": ("dst", "dport"), "dnat": ("src", "sport")}

# is_skb_forwardable(): a frame handed to another device (veth peer, bridge port, macvlan
# child) passes when it fits that device's MTU plus room for one VLAN tag (VLAN_HLEN); only
# the sender checks its own MTU exactly (observed with a pod whose MTU tuning lowered)
RX_SLACK = 4
# a tunnel's overhead is given for an IPv4 underlay; an IPv6 outer header is 20 bytes longer
V4_HEADER, V6_HEADER = 20, 40


class Fail(Exception):
    """The packet died; `step` says where and by which rule."""

    def __init__(self, step: Step, arp: bool = False,
                 rule: tuple[str, str, str, int] | None = None, result: str = Verdict.BLOCKED):
        super().__init__(step)
        self.step = step
        self.result = result  # CLOSED when a REJECT answered it (the sender is told)
        self.arp = arp  # ARP went unanswered: a verdict that a warm neighbour cache would change
        self.rule = rule  # (namespace, table, chain, index) of the rule that dropped it


def _outcome(result: Result, seen: IPv4Address | None, path: list[str], steps: list[Step],
             dst: IPv4Address, **kw) -> Outcome:
    """An outcome with its steps, and their words (netsim.answer.says: one renderer)."""
    return Outcome(result, seen, path, "" if steps else "delivered", dst, steps=list(steps),
                   **kw)


@dataclass
class _Arrival:
    ns: Netns
    pkt: Pkt
    iif: str = ""  # the link it came in by ("lo": from the namespace itself)


def _indexed(routes: list[Route]) -> list[tuple[int, int, Route]]:
    """Routes as integers for the hot path: ipaddress's `in` and hash cost microseconds."""
    return [(int(r.dst.network_address), int(r.dst.netmask), r) for r in routes]


class Predictor:
    @paused()  # tables for every namespace: a full collection on the way walks the model
    def __init__(self, model: Model):
        self.model = model
        self.pick = self.split = 0  # a random split's choice this walk takes; its ways met
        self.served: IPAddress | None = None  # where the last walk's connection arrived
        self.nf = {k: Netfilter(ns.rules) for k, ns in model.ns.items()}
        self.nf6 = {k: Netfilter(ns.rules6) for k, ns in model.ns.items()}
        self.local = {k: model.local_addresses(k) for k in model.ns}
        self.v6on = {k for k in model.ns if model.ipv6_on(k)}
        tables = {k: self._routes(ns) for k, ns in model.ns.items()}
        self.table = {k: [r for r in t if r.dst.version == 4] for k, t in tables.items()}
        # the same as integers, for the hot path: ipaddress's `in` and hash cost microseconds
        # (an IPv6 address's with V6 set: one set holds both families)
        self._local_i = {k: {int(a) | (V6 if a.version == 6 else 0) for a in v}
                         for k, v in self.local.items()}
        self._rtab = {k: _indexed(t) for k, t in self.table.items()}
        self._rtab6 = {k: _indexed([r for r in t if r.dst.version == 6])
                       for k, t in tables.items()}
        # policy routing (ip rules): per namespace that has any, the rules in priority order,
        # main among them, each with its table indexed (None: main, the hot path's own)
        self._policy = {k: self._rules(ns) for k, ns in model.ns.items() if ns.policy}
        self._bfs: dict[tuple[str, bool], tuple[dict, dict, dict]] = {}
        self._paths: dict[tuple[str, IPv4Address, bool], list | None] = {}
        self._underlay: dict[tuple[str, str], tuple[Step, ...] | None] = {}
        self._iface = {i.id: i for ns in model.ns.values() for i in ns.ifaces.values()}
        self._ips = {k: [a.ip for a in i.addrs] for k, i in self._iface.items()}
        # IPv4 only: ARP answers for any of the host's addresses; NDP only for the link's own
        self._weak = {k: [ip for ip in v if ip.version == 4 and ip not in LOOPBACK]
                      for k, v in self.local.items()}
        self._ports: dict[str, list[Iface]] = {}
        self._kids: dict[str, list[Iface]] = {}
        # each interface's kind, looked up once: enum hashing is slow on the hot path
        self._kind = {i.id: LINKS[i.kind] for i in self._iface.values()}
        self._claims: dict[str, dict[IPv4Address, Iface]] = {}  # lower -> address -> child
        for i in self._iface.values():
            if i.master:
                self._ports.setdefault(f"{i.ns}/{i.master}", []).append(i)
            if i.parent:
                self._kids.setdefault(i.parent, []).append(i)
                if self._kind[i.id].routed_by_lower(i):
                    self._claims.setdefault(i.parent, {}).update({a.ip: i for a in i.addrs})
        self._routed = {c.id for kids in self._claims.values() for c in kids.values()}
        # an address held by exactly one interface that a frame search can find (not a
        # bridge port, not lo): the fast L2 path below may name it as the target
        holders: dict[IPv4Address, list[str]] = {}
        for i in self._iface.values():
            if not i.master and i.kind != IfKind.LOOPBACK:
                for ip in self._ips[i.id]:
                    holders.setdefault(ip, []).append(i.id)
        self._owner = {ip: ids[0] for ip, ids in holders.items() if len(ids) == 1}
        self.fast_l2 = True  # tests turn it off to compare with the full frame search

    # --- the links, as netsim.links' kinds see them (links.kind.Frames) -------------------
    def iface(self, iface_id: str) -> Iface:
        return self._iface[iface_id]

    def ports(self, bridge_id: str) -> list[Iface]:
        return self._ports.get(bridge_id, [])

    def children(self, lower_id: str) -> list[Iface]:
        return self._kids.get(lower_id, [])

    def tunnel_peers(self, iface: Iface) -> list[str]:
        return [n for n in self.model.tunnel_peers(iface.id)
                if self.model.iface(n).kind == iface.kind]

    def vlan_peers(self, iface: Iface) -> list[str]:
        return [i.id for i in self._iface.values()
                if i.kind == iface.kind and i.vlan_id == iface.vlan_id and i.id != iface.id]

    def transmit(self, iface: Iface) -> list[State]:
        """What a frame transmitted on `iface` itself reaches (never its children)."""
        return self._kind[iface.id].transmit(self, iface)

    # --- public -----------------------------------------------------------------------
    def probe(self, src_ns: str, dst: IPAddress, proto: str = "icmp", port: int | None = None,
              size: int | None = None) -> Outcome:
        """One connection's outcome; when a random split (a Service's endpoints) decides
        it, each choice's outcome is walked and kept in `choices` (the first is returned)."""
        self.pick, self.split = 0, 0
        first = self._probe(src_ns, dst, proto, port, size)
        ways = self.split
        if ways > 1:
            first.choices = [replace(first)]  # a copy: an outcome never holds itself
            for k in range(1, ways):
                self.pick = k
                first.choices.append(self._probe(src_ns, dst, proto, port, size))
            self.pick = 0
        return first

    def _probe(self, src_ns: str, dst: IPAddress, proto: str, port: int | None,
               size: int | None) -> Outcome:
        self.served = None
        out = self._probe_one(src_ns, dst, proto, port, size)
        if self.split > 1:
            out.served_by = self.served
        return out

    def _probe_one(self, src_ns: str, dst: IPAddress, proto: str, port: int | None,
                   size: int | None) -> Outcome:
        pkt = Pkt(None, dst, proto, EPHEMERAL_SPORT if proto != "icmp" else None, port)
        if dst.version == 6:
            pkt.v6, pkt.size, pkt.df = True, 104, True
        if size is not None:  # ICMP payload + ICMP 8 + the IP header (20, IPv6 40)
            pkt.size, pkt.df = size + (48 if pkt.v6 else 28), True
        return self._connect(src_ns, pkt, Trace(), depth=0)

    # --- a connection: request, service, reply ----------------------------------------
    def _connect(self, src_ns: str, pkt: Pkt, trace: Trace, depth: int) -> Outcome:
        origin = pkt.copy()
        try:
            arrival = self._deliver(src_ns, pkt, trace, ct="new")
        except Fail as f:
            return _outcome(f.result, None, trace.path, [f.step], pkt.dst,
                            cold_arp=f.arp, dropped_by=f.rule)
        origin.src = trace.src
        server = arrival.ns
        self.served = arrival.pkt.dst  # after DNAT: which of a Service's endpoints
        seen = arrival.pkt.src
        if pkt.proto == "icmp":
            return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.REACH, seen)
        listener = self._listener(server, arrival.pkt)
        vrf = self._vrf_of(server, arrival.iif)
        got = (arrival.pkt.dst, arrival.pkt.dport, pkt.proto)
        refused = "RST" if pkt.proto == "tcp" else "ICMP port unreachable"
        if listener is not None and vrf:  # tcp/udp_l3mdev_accept=0: the socket is VRF-less
            trace.notes.append(Step("vrf_unbound", server.label,
                                    (*got, arrival.iif, vrf, refused)))
            return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.CLOSED, None)
        if listener is None:
            trace.notes.append(Step("no_listener", server.label, (*got, refused)))
            return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.CLOSED, None)
        if listener.role in TUNNEL_ROLES:
            trace.notes.append(Step("tunnel_socket", server.label, (
                listener.port, listener.proto, TUNNEL_ROLES[listener.role])))
            return _outcome(Verdict.BLOCKED, None, trace.path, trace.notes, origin.dst)
        if listener.role == "proxy" and depth < 4:
            trace.notes.append(Step("proxy", server.label, listener.target))
            inner_pkt = Pkt(None, listener.target[0], pkt.proto, EPHEMERAL_SPORT + 1,
                            listener.target[1], v6=listener.target[0].version == 6)
            inner = self._connect(server.id, inner_pkt, trace, depth + 1)
            if inner.result != Verdict.OPEN and pkt.proto == "udp":  # nothing comes back
                return _outcome(Verdict.BLOCKED, None, trace.path, [
                    Step("proxy_no_answer", "", (tuple(inner.steps),))], origin.dst)
            if inner.result != Verdict.OPEN:  # docker-proxy accepted, then closes: connect succeeds
                trace.notes.append(Step("proxy_failed", "", (tuple(inner.steps),)))
                return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.OPEN, None)
            return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.OPEN,
                               inner.source_seen, routed_source=listener.routed_reply)
        return self._reply(server, arrival.pkt, origin, src_ns, trace, Verdict.OPEN, seen)

    def _reply(self, server: Netns, got: Pkt, origin: Pkt, src_ns: str, trace: Trace,
               result: str, seen: IPv4Address | None, routed_source: bool = False) -> Outcome:
        # the kernel's ICMP socket answers with IP_PMTUDISC_DONT: an echo reply above the
        # server's MTU is fragmented, never dropped (observed: a pod whose MTU tuning lowered)
        back = Pkt(None if routed_source else got.dst, got.src, got.proto, got.dport,
                   got.sport, size=got.size, df=got.df and (got.proto != "icmp" or got.v6),
                   v6=got.v6)
        ct = "related" if result == Verdict.CLOSED and got.proto == "udp" else "established"
        rtrace = Trace(nat=trace.nat)
        path = list(trace.path)
        try:
            arrival = self._deliver(server.id, back, rtrace, ct=ct)
        except Fail as f:
            return _outcome(Verdict.BLOCKED, None, path, [Step("no_reply", "", ((f.step,),))],
                            origin.dst, dropped_by=f.rule)
        if arrival.ns.id != src_ns or arrival.pkt.src != origin.dst:
            kind = "wrong_reply_routed" if routed_source else "wrong_reply"
            return _outcome(Verdict.BLOCKED, None, path, [Step(kind, arrival.ns.label, (
                arrival.pkt.src, origin.dst))], origin.dst)
        return _outcome(result, seen, path, trace.notes, origin.dst)

    @staticmethod
    def _vrf_of(ns: Netns, iif: str) -> str | None:
        link = ns.ifaces.get(iif)
        return link.vrf if link is not None else None

    def _listener(self, ns: Netns, pkt: Pkt) -> Listener | None:
        for lst in ns.listeners:
            if lst.port == pkt.dport and lst.proto == pkt.proto and (
                    lst.ip == pkt.dst or self._any(ns, lst, pkt.v6)):
                return lst
        return None

    def _any(self, ns: Netns, lst: Listener, v6: bool) -> bool:
        """A wildcard socket hears the packet's family: 0.0.0.0 IPv4 (and IPv6 too for
        netsim's echo services where the namespace has IPv6: they bind [::] as well), ::
        IPv6 and, unless IPV6_V6ONLY, IPv4."""
        if v6:
            return lst.ip == ANY6 or (lst.ip == ANY and lst.role == "echo" and ns.id in self.v6on)
        return lst.ip == ANY or (lst.ip == ANY6 and not lst.v6only)

    # --- one direction: from a namespace's socket to another namespace's socket --------
    def _deliver(self, ns_id: str, pkt: Pkt, trace: Trace, ct: str) -> _Arrival:
        ns = self.model.ns[ns_id]
        trace.hop(ns.label)
        step = self._output(ns, pkt, trace, ct)
        for _ in range(MAX_HOPS):
            if isinstance(step, _Arrival):
                return step
            ns, oif, nexthop = step
            if self._routed and oif.id in self._routed and self._path(oif, nexthop) is None:
                lower = self.model.ns[self._iface[oif.parent].ns]  # ipvlan l3: it routes
                trace.hop(lower.label)
                step = self._output(lower, pkt, trace, ct)
                continue
            nxt, iif = self._l2(ns, oif, nexthop, pkt, trace, ct)
            trace.hop(nxt.label)
            step = self._input(nxt, iif, pkt, trace, ct)
        raise Fail(Step("loop"))

    def _output(self, ns: Netns, pkt: Pkt, trace: Trace, ct: str):
        route = self._route(ns, pkt.dst, pkt.src)
        if pkt.src is None:
            pkt.src = self._source(ns, route, pkt.dst)
        if trace.src is None:
            trace.src = pkt.src
        oif = route.dev if route else "lo"
        if not self._nf(ns, pkt).empty:  # most namespaces (containers) have no rules
            self._filters(ns, "output<", pkt, "", oif, ct)
            if ct == "new" and self._dnat(ns, "output", pkt, "", oif, ct, trace):
                route = self._route(ns, pkt.dst, pkt.src)
                oif = route.dev if route else "lo"
            self._filters(ns, "output>", pkt, "", oif, ct)
        if route is None:
            return self._local(ns, "lo", pkt, trace, ct, from_self=True)
        self._unnat(ns, pkt, trace, ct, "dnat")
        return self._post(ns, route, pkt, trace, ct)

    def _input(self, ns: Netns, iif: Iface, pkt: Pkt, trace: Trace, ct: str):
        child = self._claims[iif.id].get(pkt.dst) if self._claims and iif.id in self._claims \
            else None
        if child is not None:  # ipvlan l3: handed over by address before the lower's IP layer
            trace.hop(self.model.ns[child.ns].label)
            return self._input(self.model.ns[child.ns], child, pkt, trace, ct)
        if _loopback(pkt.dst, pkt.v6) and (pkt.v6 or not iif.route_localnet):
            raise Fail(Step("martian", ns.label, (pkt.dst, iif.name)))
        bare = self._nf(ns, pkt).empty
        if not bare:
            self._filters(ns, "prerouting<", pkt, iif.name, "", ct)
        self._unnat(ns, pkt, trace, ct, "snat")
        dnat = ct == "new" and not bare and self._dnat(ns, "prerouting", pkt, iif.name, "", ct,
                                                       trace)
        route = self._route(ns, pkt.dst, pkt.src)
        if route is None:
            return self._local(ns, iif.name, pkt, trace, ct)
        if dnat and ns.bridge_nf and route.dev == iif.name and pkt.port is not None:
            self._bridge_hairpin(ns, iif, route, pkt)
        if not (ns.forwarding6 if pkt.v6 else ns.forwarding):
            raise Fail(Step(_family("no_forwarding", pkt), ns.label))
        d = None if bare else self._filters(ns, "forward", pkt, iif.name, route.dev, ct)
        if d and d.rule:  # the rule that marked it says why when it is not the same tool's
            why = d.marked.origin if d.marked and d.marked.origin != d.rule.origin else None
            trace.notes.append(Step("forward", ns.label, (why or d.rule.origin,)))
        self._unnat(ns, pkt, trace, ct, "dnat")
        return self._post(ns, route, pkt, trace, ct, iif=iif.name)

    def _bridge_hairpin(self, ns: Netns, bridge: Iface, route: Route, pkt: Pkt) -> None:
        """br_netfilter hands a packet DNATed back onto the bridge it came from to the bridge,
        not to routing: if the new destination sits behind the very port the packet entered by
        (a container reaching itself), that port must be in hairpin mode (spec §3.5, §1.6)."""
        steps = self._path(bridge, route.via or pkt.dst)
        out_port = steps[0][2] if steps else None
        if out_port is not None and out_port.id == pkt.port.id and not pkt.port.hairpin:
            raise Fail(Step("hairpin", ns.label, (pkt.port.name,)))

    def _local(self, ns: Netns, iif: str, pkt: Pkt, trace: Trace, ct: str,
               from_self: bool = False) -> _Arrival:
        if not self._nf(ns, pkt).empty:
            if from_self:
                self._filters(ns, "prerouting<", pkt, "lo", "", ct)
            self._filters(ns, "input", pkt, iif, "", ct)
        self._unnat(ns, pkt, trace, ct, "dnat")
        return _Arrival(ns, pkt, iif)

    def _post(self, ns: Netns, route: Route, pkt: Pkt, trace: Trace, ct: str, iif: str = ""):
        d = self._snat(ns, pkt, iif, route.dev, ct) if ct == "new" and \
            not self._nf(ns, pkt).empty else None
        if d is not None:  # a masquerade or SNAT bound the connection
            new = d.action.to if isinstance(d.action, Snat) else self._source(ns, route, pkt.dst)
            if new != pkt.src:
                trace.nat.append(Nat(ns.id, "snat", (pkt.src, pkt.sport), (new, pkt.sport)))
                trace.notes.append(Step("snat", ns.label, (
                    type(d.action).__name__.upper(), pkt.src, new, d.rule.origin)))
                pkt.src = new
        if _loopback(pkt.src, pkt.v6) and (pkt.v6 or not ns.ifaces[route.dev].route_localnet):
            raise Fail(Step(_family("loopback_source", pkt), ns.label, (pkt.src, route.dev)))
        return ns, ns.ifaces[route.dev], route.via or pkt.dst

    # --- netfilter ----------------------------------------------------------------------
    def _nf(self, ns: Netns, pkt: Pkt) -> Netfilter:
        """The ruleset of the packet's family: iptables' or ip6tables'."""
        return self.nf6[ns.id] if pkt.v6 else self.nf[ns.id]

    def _seen(self, ns: Netns, pkt: Pkt, iif: str, oif: str, ct: str) -> Seen:
        local = self._local_i[ns.id]
        d, s = int(pkt.dst), int(pkt.src)
        if pkt.v6:
            return Seen(iif, oif, s, d, "icmpv6" if pkt.proto == "icmp" else pkt.proto,
                        pkt.dport, pkt.sport, ct, d | V6 in local or d == 1, s | V6 in local,
                        pkt.mark)
        return Seen(iif, oif, s, d, pkt.proto, pkt.dport, pkt.sport, ct,
                    d in local or d >> 24 == 127, s in local, pkt.mark)

    def _decide(self, ns: Netns, table: str, chain: str, pkt: Pkt, iif: str, oif: str,
                ct: str) -> Decision:
        seen = self._seen(ns, pkt, iif, oif, ct)
        seen.pick = self.pick
        decision = self._nf(ns, pkt).decide(table, chain, seen)
        pkt.mark = seen.mark
        if seen.split > self.split:
            self.split = seen.split
        return decision

    def _filters(self, ns: Netns, phase: str, pkt: Pkt, iif: str, oif: str, ct: str
                 ) -> Decision | None:
        """The filter-type base chains of a phase (Netfilter.phases), in the kernel's order;
        a drop or reject in any ends the walk. The decision returned is the last one a rule
        made (what the notes name), else the last chain's policy."""
        said = None
        for table, chain in self._nf(ns, pkt).phases[phase]:
            d = self._hook(ns, table, chain, pkt, iif, oif, ct)
            if said is None or d.rule is not None or said.rule is None:
                said = d
        return said

    def _hook(self, ns: Netns, table: str, chain: str, pkt: Pkt, iif: str, oif: str,
              ct: str) -> Decision:
        d = self._decide(ns, table, chain, pkt, iif, oif, ct)
        if isinstance(d.action, Drop):
            rule = d.rule.origin if d.rule else f"policy DROP of {chain}"
            raise Fail(Step("dropped", ns.label, (table, d.chain, rule)),
                       rule=(ns.id, f"ip6 {table}" if pkt.v6 else table, d.chain, d.index))
        if isinstance(d.action, Reject):
            raise Fail(Step("rejected", ns.label, (table, d.chain, d.rule.origin)),
                       rule=(ns.id, f"ip6 {table}" if pkt.v6 else table, d.chain, d.index),
                       result=Verdict.CLOSED if pkt.proto != "icmp" else Verdict.BLOCKED)
        return d

    def _nat(self, ns: Netns, hook: str, pkt: Pkt, iif: str, oif: str, ct: str,
             kinds: tuple[type, ...]) -> Decision | None:
        """The nat-type base chains on `hook` in the kernel's order, until one binds the
        connection (nf_nat_inet_fn: a chain that only accepts hands over to the next)."""
        for table, chain in self._nf(ns, pkt).phases["nat " + hook]:
            d = self._decide(ns, table, chain, pkt, iif, oif, ct)
            if isinstance(d.action, kinds):
                return d
        return None

    def _snat(self, ns: Netns, pkt: Pkt, iif: str, oif: str, ct: str) -> Decision | None:
        return self._nat(ns, "postrouting", pkt, iif, oif, ct, (Masquerade, Snat))

    def _dnat(self, ns: Netns, hook: str, pkt: Pkt, iif: str, oif: str, ct: str,
              trace: Trace) -> bool:
        d = self._nat(ns, hook, pkt, iif, oif, ct, (Dnat,))
        if d is None:
            return False
        to = (d.action.to, d.action.port or pkt.dport)
        trace.nat.append(Nat(ns.id, "dnat", (pkt.dst, pkt.dport), to))
        trace.notes.append(Step("dnat", ns.label, (pkt.dst, pkt.dport, *to, d.rule.origin)))
        pkt.dst, pkt.dport = to
        return True

    def _unnat(self, ns: Netns, pkt: Pkt, trace: Trace, ct: str, kind: str) -> None:
        """A reply in a connection this namespace NATed: conntrack gives back what the first
        packet had (after SNAT, the reply's destination; after DNAT, its source)."""
        if ct == "new" or not trace.nat:
            return
        addr, port = _REVERSED[kind]
        for n in trace.nat:
            if n.ns == ns.id and n.kind == kind and (getattr(pkt, addr), getattr(pkt, port)) \
                    == n.after:
                setattr(pkt, addr, n.before[0])
                setattr(pkt, port, n.before[1])

    # --- routing ------------------------------------------------------------------------
    def _routes(self, ns: Netns) -> list[Route]:
        table = []
        for iface in ns.ifaces.values():
            if iface.master or iface.kind == IfKind.LOOPBACK or not iface.prefix_route:
                continue
            for a in iface.addrs:
                table.append(Route(a.network, iface.name, None, a.ip))
        table.extend(r for r in ns.routes if r.table == MAIN_TABLE)
        table.sort(key=lambda r: -r.dst.prefixlen)
        return table

    def _rules(self, ns: Netns) -> list[tuple[int, int, list | None]]:
        """(source network, mask, indexed table) per rule in priority order; main's rule
        (from all) holds None. The local table comes first: _route looks there itself."""
        rules = [(MAIN_PRIORITY, 0, 0, None)]
        for p in ns.policy:
            routes = sorted((r for r in ns.routes if r.table == p.table),
                            key=lambda r: -r.dst.prefixlen)
            rules.append((p.priority, int(p.src.network_address), int(p.src.netmask),
                          _indexed(routes)))
        rules.sort(key=lambda r: r[0])  # stable: main's rule before another of its priority
        return [r[1:] for r in rules]

    def usable(self, ns_id: str, dst: IPAddress) -> bool:
        """Would a socket in `ns_id` connect() to `dst`: an address of its family to send
        from and a route (getaddrinfo's rule 1, "avoid unusable destinations")?"""
        ns = self.model.ns[ns_id]
        if not any(a.version == dst.version and not a.is_link_local and not a.is_loopback
                   for i in ns.ifaces.values() for a in i.addrs):
            return False
        try:
            self._route(ns, dst)
        except Fail:
            return False
        return True

    def _route(self, ns: Netns, dst: IPAddress, src: IPAddress | None = None) -> Route | None:
        """None = local delivery. Raises Fail when there is no route. `src`: the packet's
        source, None while an unbound socket's lookup has none (no `from` rule matches)."""
        d = int(dst)
        if dst.version == 6:  # no policy routing modelled for IPv6
            if d | V6 in self._local_i[ns.id] or d == 1:
                return None
            for net, mask, r in self._rtab6[ns.id]:
                if d & mask == net:
                    return r
            raise Fail(Step("no_route", ns.label, (dst,)),
                       rule=(ns.id, "snmp", "Ip6InNoRoutes", 0))
        if d in self._local_i[ns.id] or d >> 24 == 127:  # 127.0.0.0/8
            return None
        if ns.id in self._policy:
            return self._by_rules(ns, d, src)
        for net, mask, r in self._rtab[ns.id]:
            if d & mask == net:
                if r.blackhole:
                    raise Fail(Step("blackhole", ns.label, (dst, r.dst)))
                return r
        # a packet it forwards counts in IpExt InNoRoutes (what the prober reads)
        raise Fail(Step("no_route", ns.label, (dst,)), rule=(ns.id, "snmp", "InNoRoutes", 0))

    def _by_rules(self, ns: Netns, d: int, src: IPv4Address | None) -> Route:
        s = None if src is None else int(src)
        for net, mask, table in self._policy[ns.id]:
            if table is None:
                table = self._rtab[ns.id]
            elif s is None or s & mask != net:
                continue
            for rnet, rmask, r in table:
                if d & rmask == rnet:
                    return r
        tables = ", ".join(f"table {p.table} from {p.src}" for p in ns.policy)
        raise Fail(Step("no_route_policy", ns.label, (IPv4Address(d), tables)),
                   rule=(ns.id, "snmp", "InNoRoutes", 0))

    def _source(self, ns: Netns, route: Route | None, dst: IPAddress) -> IPAddress:
        v6 = dst.version == 6
        if route is None:
            if dst in self.local[ns.id] or _loopback(dst, v6):
                return dst
            return LOOPBACK6 if v6 else IPv4Address("127.0.0.1")
        if route.src:
            return route.src
        iface = ns.ifaces[route.dev]
        target = route.via or dst
        for a in iface.addrs:
            if target in a.network:
                return a.ip
        mine = [a.ip for a in iface.addrs if a.version == dst.version]
        if v6 and not mine:  # IPv6 picks a global address of another link (RFC 6724)
            mine = [a for a in self.local[ns.id] if a.version == 6 and a != LOOPBACK6]
        elif not mine:  # inet_select_addr: a link without one lends another link's (Calico's
            mine = [a.ip for i in ns.ifaces.values()  # cali devices have no address),
                    for a in i.addrs if a.version == 4 and not a.ip.is_loopback]  # in link order
        if mine:
            return mine[0]
        raise Fail(Step("no_address", ns.label, (route.dev,)))

    # --- layer 2 ------------------------------------------------------------------------
    def _l2(self, ns: Netns, oif: Iface, nexthop: IPv4Address, pkt: Pkt,
            trace: Trace, ct: str) -> tuple[Netns, Iface]:
        if pkt.size > oif.mtu:
            if pkt.df:
                raise Fail(Step(_family("frag_needed", pkt), ns.label,
                                (pkt.size, oif.mtu, oif.name)))
            trace.notes.append(Step("fragments", ns.label, (pkt.size, oif.mtu, oif.name)))
            pkt.size = oif.mtu  # the largest fragment is what the next links must carry
        steps = self._path(oif, nexthop, arp=ct == "new")
        if steps is None:
            raise Fail(Step(_family("no_arp", pkt), ns.label, (nexthop, oif.name)), arp=True)
        if pkt.v6 and ct == "new":
            self._solicit(steps, nexthop, pkt)
        for kind, a, b in steps:
            if kind == "bridged":  # forwarded by a bridge from port a to port b
                self._bridged(a, pkt, trace, ct)
            elif kind == "tunnel":
                self._tunnel_carry(a, b, pkt, trace)
            if pkt.size > b.mtu + RX_SLACK:
                raise Fail(Step("frame_too_big", self.model.ns[b.ns].label,
                                (pkt.size, b.id, b.mtu, RX_SLACK)))
        recv = steps[-1][2] if steps else oif
        pkt.port = steps[-1][1] if steps and recv.kind == IfKind.BRIDGE else None
        if recv.ns != oif.ns:
            pkt.mark = 0  # skb_scrub_packet: a mark does not cross into another namespace
        return self.model.ns[recv.ns], recv

    def _path(self, oif: Iface, nexthop: IPv4Address, arp: bool = True) -> list | None:
        """The frame's hops from `oif` to the interface that owns `nexthop` (cached).
        `arp`: the sender must ARP first (a broadcast); a reply needs none, because the request's
        ARP taught each hop the sender's MAC, so unicast reachability is enough."""
        key = (oif.id, nexthop, arp)
        if key in self._paths:
            return self._paths[key]
        fast = self._fast_path(oif, nexthop) if self.fast_l2 else None
        if fast is not None:
            self._paths[key] = fast
            return fast
        parents, found, weak = self._frames(oif, arp)
        target = found.get(nexthop) or weak.get(nexthop) or self._proxied(parents, nexthop)
        steps = None
        if target is not None:
            states = []
            state = ("rx", target)
            while state is not None:
                states.append(state)
                state = parents[state]
            states.reverse()
            steps = []
            for (k1, a), (k2, b) in itertools.pairwise(states):
                ia, ib = self._iface[a], self._iface[b]
                if k1 == "rx" and k2 == "tx":
                    kind = "bridged"
                elif k1 == "tx" and k2 == "rx" and self._kind[ia.id].tunnel:
                    kind = "tunnel"
                else:
                    kind = "wire"
                steps.append((kind, ia, ib))
        self._paths[key] = steps
        return steps

    def _proxied(self, parents: dict, nexthop: IPAddress) -> str | None:
        """Proxy ARP: a link with proxy_arp on answers for an address its namespace routes
        out of another link (Calico's 169.254.1.1, which nobody holds)."""
        if nexthop.version != 4:
            return None
        for kind, node in parents:
            iface = self._iface[node]
            if kind != "rx" or not iface.proxy_arp:
                continue
            try:
                route = self._route(self.model.ns[iface.ns], nexthop)
            except Fail:
                continue
            if route is not None and route.dev != iface.name:
                return node
        return None

    def _fast_path(self, oif: Iface, nexthop: IPv4Address) -> list | None:
        """The common case without a frame search: a veth whose peer is a port of a bridge,
        to the bridge itself or to a veth behind another port of it, none of them with
        children (macvlan, vlan) and the address held by that interface alone. It is the
        path the search would find (each hop has one way in); the search costs as many
        steps as the bridge has ports, and every new source pays it."""
        veth, bridge = IfKind.VETH, IfKind.BRIDGE
        target = self._owner.get(nexthop)
        if target is None or oif.kind != veth or oif.peer is None:
            return None
        port = self._iface[oif.peer]
        if port.kind != veth or not port.master or port.id in self._kids:
            return None
        br = f"{port.ns}/{port.master}"
        if self._iface[br].kind != bridge:
            return None
        if target == br:
            return [("wire", oif, port), ("wire", port, self._iface[br])]
        t = self._iface[target]
        if t.kind != veth or t.peer is None or target in self._kids:
            return None
        q = self._iface[t.peer]
        if (q.kind != veth or q.ns != port.ns or q.master != port.master or q.id == port.id
                or q.id in self._kids):
            return None
        return [("wire", oif, port), ("bridged", port, q), ("wire", q, t)]

    def _solicit(self, steps: list, nexthop: IPAddress, pkt: Pkt) -> None:
        """IPv6 neighbour discovery: the solicitation, to the target's solicited-node group
        (ff02::1:ffXX:XXXX), is bridged like any frame and, with br_netfilter, meets ip6tables
        FORWARD: a rule that drops it leaves the neighbour unresolved (ipv6.md §7: 20.10's
        --internal rules). ARP is not IP: IPv4 has no such step."""
        for kind, a, _ in steps:
            if kind != "bridged" or not self.model.ns[a.ns].bridge_nf:
                continue
            group = IPv6Address(SOLICITED | int(nexthop) & 0xFFFFFF)
            try:
                self._filters(self.model.ns[a.ns], "forward",
                              Pkt(pkt.src, group, "icmp", v6=True), a.master, a.master, "new")
            except Fail as e:
                raise Fail(Step("ndp_dropped", e.step.ns, (nexthop, *e.step.args)),
                           rule=e.rule) from None

    def _bridged(self, port: Iface, pkt: Pkt, trace: Trace, ct: str) -> None:
        """Frames forwarded by a bridge see its namespace's ip hooks when br_netfilter is on,
        conntrack included: a hairpin-NATed reply is un-NATed on the bridge (spec §3.5)."""
        ns = self.model.ns[port.ns]
        br = port.master
        net = ns.ifaces[br].network
        if net:
            trace.hop(f"{net}")
        elif ns.label == "LAN":
            trace.hop("LAN")
        if not ns.bridge_nf:
            return
        self._filters(ns, "prerouting<", pkt, br, "", ct)
        self._unnat(ns, pkt, trace, ct, "snat")
        d = self._filters(ns, "forward", pkt, br, br, ct)
        if d and d.rule and ct == "new":
            trace.notes.append(Step("forward_bridged", ns.label, (d.rule.origin,)))
        self._unnat(ns, pkt, trace, ct, "dnat")

    def _tunnel_carry(self, a: Iface, b: Iface, pkt: Pkt, trace: Trace) -> None:
        """The frame rides the underlay as the tunnel kind says: that packet is sent from
        the sender's host to the receiver's endpoint, and must fit the underlay's MTU."""
        tun = self._kind[a.id].tunnel
        assert tun is not None
        host_a = self.model.ns[a.ns].host
        port = tun.port(b)
        key = (a.id, b.id)
        if key not in self._underlay:
            self._underlay[key] = self._underlay_check(host_a, b.vtep, tun, port)
        problem = self._underlay[key]
        if problem:
            where = f":{port}" if port is not None else ""
            raise Fail(Step("underlay", host_a, (tun.name, b.vtep, where, tun.proto, problem)))
        mtu = self._underlay_mtu(host_a, b.vtep)
        outer = pkt.size + tun.overhead + (V6_HEADER - V4_HEADER) * (b.vtep.version == 6)
        if outer > mtu:
            raise Fail(Step("tunnel_mtu", "", (tun.name, outer, mtu)))

    def _underlay_check(self, host: str, vtep: IPAddress, tun: Tunnel,
                        port: int | None) -> tuple[Step, ...] | None:
        pkt = Pkt(None, vtep, tun.proto, port, port, v6=vtep.version == 6)
        try:
            arrival = self._deliver(host, pkt, Trace(), ct="new")
        except Fail as f:
            return (f.step,)
        lst = self._listener(arrival.ns, arrival.pkt)
        return None if lst and lst.role == tun.role else (Step("underlay_silent", "",
                                                                (tun.name,)),)

    def _underlay_mtu(self, host: str, vtep: IPAddress) -> int:
        """The largest VXLAN packet the path carries: the sender's NIC is a hard limit; every
        later hop (a veth or bridge port receiving it) takes RX_SLACK bytes more."""
        route = self._route(self.model.ns[host], vtep)
        mtu = self.model.ns[host].ifaces[route.dev].mtu if route else 65536
        parents, found, _ = (self._frames(self.model.ns[host].ifaces[route.dev]) if route
                             else ({}, {}, {}))
        state = ("rx", found.get(route.via or vtep)) if route else None
        sender = f"{host}/{route.dev}" if route else None
        while state and state[1]:
            if state[1] != sender:
                mtu = min(mtu, self.model.iface(state[1]).mtu + RX_SLACK)
            state = parents.get(state)
        return mtu

    def _frames(self, src: Iface, broadcast: bool = True) -> tuple[dict, dict, dict]:
        """Every interface a frame sent on `src` can reach: parent pointers, ip -> the iface that
        holds it, and ip -> an iface whose namespace holds it elsewhere (Linux answers ARP for
        any of its addresses on any interface: arp_ignore=0, the "weak host" model)."""
        if (src.id, broadcast) in self._bfs:
            return self._bfs[src.id, broadcast]
        start = ("tx", src.id)
        parents: dict = {start: None}
        found: dict[IPv4Address, str] = {}
        weak: dict[IPv4Address, str] = {}
        queue = deque([start])
        isolated = self._kind[src.id].isolated_lower(src)
        while queue:
            state = queue.popleft()
            for nxt in self._next(state, src, isolated):
                if nxt in parents:
                    continue
                parents[nxt] = state
                queue.append(nxt)
                kind, node = nxt
                if kind == "rx":
                    iface = self._iface[node]
                    if any(self._kind[c.id].steals_lower(c) for c in self._kids.get(node, ())):
                        continue  # a passthru child took the link: its own stack hears nothing
                    if self._kind[src.id].unheard(src, node, broadcast):
                        continue
                    if not iface.master and iface.kind != IfKind.LOOPBACK:
                        for ip in self._ips[node]:
                            found.setdefault(ip, node)
                        for ip in self._weak[iface.ns]:
                            weak.setdefault(ip, node)
        self._bfs[src.id, broadcast] = (parents, found, weak)
        return parents, found, weak

    def _next(self, state: State, origin: Iface, isolated: str | None) -> list[State]:
        kind, node = state
        iface = self._iface[node]
        if kind == "tx":
            return self._kind[node].transmit(self, iface)
        if iface.master:  # rx on a bridge port
            return self._kind[f"{iface.ns}/{iface.master}"].forward(self, iface)
        return [("rx", c.id) for c in self._kids.get(node, ())
                if self._kind[c.id].accepts(c, origin, isolated)]
