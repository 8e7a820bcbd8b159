"""Who wires a container's network: one package per runtime, one line per runtime here.

`build(loaded)` makes the runtime-neutral world first (the LAN, every host's namespace), then
hands each runtime the hosts that name it (`hosts.X.runtime`, default docker), so a scenario
can mix runtimes host by host. Link-kind lint runs last, over the whole model.
"""

from __future__ import annotations

from collections.abc import Callable

from netsim.links import registry as links
from netsim.model import lan
from netsim.model.assembly import Assembly
from netsim.model.graph import Model
from netsim.runtime.cni import runtime as cni
from netsim.runtime.docker import daemon as docker
from netsim.scenario.load import Loaded
from netsim.scenario.schema import Container, Host

# name -> (assembly, {host: spec}, {container: spec}) -> None; each fills the model for its
# hosts and the containers that run on them
RUNTIMES: dict[str, Callable[[Assembly, dict[str, Host], dict[str, Container]], None]] = {
    docker.NAME: docker.build,
    cni.NAME: cni.build,
}


def runtime_of(spec: Container, hosts: dict[str, Host]) -> str:
    """Which runtime starts a container: its host's (one host: that one; else Docker, which
    says when a host must be named)."""
    if spec.host in hosts:
        return hosts[spec.host].runtime
    if len(hosts) == 1:
        return next(iter(hosts.values())).runtime
    return docker.NAME


def build(loaded: Loaded) -> Model:
    asm = Assembly(loaded)
    lan.check_names(asm)
    lan.build(asm)
    by_runtime: dict[str, dict[str, Host]] = {}
    for i, (name, spec) in enumerate(lan.hosts(asm).items()):
        if spec.runtime not in RUNTIMES:
            raise asm.error(("hosts", name, "runtime"), f"no runtime named '{spec.runtime}'",
                            ", ".join(RUNTIMES))
        lan.add_host(asm, i, name, spec)
        by_runtime.setdefault(spec.runtime, {})[name] = spec
    all_hosts = lan.hosts(asm)
    for runtime, hosts in by_runtime.items():
        RUNTIMES[runtime](asm, hosts, {n: c for n, c in asm.sc.containers.items()
                                       if runtime_of(c, all_hosts) == runtime})
    lan.routes(asm)
    asm.model.warnings += list(loaded.notes) + links.lint(asm.model)
    return asm.model
