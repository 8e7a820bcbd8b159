"""A Service port as one node's kube-proxy sorts it (pkg/proxy/topology.go
CategorizeEndpoints, and the traffic-policy reading both proxiers share): which endpoints
ClusterIP traffic and NodePort traffic go to from this node, and what happens without them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from netsim.runtime.cni.kubeproxy.endpoints import Endpoint
from netsim.scenario.k8s_service import Service, ServicePort


@dataclass
class Port:
    """A Service port as one node's kube-proxy sees it."""

    svc: Service
    sp: ServicePort
    endpoints: list[Endpoint]  # every ready endpoint, in kube-proxy's order
    node: str

    @property
    def local(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.node == self.node]

    @property
    def external_access(self) -> bool:  # ExternallyAccessible: a NodePort (no LB IPs here)
        return self.sp.node_port is not None

    @property
    def internal_local(self) -> bool:
        return self.svc.internal == "Local"

    @property
    def external_local(self) -> bool:  # externalTrafficPolicy counts only when reachable so
        return self.svc.external == "Local" and self.external_access

    @cached_property
    def traffic(self) -> Traffic:
        return Traffic.of(self)


@dataclass(frozen=True)
class Traffic:
    has: bool  # endpoints anywhere in the cluster
    cluster: list[Endpoint]  # the Cluster policy's endpoints (empty: its chain is not used)
    local: list[Endpoint]  # the Local policy's
    has_internal: bool  # ClusterIP traffic has somewhere to go from this node
    has_external: bool  # NodePort traffic from outside has

    @classmethod
    def of(cls, p: Port) -> Traffic:
        has = bool(p.endpoints)
        # UsesClusterEndpoints: internal Cluster, or reachable from outside at all (a Local
        # external policy still short-circuits pods and the node to the cluster's endpoints)
        uses_cluster = not p.internal_local or p.external_access
        uses_local = p.internal_local or p.external_local
        local = p.local
        return cls(has, p.endpoints if uses_cluster else [], local if uses_local else [],
                   has and (bool(local) if p.internal_local else True),
                   has and (bool(local) if p.external_local else True))

    @property
    def reachable(self) -> list[Endpoint]:
        """allReachableEndpoints: both lists' union, in kube-proxy's order."""
        seen = {e.text for e in self.cluster}
        return self.cluster + [e for e in self.local if e.text not in seen]
