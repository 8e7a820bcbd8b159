"""`--network host`: the container is the host's namespace (spec §5.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.graph import EdgeKind, NodeKind

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon
    from netsim.scenario.schema import Container


def run(b: Builder, d: Daemon, name: str, spec: Container, path: tuple, target: str | None,
        nets: list) -> None:
    if spec.links:
        raise b.error((*path, "links"), "conflicting options: host type networking can't be "
                      "used with links. This would result in undefined behavior")
    if spec.ports or spec.publish_all:
        b.model.warnings.append(("P26", f"containers.{name}.ports: WARNING: Published ports are "
                                 "discarded when using host network mode"))
    host_ep = b.model.endpoints[d.name]
    b.endpoint(name, NodeKind.CONTAINER, d.ns, dict(host_ep.addresses))
    b.model.graph.add_node(f"ctr:{name}", kind=NodeKind.CONTAINER, obj=None)
    b.model.graph.add_edge(f"ctr:{name}", d.ns, kind=EdgeKind.SHARED_NETNS)
    b.listen(b.model.ns[d.ns], spec.listen, f"{name} (host network)")
