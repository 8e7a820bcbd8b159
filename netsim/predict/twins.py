"""Interchangeable containers: two containers are twins when swapping them (their names,
addresses, host-side ports and the rules that name them) leaves the model as it was. A walk
from (or to) one of them is then the walk from (or to) the other with those tokens swapped,
so a matrix of N containers costs one walk per pair of classes, not per pair of containers.

Conservative by construction: a container is a twin only if it is a Docker container in its
own namespace on bridge-like networks, and every rule elsewhere that names its address names
only it, as the only address of the rule, in a run of such rules (Docker 28's per-container
raw PREROUTING drops): then no order of rules can tell twins apart. Twins may publish the
same container ports on different host ports: a probe to a published host port from the
container that publishes it is never grouped (it comes back to itself), and no probe to a
container's own address meets a host port.
`tests/model/test_twins.py` compares every relabelled outcome with the walk itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Address, IPv4Network
from operator import attrgetter

from netsim.answer.step import Step
from netsim.model.graph import IfKind, Model, NodeKind
from netsim.model.rules import Rule

WORD = re.compile(r"[\w-]+(?:\.[\w-]+)*")  # c5, 172.18.0.2, veth1a2b3c4 (not "c5." at an end)


@dataclass
class Member:
    name: str
    tokens: list[str]  # name, then addresses and host-side port names in a canonical order
    ips: list[IPv4Address | None] = field(default_factory=list)  # per token, if an address
    rules: dict[tuple, int] = field(default_factory=dict)  # (ns, table, chain, form) -> index
    index: dict[str, int] = field(init=False)  # token -> its position

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}


class Swap:
    """(from member, to member) pairs of one relabelling: a token of a member swapped from
    becomes the token at the same position of the member swapped to."""

    __slots__ = ("_ips", "dst", "pairs", "reps", "src")

    def __init__(self, tw: Twins, pairs: list[tuple[str, str]]):
        self.pairs = pairs
        self.reps = tuple(a for a, _ in pairs)
        self.src = [tw.members[a].index for a, _ in pairs]
        self.dst = [tw.members[b].tokens for _, b in pairs]
        self._ips = (tw.by_addr, self.reps, [tw.members[b].ips for _, b in pairs])

    def word(self, w: str) -> str:
        for src, dst in zip(self.src, self.dst, strict=True):
            i = src.get(w)
            if i is not None:
                return dst[i]
        return w

    def addr(self, a: IPv4Address | None) -> IPv4Address | None:
        by_addr, reps, ips = self._ips
        owner = by_addr.get(a) if a is not None else None
        if owner is not None and owner[0] in reps:
            return ips[reps.index(owner[0])][owner[1]]
        return a


class Twins:
    def __init__(self, model: Model):
        self.model = model
        self.members: dict[str, Member] = {}
        self.cls: dict[str, int] = {}  # container -> class id (classes of one are left out)
        self.by_addr: dict[IPv4Address, tuple[str, int]] = {}  # address -> (member, token)
        self._templates: dict[tuple[str, tuple[str, ...]], list] = {}
        self._classify()

    # --- classes -------------------------------------------------------------------------
    def _classify(self) -> None:
        addr_of = {a: name for name, ep in self.model.endpoints.items()
                   if ep.kind == NodeKind.CONTAINER for a in ep.addresses.values()}
        owned, spoiled = _owned_rules(self.model, addr_of)
        held: dict[IPv4Address, int] = {}  # an address two hosts both use is no token
        for ns in self.model.ns.values():
            for i in ns.ifaces.values():
                for a in i.addrs:
                    held[a.ip] = held.get(a.ip, 0) + 1
        self._shared = {a for a, n in held.items() if n > 1}
        self._joined = {c.joins for c in self.model.containers.values() if c.joins}
        self._routed = {r.src for ns in self.model.ns.values() for r in ns.routes if r.src} | {
            r.dst.network_address for ns in self.model.ns.values() for r in ns.routes
            if r.dst.prefixlen == 32}  # an address a route names (a shim's /32)
        groups: dict[tuple, list[str]] = {}
        for name in self.model.containers:
            if name in spoiled:
                continue
            made = self._signature(name, owned.get(name, []))
            if made is None:
                continue
            sig, member = made
            self.members[name] = member
            groups.setdefault(sig, []).append(name)
        # (proto, host port) -> the containers that publish it: a probe to it from one of
        # them comes back to itself (hairpin), from any other it reaches them
        self.published: dict[tuple[str, int], set[str]] = {}
        for c in self.model.containers.values():
            for pb in c.ports:
                self.published.setdefault((pb.proto, pb.host_port), set()).add(c.name)
        for k, names in enumerate(g for g in groups.values() if len(g) > 1):
            for name in names:
                self.cls[name] = k
                for i, ip in enumerate(self.members[name].ips):
                    if ip is not None:
                        self.by_addr[ip] = (name, i)

    def _signature(self, name: str, owned: list[tuple]) -> tuple[tuple, Member] | None:
        m = self.model
        info, ep = m.containers[name], m.endpoints.get(name)
        if (ep is None or not info.swappable or info.mode != "networks"
                or ep.ns != name or name in self._joined):
            return None
        ns = m.ns[name]
        if ns.neighbours or ns.fdb or ns.rules_by or any(
                n.vni is not None for n in m.networks.values() if name in n.endpoints):
            return None  # an overlay's peers are programmed by address and MAC elsewhere
        own = {a.ip for i in ns.ifaces.values() for a in i.addrs if i.kind != IfKind.LOOPBACK}
        if own & self._shared:
            return None
        tokens, ips = [name], [None]
        ifaces = []
        for i in sorted(ns.ifaces.values(), key=lambda i: i.name):
            if i.kind == IfKind.LOOPBACK:
                continue
            if i.kind not in (IfKind.VETH, IfKind.MACVLAN):  # what the tests compare
                return None
            peer = m.iface(i.peer) if i.peer else None
            if peer is not None and (peer.kind != IfKind.VETH or not peer.master):
                return None
            tokens += [str(a.ip) for a in i.addrs]
            ips += [a.ip for a in i.addrs]
            if peer is not None:
                tokens.append(peer.name)
                ips.append(None)
            ifaces.append((i.name, i.kind, i.mtu, tuple(a.network for a in i.addrs), i.network,
                           i.mode, i.parent, i.hairpin, i.route_localnet, i.prefix_route,
                           None if peer is None else (peer.ns, peer.master, peer.mtu,
                                                      peer.hairpin, peer.route_localnet)))
        if own & self._routed:
            return None
        listeners = tuple(sorted((lst.ip in own, str(lst.ip) if lst.ip not in own else "",
                                  lst.port if lst.role != "dns" else 0, lst.proto, lst.role,
                                  lst.routed_reply) for lst in ns.listeners))
        rules = tuple((t, c, len(ch.rules), tuple(_form(r, own) for r in ch.rules))
                      for t, chains in sorted(ns.rules.tables.items())
                      for c, ch in sorted(chains.items()))
        member = Member(name, tokens, ips, {(*key, form): index for key, index, form in owned})
        if len(member.rules) < len(owned):  # two rules of one form: which is which?
            return None
        # published ports, their host ports left out: those only a probe to the host's port
        # meets, and such probes are not grouped (see published)
        ports = tuple(sorted((pb.proto, pb.container_port, str(pb.host_ip), pb.network)
                             for pb in info.ports))
        sig = (info.host, tuple(info.networks), tuple(ifaces), tuple(ns.routes), listeners,
               rules, ns.forwarding, ns.bridge_nf, frozenset(member.rules), ports)
        return sig, member

    def to_own_port(self, name: str | None, proto: str, port: int | None) -> bool:
        """Whether `name` sends to a host port it publishes itself: that probe comes back to
        it (a hairpin), so no twin's probe stands for it."""
        return name in self.published.get((proto, port), ())

    # --- relabelling ---------------------------------------------------------------------
    def swap(self, pairs: list[tuple[str, str]]) -> Swap:
        """What each token becomes for (from member, to member) pairs."""
        return Swap(self, pairs)

    def relabel(self, text: str, sw: Swap) -> str:
        """Every whole word of `text` (a name, an address, a port's name) that is a token of
        a member swapped from. Those members fix which words those are: the text is split
        once into literal parts and (pair, token) references, and each twin's text a join."""
        key = (text, sw.reps)
        parts = self._templates.get(key)
        if parts is None:
            parts = self._templates[key] = _template(text, sw.src)
        if len(parts) == 1:
            return text
        dst = sw.dst
        return "".join([p if i % 2 == 0 else dst[p[0]][p[1]] for i, p in enumerate(parts)])

    def relabel_steps(self, steps: list[Step], sw: Swap) -> list[Step]:
        """Each step's fields: its place a member's name swapped, an address its twin's, a
        rule's or link's text its tokens swapped, an inner connection's steps likewise."""
        return [Step(st.kind, sw.word(st.ns), tuple([self._arg(a, sw) for a in st.args]))
                if st.args or st.ns else st for st in steps]

    def _arg(self, a: object, sw: Swap) -> object:
        t = type(a)
        if t is IPv4Address:
            return sw.addr(a)
        if t is str:
            return self.relabel(a, sw)
        if t is tuple:
            return tuple(self.relabel_steps(list(a), sw))
        return a

    def rule_index(self, pairs: list[tuple[str, str]], dropped: tuple) -> tuple:
        """The rule that plays the same part for the twin: in its own namespace, or the one
        of the same form that names it."""
        ns, table, chain, index = dropped
        for a, b in pairs:
            if ns == a:
                return (b, table, chain, index)
            for (rns, rt, rc, form), i in self.members[a].rules.items():
                if (rns, rt, rc, i) == dropped:
                    return (rns, rt, rc, self.members[b].rules[(rns, rt, rc, form)])
        return dropped


