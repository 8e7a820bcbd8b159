"""Render a Ruleset as `iptables-save` text: what Docker would have written (spec §3.3/§3.4).

One fragment per Match field (RENDERERS), in iptables-save's own order; a test checks the
table covers every field, like the predictor's MATCHERS.
"""

from __future__ import annotations

from collections.abc import Callable

from netsim.model.rules import (
    BUILTIN,
    Accept,
    Dnat,
    Drop,
    Goto,
    Is,
    Jump,
    Masquerade,
    Match,
    Numgen,
    Op,
    Reject,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Snat,
    Update,
    Vmap,
)

TABLE_ORDER = ("raw", "filter", "nat")
IPTABLES_PROTO = {"icmpv6": "ipv6-icmp"}  # the model's protocol name -> ip6tables-save's


def _endpoint(to: object, port: int | None) -> str:
    """A NAT target as iptables-save prints it: an IPv6 address in brackets with a port."""
    if port is None:
        return str(to)
    return f"[{to}]:{port}" if getattr(to, "version", 4) == 6 else f"{to}:{port}"


def _neg(v: Is, flag: str, text: str) -> str:
    return f"{'! ' if v.negate else ''}{flag} {text}"


def _addr(v: Is, flag: str) -> str:
    net = v.value
    return _neg(v, flag, f"{net.network_address}/{net.prefixlen}")


def _neg_m(v: Is, module: str, text: str) -> str:
    """A module's negation stands after its name: `-m set ! --match-set`."""
    return f"{module} {'! ' if v.negate else ''}{text}"


def _portlist(ports: tuple) -> str:
    return ",".join(f"{p[0]}:{p[1]}" if isinstance(p, tuple) else str(p) for p in ports)


# field -> fragment; the dict order is iptables-save's order of options
RENDERERS: dict[str, Callable[[object, Match], str]] = {
    "saddr": lambda v, m: _addr(v, "-s"),
    "daddr": lambda v, m: _addr(v, "-d"),
    "iif": lambda v, m: _neg(v, "-i", v.value),
    "oif": lambda v, m: _neg(v, "-o", v.value),
    "proto": lambda v, m: f"-p {IPTABLES_PROTO.get(v, v)}",
    "recent": lambda v, m: "-m recent " + (f"--rcheck --seconds {v[2]} --reap" if v[0] ==
                                           "rcheck" else "--set") +
    f" --name {v[1]} --mask 255.255.255.255 --rsource",
    "sport": lambda v, m: f"-m {m.proto} --sport {v}",
    "dport": lambda v, m: f"-m {m.proto} --dport {v}",
    "ct_state": lambda v, m: "-m conntrack --ctstate " + ",".join(
        s.upper() for s in sorted(v, key=["invalid", "related", "established", "new"].index)),
    "dst_type": lambda v, m: f"-m addrtype --dst-type {v.upper()}",
    "src_type": lambda v, m: f"-m addrtype --src-type {v.upper()}",
    "mark": lambda v, m: f"-m mark --mark {v[0]:#x}/{v[1]:#x}",
    "dports": lambda v, m: f"-m multiport --dports {_portlist(v)}",
    "sset": lambda v, m: _neg_m(v, "-m set", f"--match-set {v.value.name} src"),
    "dset": lambda v, m: _neg_m(v, "-m set", f"--match-set {v.value.name} dst"),
    "mark_not": lambda v, m: f"-m mark ! --mark {v[0]:#x}/{v[1]:#x}",
    "random": lambda v, m: f"-m statistic --mode random --probability {probability(v)}",
}


def probability(v: tuple[int, int]) -> str:
    """As iptables-save prints it: kube-proxy's `%0.10f` of 1/(n-i), stored by libxt_statistic
    as a u32 fraction of 2^31 (lround), printed back with 11 digits."""
    asked = float(f"{1.0 / (v[1] - v[0]):0.10f}")
    stored = int(asked * 0x80000000 + 0.5)
    return f"{stored / 0x80000000:.11f}"
BASE = ("saddr", "daddr", "iif", "oif", "proto")  # the ip header; -m matches come after


