"""Render a namespace's Ruleset as one nftables script and load it atomically inside it.

The tables mirror what iptables-nft makes (ip raw / nat / filter, built-in chains on their
hooks), so `nft list ruleset` in a simulated host reads like Docker's. One fragment per Match
field (RENDERERS); every rule carries its `origin` as a comment.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import re
import shutil
import subprocess
from collections.abc import Callable

from netsim.errors import EnvironmentProblem
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
    Reject,
    Return,
    Rule,
    Ruleset,
    SetMark,
    Snat,
    Update,
    Vmap,
)
from netsim.realize import sandbox
from netsim.realize.nft_table import VMAP_KEYS

_COMMENT = re.compile(r"[^\x20-\x7e]")  # a comment stays one printable line

# (table, chain) -> base chain declaration (iptables-nft's hooks and priorities)
HOOKS = {
    ("raw", "PREROUTING"): "type filter hook prerouting priority raw",
    ("raw", "OUTPUT"): "type filter hook output priority raw",
    ("nat", "PREROUTING"): "type nat hook prerouting priority dstnat",
    ("nat", "INPUT"): "type nat hook input priority 100",
    ("nat", "OUTPUT"): "type nat hook output priority -100",
    ("nat", "POSTROUTING"): "type nat hook postrouting priority srcnat",
    ("filter", "INPUT"): "type filter hook input priority filter",
    ("filter", "FORWARD"): "type filter hook forward priority filter",
    ("filter", "OUTPUT"): "type filter hook output priority filter",
}
TABLES = ("raw", "nat", "filter")
POLICY_COUNTER = "netsim: packets left to the policy"  # a base chain's last rule, no verdict
JSON = 1 << 4  # NFT_CTX_OUTPUT_JSON


def _op(v: Is) -> str:
    return "!= " if v.negate else ""


def _net(v: Is) -> str:
    n = v.value
    return f"{_op(v)}{n.network_address}/{n.prefixlen}"


def _fam(v: Is) -> str:
    """nft's address match keyword: ip or ip6 (a ruleset holds one family)."""
    return "ip6" if v.value.version == 6 else "ip"


def _port(p: int | tuple[int, int]) -> str:
    return f"{p[0]}-{p[1]}" if isinstance(p, tuple) else str(p)


def _setfam(v: Is) -> str:
    return "ip6" if v.value.nets and v.value.nets[0].version == 6 else "ip"


def _to(to: object, port: int | None) -> str:
    if port is None:
        return str(to)
    return f"[{to}]:{port}" if to.version == 6 else f"{to}:{port}"


def _l4(v: object, m: Match) -> str:
    return "" if (m.dport or m.sport) else f"meta l4proto {v}"


_IFNAME = re.compile(r"[A-Za-z0-9_.-]{1,15}\Z")


def _ifname(v: Is) -> str:
    """An interface name as an nft string: only what a Linux name can be and nft cannot
    misread (the scenario is checked for it; this refuses what slipped through)."""
    name = str(v.value)
    if not _IFNAME.match(name):
        raise ValueError(f"refusing to write the interface name {name!r} into nft text")
    return f'{_op(v)}"{name}"'


RENDERERS: dict[str, Callable[[object, Match], str]] = {
    "iif": lambda v, m: f"iifname {_ifname(v)}",
    "oif": lambda v, m: f"oifname {_ifname(v)}",
    "saddr": lambda v, m: f"{_fam(v)} saddr {_net(v)}",
    "daddr": lambda v, m: f"{_fam(v)} daddr {_net(v)}",
    "proto": _l4,
    "sport": lambda v, m: f"{m.proto} sport {v}",
    "dport": lambda v, m: f"{m.proto} dport {v}",
    "ct_state": lambda v, m: "ct state " + ",".join(sorted(v)),
    "dst_type": lambda v, m: f"fib daddr type {v}",
    "src_type": lambda v, m: f"fib saddr type {v}",
    "mark": lambda v, m: f"meta mark & {v[1]:#x} == {v[0]:#x}",
    "dports": lambda v, m: f"{m.proto} dport {{ {', '.join(_port(p) for p in v)} }}",
    "sset": lambda v, m: f"{_setfam(v)} saddr {_op(v)}{{ {', '.join(map(str, v.value.nets))} }}",
    "dset": lambda v, m: f"{_setfam(v)} daddr {_op(v)}{{ {', '.join(map(str, v.value.nets))} }}",
    "mark_not": lambda v, m: f"meta mark & {v[1]:#x} != {v[0]:#x}",
    "random": lambda v, m: f"numgen random mod {v[1] - v[0]} 0",  # 1 in n-i
    "recent": lambda v, m: _iptables_only("recent"),
}


