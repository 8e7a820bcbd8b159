"""The node daemons netsim plays on CNI nodes: each a DaemonSet, up before any pod, what it
does once every pod runs (felix converges), and a lint over what it made. One entry per
daemon."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from netsim.runtime.cni import kubedns
from netsim.runtime.cni.calico import node as calico_node
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel import flanneld
from netsim.runtime.cni.flannel import lint as flannel_lint
from netsim.runtime.cni.flannel.registry import BACKENDS
from netsim.runtime.cni.kubeproxy import proxy as kube_proxy


@dataclass(frozen=True)
class NodeDaemon:
    start: Callable[[Cni, list[str]], None]  # on these nodes (a no-op when not configured)
    lint: Callable[[Cni], None]  # after every pod: what it says about them
    settle: Callable[[Cni], None] = lambda cni: None  # after every pod, before lint


DAEMONS: dict[str, NodeDaemon] = {
    flanneld.DAEMON: NodeDaemon(partial(flanneld.start, backends=BACKENDS), flannel_lint.run),
    # before calico-node: felix, started after it, keeps its jumps on top as felix does
    kube_proxy.DAEMON: NodeDaemon(kube_proxy.start, kube_proxy.lint, kube_proxy.settle),
    calico_node.DAEMON: NodeDaemon(calico_node.start, calico_node.lint, calico_node.settle),
    kubedns.DAEMON: NodeDaemon(kubedns.start, kubedns.lint, kubedns.settle),  # pods, not nodes
}
