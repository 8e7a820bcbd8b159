"""`--network none`: a namespace with only `lo` (spec §5.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from netsim.model.graph import NodeKind

if TYPE_CHECKING:
    from netsim.model.build import Builder, Daemon
    from netsim.scenario.schema import Container


def run(b: Builder, d: Daemon, name: str, spec: Container, path: tuple, target: str | None,
        nets: list) -> None:
    ns = b.add_ns(name, NodeKind.CONTAINER, name, host=d.name)
    b.endpoint(name, NodeKind.CONTAINER, name, {})
    b.listen(ns, spec.listen, f"{name}'s echo service")
    if spec.ports or spec.publish_all:  # Docker accepts it silently (docker-observed: none)
        b.model.warnings.append(("P26", f"containers.{name}.ports: accepted but meaningless "
                                 "with --network none (Docker says nothing)"))
