"""The node daemons netsim plays on CNI nodes: each a DaemonSet, up before any pod, and a
lint over what it made once the pods run. One entry per daemon (Calico's calico-node would
be the next line)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.flannel import flanneld
from netsim.runtime.cni.flannel import lint as flannel_lint
from netsim.runtime.cni.flannel.registry import BACKENDS


@dataclass(frozen=True)
class NodeDaemon:
    start: Callable[[Cni, list[str]], None]  # on these nodes (a no-op when not configured)
    lint: Callable[[Cni], None]  # after every pod: what it says about them


DAEMONS: dict[str, NodeDaemon] = {
    flanneld.DAEMON: NodeDaemon(partial(flanneld.start, backends=BACKENDS), flannel_lint.run),
}
