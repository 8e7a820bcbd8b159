"""The CNI runtime's own scenario keys: its conflists (`cni:`), flanneld's net-conf
(`flannel:`), and a node's podCIDR. netsim.runtime.schema composes them into the format."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from netsim.scenario.schema import Net, NetworkName, Strict, none_is_empty


class Keys(Strict):
    # CNI networks by their conflist name: the conflist's JSON as YAML, or {file: PATH}
    cni: Annotated[dict[NetworkName, dict[str, Any]], BeforeValidator(none_is_empty)] = Field(
        default_factory=dict)
    # flanneld on every CNI node: kube-flannel's net-conf.json as YAML, or {file: PATH}
    flannel: Annotated[dict[str, Any], BeforeValidator(none_is_empty)] = Field(
        default_factory=dict)
    # Calico's resources as calicoctl applies them (IPPool, BGPConfiguration, ...): a list, or
    # {file: PATH}; calico-node reads them (runtime/cni/calico/resources.py)
    calico: list[dict[str, Any]] | dict[str, Any] | None = None
    # kube-proxy on every CNI node: KubeProxyConfiguration's keys (mode, clusterCIDR, ...)
    kube_proxy: dict[str, Any] | None = None


class HostKeys(Strict):
    pod_cidr: Net | None = None  # Kubernetes' node.spec.podCIDR: flannel leases it to the node
