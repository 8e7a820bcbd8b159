"""Who wires a container's network: one package per runtime, one line per runtime here.

`build(loaded)` makes the runtime-neutral world first (the LAN, every host's namespace), then
hands each runtime the hosts that name it (`hosts.X.runtime`, default docker), so a scenario
can mix runtimes host by host, and one node can run several (`runtime: [docker, cni]`: in the
order they start there; it decides who turned IP forwarding on, and so Docker's FORWARD
policy). Link-kind lint runs last, over the whole model.
"""

from __future__ import annotations

from netsim.gcpause import paused
from netsim.links import registry as links
from netsim.links.limits import IPV6_MIN_MTU
from netsim.model import lan
from netsim.model.assembly import Assembly
from netsim.model.graph import Model
from netsim.runtime.cni import runtime as cni
from netsim.runtime.contract import Runtime, ToolRunner
from netsim.runtime.docker import runtime as docker
from netsim.scenario.load import Loaded
from netsim.scenario.schema import Container, Host, Scenario

RUNTIMES: dict[str, Runtime] = {
    docker.NAME: docker.RUNTIME,
    cni.NAME: cni.RUNTIME,
}
DEFAULT = docker.NAME  # a host that names none runs this one
TOOLS: dict[str, ToolRunner] = {k: v for rt in RUNTIMES.values() for k, v in rt.tools.items()}


def as_engine(loaded: Loaded, version: str) -> Loaded:
    """The scenario as a real engine of `version` is predicted (each runtime that says)."""
    for rt in RUNTIMES.values():
        if rt.as_engine is not None:
            loaded = rt.as_engine(loaded, version)
    return loaded


def runtime_of(spec: Container, hosts: dict[str, Host], sc: Scenario) -> str:
    """Which runtime starts a container: its host's (one host: that one; else the default,
    which says when a host must be named); on a node of several, the first that claims it,
    else the first that takes what no other claims."""
    host = hosts.get(spec.host) if spec.host else (
        next(iter(hosts.values())) if len(hosts) == 1 else None)
    if host is None:
        return DEFAULT
    claimed = (r for r in host.runtime if (c := RUNTIMES[r].claims) and c(spec, sc))
    rest = (r for r in host.runtime if RUNTIMES[r].claims is None)
    return next(claimed, next(rest, host.runtime[0]))


def schedule(asm: Assembly, hosts: dict[str, Host]) -> list[tuple[str, dict[str, Host]]]:
    """The order runtimes build in: a runtime that spans hosts (Docker: swarm, networks) once;
    a per-node runtime (CNI) before it for the nodes where it starts first, after it for the
    others."""
    whole = [r for r, rt in RUNTIMES.items() if not rt.per_node]
    slots: list[dict[str, dict[str, Host]]] = [{} for _ in range(len(whole) + 1)]
    spans: dict[str, dict[str, Host]] = {r: {} for r in whole}
    for name, spec in hosts.items():
        slot = 0
        for r in spec.runtime:
            if r not in RUNTIMES:
                raise asm.error(("hosts", name, "runtime"), f"no runtime named '{r}'",
                                ", ".join(RUNTIMES))
        _own_keys(asm, name, spec)
        for r in spec.runtime:
            if r in spans:
                if whole.index(r) < slot:
                    raise asm.error(("hosts", name, "runtime"), "netsim builds "
                                    f"{', '.join(whole)} in this order on every node")
                slot = whole.index(r) + 1
                spans[r][name] = spec
            else:
                slots[slot].setdefault(r, {})[name] = spec
    steps: list[tuple[str, dict[str, Host]]] = []
    for k, group in enumerate(slots):
        steps += group.items()
        if k < len(whole) and spans[whole[k]]:
            steps.append((whole[k], spans[whole[k]]))
    return steps


def _own_keys(asm: Assembly, name: str, spec: Host) -> None:
    """A runtime's host key (dockerd's --icc, a node's podCIDR) on a host that runs it only:
    elsewhere nothing would read it."""
    for key in spec.model_fields_set:
        owner = next((r for r, rt in RUNTIMES.items()
                      if rt.host_keys and key in rt.host_keys.model_fields), None)
        if owner and owner not in spec.runtime:
            raise asm.error(("hosts", name, key), f"'{key}' is a key of the {owner} runtime; "
                            f"{name} runs {', '.join(spec.runtime)}",
                            f"runtime: [{', '.join((*spec.runtime, owner))}] to run both",
                            at_key=True)


def _physical(loaded: Loaded) -> Assembly:
    """The runtime-neutral world: the LAN, its peers, the router, `outside`, every host."""
    asm = Assembly(loaded)
    lan.check_names(asm)
    lan.build(asm)
    for i, (name, spec) in enumerate(lan.hosts(asm).items()):
        lan.add_host(asm, i, name, spec)
    return asm


def world(loaded: Loaded) -> Model:
    """Only the physical world, as it is before any runtime starts (forwarding as the
    machine booted): what a real engine is started in."""
    asm = _physical(loaded)
    for name, spec in lan.hosts(asm).items():
        asm.model.ns[name].forwarding = spec.ip_forward_at_start
    lan.routes(asm)
    return asm.model


def _ipv6_floor(asm: Assembly) -> None:
    """IPv6 on a device under 1280 bytes: the kernel refuses the address, so `run` could not
    build it; said at the network (or the LAN) that set the MTU."""
    for ns in asm.model.ns.values():
        for i in ns.ifaces.values():
            if 0 < i.mtu < IPV6_MIN_MTU and any(a.version == 6 for a in i.addrs):
                six = next(a for a in i.addrs if a.version == 6)
                path = (("networks", i.network) if i.network in asm.sc.networks
                        else ("lan", "mtu"))
                raise asm.error(path, f"{ns.label}: {i.name} has MTU {i.mtu} and the IPv6 "
                                f"address {six}: the kernel gives no IPv6 to a device under "
                                f"{IPV6_MIN_MTU} bytes (ip addr add: invalid argument)",
                                f"an MTU of {IPV6_MIN_MTU} or more, or no IPv6 there")


@paused()
def build(loaded: Loaded) -> Model:
    asm = _physical(loaded)
    all_hosts = lan.hosts(asm)
    placed: set[str] = set()  # no host, or one that does not exist: the runtime's first step
    for runtime, hosts in schedule(asm, all_hosts):  # (which says which host it needs)
        for name in hosts:  # each change is recorded with who made it (realize replays it)
            asm.model.ns[name].rules.writer = runtime
        mine = {n: c for n, c in asm.sc.containers.items() if n not in placed
                and (c.host in hosts or c.host not in all_hosts)
                and runtime_of(c, all_hosts, asm.sc) == runtime}
        placed |= mine.keys()
        for name in mine:
            refused = RUNTIMES[runtime].container_name(name)
            if refused:
                raise asm.error(("containers", name), refused, at_key=True)
        RUNTIMES[runtime].build(asm, hosts, mine)
    for name, c in asm.sc.containers.items():  # no runtime took it (all hosts run CNI)
        if name not in placed:
            raise asm.error(("containers", name, "host"), f"no host named '{c.host}'" if c.host
                            else "say which host (several hosts)", ", ".join(all_hosts))
    for name in all_hosts:
        asm.model.ns[name].rules.writer = None
    _ipv6_floor(asm)
    lan.routes(asm)
    asm.model.warnings += list(loaded.notes) + links.lint(asm.model)
    return asm.model