def _iptables_only(what: str) -> str:
    """xt_recent has no nft form: a ruleset that holds it (kube-proxy's iptables mode) is
    loaded with iptables-restore."""
    raise ValueError(f"nft has no {what} match: this ruleset goes through iptables-restore")



# action type -> its nft verdict statement
ACTIONS: dict[type, Callable[[object], str]] = {
    Accept: lambda a: "accept",
    Drop: lambda a: "drop",
    Reject: lambda a: "reject",
    Return: lambda a: "return",
    Masquerade: lambda a: "masquerade" + (" fully-random" if a.random_fully else ""),
    Jump: lambda a: f"jump {a.chain}",
    Goto: lambda a: f"goto {a.chain}",
    Dnat: lambda a: f"dnat to {_to(a.to, a.port)}",
    Snat: lambda a: f"snat to {_to(a.to, a.port)}",
    SetMark: lambda a: f"meta mark set meta mark & {~a.mask & 0xFFFFFFFF:#x} ^ {a.value:#x}",
    Vmap: lambda a: vmap_text(a),
    Update: lambda a: f"update @{a.set} {{ ip saddr }}",
    Numgen: lambda a: f"numgen random mod {len(a.targets)} vmap {{ " + ", ".join(
        f"{i} : goto {t.chain}" for i, t in enumerate(a.targets)) + " }",
}



def vmap_text(v: Vmap, named: bool = False) -> str:
    """`KEY vmap @name` (a named map, defined in its table), or with its elements inline."""
    key = " . ".join(VMAP_KEYS[k] for k in v.key)
    if named:
        return f"{key} vmap @{v.name}"
    return f"{key} vmap {{ " + ", ".join(
        f"{' . '.join(map(str, e.key))} : {ACTIONS[type(e.verdict)](e.verdict)}"
        for e in v.entries) + " }"


def rule_text(rule: Rule) -> str:
    parts = [RENDERERS[name](getattr(rule.match, name), rule.match)
             for name in RENDERERS if getattr(rule.match, name) is not None]
    comment = _COMMENT.sub(" ", rule.origin.replace('"', "'"))[:120]
    return " ".join(p for p in [*parts, "counter", ACTIONS[type(rule.action)](rule.action)]
                    if p) + \
        f' comment "{comment}"'


def render(ruleset: Ruleset, replace: bool = True) -> str:
    """`replace`: each table is created, deleted and defined again in one transaction, so the
    script can be reloaded. A fresh namespace skips that: the delete costs ~10 ms (measured)."""
    out = []
    family = ruleset.family
    for table in TABLES:
        chains = ruleset.tables.get(table)
        if not chains:
            continue
        if replace:
            out += [f"table {family} {table}", f"delete table {family} {table}"]
        out.append(f"table {family} {table} {{")
        for name in sorted(chains, key=lambda c: (c not in BUILTIN[table], c)):
            chain = chains[name]
            out.append(f"  chain {name} {{")
            if (table, name) in HOOKS:
                out.append(f"    {HOOKS[table, name]}; policy {chain.policy or 'accept'};")
            out.extend(f"    {rule_text(r)}" for r in chain.rules)
            if (table, name) in HOOKS and chain.policy == "drop":  # what the policy drops
                out.append(f'    counter comment "{POLICY_COUNTER}"')
            out.append("  }")
        out.append("}")
    return "\n".join(out) + "\n"


def nft_binary() -> str:
    path = shutil.which("nft")
    if not path:
        raise EnvironmentProblem("nft is not installed: netsim loads each simulated host's "
                                 "rules with it", "apt-get install nftables")
    return path


