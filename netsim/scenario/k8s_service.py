"""Kubernetes Services and EndpointSlices (`kubernetes:`), validated as the API server
validates them and refused in its words; ClusterIPs and NodePorts allocated as its
allocators would, but deterministically: a hash of the Service's name picks the first address
(port) tried in the dynamic band, so adding a Service never moves another one's address.
kubeadm's ClusterConfiguration says the service and pod subnets (`networking`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network

from netsim.errors import ScenarioError
from netsim.scenario.yamlpos import Positions

SERVICE_CIDR = IPv4Network("10.96.0.0/12")  # kubeadm's serviceSubnet default
NODE_PORTS = (30000, 32767)  # --service-node-port-range
TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
POLICIES = ("Cluster", "Local")
AFFINITIES = ("ClientIP", "None")
AFFINITY_SECONDS = 10800  # DefaultClientIPServiceAffinitySeconds: 3 hours
MAX_AFFINITY_SECONDS = 86400
PROTOCOLS = ("TCP", "UDP", "SCTP")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_SVC_NAME = re.compile(r"^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?$")  # IANA_SVC_NAME


@dataclass(frozen=True)
class ServicePort:
    name: str
    protocol: str  # TCP | UDP | SCTP
    port: int
    target: int | str  # a number, or a container port's name
    node_port: int | None = None


@dataclass
class Service:
    name: str
    namespace: str
    type: str
    selector: dict[str, str] | None  # None: no selector (EndpointSlices written by hand)
    ports: list[ServicePort]
    cluster_ip: IPv4Address | None  # None: headless
    external: str = "Cluster"  # externalTrafficPolicy
    internal: str = "Cluster"  # internalTrafficPolicy
    at: tuple = ()
    affinity: int | None = None  # sessionAffinity ClientIP: its timeoutSeconds
    publish_not_ready: bool = False  # publishNotReadyAddresses: unready pods are endpoints

    @property
    def key(self) -> str:
        """`NAME` in default, `NAME.NAMESPACE` elsewhere: how expectations name it (svc/KEY)."""
        return self.name if self.namespace == "default" else f"{self.name}.{self.namespace}"


@dataclass(frozen=True)
class SliceEndpoint:
    address: IPv4Address
    ready: bool
    node: str | None


@dataclass
class EndpointSlice:
    """One written by hand (a Service without selector): its endpoints and ports."""

    name: str
    namespace: str
    service: str  # its kubernetes.io/service-name label
    endpoints: list[SliceEndpoint]
    ports: list[tuple[str, str, int]]  # (name, protocol, port)


@dataclass
class Networking:
    """kubeadm's ClusterConfiguration `networking` (the service CIDR is the API server's)."""

    service_cidr: IPv4Network = SERVICE_CIDR
    dns_domain: str = "cluster.local"  # networking.dnsDomain (kubelet's clusterDomain)
    pod_cidr: IPv4Network | None = None
    services: list[Service] = field(default_factory=list)
    slices: list[EndpointSlice] = field(default_factory=list)


def _fail(message: str, pos: Positions, at: tuple, valid: str | None = None) -> ScenarioError:
    return ScenarioError(message, pos.where(at), valid)


def cluster_configuration(obj: dict, pos: Positions, at: tuple, net: Networking) -> None:
    spec = obj.get("networking") or {}
    for key, attr in (("serviceSubnet", "service_cidr"), ("podSubnet", "pod_cidr")):
        if key in spec:
            try:
                value = ip_network(str(spec[key]))
            except ValueError:
                raise _fail(f"networking.{key}: invalid CIDR address: {spec[key]}", pos,
                            (*at, "networking", key)) from None
            if value.version != 4:
                raise _fail(f"networking.{key}: netsim models IPv4 Services only yet", pos,
                            (*at, "networking", key))
            setattr(net, attr, value)
    if "dnsDomain" in spec:
        domain = str(spec["dnsDomain"]).rstrip(".").lower()
        if not _DOMAIN.match(domain) or len(domain) > 253:
            raise _fail(f"networking.dnsDomain: Invalid value: {str(spec['dnsDomain'])[:80]!r}: "
                        "a lowercase RFC 1123 subdomain", pos, (*at, "networking", "dnsDomain"))
        net.dns_domain = domain


def service(obj: dict, name: str, namespace: str, pos: Positions, at: tuple) -> Service:
    said = f'Service "{name}" is invalid'
    if not _DNS1035.match(name) or len(name) > 63:
        raise _fail(f'{said}: metadata.name: Invalid value: "{name[:63]}": a DNS-1035 label '
                    "must consist of lower case alphanumeric characters or '-', start with an "
                    "alphabetic character, and end with an alphanumeric character", pos,
                    (*at, "metadata", "name"))
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    kind = spec.get("type", "ClusterIP")
    if kind == "ExternalName":
        raise _fail(f"{said}: netsim does not model ExternalName Services yet (a CNAME)", pos,
                    (*at, "spec", "type"))
    if kind not in TYPES:
        raise _fail(f'{said}: spec.type: Unsupported value: "{kind}": supported values: '
                    + ", ".join(f'"{t}"' for t in (*TYPES, "ExternalName")), pos,
                    (*at, "spec", "type"))
    headless = spec.get("clusterIP") == "None"
    ports = _ports(spec, kind, headless, said, pos, (*at, "spec"))
    policies = {}
    for key, default in (("externalTrafficPolicy", "Cluster"), ("internalTrafficPolicy",
                                                                 "Cluster")):
        value = spec.get(key, default)
        if value not in POLICIES:
            raise _fail(f'{said}: spec.{key}: Unsupported value: "{value}": supported values: '
                        '"Cluster", "Local"', pos, (*at, "spec", key))
        if key == "externalTrafficPolicy" and key in spec and kind == "ClusterIP":
            raise _fail(f'{said}: spec.externalTrafficPolicy: Invalid value: "{value}": may '
                        "only be set when `type` is 'NodePort' or 'LoadBalancer'", pos,
                        (*at, "spec", key))
        policies[key] = value
    affinity = _affinity(spec, said, pos, (*at, "spec"))
    selector = spec.get("selector")
    if selector is not None and not isinstance(selector, dict):
        raise _fail(f"{said}: spec.selector: expected a map of label: value", pos,
                    (*at, "spec", "selector"))
    return Service(name, namespace, kind, {str(k): str(v) for k, v in selector.items()}
                   if selector else None, ports, None,
                   policies["externalTrafficPolicy"], policies["internalTrafficPolicy"], at,
                   affinity, spec.get("publishNotReadyAddresses") is True)


def _affinity(spec: dict, said: str, pos: Positions, at: tuple) -> int | None:
    """spec.sessionAffinity ClientIP: its timeout in seconds (None: no affinity)."""
    kind = spec.get("sessionAffinity", "None")
    if kind not in AFFINITIES:
        raise _fail(f'{said}: spec.sessionAffinity: Unsupported value: "{kind}": supported '
                    'values: "ClientIP", "None"', pos, (*at, "sessionAffinity"))
    config = spec.get("sessionAffinityConfig")
    if kind == "None":
        if config is not None:
            raise _fail(f"{said}: spec.sessionAffinityConfig: Invalid value: must not be set "
                        "when `sessionAffinity` is None", pos, (*at, "sessionAffinityConfig"))
        return None
    timeout = ((config or {}).get("clientIP") or {}).get("timeoutSeconds", AFFINITY_SECONDS)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or \
            not 0 < timeout <= MAX_AFFINITY_SECONDS:
        raise _fail(f"{said}: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid "
                    f"value: {timeout}: must be greater than 0 and less than "
                    f"{MAX_AFFINITY_SECONDS}", pos, (*at, "sessionAffinityConfig"))
    return timeout


def _ports(spec: dict, kind: str, headless: bool, said: str, pos: Positions,
           at: tuple) -> list[ServicePort]:
    raw = spec.get("ports") or []
    if not isinstance(raw, list):
        raise _fail(f"{said}: spec.ports: expected a list", pos, (*at, "ports"))
    if not raw and not headless:
        raise _fail(f"{said}: spec.ports: Required value", pos, at)
    out: list[ServicePort] = []
    for i, p in enumerate(raw):
        where = (*at, "ports", i)
        p = p if isinstance(p, dict) else {}
        port = p.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise _fail(f"{said}: spec.ports[{i}].port: Invalid value: {port}: must be between "
                        "1 and 65535, inclusive", pos, where)
        proto = p.get("protocol", "TCP")
        if proto not in PROTOCOLS:
            raise _fail(f'{said}: spec.ports[{i}].protocol: Unsupported value: "{proto}": '
                        'supported values: "SCTP", "TCP", "UDP"', pos, (*where, "protocol"))
        name = str(p.get("name") or "")
        if len(raw) > 1 and not name:
            raise _fail(f"{said}: spec.ports[{i}].name: Required value", pos, where)
        if any(o.name == name for o in out):
            raise _fail(f'{said}: spec.ports[{i}].name: Duplicate value: "{name}"', pos,
                        (*where, "name"))
        target = p.get("targetPort", port)
        if isinstance(target, str) and not target.isdigit():
            if not _SVC_NAME.match(target) or len(target) > 15:
                raise _fail(f'{said}: spec.ports[{i}].targetPort: Invalid value: "{target}": '
                            "must contain only alpha-numeric characters (a-z, 0-9), and "
                            "hyphens (-)", pos, (*where, "targetPort"))
        else:
            target = int(target)
            if not 0 < target < 65536:
                raise _fail(f"{said}: spec.ports[{i}].targetPort: Invalid value: {target}: "
                            "must be between 1 and 65535, inclusive", pos, (*where, "targetPort"))
        node_port = p.get("nodePort")
        if node_port is not None:
            if kind == "ClusterIP":
                raise _fail(f"{said}: spec.ports[{i}].nodePort: Forbidden: may not be used "
                            "when `type` is 'ClusterIP'", pos, (*where, "nodePort"))
            if not isinstance(node_port, int) or not NODE_PORTS[0] <= node_port <= NODE_PORTS[1]:
                raise _fail(f"{said}: spec.ports[{i}].nodePort: Invalid value: {node_port}: "
                            "provided port is not in the valid range. The range of valid ports "
                            f"is {NODE_PORTS[0]}-{NODE_PORTS[1]}", pos, (*where, "nodePort"))
        out.append(ServicePort(name, proto, port, target, node_port))
    return out


def allocate(net: Networking, objects: list[dict], pos: Positions) -> None:
    """ClusterIPs and NodePorts: those written first (each refused if outside its range or
    taken), then the rest from the dynamic band, starting where the name's hash points."""
    taken_ips: dict[IPv4Address, str] = {}
    taken_ports: dict[int, str] = {}
    cidr = net.service_cidr
    for svc in net.services:
        spec = objects[svc.at[1]].get("spec") or {}
        said = f'Service "{svc.name}" is invalid'
        given = spec.get("clusterIP")
        if given in (None, "", "None"):
            continue
        try:
            ip = ip_address(str(given))
        except ValueError:
            raise _fail(f'{said}: spec.clusterIPs[0]: Invalid value: "{given}": must be a valid '
                        "IP address", pos, (*svc.at, "spec", "clusterIP")) from None
        if ip not in cidr or ip in (cidr.network_address, cidr.broadcast_address):
            raise _fail(f"{said}: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed "
                        f"to allocate IP {ip}: the provided IP ({ip}) is not in the valid "
                        f"range. The range of valid IPs is {cidr}", pos,
                        (*svc.at, "spec", "clusterIP"))
        if ip in taken_ips:
            raise _fail(f"{said}: spec.clusterIPs: Invalid value: []string{{\"{ip}\"}}: failed "
                        f"to allocate IP {ip}: provided IP is already allocated", pos,
                        (*svc.at, "spec", "clusterIP"))
        taken_ips[ip] = svc.key  # type: ignore[index]
        svc.cluster_ip = ip  # type: ignore[assignment]
    for svc in net.services:
        for i, p in enumerate(svc.ports):
            if p.node_port is not None:
                if p.node_port in taken_ports:
                    raise _fail(f'Service "{svc.name}" is invalid: spec.ports[{i}].nodePort: '
                                f"Invalid value: {p.node_port}: provided port is already "
                                "allocated", pos, (*svc.at, "spec", "ports", i, "nodePort"))
                taken_ports[p.node_port] = svc.key
    for svc in net.services:
        spec = objects[svc.at[1]].get("spec") or {}
        if svc.cluster_ip is None and spec.get("clusterIP") != "None":
            svc.cluster_ip = _dynamic_ip(cidr, svc, taken_ips)
        if svc.type != "ClusterIP":
            svc.ports = [p if p.node_port is not None else _with_node_port(svc, p, taken_ports)
                         for p in svc.ports]


