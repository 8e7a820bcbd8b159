"""A Service port's endpoints as the EndpointSlice controller derives them and kube-proxy
orders them: the ready pods its selector matches in its namespace whose containers have the
target port (a name resolved per pod), or the slices written by hand for a Service without
selector; sorted by "IP:port" as kube-proxy's endpoints cache sorts them."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address

from netsim.model.graph import Model
from netsim.scenario import kubernetes as k8s
from netsim.scenario.k8s_service import Service, ServicePort


@dataclass(frozen=True)
class Endpoint:
    ip: IPv4Address
    port: int
    node: str | None  # where it runs (None: outside the cluster)
    pod: str | None  # its container's key

    @property
    def text(self) -> str:
        return f"{self.ip}:{self.port}"


def of(cluster: k8s.Cluster, model: Model, svc: Service, sp: ServicePort) -> list[Endpoint]:
    if svc.selector is None:
        return _written(cluster, svc, sp)
    chosen = k8s.Selector(tuple(sorted(svc.selector.items())))
    out = []
    for key, (_, namespace, labels) in cluster.pods.items():
        if namespace != svc.namespace or not chosen.matches(labels) or key not in model.endpoints:
            continue
        if key in cluster.unready and not svc.publish_not_ready:  # the slice says ready: false
            continue
        port = _target(cluster.pod_ports.get(key, []), sp)
        ip = model.endpoints[key].primary
        if port is not None and ip is not None:
            out.append(Endpoint(ip, port, cluster.pod_nodes.get(key), key))
    return sorted(out, key=lambda e: e.text)


def _target(ports: list[tuple[str, str, int]], sp: ServicePort) -> int | None:
    """A number is itself; a name is the pod's container port of that name and protocol
    (a pod without it is no endpoint of this port)."""
    if isinstance(sp.target, int):
        return sp.target
    return next((n for name, proto, n in ports if name == sp.target and proto == sp.protocol),
                None)


def _written(cluster: k8s.Cluster, svc: Service, sp: ServicePort) -> list[Endpoint]:
    out = []
    for sl in cluster.net.slices:
        if sl.namespace != svc.namespace or sl.service != svc.name:
            continue
        port = next((n for name, proto, n in sl.ports if name == sp.name and
                     proto == sp.protocol), None)
        if port is None:
            continue
        out += [Endpoint(e.address, port, e.node, None) for e in sl.endpoints if e.ready]  # type: ignore[arg-type]
    return sorted(set(out), key=lambda e: e.text)
