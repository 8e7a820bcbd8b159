"""CNI plugins netsim knows of but does not model: named in errors and notes with whose they
are, so a user reads "Calico's", not "not found". Data only (the scenario reader uses it)."""

from __future__ import annotations

LATER: dict[str, str] = {}  # reference plugins netsim does not model yet
OTHERS = {  # plugins of other projects, found in real net.d directories: whose they are
    "cilium-cni": "Cilium's",
    "aws-cni": "the AWS VPC CNI's", "egress-cni": "the AWS VPC CNI's",
    "egress-v4-cni": "the AWS VPC CNI's", "weave-net": "Weave Net's",
    "multus-shim": "Multus's thick plugin's (its daemon's own config names the networks)",
    "antrea": "Antrea's", "kube-ovn": "Kube-OVN's",
    "ovn-k8s-cni-overlay": "OVN-Kubernetes'", "azure-vnet": "the Azure CNI's",
    "istio-cni": "Istio's", "dnsname": "Podman's dnsname", "sriov": "the SR-IOV CNI's",
    "ovs": "the OVS CNI's", "netavark": "Podman's", "cni-ipvlan-vpc-k8s-unnumbered-ptp": "Lyft's",
}


def why(kind: str) -> str | None:
    """Why a plugin type is not modelled, when netsim knows it."""
    if kind in OTHERS:
        return f"the {kind} plugin is {OTHERS[kind]}, not a reference plugin: netsim does not " \
               "model it"
    if kind in LATER:
        return f"netsim does not model the {LATER[kind]} plugin yet"
    return None