def _template(text: str, src: list[dict[str, int]]) -> list:
    """`text` as literal parts between (pair, token position) references."""
    parts: list = []
    last = 0
    for m in WORD.finditer(text):
        w = m.group(0)
        for k, index in enumerate(src):
            if w in index:
                parts += [text[last:m.start()], (k, index[w])]
                last = m.end()
                break
    parts.append(text[last:])
    return parts


def _shape(obj: object, leaf: Callable[[str, object], object]) -> tuple:
    """A rule (its match, action and their values) as a tuple, each plain value through
    `leaf`: comparable and hashable, and without formatting an address as text, which is
    what a rule's repr spends its time on."""
    cls = type(obj)
    got = _NAMES.get(cls)
    if got is None:
        names = tuple(f.name for f in fields(cls))
        got = _NAMES[cls] = (names, attrgetter(*names) if len(names) > 1 else
                             (lambda o, n=names: tuple(getattr(o, x) for x in n)))
    names, values = got
    out: list[object] = [cls]
    for n, v in zip(names, values(obj), strict=True):
        t = type(v)
        if v is None or t is str or t is bool:  # what no leaf changes: most of a rule
            out.append(v)
        elif t in _NAMES or hasattr(v, "__dataclass_fields__"):
            out.append(_shape(v, leaf))
        else:
            out.append(leaf(n, v))
    return tuple(out)


