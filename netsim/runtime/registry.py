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
from netsim.runtime.docker import daemon as docker
from netsim.scenario.load import Loaded
from netsim.scenario.schema import Host

# name -> (assembly, {host: spec}) -> None; each fills the model for its hosts
RUNTIMES: dict[str, Callable[[Assembly, dict[str, Host]], None]] = {
    docker.NAME: docker.build,
}


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
    for runtime, hosts in by_runtime.items():
        RUNTIMES[runtime](asm, hosts)
    lan.routes(asm)
    asm.model.warnings += list(loaded.notes) + links.lint(asm.model)
    return asm.model
