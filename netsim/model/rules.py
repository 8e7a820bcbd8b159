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
class Hooked:
    """A base chain: its type (filter | nat), netfilter hook and priority."""

    kind: str
    hook: str  # prerouting | input | forward | output | postrouting
    priority: int


# iptables-nft's built-in chains as base chains (raw -300, dstnat -100, filter 0, srcnat 100)
IPTABLES_HOOKS: dict[tuple[str, str], Hooked] = {
    ("raw", "PREROUTING"): Hooked("filter", "prerouting", -300),
    ("raw", "OUTPUT"): Hooked("filter", "output", -300),
    ("nat", "PREROUTING"): Hooked("nat", "prerouting", -100),
    ("nat", "INPUT"): Hooked("nat", "input", 100),
    ("nat", "OUTPUT"): Hooked("nat", "output", -100),
    ("nat", "POSTROUTING"): Hooked("nat", "postrouting", 100),
    ("filter", "INPUT"): Hooked("filter", "input", 0),
    ("filter", "FORWARD"): Hooked("filter", "forward", 0),
    ("filter", "OUTPUT"): Hooked("filter", "output", 0),
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
    # -m recent --name NAME (--rcheck --seconds S --reap | --set) --rsource: (op, name, S);
    # kube-proxy's session affinity. The model walks a client's first connection: its list
    # does not hold the client yet, so --rcheck does not match and --set does
    recent: tuple[str, str, int] | None = None


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


@dataclass(frozen=True)
class VmapEntry:
    key: tuple  # one value per key field: an address, a protocol name, a port
    verdict: Accept | Drop | Reject | Jump | Goto
    comment: str | None = None


@dataclass(frozen=True)
class Vmap:
    """nftables' verdict map lookup (`ip daddr . meta l4proto . th dport vmap @service-ips`):
    the packet's key fields (daddr | proto | dport) pick an element's verdict; without one
    the chain goes on. A named map of the table (kube-proxy's), its elements held here."""

    name: str
    key: tuple[str, ...]
    entries: tuple[VmapEntry, ...]


@dataclass(frozen=True)
class Update:
    """`update @SET { ip saddr }`: the source joins a dynamic set (kube-proxy's session
    affinity in nftables mode); the chain goes on."""

    set: str


@dataclass(frozen=True)
class Numgen:
    """`numgen random mod N vmap { 0 : goto A, 1 : goto B }`: one of N gotos, at random
    (kube-proxy's nftables split); the walk for choice i takes the i-th."""

    targets: tuple[Goto, ...]


Action = Accept | Drop | Reject | Return | Jump | Goto | Masquerade | Snat | Dnat | SetMark | \
    Vmap | Numgen | Update


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


@dataclass
class Native:
    """A table netsim writes whole with nft, not through iptables (kube-proxy's nftables
    mode): what `nft list table` shows of it besides its chains and rules, which the tool
    that writes it says."""

    comment: str | None = None
    sets: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> (type,
    # comment), in the order the tool adds them; the elements are in the rules that use them
    chain_comments: dict[str, str] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)  # a dynamic set's timeout (s)


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
    # the base chains of tables other than iptables' own (kube-proxy's nftables table)
    hooked: dict[tuple[str, str], Hooked] = field(default_factory=dict)
    native: dict[str, Native] = field(default_factory=dict)

    def base(self, table: str, name: str, hooked: Hooked) -> Chain:
        """A base chain of an nftables table netsim writes whole (not with iptables)."""
        self.hooked[table, name] = hooked
        chain = self.chain(table, name)
        chain.policy = "accept"
        return chain

    def hook_of(self, table: str, chain: str) -> Hooked | None:
        return self.hooked.get((table, chain)) or IPTABLES_HOOKS.get((table, chain))

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