# action type -> its iptables target, as iptables-save prints it
TARGETS: dict[type, Callable[[object], str]] = {
    Accept: lambda a: "-j ACCEPT",
    Drop: lambda a: "-j DROP",
    Reject: lambda a: "-j REJECT --reject-with icmp-port-unreachable",
    Return: lambda a: "-j RETURN",
    Masquerade: lambda a: "-j MASQUERADE" + (" --random-fully" if a.random_fully else ""),
    Jump: lambda a: f"-j {a.chain}",
    Goto: lambda a: f"-g {a.chain}",
    Dnat: lambda a: f"-j DNAT --to-destination {_endpoint(a.to, a.port)}",
    Snat: lambda a: f"-j SNAT --to-source {_endpoint(a.to, a.port)}",
    SetMark: lambda a: f"-j MARK --set-xmark {a.value:#x}/{a.mask:#x}",
    Vmap: lambda a: _nft_only(a),
    Numgen: lambda a: _nft_only(a),
    Update: lambda a: _nft_only(a),
}


def _nft_only(action: object) -> str:
    """Verdict maps and numgen exist in nftables only: a table that holds them (kube-proxy's
    nftables mode) is written with nft, never through iptables."""
    raise ValueError(f"iptables has no {type(action).__name__}: its table is nft's only")


_BARE = frozenset("_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _quote(text: str) -> str:
    """As iptables-save writes a comment (xtables_save_string): bare when it holds only
    letters, digits, `_` and `-`; else in double quotes, inner ones escaped."""
    if text and set(text) <= _BARE:
        return text
    return '"' + text.replace('"', '\\"') + '"'


def rule_text(chain: str, rule: Rule, verb: str = "-A") -> str:
    m = rule.match
    parts = [f"{verb} {chain}"]
    for name, render in RENDERERS.items():
        value = getattr(m, name)
        if value is not None:
            parts.append(render(value, m))
        if name == BASE[-1] and rule.comment is not None and not rule.comment_last:
            parts.append(f"-m comment --comment {_quote(rule.comment)}")  # usually first -m
    if rule.comment is not None and rule.comment_last:
        parts.append(f"-m comment --comment {_quote(rule.comment)}")
    parts.append(TARGETS[type(rule.action)](rule.action))
    return " ".join(parts)


def render(ruleset: Ruleset) -> str:
    out: list[str] = []
    for table in TABLE_ORDER:
        chains = ruleset.tables.get(table)
        if not chains:
            continue
        builtin = list(BUILTIN[table])
        users = sorted(c for c in chains if c not in BUILTIN[table])
        out.append(f"*{table}")
        for name in builtin:
            policy = chains[name].policy.upper() if name in chains else "ACCEPT"
            out.append(f":{name} {policy} [0:0]")
        out.extend(f":{name} - [0:0]" for name in users)
        for name in [*builtin, *users]:
            if name in chains:
                out.extend(rule_text(name, r) for r in chains[name].rules)
        out.append("COMMIT")
    return "\n".join(out) + "\n"


# op kind -> its iptables-restore command (chains and policies go in the table's header)
COMMANDS: dict[str, Callable[[Op], str]] = {
    "append": lambda op: rule_text(op.chain, op.rule),
    "insert": lambda op: rule_text(f"{op.chain} {op.at + 1}", op.rule, "-I"),  # 1-based
    "delete": lambda op: rule_text(op.chain, op.rule, "-D"),
}


def restore_script(ops: list[Op]) -> str:
    """`iptables-restore --noflush` input that makes these changes, in their order within
    each table: what a tool calling iptables one command at a time (dockerd) would leave."""
    out: list[str] = []
    for table in TABLE_ORDER:
        mine = [op for op in ops if op.table == table]
        if not mine:
            continue
        out.append(f"*{table}")
        for op in mine:
            if op.kind == "chain" and op.chain not in BUILTIN[table]:
                out.append(f":{op.chain} - [0:0]")
            elif op.kind == "policy":
                out.append(f":{op.chain} {op.policy.upper()} [0:0]")
        out.extend(COMMANDS[op.kind](op) for op in mine if op.kind in COMMANDS)
        out.append("COMMIT")
    return "\n".join(out) + "\n" if out else ""
