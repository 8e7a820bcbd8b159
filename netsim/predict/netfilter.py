"""Evaluate a Ruleset on one packet at one hook, as the kernel would (iptables semantics).

One matcher per `Match` field (MATCHERS); a test checks it covers every field, so a new match
cannot reach the renderer without reaching the predictor. Chains are indexed by the exact
destination address / interface their rules name, so a host with a thousand endpoint rules
still costs a handful of comparisons per packet. And a chain's decision is remembered by what
its rules (and the chains they jump to) can see of a packet: the fields they match, each
address as the set of their prefixes that hold it; two packets alike in those get the same
decision, so a matrix walks each chain once per kind of packet, not once per packet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Network, IPv6Network, ip_network
from operator import attrgetter

from netsim.model.rules import (
    Accept,
    Chain,
    Dnat,
    Drop,
    Goto,
    Is,
    Jump,
    Masquerade,
    Match,
    Numgen,
    Reject,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Snat,
    Update,
    Vmap,
)


class Seen:
    """What a rule can see of a packet at a hook: the addresses as integers, which is what
    the matchers compare (ipaddress's `in` and hashing cost microseconds on every rule).
    A plain slotted class: built once per hook of every walk."""

    __slots__ = (
        "ct",
        "dport",
        "dst_i",
        "dst_local",
        "iif",
        "mark",
        "marked",
        "oif",
        "pick",
        "proto",
        "split",
        "sport",
        "src_i",
        "src_local",
    )

    def __init__(self, iif: str, oif: str, src: int, dst: int, proto: str, dport: int | None,
                 sport: int | None, ct: str, dst_local: bool, src_local: bool, mark: int = 0,
                 pick: int = 0):
        self.iif, self.oif = iif, oif  # iif "" when locally generated, oif "" before routing
        self.src_i, self.dst_i = src, dst
        self.proto, self.dport, self.sport = proto, dport, sport
        self.ct = ct  # new | established | related
        self.dst_local, self.src_local = dst_local, src_local
        self.mark = mark  # the packet's mark; a SetMark rule changes it as the walk goes on
        self.marked: Rule | None = None  # the last rule that set it (felix: the policy rule)
        self.pick = pick  # which of a random split's rules this walk takes (kube-proxy's)
        self.split = 0  # how many ways the split met divides (0: none met)

    def chose(self, v: tuple[int, int]) -> bool:
        """A `statistic random` rule, the i-th of n: the walk for choice i takes it."""
        self.split = max(self.split, v[1])
        return self.pick == v[0]


_NETS = (IPv4Network, IPv6Network)


def _is(value: Is, actual: object) -> bool:
    v = value.value
    if isinstance(v, _NETS):
        hit = actual in v
    elif isinstance(v, str) and v.endswith("+"):  # iptables' interface wildcard: cali+
        hit = isinstance(actual, str) and actual.startswith(v[:-1])
    else:
        hit = actual == v
    return hit != value.negate


def _prefix(value: Is) -> tuple[int, int, bool]:
    """An address match as (network, mask, negate) integers, compiled once per rule:
    ipaddress's `in` and hashing cost microseconds each, on every rule of every hop. A
    ruleset holds one family, so IPv4 and IPv6 integers never meet."""
    net = value.value if isinstance(value.value, _NETS) else ip_network(value.value)
    return int(net.network_address), int(net.netmask), value.negate


def _set(value: Is) -> tuple[tuple[tuple[int, int], ...], bool]:
    """An ipset match as its networks' (network, mask) integers and the negation."""
    return tuple((int(n.network_address), int(n.netmask)) for n in value.value.nets), \
        value.negate


def _in_set(v: tuple, addr: int) -> bool:
    return any(addr & mask == net for net, mask in v[0]) != v[1]


def _ports(value: tuple) -> frozenset[int]:
    """multiport's list, its ranges spelled out (a policy's endPort: at most 65535)."""
    out: set[int] = set()
    for p in value:
        out.update(range(p[0], p[1] + 1) if isinstance(p, tuple) else (p,))
    return frozenset(out)


# field -> how a rule's value is compiled for its matcher (the value itself by default)
PREPARE: dict[str, Callable[[object], object]] = {"saddr": _prefix, "daddr": _prefix,
                                                  "sset": _set, "dset": _set,
                                                  "dports": _ports}
MATCHERS: dict[str, Callable[[object, Seen], bool]] = {
    "iif": lambda v, s: _is(v, s.iif),
    "oif": lambda v, s: _is(v, s.oif),
    "saddr": lambda v, s: ((s.src_i & v[1]) == v[0]) != v[2],
    "daddr": lambda v, s: ((s.dst_i & v[1]) == v[0]) != v[2],
    "proto": lambda v, s: s.proto == v,
    "dport": lambda v, s: s.dport == v,
    "sport": lambda v, s: s.sport == v,
    "ct_state": lambda v, s: s.ct in v,
    "dst_type": lambda v, s: s.dst_local == (v == "local"),
    "src_type": lambda v, s: s.src_local == (v == "local"),
    "mark": lambda v, s: (s.mark & v[1]) == v[0],
    "dports": lambda v, s: s.dport in v,
    "sset": lambda v, s: _in_set(v, s.src_i),
    "dset": lambda v, s: _in_set(v, s.dst_i),
    "mark_not": lambda v, s: (s.mark & v[1]) != v[0],
    "random": lambda v, s: s.chose(v),
    "recent": lambda v, s: v[0] == "set",  # a first connection: no client remembered yet
}
_FIELDS = [f.name for f in fields(Match)]

# action type -> what it does to the walk through a chain; the predictor then applies the
# terminal ones at their hook (Drop kills, Dnat / Snat / Masquerade rewrite, Accept passes)
VERDICTS: dict[type, str] = {
    Accept: "terminal", Drop: "terminal", Reject: "terminal", Masquerade: "terminal",
    Snat: "terminal",
    Dnat: "terminal", Jump: "jump", Goto: "goto", Return: "return", SetMark: "mark",
    Vmap: "vmap", Numgen: "numgen", Update: "update",
}
_INDIRECT = (Vmap, Numgen)  # verdicts a rule looks up (or draws): no memo over them

# a verdict map's key field -> how the packet's value is read (addresses as integers)
VMAP_KEYS: dict[str, Callable[[Seen], object]] = {
    "daddr": attrgetter("dst_i"), "saddr": attrgetter("src_i"), "proto": attrgetter("proto"),
    "dport": attrgetter("dport"),
}


def _vmap_index(v: Vmap) -> tuple[Callable[[Seen], tuple], dict[tuple, object]]:
    """A verdict map as (the packet's key, its elements by key), addresses as integers."""
    getters = [VMAP_KEYS[k] for k in v.key]
    table = {tuple(int(x) if hasattr(x, "packed") else x for x in e.key): e.verdict
             for e in v.entries}
    return (lambda seen: tuple(g(seen) for g in getters)), table


# match field -> the Seen attribute its matcher reads (addresses go by prefix: _atoms)
READS: dict[str, str] = {
    "iif": "iif", "oif": "oif", "proto": "proto", "dport": "dport", "dports": "dport",
    "sport": "sport", "ct_state": "ct", "dst_type": "dst_local", "src_type": "src_local",
    "mark": "mark", "mark_not": "mark", "random": "pick", "recent": "pick",
}


SETS = {"sset": "saddr", "dset": "daddr"}  # an ipset match reads that address


def _same(value: object) -> object:
    return value


@dataclass
class _Compiled:
    chain: Chain
    checks: list[list[tuple[Callable, object]]]
    verdicts: list[str]  # per rule: VERDICTS of its action, looked up once
    generic: list[int]
    by_key: dict[tuple[str, object], list[int]]
    kinds: tuple[str, ...] = ()  # the key kinds the chain's rules are indexed by
    maps: dict[int, tuple] = field(default_factory=dict)  # rule index -> _vmap_index


def _index_key(m: Match) -> tuple[str, object] | None:
    """The most selective exact, positive match of a rule (used to skip rules that cannot match)."""
    if m.daddr and not m.daddr.negate and m.daddr.value.prefixlen == \
            m.daddr.value.max_prefixlen:
        return ("d", int(m.daddr.value.network_address))
    if m.dport is not None:  # a published port's DNAT: one rule per port, no address
        return ("p", m.dport)
    if m.oif and not m.oif.negate and not str(m.oif.value).endswith("+"):
        return ("o", m.oif.value)
    if m.iif and not m.iif.negate and not str(m.iif.value).endswith("+"):
        return ("i", m.iif.value)
    return None


def _compile(chain: Chain) -> _Compiled:
    checks, generic, by_key = [], [], {}
    for i, rule in enumerate(chain.rules):
        checks.append([(MATCHERS[n], PREPARE.get(n, _same)(getattr(rule.match, n)))
                       for n in _FIELDS if getattr(rule.match, n) is not None])
        key = _index_key(rule.match)
        if key is None:
            generic.append(i)
        else:
            by_key.setdefault(key, []).append(i)
    return _Compiled(chain, checks, [VERDICTS[type(r.action)] for r in chain.rules], generic,
                     by_key, tuple(k for k in "dpoi" if any(key[0] == k for key in by_key)),
                     {i: _vmap_index(r.action) for i, r in enumerate(chain.rules)
                      if isinstance(r.action, Vmap)})


@dataclass(frozen=True)
class Decision:
    action: object  # a terminal action instance (Accept, Drop, Masquerade, Snat, Dnat)
    rule: Rule | None  # None: the chain policy decided
    chain: str
    index: int  # the rule's place in its chain; the policy's is the chain's length
    marked: Rule | None = None  # the rule that marked the packet for this verdict (felix)


def _atoms(prefixes: set[tuple[int, int]]) -> tuple[tuple[int, frozenset[int]], ...]:
    """Prefixes as (mask, networks) per prefix length: an address's atom, one masked value
    per length (or -1), tells exactly which of the prefixes hold it."""
    by_mask: dict[int, set[int]] = {}
    for network, mask in prefixes:
        by_mask.setdefault(mask, set()).add(network)
    return tuple((m, frozenset(n)) for m, n in sorted(by_mask.items(), reverse=True))


def _atom(addr: int, atoms: tuple[tuple[int, frozenset[int]], ...]) -> tuple[int, ...]:
    return tuple(addr & m if addr & m in nets else -1 for m, nets in atoms)


DSTNAT = -100  # NF_IP_PRI_NAT_DST: filter-type chains run before or after destination NAT
# the walk's places: (name, hook, chain kind, which priorities on the hook)
_PLACES = (("prerouting<", "prerouting", "filter", lambda p: p < DSTNAT),
           ("output<", "output", "filter", lambda p: p < DSTNAT),
           ("output>", "output", "filter", lambda p: p > DSTNAT),
           ("input", "input", "filter", lambda p: True),
           ("forward", "forward", "filter", lambda p: True),
           *((f"nat {h}", h, "nat", lambda p: True) for h in ("prerouting", "output",
                                                             "postrouting")))
PHASES = tuple(p[0] for p in _PLACES)
MEMO_FROM = 8  # rules (the chain's and those it jumps to): fewer cost less than a memo's key


class _Memo:
    """One chain's decisions by what its rules can tell apart (see the module's docstring)."""

    def __init__(self, reads: list[str], saddr: set, daddr: set):
        self.get = attrgetter(*reads) if reads else (lambda seen: None)
        self.saddr, self.daddr = _atoms(saddr), _atoms(daddr)
        self.decisions: dict[tuple, Decision] = {}

    def key(self, seen: Seen) -> tuple:
        return (self.get(seen), _atom(seen.src_i, self.saddr) if self.saddr else None,
                _atom(seen.dst_i, self.daddr) if self.daddr else None)


class Netfilter:
    """A compiled view of one namespace's Ruleset as it stands when the view is made (a
    predictor is made for a finished model; its chains, compiled and remembered, are not
    looked at again)."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._memo: dict[tuple[str, str], _Memo | None] = {}
        self._chains = {(t, c) for t, chains in ruleset.tables.items() for c in chains}
        self._hooks: dict[str, list[tuple[int, str, str, str]]] = {}
        self.phases = self._phases()
        self.empty = not any(self.phases.values())  # a container's: the walk skips its hooks
        self.use_memo = True  # tests turn it off to compare with a walk through every rule

    def has(self, table: str, chain: str) -> bool:
        return (table, chain) in self._chains

    def decide(self, table: str, chain: str, seen: Seen) -> Decision:
        if not self.use_memo:
            return self._decide(table, chain, seen)
        key = (table, chain)
        memo = self._memo[key] if key in self._memo else self._memo_for(table, chain)
        if memo is None:
            return self._decide(table, chain, seen)
        k = memo.key(seen)
        hit = memo.decisions.get(k)
        if hit is None:
            hit = memo.decisions[k] = self._decide(table, chain, seen)
        return hit

    def remembered(self) -> int:
        """How many decisions the memos hold (tests: that the memo was used at all)."""
        return sum(len(m.decisions) for m in self._memo.values() if m is not None)

    def _memo_for(self, table: str, chain: str) -> _Memo | None:
        """What the chain and every chain it jumps to match on. None (no memo) for a short
        chain, which costs less to run than a key, and when a rule sets the mark: the packet
        leaves with a mark the decision alone does not say."""
        chains = self._closure(table, chain)
        rules = [r for c in chains for r in c.rules]
        if len(rules) < MEMO_FROM or any(isinstance(r.action, (SetMark, *_INDIRECT))
                                         or r.match.random for r in rules):
            self._memo[table, chain] = None
            return None
        reads: set[str] = set()
        prefixes: dict[str, set[tuple[int, int]]] = {"saddr": set(), "daddr": set()}
        for rule in rules:
            for n in _FIELDS:
                value = getattr(rule.match, n)
                if value is None:
                    continue
                if n in prefixes:
                    prefixes[n].add(_prefix(value)[:2])
                elif n in SETS:  # a set is its networks, for the memo's key
                    prefixes[SETS[n]].update(_set(value)[0])
                else:
                    reads.add(READS[n])
        memo = self._memo[table, chain] = _Memo(sorted(reads), prefixes["saddr"],
                                                prefixes["daddr"])
        return memo

    def _closure(self, table: str, chain: str) -> list[Chain]:
        """The chain and every chain its rules jump to, transitively."""
        chains = self.ruleset.tables.get(table, {})
        todo, done, out = [chain], set(), []
        while todo:
            name = todo.pop()
            if name in done or name not in chains:
                continue
            done.add(name)
            out.append(chains[name])
            todo += [r.action.chain for r in chains[name].rules
                     if isinstance(r.action, Jump | Goto)]
        return out

    def _decide(self, table: str, chain: str, seen: Seen) -> Decision:
        hit = self._run(table, chain, seen, 0)
        if hit is not None:
            return hit
        base = self.ruleset.tables[table][chain]
        return Decision(Drop() if base.policy == "drop" else Accept(), None, chain,
                        len(base.rules))

    def _get(self, table: str, chain: str) -> _Compiled:
        key = (table, chain)
        if key not in self._compiled:
            self._compiled[key] = _compile(self.ruleset.tables[table][chain])
        return self._compiled[key]

    def _run(self, table_name: str, chain: str, seen: Seen, depth: int) -> Decision | None:
        if depth > 16:
            raise RuntimeError(f"jump loop in {table_name} {chain}")
        c = self._compiled.get((table_name, chain)) or self._get(table_name, chain)
        order = c.generic
        if c.kinds:  # the rules indexed under this packet's keys, merged in chain order
            value = {"d": seen.dst_i, "p": seen.dport, "o": seen.oif, "i": seen.iif}
            extra = [i for k in c.kinds for i in c.by_key.get((k, value[k]), ())]
            if extra:
                order = sorted(order + extra)
        rules = c.chain.rules
        for i in order:
            for match, value in c.checks[i]:
                if not match(value, seen):
                    break
            else:
                action = rules[i].action
                verdict = c.verdicts[i]
                if verdict == "vmap":
                    key, elements = c.maps[i]
                    action = elements.get(key(seen))
                    if action is None:  # no element: the chain goes on
                        continue
                    verdict = VERDICTS[type(action)]
                elif verdict == "numgen":
                    seen.split = max(seen.split, len(action.targets))
                    action, verdict = action.targets[min(seen.pick, len(action.targets) - 1)], \
                        "goto"
                if verdict == "jump":
                    hit = self._run(table_name, action.chain, seen, depth + 1)
                    if hit is not None:
                        return hit
                    continue
                if verdict == "goto":  # its return is this chain's return
                    return self._run(table_name, action.chain, seen, depth + 1)
                if verdict == "return":
                    return None
                if verdict == "update":  # a set learns the source: the first connection's
                    continue  # walk does not meet it again
                if verdict == "mark":  # not a verdict: the mark changes, the chain goes on
                    seen.mark = (seen.mark & ~action.mask) ^ action.value
                    if action.value:
                        seen.marked = rules[i]
                    continue
                return Decision(action, rules[i], chain, i, seen.marked)
        return None

    def at(self, hook: str) -> list[tuple[int, str, str, str]]:
        """The base chains on a hook as (priority, kind, table, chain), in the kernel's order: by
        priority, and at one priority the newest first (the kernel puts a new hook before
        its equals: measured). netsim loads a table it writes whole (kube-proxy's) after
        every iptables table, so that one comes first among equals."""
        return self._hooks.get(hook, [])

    def _phases(self) -> dict[str, list[tuple[str, str]]]:
        """The walk's places and their base chains as (table, chain), in order: filter
        chains before destination NAT ("prerouting<", "output<"), after it ("output>"), on
        "input" and "forward"; nat chains ("nat prerouting", "nat output", "nat
        postrouting"). Looked up on every hop, so made once (one pass over the chains)."""
        rs = self.ruleset
        found: dict[str, list] = {}
        for table, chain in self._chains:
            h = rs.hook_of(table, chain)
            if h is not None:
                found.setdefault(h.hook, []).append(
                    (h.priority, (table, chain) not in rs.hooked, h.kind, table, chain))
        self._hooks = {hook: [(p, k, t, c) for p, _, k, t, c in sorted(chains)]
                       for hook, chains in found.items()}
        phases: dict[str, list[tuple[str, str]]] = dict.fromkeys(PHASES, ())
        for name, hook, kind, keep in _PLACES:
            if hook in self._hooks:
                phases[name] = [(t, c) for p, k, t, c in self._hooks[hook]
                                if k == kind and keep(p)]
        return phases
