"""`--network container:NAME`: join another container's namespace (spec §5.3).

Validation follows `validateNetContainerMode`, in its order, with its words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.graph import EdgeKind, NodeKind

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon
    from netsim.scenario.schema import Container

# (field that must be empty, Docker's message)
CONFLICTS = (
    ("hostname", "conflicting options: hostname and the network mode"),
    ("links", "conflicting options: container type network can't be used with links. "
              "This would result in undefined behavior"),
    ("ports", "conflicting options: port publishing and the container type network mode"),
    ("publish_all", "conflicting options: port publishing and the container type network mode"),
    ("expose", "conflicting options: port exposing and the container type network mode"),
)


def run(b: Builder, d: Daemon, name: str, spec: Container, path: tuple, target: str | None,
        nets: list) -> None:
    npath = nets[0][2]
    if not target:
        raise b.error(npath, "invalid network mode: invalid container format container:<name|id>")
    for key, message in CONFLICTS:
        if getattr(spec, key):
            raise b.error((*path, key), message)
    if target == name:
        raise b.error(npath, "cannot join own network namespace")
    meta = b.model.container_meta
    if target not in meta or target not in b.model.endpoints:
        raise b.error(npath, f"cannot join network namespace of a non running container: "
                      f"container {target} is not running", "a container defined earlier")
    if meta[target]["host"] != d.name:
        raise b.error(npath, f"No such container: {target} (it runs on {meta[target]['host']})")
    joined = b.model.endpoints[target]
    b.endpoint(name, NodeKind.CONTAINER, joined.ns, dict(joined.addresses))
    meta[name]["joins"] = target
    b.model.graph.add_node(f"ctr:{name}", kind=NodeKind.CONTAINER, obj=None)
    b.model.graph.add_edge(f"ctr:{name}", joined.ns, kind=EdgeKind.SHARED_NETNS)
    b.listen(b.model.ns[joined.ns], spec.listen, f"{name} (shares {target})")