_NAMES: dict[type, tuple[tuple[str, ...], Callable[[object], tuple]]] = {}
RESOLVER = IPv4Address("127.0.0.11")
PORTS = ("dport", "sport", "port")


def _form(rule: Rule, own: set[IPv4Address]) -> tuple:
    """A rule with the container's own addresses (and, in a rule of its resolver, the
    resolver's ports, which Docker picks per container) taken out."""
    dns = _names_resolver(rule)

    def leaf(name: str, v: object) -> object:
        if isinstance(v, IPv4Address):
            return "OWN" if v in own else v
        if isinstance(v, IPv4Network):
            return ("OWN", v.prefixlen) if v.network_address in own else v
        return "P" if dns and name in PORTS and isinstance(v, int) else v

    return _shape(rule, leaf)


def _names_resolver(rule: Rule) -> bool:
    m, to = rule.match, getattr(rule.action, "to", None)
    return (to == RESOLVER or any(x is not None and getattr(x.value, "network_address",
                                                            x.value) == RESOLVER
                                  for x in (m.saddr, m.daddr))
            or "127.0.0.11" in rule.origin or "127.0.0.11" in (rule.comment or ""))


def _owned_form(rule: Rule, own: set[IPv4Address], host_ports: Collection[int]) -> tuple:
    """A rule that names one container by its /32 (or DNATs to it), that address taken
    out, and the host ports it publishes (a DNAT's --dport)."""
    def leaf(name: str, v: object) -> object:
        if (isinstance(v, IPv4Network) and v.prefixlen == 32) or v in own:
            return "ADDR"
        return "HOSTPORT" if name == "dport" and v in host_ports else v

    return _shape(rule, leaf)


