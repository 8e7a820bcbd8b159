"""Bring a lab up and down: namespaces and links, rulesets, services, journaled throughout."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pyroute2.netlink.exceptions import NetlinkError

from netsim.errors import EnvironmentProblem, NetsimError
from netsim.model import dns
from netsim.model.graph import IfKind, Model, Netns
from netsim.model.lan import SWITCH
from netsim.model.rules import Op, Ruleset
from netsim.realize import netlink, nft, nft_table, sandbox, services, tools, xtables
from netsim.realize.journal import Journal, Process


class LabExists(NetsimError):
    pass


@dataclass
class UpResult:
    names: dict[str, str]
    seconds: dict[str, float]
    keeper: int
    findings: list[str] = field(default_factory=list)  # real tools vs the model
    warnings: list[tuple[str, str]] = field(default_factory=list)  # what a real tool said


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(f"netsim {what} builds network namespaces and needs root",
                                 "run it as root (or with sudo); `netsim check FILE` works "
                                 "without root")


def up(model: Model, lab: str, scenario_text: str, scenario_path: str,
       engine: dict, runners: Mapping[str, tools.Runner] | None = None) -> UpResult:
    """`engine`: the engine's own journal record (its `kind` first); `runners`: the
    runtimes' real tools, for the model's `tool_runs`."""
    require_root("up")
    nft.nft_binary()
    netlink.check_kernel(model)
    sandbox.CANCEL.clear()
    _raise_open_files_limit(len(model.ns))
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    open_journal(lab, scenario_text, scenario_path, engine)
    files = ThreadPoolExecutor(1)  # the containers' files, written while the links are made
    try:
        written = files.submit(write_files, model, lab)
        names = sandbox.in_thread(lambda: _links(model, lab))
        times["links"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        shared = {(ns_id, rules.family): shared_phases(ns, rules)
                  for ns_id, ns in model.ns.items() if ns.rules_by
                  for rules in (ns.rules, ns.rules6)}
        for ns_id, ns in model.ns.items():
            for rules in (ns.rules, ns.rules6):
                if rules.count() and not ns.rules_by:
                    nft.load(names[ns_id], rules, replace=False)  # fresh namespace
        for (ns_id, family), (before, _) in shared.items():
            xtables.restore(names[ns_id], before, family)
        times["rules"] = time.perf_counter() - t1
        written.result()
        files.shutdown()
        t3 = time.perf_counter()
        said = _run_tools(model, lab, names, runners or {})
        for (ns_id, family), (_, after) in shared.items():
            xtables.restore(names[ns_id], after, family)
        for ns_id, ns in model.ns.items():  # after every iptables table: first among equals
            for rules in (ns.rules, ns.rules6):
                for table in rules.native:
                    nft.load_text(names[ns_id], nft_table.render(rules, table))
        times["plugins"] = time.perf_counter() - t3
        t2 = time.perf_counter()
        pid = services.start(model, names, names[SWITCH])
        keeper = Process(pid=pid, start=sandbox.pid_start(pid))
        sandbox.update_journal(lab, lambda j: setattr(j, "keeper", keeper))
        times["services"] = time.perf_counter() - t2
        return UpResult(names, times, pid, said.findings, said.warnings)
    except BaseException as e:
        files.shutdown(wait=True)  # nothing may write into the lab while it is torn down
        sandbox.teardown(lab)
        if isinstance(e, sandbox.Cancelled):
            raise KeyboardInterrupt from None
        if isinstance(e, NetsimError):
            raise
        if isinstance(e, OSError) and e.errno == errno.EMFILE:
            raise EnvironmentProblem(f"building lab '{lab}' failed: too many open files",
                                     "raise the limit (ulimit -n 65536) and run it again; "
                                     "everything it had made was removed") from e
        if isinstance(e, (OSError, NetlinkError, RuntimeError)):
            raise EnvironmentProblem(f"building lab '{lab}' failed: {e}",
                                     "everything it had made was removed") from e
        raise


def open_journal(lab: str, scenario_text: str, scenario_path: str, engine: dict) -> None:
    """The lab's journal, created exclusively (one `up` of a lab at a time), before anything
    of the lab exists; `pid` says which process builds it."""
    start = Journal(lab=lab, scenario=scenario_text, path=scenario_path, since=time.time(),
                    pid=os.getpid(), pid_start=sandbox.pid_start(os.getpid()), engine=engine,
                    files=str(sandbox.files_dir(lab)))
    if not sandbox.create_journal(lab, start):
        raise LabExists(f"lab '{lab}' is already up, or being built (netsim down {lab}, or "
                        "netsim cleanup)")


def shared_phases(ns: Netns, rules: Ruleset) -> tuple[list[Op], list[Op]]:
    """A namespace whose rules a runtime's own tool writes (the CNI plugins): what netsim
    writes there for the other runtime (dockerd's chains on a Docker + CNI node), split into
    the ops made before the tool ran and after, so each lands at its place (each family)."""
    ops = rules.ops
    theirs = [i for i, op in enumerate(ops) if op.writer == ns.rules_by]
    if not theirs:
        return list(ops), []
    first, last = theirs[0], theirs[-1]
    if any(op.writer != ns.rules_by for op in ops[first:last]):
        raise NetsimError(f"{ns.label}: rules of two runtimes interleave; netsim replays one "
                          "runtime's rules before or after the other's")
    return ops[:first], ops[last + 1:]


def _run_tools(model: Model, lab: str, names: dict[str, str],
               runners: Mapping[str, tools.Runner]) -> tools.Said:
    """The runtimes' own tools, for real; what they gave that the model did not predict is a
    finding (returned, and journaled for a later `netsim probe` of the lab)."""
    said = tools.run(model, tools.ToolContext(lab, names, sandbox.files_dir(lab)), runners)
    if said.findings or said.warnings:
        def record(j: Journal) -> None:
            j.findings, j.warnings = said.findings, said.warnings
        sandbox.update_journal(lab, record)
    return said


def write_files(model: Model, lab: str) -> None:
    """Each container's /etc/hosts, /etc/resolv.conf and /etc/nsswitch.conf as Docker writes
    them; the resolver probe bind-mounts them over /etc inside the container (the files
    directory is in the journal from its start, removed by teardown)."""
    for name, view in model.names.items():
        d = sandbox.files_dir(lab) / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "hosts").write_text(view.hosts_file)
        (d / "resolv.conf").write_text(view.resolv_conf)
        (d / "nsswitch.conf").write_text(dns.NSSWITCH)
    for f in model.files:  # a node daemon's files (flanneld's subnet.env)
        path = sandbox.files_dir(lab) / f.node / f.path.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.text)


def _raise_open_files_limit(namespaces: int) -> None:
    """A namespace costs a few descriptors while it is built: take the hard limit's room."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 8 * namespaces + 256))
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _links(model: Model, lab: str) -> dict[str, str]:
    """pyroute2's synchronous API runs its own event loop: in a thread of its own it works
    inside Jupyter too, whose loop is already running (feasibility §1.4, pitfall 4)."""
    built = netlink.build(model, lab)
    built.close()
    return built.names


def down(lab: str) -> list[str]:
    try:
        keeper = sandbox.read_journal(lab).keeper
    except sandbox.BrokenJournal:
        keeper = None
    names = sandbox.teardown(lab)  # never half done: it holds SIGINT and SIGTERM itself
    if keeper is not None:  # reap it when it is our own child (netsim run): no zombie
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(keeper.pid, 0)
    sandbox.wait_gone(names)
    return names


def flush_targets(model: Model, names: dict[str, str]) -> list[tuple[str, str]]:
    """Every interface that holds learned neighbour entries (it has an address and is not
    lo); not one a control plane programmed (flannel.1): the flush would take its permanent
    entries too, and nothing would put them back."""
    out = []
    for ns_id, ns in model.ns.items():
        programmed = {dev for dev, _, _ in ns.neighbours}
        out += [(names[ns_id], i.name) for i in ns.ifaces.values()
                if i.addrs and i.kind != IfKind.LOOPBACK and i.name not in programmed]
    return out
