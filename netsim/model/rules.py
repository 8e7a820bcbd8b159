"""Netfilter rule objects: the one copy that the predictor evaluates and the realizer renders.

A `Ruleset` is what one namespace holds, organised like iptables-nft does it (tables raw, nat,
filter; built-in chains on hooks; user chains). Docker's drivers build it with the same
insert/append operations Docker uses, so the order inside each chain matches `iptables-save`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

# table -> built-in chain -> netfilter hook; iptables-nft priorities follow from the table
BUILTIN: dict[str, tuple[str, ...]] = {
    "raw": ("PREROUTING", "OUTPUT"),
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
}


@dataclass(frozen=True)
class Is:
    """A match value, possibly negated (`! -i docker0`)."""

    value: object
    negate: bool = False


@dataclass(frozen=True)
class IpSet:
    """An ipset of networks (`hash:net`), named as the tool that made it names it (felix's
    `cali40s:...`): a rule matches an address in any of them (`-m set --match-set`)."""

    name: str
    nets: tuple[IPv4Network | IPv6Network, ...]


@dataclass(frozen=True)
class Match:
    """Each field is one iptables / nft match; None = not matched on."""

    iif: Is | None = None  # -i / iifname
    oif: Is | None = None  # -o / oifname
    saddr: Is | None = None  # -s (a network of the ruleset's family)
    daddr: Is | None = None  # -d
    proto: str | None = None  # tcp | udp | icmp | ipv6-icmp
    dport: int | None = None
    sport: int | None = None
    ct_state: frozenset[str] | None = None  # conntrack states, e.g. {"related", "established"}
    dst_type: str | None = None  # "local": -m addrtype --dst-type LOCAL / fib daddr type local
    src_type: str | None = None
    mark: tuple[int, int] | None = None  # (value, mask): -m mark --mark 0x2000/0x2000
    # -m multiport --dports 8080,8443 (CNI portmap); a (first, last) pair is a range 80:90
    dports: tuple[int | tuple[int, int], ...] | None = None
    sset: Is | None = None  # -m set --match-set NAME src (an IpSet)
    dset: Is | None = None  # -m set --match-set NAME dst
    mark_not: tuple[int, int] | None = None  # -m mark ! --mark VALUE/MASK
    # -m statistic --mode random --probability 1/(n-i): (i, n), the i-th of n rules that
    # split connections (kube-proxy's endpoints); the last of them matches without it
    random: tuple[int, int] | None = None


@dataclass(frozen=True)
class Accept:
    pass


@dataclass(frozen=True)
class Drop:
    pass


@dataclass(frozen=True)
class Return:
    pass


@dataclass(frozen=True)
class Reject:
    """-j REJECT (icmp-port-unreachable): the sender is told at once (connection refused)."""


@dataclass(frozen=True)
class Jump:
    chain: str


@dataclass(frozen=True)
class Goto:
    """`-g CHAIN`: when CHAIN returns, the chain that called this one goes on (felix's
    dispatch chains)."""

    chain: str


@dataclass(frozen=True)
class Masquerade:
    random_fully: bool = False  # --random-fully: source ports picked at random (flanneld)


@dataclass(frozen=True)
class Snat:
    to: IPv4Address | IPv6Address
    port: int | None = None


@dataclass(frozen=True)
class Dnat:
    to: IPv4Address | IPv6Address
    port: int | None = None


@dataclass(frozen=True)
class SetMark:
    """-j MARK --set-xmark VALUE/MASK: the packet's mark becomes (mark & ~mask) ^ value, and
    the chain goes on (not a verdict)."""

    value: int
    mask: int


Action = Accept | Drop | Reject | Return | Jump | Goto | Masquerade | Snat | Dnat | SetMark


@dataclass(frozen=True)
class Rule:
    match: Match
    action: Action
    origin: str  # where the behaviour comes from: "spec §3.5 icc=false" etc.; shown as `why`
    comment: str | None = None  # -m comment --comment: what the tool that wrote it says
    comment_last: bool = False  # the tool gave the comment after its other -m matches


@dataclass
class Chain:
    name: str
    policy: str | None = None  # built-in chains: "accept" | "drop"; user chains: None
    rules: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class Op:
    """One change to a Ruleset, as an iptables command would make it: who made it (the
    runtime writing), and chain / append / insert / delete / policy. A namespace two tools
    write (Docker's rules and the CNI plugins' on one node) is realized by replaying the
    netsim-played tool's ops at their place around the real plugins."""

    writer: str | None
    kind: str
    table: str
    chain: str
    rule: Rule | None = None
    at: int = 0
    policy: str | None = None


@dataclass
class Ruleset:
    tables: dict[str, dict[str, Chain]] = field(default_factory=dict)
    family: str = "ip"  # ip (iptables) | ip6 (ip6tables): a namespace holds one of each
    writer: str | None = None  # the runtime making changes now (recorded in each Op)
    ops: list[Op] = field(default_factory=list)

    def chain(self, table: str, name: str) -> Chain:
        chains = self.tables.setdefault(table, {})
        if name not in chains:
            builtin = name in BUILTIN.get(table, ())
            chains[name] = Chain(name, "accept" if builtin else None)
            self.ops.append(Op(self.writer, "chain", table, name))
        return chains[name]

    def append(self, table: str, chain: str, rule: Rule) -> None:
        self.chain(table, chain).rules.append(rule)
        self.ops.append(Op(self.writer, "append", table, chain, rule))

    def insert(self, table: str, chain: str, rule: Rule, at: int = 0) -> None:
        self.chain(table, chain).rules.insert(at, rule)
        self.ops.append(Op(self.writer, "insert", table, chain, rule, at))

    def delete(self, table: str, chain: str, rule: Rule) -> None:
        self.tables[table][chain].rules.remove(rule)
        self.ops.append(Op(self.writer, "delete", table, chain, rule))

    def policy(self, table: str, chain: str, policy: str) -> None:
        self.chain(table, chain).policy = policy
        self.ops.append(Op(self.writer, "policy", table, chain, policy=policy))

    def has(self, table: str, chain: str) -> bool:
        return chain in self.tables.get(table, {})

    def count(self) -> int:
        return sum(len(c.rules) for t in self.tables.values() for c in t.values())


def net(text: str | IPv4Network | IPv4Address | IPv6Network | IPv6Address
        ) -> IPv4Network | IPv6Network:
    return text if isinstance(text, (IPv4Network, IPv6Network)) else ip_network(text)
