"""`--network none`: a namespace with only `lo` (spec §5.2)."""

from __future__ import annotations

from netsim.model.assembly import ANY
from netsim.model.graph import NodeKind
from netsim.runtime.docker.context import Run


def run(r: Run) -> None:
    dk, name, spec = r.dk, r.name, r.spec
    ns = dk.asm.add_ns(name, NodeKind.CONTAINER, name, host=r.daemon.name)
    dk.asm.endpoint(name, NodeKind.CONTAINER, name, {})
    for p in dk.listens(name, spec):
        dk.asm.listen(ns, [p], f"{name}'s app", ip=p.ip or ANY)
    if spec.ports or spec.publish_all:  # Docker accepts it silently (docker-observed: none)
        dk.model.warnings.append(("P26", f"containers.{name}.ports: accepted but meaningless "
                                  "with --network none (Docker says nothing)"))
