"""`--network container:NAME`: join another container's namespace (spec §5.3).

Validation follows `validateNetContainerMode`, in its order, with its words.
"""

from __future__ import annotations

from netsim.model.assembly import ANY
from netsim.model.graph import NodeKind
from netsim.runtime.docker.context import Run

# (field that must be empty, Docker's message)
CONFLICTS = (
    ("hostname", "conflicting options: hostname and the network mode"),
    ("links", "conflicting options: container type network can't be used with links. "
              "This would result in undefined behavior"),
    ("ports", "conflicting options: port publishing and the container type network mode"),
    ("publish_all", "conflicting options: port publishing and the container type network mode"),
    ("expose", "conflicting options: port exposing and the container type network mode"),
)


def run(r: Run) -> None:
    dk, d, name, spec, target = r.dk, r.daemon, r.name, r.spec, r.target
    npath = r.nets[0].path
    if not target:
        raise dk.error(npath, "invalid network mode: invalid container format container:<name|id>")
    for key, message in CONFLICTS:
        if getattr(spec, key):
            raise dk.error((*r.path, key), message)
    if target == name:
        raise dk.error(npath, "cannot join own network namespace")
    running = dk.model.containers
    if target not in running or target not in dk.model.endpoints:
        raise dk.error(npath, f"cannot join network namespace of a non running container: "
                       f"container {target} is not running", "a container defined earlier")
    if running[target].host != d.name:
        raise dk.error(npath, f"No such container: {target} (it runs on {running[target].host})")
    joined = dk.model.endpoints[target]
    dk.asm.endpoint(name, NodeKind.CONTAINER, joined.ns, dict(joined.addresses))
    running[name].joins = target
    dk.model.join(name, joined.ns)
    for p in dk.listens(name, spec):
        dk.asm.listen(dk.model.ns[joined.ns], [p], f"{name} (shares {target})", ip=p.ip or ANY)
