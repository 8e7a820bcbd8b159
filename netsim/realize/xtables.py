"""Rules netsim writes with the iptables tool itself: on a node that another tool also writes
(the real CNI plugins call iptables), netsim plays dockerd with `iptables-restore --noflush`,
the same iptables-nft, so both tools' chains live in the tables they would share for real."""

from __future__ import annotations

import shutil
import subprocess

from netsim.errors import EnvironmentProblem
from netsim.model.rules import IpSet, Op
from netsim.realize import sandbox
from netsim.realize.iptables_save import TABLE_ORDER, restore_script


def binary(family: str = "ip") -> str:
    tool = "ip6tables-restore" if family == "ip6" else "iptables-restore"
    found = shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        raise EnvironmentProblem(f"{tool} is not installed", "apt-get install iptables")
    return found


def restore(ns_name: str, ops: list[Op], family: str = "ip") -> None:
    """Apply `ops` in namespace `ns_name` (a thread inside it starts the tool), with
    ip6tables-restore for an `ip6` ruleset's."""
    text = restore_script(ops)
    if not text:
        return
    _ipsets(ns_name, ops, family)
    exe = binary(family)
    _feed(ns_name, [exe, "--noflush"], text, f"{exe.rsplit('/', 1)[-1]} refused the rules")


def _feed(ns_name: str, argv: list[str], text: str, refused: str) -> None:
    """`argv` with `text` on its standard input, started by a thread inside the namespace."""
    def run() -> subprocess.CompletedProcess:
        with sandbox.in_netns(ns_name):
            return subprocess.run(argv, input=text, capture_output=True, text=True, timeout=30)

    done = sandbox.in_thread(run)
    if done.returncode:
        raise EnvironmentProblem(f"{refused} for {ns_name}: {done.stderr.strip()}")


def _ipsets(ns_name: str, ops: list[Op], family: str) -> None:
    """The ipsets the rules name (felix's), made first with `ipset restore` in the same
    namespace: iptables refuses a rule whose set does not exist."""
    sets: dict[str, IpSet] = {}
    for op in ops:  # an nft table's own sets (kube-proxy's) are nft's, not ipsets
        m = op.rule.match if op.rule is not None and op.table in TABLE_ORDER else None
        for v in (m.sset, m.dset) if m is not None else ():
            if v is not None:
                sets[v.value.name] = v.value
    if not sets:
        return
    exe = shutil.which("ipset", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if exe is None:
        raise EnvironmentProblem("ipset is not installed", "apt-get install ipset")
    inet = "inet6" if family == "ip6" else "inet"
    lines = []
    for s in sets.values():
        lines.append(f"create {s.name} hash:net family {inet} -exist")
        lines += [f"add {s.name} {n} -exist" for n in s.nets]
    _feed(ns_name, [exe, "restore"], "\n".join(lines) + "\n", "ipset refused the sets")