def _addresses(rule) -> list[tuple[str, IPv4Network]]:
    m = rule.match
    out = [(n, x.value) for n, x in (("saddr", m.saddr), ("daddr", m.daddr)) if x is not None]
    to = getattr(rule.action, "to", None)
    if to is not None:
        out.append(("to", IPv4Network((int(to), 32))))  # from an int: no text to parse
    return out


def _owned_rules(model: Model, addr_of: dict[IPv4Address, str]
                 ) -> tuple[dict[str, list[tuple]], set[str]]:
    """Rules outside a container that name its address: for each container the rules that
    name only it (its /32 as the rule's one address), with their index and their form; and
    the containers a rule names together with another address or out of such a run."""
    owned: dict[str, list[tuple]] = {}
    spoiled: set[str] = set()
    host_ports = {name: {pb.host_port for pb in c.ports}
                  for name, c in model.containers.items() if c.ports}
    for ns in model.ns.values():
        for table, chains in ns.rules.tables.items():
            for chain, ch in chains.items():
                runs: list[tuple[int, str | None, str]] = []  # (index, owner, field)
                for i, rule in enumerate(ch.rules):
                    found = _addresses(rule)
                    named = [(f, addr_of[n.network_address]) for f, n in found
                             if n.prefixlen == 32 and n.network_address in addr_of]
                    if not named:
                        runs.append((i, None, ""))
                        continue
                    owners = {c for _, c in named}
                    # one container, as every address of the rule: `-s X/32 -d X/32` too
                    # (Docker's hairpin MASQUERADE of a published port)
                    if len(named) < len(found) or len(owners) > 1 or ns.id in owners:
                        spoiled.update(c for c in owners if c != ns.id)
                        runs.append((i, None, ""))
                        continue
                    f, owner = "+".join(f for f, _ in named), named[0][1]
                    runs.append((i, owner, f))
                    form = _owned_form(rule, set(model.endpoints[owner].addresses.values()),
                                       host_ports.get(owner, ()))
                    owned.setdefault(owner, []).append(((ns.id, table, chain), i, form))
                _contiguous(runs, spoiled)
    return owned, spoiled


def _contiguous(runs: list[tuple[int, str | None, str]], spoiled: set[str]) -> None:
    """Owned rules must sit in one run of rules that each name one container by the same
    field: between two of them no other rule may decide differently for one of the two."""
    owners = [k for k, (_, o, _) in enumerate(runs) if o is not None]
    if not owners:
        return
    first, last = owners[0], owners[-1]
    fields = {runs[k][2] for k in owners}
    if len(fields) > 1 or any(runs[k][1] is None for k in range(first, last + 1)):
        spoiled.update(runs[k][1] for k in owners)
