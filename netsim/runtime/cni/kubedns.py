"""The cluster's DNS, as kubelet and CoreDNS make it.

kubelet writes a pod's resolv.conf from its dnsPolicy: ClusterFirst (the default) and
ClusterFirstWithHostNet get `search NS.svc.DOMAIN svc.DOMAIN DOMAIN`, `nameserver` the
cluster DNS and `options ndots:5`; Default gets the node's. netsim's kubelet has the kube-dns
Service's ClusterIP as clusterDNS (kubeadm puts kube-dns at the address it gives kubelet):
a cluster without a `kube-system/kube-dns` Service is one whose kubelet has no clusterDNS, and
ClusterFirst falls back to Default there, as kubelet does (K13).

A pod whose image is CoreDNS serves the zone (netsim.model.zone) on 53/udp and forwards the
rest to its own resolv.conf's server from its own namespace, so a query crosses kube-proxy's
DNAT and any NetworkPolicy on its way, as on a cluster.
"""

from __future__ import annotations

from ipaddress import IPv4Address

from netsim.model import dns
from netsim.model.graph import Listener
from netsim.model.zone import Zone
from netsim.runtime.cni.context import Cni
from netsim.runtime.cni.kubeproxy import endpoints
from netsim.scenario import images
from netsim.scenario import kubernetes as k8s
from netsim.scenario.k8s_service import Service

DAEMON = "coredns"
SERVICE = ("kube-dns", "kube-system")  # kubeadm's name for the cluster DNS Service
IMAGES = ("coredns/coredns", "registry.k8s.io/coredns/coredns", "registry.k8s.io/coredns",
          "k8s.gcr.io/coredns/coredns", "k8s.gcr.io/coredns", "rancher/mirrored-coredns-coredns")
CLUSTER_FIRST = ("ClusterFirst", "ClusterFirstWithHostNet")
NDOTS = 5
ANY = IPv4Address("0.0.0.0")


def start(cni: Cni, hosts: list[str]) -> None:
    """Nothing runs before the pods: CoreDNS is a pod, kubelet's part is each pod's files."""


def is_coredns(image: str | None) -> bool:
    return image is not None and images.library_name(image) in IMAGES


def settle(cni: Cni) -> None:
    if not cni.asm.sc.kubernetes:
        return
    cluster = cni.cluster
    pods = {k: s for k, s in cni.asm.sc.containers.items()
            if s.pod is not None and k in cni.model.endpoints}
    zone = Zone(cluster.net.dns_domain, _records(cni, cluster))
    servers = [k for k, s in pods.items() if is_coredns(s.image)]
    for key in servers:
        _serve(cni, key, zone)
    kube_dns = next((s for s in cluster.net.services if (s.name, s.namespace) == SERVICE), None)
    if kube_dns is None or kube_dns.cluster_ip is None:
        return
    serving = _serving(cni, kube_dns, servers)
    for key, spec in pods.items():
        if spec.pod.dns_policy in CLUSTER_FIRST:
            _cluster_first(cni, key, spec.pod, kube_dns.cluster_ip, zone if serving else None,
                           serving)


def _records(cni: Cni, cluster: k8s.Cluster) -> dict[str, list[str]]:
    """Every Service's A records (spec §2.3.1, §2.4.1): its ClusterIP; a headless one's ready
    endpoints, also under each endpoint's hostname."""
    domain = cluster.net.dns_domain
    out: dict[str, list[str]] = {}
    for svc in cluster.net.services:
        fq = f"{svc.name}.{svc.namespace}.svc.{domain}"
        if svc.cluster_ip is not None:
            out[fq] = [str(svc.cluster_ip)]
            continue
        for ip, host in _headless(cni, cluster, svc):
            out.setdefault(fq, []).append(str(ip))
            out.setdefault(f"{host}.{fq}", []).append(str(ip))
    return out


