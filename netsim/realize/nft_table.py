"""A table netsim writes whole with nft (kube-proxy's nftables mode), rendered from the
model's rules as `nft list table` prints it: what is loaded is what the kernel lists back
(set elements aside, which a hash set lists in its own order). One fragment per Match field
(FRAGMENTS), in the order the tool writes them; one text per action (VERDICTS)."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import IPv4Network, IPv6Network

from netsim.model.rules import (
    Accept,
    Dnat,
    Drop,
    Goto,
    Hooked,
    IpSet,
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

# nft's standard priority names (rule.c std_prios): name, value, the hooks it is named at
STD_PRIOS = (("raw", -300, None), ("mangle", -150, None), ("dstnat", -100, {"prerouting"}),
             ("filter", 0, None), ("security", 50, None), ("srcnat", 100, {"postrouting"}))
VMAP_KEYS = {"daddr": "ip daddr", "saddr": "ip saddr", "proto": "meta l4proto",
             "dport": "th dport"}
NEWLINE = ",\n\t\t\t     "  # expression.c calculate_delim: an element list's line break
PER_LINE = {"ipv4_addr": 2, "inet_proto": 5, "inet_service": 5}  # elements; a map's: one


def priority(h: Hooked) -> str:
    """As nft prints it: a standard name (± up to 10) where that name means this hook."""
    for name, value, hooks in STD_PRIOS:
        if (hooks is None or h.hook in hooks) and abs(h.priority - value) <= 10:
            off = h.priority - value
            return name if not off else f"{name} {'+' if off > 0 else '-'} {abs(off)}"
    return str(h.priority)


def _addr(v: Is) -> str:
    n = v.value
    text = str(n.network_address) if n.prefixlen == n.max_prefixlen else str(n)
    return ("!= " if v.negate else "") + text


def _l4(m: Match) -> str:
    if m.dport is not None:
        return f"{m.proto} dport {m.dport}"
    return f"meta l4proto {m.proto}"


def _fam(v: Is) -> str:
    value = v.value.nets[0] if isinstance(v.value, IpSet) and v.value.nets else v.value
    return "ip6" if isinstance(value, IPv6Network) else "ip"


# match field -> its text; the dict order is the order kube-proxy writes them
FRAGMENTS: dict[str, Callable[[object, Match], str]] = {
    "ct_state": lambda v, m: "ct state " + ",".join(sorted(v)),
    "dst_type": lambda v, m: f"fib daddr type {v}",
    "daddr": lambda v, m: f"{_fam(v)} daddr {_addr(v)}",
    "dset": lambda v, m: f"{_fam(v)} daddr {'!= ' if v.negate else ''}@{v.value.name}",
    "proto": lambda v, m: _l4(m),
    "saddr": lambda v, m: f"{_fam(v)} saddr {_addr(v)}",
    "sset": lambda v, m: f"{_fam(v)} saddr {'!= ' if v.negate else ''}@{v.value.name}",
    "src_type": lambda v, m: f"fib saddr type {v}",
    "mark": lambda v, m: f"meta mark & {v[1]:#010x} == {v[0]:#010x}",
    "mark_not": lambda v, m: f"meta mark & {v[1]:#010x} != {v[0]:#010x}",
}


def _mark(a: SetMark) -> str:
    if a.mask == a.value:  # --or-mark
        return f"meta mark set meta mark | {a.value:#010x}"
    if a.mask == 0:  # --xor-mark
        return f"meta mark set meta mark ^ {a.value:#010x}"
    return f"meta mark set meta mark & {~a.mask & 0xFFFFFFFF:#010x} ^ {a.value:#010x}"


VERDICTS: dict[type, Callable[[object], str]] = {
    Accept: lambda a: "accept",
    Drop: lambda a: "drop",
    Reject: lambda a: "reject",
    Return: lambda a: "return",
    Jump: lambda a: f"jump {a.chain}",
    Goto: lambda a: f"goto {a.chain}",
    Masquerade: lambda a: "masquerade" + (" fully-random" if a.random_fully else ""),
    Dnat: lambda a: f"dnat to {a.to}" + (f":{a.port}" if a.port else ""),
    Snat: lambda a: f"snat to {a.to}" + (f":{a.port}" if a.port else ""),
    SetMark: _mark,
    Vmap: lambda a: " . ".join(VMAP_KEYS[k] for k in a.key) + f" vmap @{a.name}",
    Update: lambda a: f"update @{a.set} {{ ip saddr }}",
    Numgen: lambda a: f"numgen random mod {len(a.targets)} vmap {{ " + ", ".join(
        f"{i} : goto {t.chain}" for i, t in enumerate(a.targets)) + " }",
}


def rule_text(rule: Rule) -> str:
    m = rule.match
    parts = [FRAGMENTS[name](getattr(m, name), m) for name in FRAGMENTS
             if getattr(m, name) is not None]
    parts.append(VERDICTS[type(rule.action)](rule.action))
    if rule.comment is not None:
        parts.append(f'comment "{rule.comment}"')
    return " ".join(parts)


def _elements(rules: Ruleset, table: str) -> dict[str, list[str]]:
    """Each named set's and map's elements, from the rules that use them."""
    out: dict[str, list[str]] = {}
    for chain in rules.tables.get(table, {}).values():
        for rule in chain.rules:
            for v in (rule.match.dset, rule.match.sset):
                if v is not None:
                    out.setdefault(v.value.name, [_net(n) for n in v.value.nets])
            a = rule.action
            if isinstance(a, Vmap):
                out.setdefault(a.name, [_entry(e) for e in a.entries])
    return out


def _net(n: IPv4Network | IPv6Network) -> str:
    return str(n.network_address) if n.prefixlen == n.max_prefixlen else str(n)


def _entry(e) -> str:
    key = " . ".join(str(k) for k in e.key)
    comment = f' comment "{e.comment}"' if e.comment else ""
    return f"{key}{comment} : {VERDICTS[type(e.verdict)](e.verdict)}"


def _element_lines(kind: str, items: list[str]) -> str:
    per = 1 if ":" in kind else PER_LINE.get(kind, 1)
    text = ""
    for i, item in enumerate(items):
        if i:
            text += NEWLINE if i % per == 0 else ", "
        text += item
    return f"\t\telements = {{ {text} }}"


def nft_time(seconds: int) -> str:
    """A duration as nft lists it: 10800 -> 3h, 90061 -> 1d1h1m1s."""
    out = ""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            out += f"{seconds // size}{unit}"
            seconds %= size
    return out or "0s"


def render(rules: Ruleset, table: str) -> str:
    """`nft list table FAMILY TABLE` of the model's table, loadable with `nft -f`."""
    native = rules.native[table]
    elements = _elements(rules, table)
    blocks = []
    for name, (kind, comment) in native.sets.items():
        lines = [f"\t{'map' if ':' in kind else 'set'} {name} {{", f"\t\ttype {kind}"]
        if name in native.timeouts:  # a dynamic set: the kernel's default size, listed
            lines += ["\t\tsize 65535", "\t\tflags dynamic,timeout",
                      f"\t\ttimeout {nft_time(native.timeouts[name])}"]
        if comment:
            lines.append(f'\t\tcomment "{comment}"')
        if elements.get(name):
            lines.append(_element_lines(kind, elements[name]))
        blocks.append("\n".join([*lines, "\t}"]))
    for name, chain in rules.tables[table].items():
        lines = [f"\tchain {name} {{"]
        hooked = rules.hooked.get((table, name))
        if hooked is not None:
            lines.append(f"\t\ttype {hooked.kind} hook {hooked.hook} priority "
                         f"{priority(hooked)}; policy {chain.policy or 'accept'};")
        if name in native.chain_comments:
            lines.append(f'\t\tcomment "{native.chain_comments[name]}"')
        lines += [f"\t\t{rule_text(r)}" for r in chain.rules]
        blocks.append("\n".join([*lines, "\t}"]))
    head = f"table {rules.family} {table} {{"
    if native.comment:
        head += f'\n\tcomment "{native.comment}"'
    return head + "\n" + "\n\n".join(blocks) + "\n}\n"
