"""`--network host`: the container is the host's namespace (spec §5.1)."""

from __future__ import annotations

from netsim.model.assembly import ANY
from netsim.model.graph import NodeKind
from netsim.runtime.docker.context import Run


def run(r: Run) -> None:
    dk, d, name, spec = r.dk, r.daemon, r.name, r.spec
    if spec.links:
        raise dk.error((*r.path, "links"), "conflicting options: host type networking can't be "
                       "used with links. This would result in undefined behavior")
    if spec.ports or spec.publish_all:
        dk.model.warnings.append(("P26", f"containers.{name}.ports: WARNING: Published ports are "
                                  "discarded when using host network mode"))
    host_ep = dk.model.endpoints[d.name]
    dk.asm.endpoint(name, NodeKind.CONTAINER, d.ns, dict(host_ep.addresses))
    dk.model.join(name, d.ns)
    for p in dk.listens(name, spec):  # the host's addresses: 127.0.0.1 binds stay local
        dk.asm.listen(dk.model.ns[d.ns], [p], f"{name} (host network)", ip=p.ip or ANY)
