"""Evaluate a Ruleset on one packet at one hook, as the kernel would (iptables semantics).

One matcher per `Match` field (MATCHERS); a test checks it covers every field, so a new match
cannot reach the renderer without reaching the predictor. Chains are indexed by the exact
destination address / interface their rules name, so a host with a thousand endpoint rules
still costs a handful of comparisons per packet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from ipaddress import IPv4Address, IPv4Network

from netsim.model.rules import (
    Accept,
    Chain,
    Dnat,
    Drop,
    Is,
    Jump,
    Masquerade,
    Match,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Snat,
)


@dataclass
class Seen:
    """What a rule can see of a packet at a hook."""

    iif: str  # "" when locally generated
    oif: str  # "" before routing
    src: IPv4Address
    dst: IPv4Address
    proto: str
    dport: int | None
    sport: int | None
    ct: str  # new | established | related
    dst_local: bool
    src_local: bool
    mark: int = 0  # the packet's mark; a SetMark rule changes it as the walk goes on
    src_i: int = field(init=False)  # the addresses as integers: what the matchers compare
    dst_i: int = field(init=False)

    def __post_init__(self) -> None:
        self.src_i, self.dst_i = int(self.src), int(self.dst)


def _is(value: Is, actual: object) -> bool:
    hit = actual in value.value if isinstance(value.value, IPv4Network) else actual == value.value
    return hit != value.negate


def _prefix(value: Is) -> tuple[int, int, bool]:
    """An address match as (network, mask, negate) integers, compiled once per rule:
    ipaddress's `in` and hashing cost microseconds each, on every rule of every hop."""
    net = value.value if isinstance(value.value, IPv4Network) else IPv4Network(value.value)
    return int(net.network_address), int(net.netmask), value.negate


# field -> how a rule's value is compiled for its matcher (the value itself by default)
PREPARE: dict[str, Callable[[object], object]] = {"saddr": _prefix, "daddr": _prefix}
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
}
_FIELDS = [f.name for f in fields(Match)]

# action type -> what it does to the walk through a chain; the predictor then applies the
# terminal ones at their hook (Drop kills, Dnat / Snat / Masquerade rewrite, Accept passes)
VERDICTS: dict[type, str] = {
    Accept: "terminal", Drop: "terminal", Masquerade: "terminal", Snat: "terminal",
    Dnat: "terminal", Jump: "jump", Return: "return", SetMark: "mark",
}


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


def _index_key(m: Match) -> tuple[str, object] | None:
    """The most selective exact, positive match of a rule (used to skip rules that cannot match)."""
    if m.daddr and not m.daddr.negate and m.daddr.value.prefixlen == 32:
        return ("d", int(m.daddr.value.network_address))
    if m.dport is not None:  # a published port's DNAT: one rule per port, no address
        return ("p", m.dport)
    if m.oif and not m.oif.negate:
        return ("o", m.oif.value)
    if m.iif and not m.iif.negate:
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
                     by_key, tuple(k for k in "dpoi" if any(key[0] == k for key in by_key)))


@dataclass(frozen=True)
class Decision:
    action: object  # a terminal action instance (Accept, Drop, Masquerade, Snat, Dnat)
    rule: Rule | None  # None: the chain policy decided
    chain: str
    index: int  # the rule's place in its chain; the policy's is the chain's length


class Netfilter:
    """A compiled view of one namespace's Ruleset."""

    def __init__(self, ruleset: Ruleset):
        self.ruleset = ruleset
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def has(self, table: str, chain: str) -> bool:
        return self.ruleset.has(table, chain)

    def decide(self, table: str, chain: str, seen: Seen) -> Decision:
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

    def _run(self, table: str, chain: str, seen: Seen, depth: int) -> Decision | None:
        if depth > 16:
            raise RuntimeError(f"jump loop in {table} {chain}")
        c = self._compiled.get((table, chain)) or self._get(table, chain)
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
                if verdict == "jump":
                    hit = self._run(table, action.chain, seen, depth + 1)
                    if hit is not None:
                        return hit
                    continue
                if verdict == "return":
                    return None
                if verdict == "mark":  # not a verdict: the mark changes, the chain goes on
                    seen.mark = (seen.mark & ~action.mask) ^ action.value
                    continue
                return Decision(action, rules[i], chain, i)
        return None