def _start(text: str, size: int) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % size


def _dynamic_ip(cidr: IPv4Network, svc: Service, taken: dict) -> IPv4Address:
    """allocator's dynamic band: above min(max(16, size/16), 256) addresses (the lower band
    is kept for addresses written by hand: kubernetes at .1, kube-dns at .10)."""
    size = cidr.num_addresses
    offset = min(max(16, size // 16), 256)
    band = size - offset - 1  # not the broadcast address
    first = _start(f"{svc.namespace}/{svc.name}", band)
    for k in range(band):
        ip = cidr.network_address + offset + (first + k) % band
        if ip not in taken:
            taken[ip] = svc.key
            return ip
    raise ScenarioError(f"Service {svc.key}: failed to allocate a ClusterIP: the range "
                        f"{cidr} is full")


def _with_node_port(svc: Service, p: ServicePort, taken: dict) -> ServicePort:
    low, high = NODE_PORTS
    size = high - low + 1
    offset = min(max(16, size // 32), 128)  # the static band of the port allocator
    band = size - offset
    first = _start(f"{svc.namespace}/{svc.name}:{p.name}", band)
    for k in range(band):
        port = low + offset + (first + k) % band
        if port not in taken:
            taken[port] = svc.key
            return ServicePort(p.name, p.protocol, p.port, p.target, port)
    raise ScenarioError(f"Service {svc.key}: failed to allocate a NodePort: the range is full")


def endpoint_slice(obj: dict, name: str, namespace: str, pos: Positions,
                   at: tuple) -> EndpointSlice:
    said = f'EndpointSlice.discovery.k8s.io "{name}" is invalid'
    if obj.get("addressType") != "IPv4":
        raise _fail(f'{said}: addressType: Unsupported value: "{obj.get("addressType")}": '
                    'netsim models "IPv4"', pos, (*at, "addressType"))
    labels = (obj.get("metadata") or {}).get("labels") or {}
    service_name = labels.get("kubernetes.io/service-name")
    if not service_name:
        raise _fail(f"{said}: metadata.labels: kubernetes.io/service-name names the Service it "
                    "serves (kube-proxy ignores a slice without it)", pos, (*at, "metadata"))
    endpoints = []
    for i, e in enumerate(obj.get("endpoints") or []):
        e = e if isinstance(e, dict) else {}
        addrs = e.get("addresses") or []
        if len(addrs) != 1:
            raise _fail(f"{said}: endpoints[{i}].addresses: Invalid value: must have exactly "
                        "one address", pos, (*at, "endpoints", i))
        try:
            ip = ip_address(str(addrs[0]))
        except ValueError:
            raise _fail(f'{said}: endpoints[{i}].addresses[0]: Invalid value: "{addrs[0]}": '
                        "must be a valid IP address", pos, (*at, "endpoints", i)) from None
        ready = (e.get("conditions") or {}).get("ready")
        endpoints.append(SliceEndpoint(ip, ready is not False, e.get("nodeName")))
    ports = []
    for i, p in enumerate(obj.get("ports") or []):
        p = p if isinstance(p, dict) else {}
        port = p.get("port")
        if not isinstance(port, int) or not 0 < port < 65536:
            raise _fail(f"{said}: ports[{i}].port: Invalid value: {port}: must be between 1 "
                        "and 65535, inclusive", pos, (*at, "ports", i))
        ports.append((str(p.get("name") or ""), str(p.get("protocol", "TCP")), port))
    return EndpointSlice(name, namespace, str(service_name), endpoints, ports)
