"""kube-proxy on every CNI node, as netsim plays it: it starts when the scenario has Services
(or says `kube_proxy:`), puts its jumps in the built-in chains before any pod (calico-node,
started after it, keeps felix's on top as felix does), and once every pod runs writes each
Service port's chains from the endpoints the EndpointSlice controller would derive. A
Service's ClusterIP becomes a word expectations use: `svc/NAME[.NAMESPACE]`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Network

from netsim.model.rules import Ruleset
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.kubeproxy import endpoints, iptables, nftables
from netsim.runtime.cni.kubeproxy.config import Config, read
from netsim.runtime.cni.kubeproxy.policy import Port
from netsim.scenario import kubernetes as k8s
from netsim.scenario.k8s_service import Service

DAEMON = "kube-proxy"
WRITER = "kube-proxy"  # its rules (replayed with iptables-restore, or its nft table loaded)
MAX_RULES = 200_000
# K12: who takes a port that is both a hostPort and a NodePort on the pod's node
K12_FIRST = {
    "iptables": "portmap's DNAT (its chain comes before KUBE-SERVICES in nat PREROUTING)",
    "nftables": "kube-proxy's nat-prerouting (at the priority of iptables' nat PREROUTING, "
                "the newer base chain runs first: kube-proxy's here; on a real node, the one "
                "made last)",
}  # service ports x endpoints x nodes netsim renders for one scenario


@dataclass
class KubeProxy:
    cfg: Config
    cluster: k8s.Cluster
    nodes: list[str]
    ports: dict[tuple[str, str], list[endpoints.Endpoint]] = field(default_factory=dict)


def _pod_network(cni: Cni, cluster: k8s.Cluster) -> IPv4Network | None:
    """kubeadm passes networking.podSubnet as clusterCIDR; without kubeadm's, the pod network
    the CNI uses (flannel's Network, the first Calico pool)."""
    if cluster.net.pod_cidr is not None:
        return cluster.net.pod_cidr
    if cni.flannel is not None:
        return cni.flannel.conf.pools[4].network
    if cni.calico is not None and cni.calico.pool is not None:
        return cni.calico.pool.cidr
    return None


def start(cni: Cni, hosts: list[str]) -> None:
    asm = cni.asm
    given = getattr(asm.sc, "kube_proxy", None)
    if not asm.sc.kubernetes and given is None:
        return
    cluster = cni.cluster
    if not cluster.net.services and given is None:
        return
    cfg = read(asm, given, _pod_network(cni, cluster))
    cni.kube_proxy = KubeProxy(cfg, cluster, list(hosts))
    if cfg.mode == "nftables":  # its table is written whole by its first sync
        return
    for node in hosts:
        with _writing(cni, node) as rules:
            iptables.jumps(rules)


class _writing:
    """Rules written as kube-proxy's (replayed by netsim with iptables-restore)."""

    def __init__(self, cni: Cni, node: str):
        self.rules = cni.model.ns[node].rules

    def __enter__(self):
        self.was = self.rules.writer
        self.rules.writer = WRITER
        return self.rules

    def __exit__(self, *exc: object) -> None:
        self.rules.writer = self.was


def settle(cni: Cni) -> None:
    kp = cni.kube_proxy
    if kp is None:
        return
    given = getattr(cni.asm.sc, "kube_proxy", None) or {}
    if not kp.cfg.cluster_cidrs and "clusterCIDR" not in given:  # calico-node started since
        pods = _pod_network(cni, kp.cluster)
        kp.cfg = replace(kp.cfg, cluster_cidrs=(pods,) if pods else ())
    model = cni.model
    todo = []
    for svc in sorted(kp.cluster.net.services, key=lambda s: (s.namespace, s.name)):
        if svc.cluster_ip is not None:
            model.virtual[f"svc/{svc.key}"] = svc.cluster_ip
        for sp in svc.ports:
            eps = endpoints.of(kp.cluster, model, svc, sp)
            kp.ports[(svc.key, sp.name)] = eps
            todo.append((svc, sp, eps))
    size = sum(len(eps) + 4 for _, _, eps in todo) * len(kp.nodes)
    if size > MAX_RULES:  # bounded before anything is rendered
        raise cni.asm.error(("kubernetes",), f"{size:,} kube-proxy rules over {len(kp.nodes)} "
                            f"nodes: more than the {MAX_RULES:,} netsim renders",
                            "fewer Services, endpoints or nodes")
    todo.sort(key=lambda t: (iptables.PortNames.of(t[0], t[1]).text, t[1].protocol))
    _entries(cni, todo)
    sync = _sync_nftables if kp.cfg.mode == "nftables" else _sync_iptables
    for node in kp.nodes:
        with _writing(cni, node) as rules:
            sync(cni, rules, node, [Port(svc, sp, eps, node) for svc, sp, eps in todo])


def _entries(cni: Cni, todo: list) -> None:
    """Each TCP Service port for the matrix: its ClusterIP, and its NodePort on every node
    (UDP ones are left to expectations: what a UDP probe gets depends on what serves it)."""
    for svc, sp, _ in todo:
        if sp.protocol != "TCP":
            continue
        if svc.cluster_ip is not None:
            cni.model.entries.append((f"svc/{svc.key}", svc.cluster_ip, "tcp", sp.port))
        for node in cni.kube_proxy.nodes if sp.node_port is not None else ():
            ip = cni.model.endpoints[node].primary
            if ip is not None:
                cni.model.entries.append((node, ip, "tcp", sp.node_port))


def _sync_iptables(cni: Cni, rules: Ruleset, node: str, ports: list[Port]) -> None:
    cfg = cni.kube_proxy.cfg
    iptables.base(rules, cfg)
    for p in ports:
        iptables.service_port(rules, cfg, p)
    iptables.tail(rules, cfg, _node_ips(cni, node))


def _sync_nftables(cni: Cni, rules: Ruleset, node: str, ports: list[Port]) -> None:
    kp = cni.kube_proxy
    nftables.setup(rules, kp.cfg)
    el = nftables.Elements()
    for p in ports:
        nftables.service_port(rules, kp.cfg, p, el)
    nftables.finish(rules, kp.cfg, el, _node_ips(cni, node), kp.cluster.net.service_cidr)


def _node_ips(cni: Cni, node: str) -> list[IPv4Address]:
    """nodePortAddresses: the node's addresses in those CIDRs (`primary`: its InternalIP)."""
    kp = cni.kube_proxy
    uplink = cni.model.ns[node].ifaces[cni.asm.sc.hosts[node].interface]
    mine = [a.ip for a in uplink.addrs if a.version == 4]
    if kp.cfg.primary_only:
        return mine[:1]
    every = [a.ip for i in cni.model.ns[node].ifaces.values() for a in i.addrs
             if a.version == 4]
    return [ip for ip in every if any(ip in n for n in kp.cfg.node_port_addresses)]


def lint(cni: Cni) -> None:
    """K09-K12: what makes a Service answer otherwise than its author meant."""
    kp = cni.kube_proxy
    if kp is None:
        return
    ports_taken = {}
    for svc in kp.cluster.net.services:
        _lint_service(cni, kp, svc)
        for sp in svc.ports:
            if sp.node_port is not None:
                ports_taken[(sp.node_port, sp.protocol.lower())] = svc.key
    for name, spec in cni.asm.sc.containers.items():
        for req in (r for group in spec.ports for r in group):
            for port in req.host_ports:
                hit = ports_taken.get((port, req.proto))
                if hit:
                    cni.warn("K12", f"{name}'s hostPort {port}/{req.proto} is also Service "
                             f"{hit}'s NodePort: on {spec.host}, {K12_FIRST[kp.cfg.mode]} "
                             "takes it; elsewhere the Service does")


def _lint_service(cni: Cni, kp: KubeProxy, svc: Service) -> None:
    if svc.selector is None:
        return
    chosen = k8s.Selector(tuple(sorted(svc.selector.items())))
    pods = [k for k, (_, ns, labels) in kp.cluster.pods.items()
            if ns == svc.namespace and chosen.matches(labels)]
    if not pods:
        cni.warn("K09", f"Service {svc.key}: its selector {svc.selector} matches no pod: no "
                 "endpoints, so kube-proxy rejects its connections (refused, not a timeout)")
        return
    for sp in svc.ports:
        if isinstance(sp.target, str) and not kp.ports.get((svc.key, sp.name)):
            cni.warn("K10", f"Service {svc.key} port {sp.name or sp.port}: targetPort "
                     f"{sp.target!r} names no containerPort of its pods ({', '.join(pods)}): "
                     "no endpoints")
        declared = [p for p in pods if kp.cluster.pod_ports.get(p)]
        missing = [p for p in declared if not any(n == sp.target and proto == sp.protocol
                                                  for _, proto, n in kp.cluster.pod_ports[p])]
        if isinstance(sp.target, int) and missing:
            cni.warn("K10", f"Service {svc.key} port {sp.name or sp.port}: targetPort "
                     f"{sp.target}/{sp.protocol} is no containerPort of {', '.join(missing)}: "
                     "kube-proxy sends connections there all the same (refused unless the "
                     "app listens on it)")
    if svc.external == "Local" and any(sp.node_port for sp in svc.ports):
        having = {e.node for eps in (kp.ports.get((svc.key, sp.name), []) for sp in svc.ports)
                  for e in eps}
        without = [n for n in kp.nodes if n not in having]
        if without:
            cni.warn("K11", f"Service {svc.key}: externalTrafficPolicy Local and no endpoint on "
                     f"{', '.join(without)}: clients outside the cluster time out there (the "
                     "load balancer's health check must skip them)")