class _Libnftables:
    """libnftables (the library behind `nft`, shipped by Debian's nftables package) through
    ctypes: a context made inside a namespace talks netlink there. It loads a ruleset in well
    under a millisecond where starting `nft` costs several; with one ruleset per container
    (Docker's DNS NAT) that is the difference that matters."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("nftables")
        self.lib = ctypes.CDLL(name) if name else None
        if self.lib:
            self.lib.nft_ctx_new.restype = ctypes.c_void_p
            self.lib.nft_ctx_new.argtypes = [ctypes.c_uint32]
            self.lib.nft_ctx_free.argtypes = [ctypes.c_void_p]
            self.lib.nft_ctx_buffer_error.argtypes = [ctypes.c_void_p]
            self.lib.nft_ctx_get_error_buffer.restype = ctypes.c_char_p
            self.lib.nft_ctx_get_error_buffer.argtypes = [ctypes.c_void_p]
            self.lib.nft_run_cmd_from_buffer.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            self.lib.nft_ctx_buffer_output.argtypes = [ctypes.c_void_p]
            self.lib.nft_ctx_get_output_buffer.restype = ctypes.c_char_p
            self.lib.nft_ctx_get_output_buffer.argtypes = [ctypes.c_void_p]
            self.lib.nft_ctx_output_set_flags.argtypes = [ctypes.c_void_p, ctypes.c_uint]

    def run(self, text: str) -> str | None:
        """Load `text` in the calling thread's namespace; the error text, or None."""
        ctx = self.lib.nft_ctx_new(0)
        try:
            self.lib.nft_ctx_buffer_error(ctx)
            rc = self.lib.nft_run_cmd_from_buffer(ctx, text.encode())
            return None if rc == 0 else (self.lib.nft_ctx_get_error_buffer(ctx) or b"").decode()
        finally:
            self.lib.nft_ctx_free(ctx)

    def query(self, text: str) -> str:
        """Run a listing command in the calling thread's namespace; its JSON output."""
        ctx = self.lib.nft_ctx_new(0)
        try:
            self.lib.nft_ctx_buffer_output(ctx)
            self.lib.nft_ctx_buffer_error(ctx)
            self.lib.nft_ctx_output_set_flags(ctx, JSON)
            if self.lib.nft_run_cmd_from_buffer(ctx, text.encode()):
                raise EnvironmentProblem("nft: " + (self.lib.nft_ctx_get_error_buffer(ctx)
                                                    or b"").decode().strip())
            return (self.lib.nft_ctx_get_output_buffer(ctx) or b"{}").decode()
        finally:
            self.lib.nft_ctx_free(ctx)


_LIB: _Libnftables | None = None


def _lib() -> _Libnftables:
    global _LIB
    if _LIB is None:
        _LIB = _Libnftables()
    return _LIB


def counters(chains: set[tuple[str, str]]) -> dict[tuple[str, str, int], int]:
    """Each rule's packet counter in the given chains of the calling thread's namespace (one
    netsim loaded; the prober's thread is inside it): (table, chain, index in the chain) ->
    packets, the index as the model orders the chain (a drop-policy chain's last counter
    has the index len(rules): what reached its policy)."""
    out: dict[tuple[str, str, int], int] = {}
    for table, chain in chains:
        try:
            out |= _chain_counters(table, chain)
        except EnvironmentProblem:  # no such chain here: nothing counted, nothing proven
            continue
    return out


def _chain_counters(table: str, chain: str) -> dict[tuple[str, str, int], int]:
    """`table`: "filter", or "ip6 filter" for ip6tables' (the walk names it so)."""
    family, _, name = table.rpartition(" ")
    command = f"list chain {family or 'ip'} {name} {chain}"
    lib = _lib()
    if lib.lib is not None:
        text = lib.query(command)
    else:
        text = subprocess.run([nft_binary(), "-j", *command.split()], capture_output=True,
                              text=True).stdout
    rules = [item["rule"] for item in json.loads(text or "{}").get("nftables", [])
             if "rule" in item]  # in the chain's order, which is the model's
    return {(table, chain, index): expr["counter"]["packets"]
            for index, rule in enumerate(rules) for expr in rule.get("expr", [])
            if "counter" in expr}


def load(ns_name: str, ruleset: Ruleset, replace: bool = True) -> None:
    """Load the namespace's ruleset atomically from a thread inside it (libnftables, or
    `nft -f -` whose child inherits the thread's namespace when the library is missing)."""
    text = render(ruleset, replace)
    if text.strip():
        load_text(ns_name, text)


def load_text(ns_name: str, text: str) -> None:
    """An nft script (or command) run inside the namespace, as `load` runs a ruleset."""
    nft = nft_binary()
    lib = _lib()

    def run() -> str | None:
        with sandbox.in_netns(ns_name):
            if lib.lib is not None:
                return lib.run(text)
            r = subprocess.run([nft, "-f", "-"], input=text, capture_output=True, text=True)
            return r.stderr.strip() if r.returncode else None

    error = sandbox.in_thread(run)
    if error:
        raise EnvironmentProblem(f"nft refused the ruleset for {ns_name}: {error.strip()}")


def listing(ns_name: str) -> str:
    nft = nft_binary()

    def run() -> str:
        with sandbox.in_netns(ns_name):
            return subprocess.run([nft, "list", "ruleset"], capture_output=True, text=True).stdout

    return sandbox.in_thread(run)