def _headless(cni: Cni, cluster: k8s.Cluster, svc: Service) -> list[tuple[IPv4Address, str]]:
    """(address, hostname) of each ready endpoint: a pod's `hostname` when its `subdomain` is
    this Service, else the address dashed (CoreDNS's endpointHostname)."""
    if svc.selector is None:
        got = {(e.address, None) for sl in cluster.net.slices if sl.namespace == svc.namespace
               and sl.service == svc.name for e in sl.endpoints if e.ready}
    else:
        chosen = k8s.Selector(tuple(sorted(svc.selector.items())))
        got = set()
        for key, (_, namespace, labels) in cluster.pods.items():
            ep = cni.model.endpoints.get(key)
            if key in cluster.unready and not svc.publish_not_ready:
                continue  # CoreDNS answers ready endpoints only (spec §2.4.1)
            if namespace == svc.namespace and chosen.matches(labels) and ep and ep.primary:
                got.add((ep.primary, key))
    out = []
    for ip, key in sorted(got, key=lambda t: t[0]):
        pod = cni.asm.sc.containers[key].pod if key else None
        named = pod is not None and pod.hostname and pod.subdomain == svc.name
        out.append((ip, pod.hostname if named else str(ip).replace(".", "-")))
    return out


def _serve(cni: Cni, key: str, zone: Zone) -> None:
    """CoreDNS's `.:53`: the zone's answers on 53/udp instead of an echo service there."""
    ns = cni.model.ns[key]
    ns.listeners = [x for x in ns.listeners if (x.port, x.proto) != (53, "udp")]
    ns.listeners.append(Listener(ANY, 53, "udp", "dns", None, f"CoreDNS in {key}"))
    cni.model.zones[key] = zone
    pod = cni.asm.sc.containers[key].pod
    if pod.dns_policy in CLUSTER_FIRST:
        cni.warn("K14", f"{key} runs CoreDNS with dnsPolicy {pod.dns_policy}: it would forward "
                 "to itself (CoreDNS's loop plugin stops it); kubeadm's CoreDNS has "
                 "dnsPolicy: Default. netsim forwards from it to the node's server")


def _serving(cni: Cni, svc: Service, servers: list[str]) -> list[str]:
    """The CoreDNS pods behind the cluster DNS's 53/udp, in kube-proxy's order."""
    port = next((p for p in svc.ports if (p.port, p.protocol) == (53, "UDP")), None)
    if port is None:
        cni.warn("K13", f"Service {svc.key} has no 53/UDP port: pods' DNS queries to "
                 f"{svc.cluster_ip} meet no Service port")
        return []
    eps = endpoints.of(cni.cluster, cni.model, svc, port)
    serving = [e.pod for e in eps if e.pod in servers]
    if not serving:
        cni.warn("K13", f"Service {svc.key} has no CoreDNS pod behind 53/UDP: pods' lookups "
                 f"at {svc.cluster_ip} get no cluster DNS answer")
    return serving


def _cluster_first(cni: Cni, key: str, pod, server: IPv4Address, zone: Zone | None,
                   serving: list[str]) -> None:
    """kubelet's resolv.conf and /etc/hosts for a ClusterFirst pod."""
    domain = cni.cluster.net.dns_domain
    view = cni.model.names[key]
    view.nameserver = view.upstream = server
    view.search = (f"{pod.namespace}.svc.{domain}", f"svc.{domain}", domain)
    view.ndots = NDOTS
    view.zone = zone
    view.forward_from = serving[0] if serving else None
    view.resolv_conf = dns.resolv_conf(view)
    ip = cni.model.endpoints[key].primary
    if ip is not None:  # kubelet's hosts file: the pod's own name, FQDN first with a subdomain
        host = pod.hostname or pod.name
        names = [f"{host}.{pod.subdomain}.{pod.namespace}.svc.{domain}", host] \
            if pod.subdomain else [host]
        view.hosts_file = dns.hosts_file(view, [(ip, names)])


def lint(cni: Cni) -> None:
    """K13: Services without a cluster DNS to name them."""
    if not cni.asm.sc.kubernetes:
        return
    net = cni.cluster.net
    if net.services and not any((s.name, s.namespace) == SERVICE for s in net.services):
        cni.warn("K13", "no Service kube-system/kube-dns: kubelet has no cluster DNS, so "
                 "ClusterFirst pods get the node's resolv.conf and no Service name resolves")
