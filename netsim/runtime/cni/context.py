"""The CNI runtime's state while it builds: the nodes, their conflists, host-local's stores,
and the typed request each plugin model receives (`Add`, like one plugin's ADD)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.errors import ScenarioError
from netsim.model.assembly import Assembly
from netsim.model.graph import IPAddress, IPInterface, IPNetwork
from netsim.scenario import kubernetes as k8s
from netsim.scenario.schema import Container, Host
from netsim.scenario.yamlpos import Positions


@dataclass
class Store:
    """host-local's store for one network on one node: its own file per address, so two
    networks sharing a range never know of each other (cni.md §5)."""

    subnet: IPNetwork  # one range set's first range: IPv4 or IPv6
    start: IPAddress
    end: IPAddress
    gateway: IPAddress
    used: set[IPAddress] = field(default_factory=set)
    last: IPAddress | None = None  # last_reserved_ip: the next search starts after it


@dataclass(frozen=True)
class Lease:
    """What an IPAM plugin gives one container: its address, the gateway (None: the IPAM
    plugin names none) and the routes (destination, via; None: via the gateway)."""

    address: IPInterface
    gateway: IPAddress | None
    routes: list[tuple[IPNetwork, IPAddress | None]]  # of the address's family


@dataclass
class Node:
    name: str
    ns: str
    spec: Host
    # network name -> its first IPv4 range set's store; "<name>/<set>" -> another set's
    stores: dict[str, Store] = field(default_factory=dict)


@dataclass
class Add:
    """One plugin's ADD for one container: what a plugin model receives."""

    cni: Cni
    node: Node
    conflist: dict
    plugin: dict
    container: str
    spec: Container
    ns: str  # the container's namespace
    ifname: str
    prev: dict | None  # the previous plugin's result (CNI prevResult)
    path: tuple  # where the conflist stands in the scenario
    args: dict = field(default_factory=dict)  # runtimeConfig: the capabilities it declares
    # what the realizer runs in this plugin's place: a plugin that only delegates (flannel,
    # not packaged here) hands the conf it generates to the real delegate
    runs_as: dict | None = None


def runtime_config(plugin: dict, args: dict) -> dict:
    """The capabilities a plugin declares (true) that the runtime has arguments for
    (CONVENTIONS.md): only those reach it, as `runtimeConfig`."""
    declared = {k for k, v in (plugin.get("capabilities") or {}).items() if v}
    return {k: v for k, v in args.items() if k in declared}


@dataclass(frozen=True)
class Source:
    """Where a conflist was written, so its errors point there: the file's positions (the
    scenario's own for an inline one), the key path of the conflist in them, and whether it
    was one plugin's config (a `.conf`) that libcni upconverted to a list of one."""

    positions: Positions
    at: tuple
    single: bool


class Cni:
    def __init__(self, asm: Assembly, plugins: dict):
        self.asm = asm
        self.model = asm.model
        self.plugins = plugins  # type -> its module (handed in: plugins never import it)
        self.nodes: dict[str, Node] = {}
        self.conflists: dict[str, dict] = {}
        self.sources: dict[str, Source] = {}  # conflist name -> where it was written
        self.flannel = None  # flanneld's state once it runs (runtime.cni.flannel.flanneld)
        self.calico = None  # calico-node's once it runs (runtime.cni.calico.node)
        self.kube_proxy = None  # kube-proxy's once it runs (runtime.cni.kubeproxy.proxy)
        self._cluster: k8s.Cluster | None = None

    @property
    def cluster(self) -> k8s.Cluster:
        """`kubernetes:` as the API server holds it, parsed once for every daemon."""
        if self._cluster is None:
            self._cluster = k8s.parse(self.asm.sc.kubernetes, self.asm.loaded.positions)
        return self._cluster

    def error(self, path: tuple, message: str, valid: str | None = None) -> ScenarioError:
        """At the user's own file:line: a conflist's path (`cni`, name, ...) is looked up in
        the file it came from."""
        src = self.sources.get(path[1]) if len(path) > 1 and path[0] == "cni" else None
        if src is None:
            return self.asm.error(path, message, valid)
        rest = path[2:]
        if src.single and rest[:2] == ("plugins", 0):
            rest = rest[2:]
        where = src.positions.where((*src.at, *rest))
        return ScenarioError(message, where, valid)

    def warn(self, pid: str, text: str) -> None:
        """Once: a conflist is used by many pods, and on nodes built apart."""
        if (pid, text) not in self.model.warnings:
            self.model.warnings.append((pid, text))
