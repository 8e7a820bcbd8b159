"""Kubernetes manifests as `kubectl apply` takes them (`kubernetes:`: a list, or `{file: PATH}`
beside the scenario, multi-document): Namespaces, Pods and NetworkPolicies, validated as the
API server validates them and refused in its words.

A Pod becomes a container of its `spec.nodeName` (netsim has no scheduler), keyed by its name
in the namespace `default` and NAME.NAMESPACE elsewhere, with its labels and namespace kept
(`containers.X.pod`); the policies stay here, read by the CNI that enforces them. A pod with no
network of its own is no container: `hostNetwork` (it is its node), and, in what `kubectl get
pods -o yaml` printed, one not scheduled yet or already finished."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path

from netsim.errors import ScenarioError
from netsim.scenario import k8s_service as svc
from netsim.scenario import userfile
from netsim.scenario.yamlpos import Positions, load_text

MAX_BYTES = 4 << 20
MAX_OBJECTS = 5000  # objects a scenario may ask for (each pod is a namespace)
KINDS = {("v1", "Namespace"), ("v1", "Pod"), ("networking.k8s.io/v1", "NetworkPolicy"),
         ("v1", "Service"), ("discovery.k8s.io/v1", "EndpointSlice"),
         ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"),
         ("kubeadm.k8s.io/v1beta3", "ClusterConfiguration")}
LATER = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "Endpoints"}
UNNAMED = ("ClusterConfiguration",)  # kubeadm's configuration has no metadata
NAME_LABEL = "kubernetes.io/metadata.name"
PROTOCOLS = ("SCTP", "TCP", "UDP")
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
# spec.dnsPolicy ("None", with dnsConfig, is refused: netsim does not model dnsConfig)
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default")


@dataclass(frozen=True)
class Selector:
    """metav1.LabelSelector: matchLabels AND every matchExpression; empty selects all."""

    labels: tuple[tuple[str, str], ...] = ()
    exprs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.labels):
            return False
        for key, op, values in self.exprs:
            has = key in labels
            ok = {"In": has and labels[key] in values, "NotIn": not has or labels[key] not in
                  values, "Exists": has, "DoesNotExist": not has}[op]
            if not ok:
                return False
        return True

    @property
    def empty(self) -> bool:
        return not self.labels and not self.exprs


@dataclass(frozen=True)
class Peer:
    pods: Selector | None = None  # podSelector
    namespaces: Selector | None = None  # namespaceSelector
    cidr: str | None = None  # ipBlock.cidr
    except_: tuple[str, ...] = ()


@dataclass(frozen=True)
class PortRule:
    protocol: str = "TCP"
    port: int | None = None  # None: every port of the protocol
    end: int | None = None


@dataclass(frozen=True)
class PolicyRule:
    peers: tuple[Peer, ...]  # () = every peer
    ports: tuple[PortRule, ...]  # () = every port and protocol
    index: int


@dataclass(frozen=True)
class Policy:
    name: str
    namespace: str
    selector: Selector
    types: tuple[str, ...]  # Ingress, Egress
    ingress: tuple[PolicyRule, ...]
    egress: tuple[PolicyRule, ...]
    at: tuple  # its place among the manifests

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass
class Cluster:
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> labels
    pods: dict[str, tuple[str, str, dict[str, str]]] = field(default_factory=dict)  # key ->
    policies: list[Policy] = field(default_factory=list)  # (name, namespace, labels)
    host_network: list[str] = field(default_factory=list)  # pods that are their node
    # pod key -> its containers' ports (name, protocol, number): a targetPort's name
    pod_ports: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    pod_nodes: dict[str, str] = field(default_factory=dict)  # pod key -> spec.nodeName
    unready: set[str] = field(default_factory=set)  # pods whose Ready condition is False
    net: svc.Networking = field(default_factory=svc.Networking)  # Services, slices, CIDRs


FINISHED = ("Succeeded", "Failed")  # status.phase of a pod whose sandbox is gone


def own_network(obj: dict) -> bool:
    """Whether the pod has a sandbox of its own: not hostNetwork, scheduled (a pod read
    from a cluster, with `status`, may not be yet; one written here must say its node),
    not finished."""
    spec = obj.get("spec") or {}
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    return spec.get("hostNetwork") is not True and bool(spec.get("nodeName")) and \
        status.get("phase") not in FINISHED


def ready(obj: dict) -> bool:
    """A pod read from a cluster says whether it is Ready (status.conditions); one written
    here has no status, and runs ready."""
    status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
    for c in status.get("conditions") or []:
        if isinstance(c, dict) and c.get("type") == "Ready":
            return c.get("status") == "True"
    return True


def pod_key(name: str, namespace: str) -> str:
    return name if namespace == "default" else f"{name}.{namespace}"


def expand(data: dict, pos: Positions, scenario_file: str) -> None:
    """`kubernetes:` read and checked; its Pods added to `containers:`, in place."""
    manifests = data.get("kubernetes")
    if manifests is None:
        return
    objects = read(manifests, pos, scenario_file)
    data["kubernetes"] = objects
    parse(objects, pos)  # checked as the API server would, before anything is made
    containers = data.get("containers")
    if containers is None:
        containers = data["containers"] = {}
    if not isinstance(containers, dict):
        return  # the schema says what is wrong with it
    for i, obj in enumerate(objects):
        if obj.get("kind") != "Pod" or not own_network(obj):
            continue
        key = pod_key(*cluster_pod(obj))
        if key in containers:
            raise ScenarioError(f'pods "{key}" already exists (a container of that name)',
                                pos.where(("kubernetes", i, "metadata", "name")))
        containers[key] = container(obj)
        for table in (pos.values, pos.keys):
            if ("kubernetes", i) in pos.values:
                table[("containers", key)] = pos.values[("kubernetes", i)]


def cluster_pod(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("name")), str(meta.get("namespace") or "default")


def read(manifests: object, pos: Positions, scenario_file: str) -> list[dict]:
    """The objects, in order: inline, or from a file beside the scenario (each `---`
    document; a `kind: List` unrolled)."""
    if isinstance(manifests, dict) and set(manifests) == {"file"}:
        path = Path(scenario_file).parent / str(manifests["file"])
        try:
            text = userfile.read_text(path, MAX_BYTES, "Kubernetes manifests (.yaml)")
        except ScenarioError as e:  # said at the key that names the file
            raise ScenarioError(e.message, pos.where(("kubernetes", "file")), e.valid) from None
        docs = [d for d in _documents(text, str(path)) if d is not None]
    elif isinstance(manifests, list):
        docs = manifests
    else:
        raise ScenarioError("expected a list of Kubernetes objects, or {file: PATH}",
                            pos.where(("kubernetes",)))
    out: list[dict] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            out += [d for d in doc.get("items") or []]
        else:
            out.append(doc)
        if len(out) > MAX_OBJECTS:
            raise ScenarioError(f"more than {MAX_OBJECTS} Kubernetes objects",
                                pos.where(("kubernetes",)))
    for i, obj in enumerate(out):
        if not isinstance(obj, dict):
            raise ScenarioError("error validating data: a Kubernetes object is a mapping "
                                "(apiVersion, kind, metadata, spec)", pos.where(("kubernetes", i)))
    return out


def _documents(text: str, file: str) -> list[object]:
    """Each `---` document of a manifest file (yamlpos reads one document at a time)."""
    docs, chunk, start = [], [], 0
    lines = text.splitlines()
    for n, line in enumerate([*lines, "---"]):
        if re.match(r"^---(\s|$)", line):
            body = "\n".join(chunk)
            if body.strip():  # padded so a document's errors name its own lines
                docs.append(load_text("\n" * start + body, file)[0])
            chunk, start = [], n + 1
        else:
            chunk.append(line)
    return docs


def parse(objects: list[dict], pos: Positions) -> Cluster:
    """Every object checked as the API server would; the cluster they make."""
    cluster = Cluster(namespaces={"default": {}, "kube-system": {}})
    for i, obj in enumerate(objects):
        kind, version = str(obj.get("kind")), str(obj.get("apiVersion"))
        at = ("kubernetes", i)
        if (version, kind) not in KINDS:
            known = next((v for v, k in KINDS if k == kind), None)
            why = (f'no matches for kind "{kind}" in version "{version}"' +
                   (f" (it is {known})" if known else ""))
            if kind in LATER:
                why += f": netsim does not model {kind} yet (write its Pods)"
            raise ScenarioError(f"resource mapping not found: {why}", pos.where(at),
                                "v1 Namespace, Pod, Service; networking.k8s.io/v1 "
                                "NetworkPolicy; discovery.k8s.io/v1 EndpointSlice")
        if kind in UNNAMED:
            svc.cluster_configuration(obj, pos, at, cluster.net)
            continue
        meta = obj.get("metadata")
        if not isinstance(meta, dict) or not meta.get("name"):
            raise ScenarioError("resource name may not be empty", pos.where((*at, "metadata")))
        name = str(meta["name"])
        check = _DNS1123 if kind == "Namespace" else _SUBDOMAIN
        if not check.match(name) or len(name) > 63:
            raise ScenarioError(f'The {kind} "{name[:80]}" is invalid: metadata.name: Invalid '
                                f'value: "{name[:80]}": a lowercase RFC 1123 label must consist of lower '
                                "case alphanumeric characters or '-'",
                                pos.where((*at, "metadata", "name")))
        labels = _labels(meta.get("labels"), pos, (*at, "metadata", "labels"), kind, name)
        if kind == "Namespace":
            cluster.namespaces[name] = {**labels, NAME_LABEL: name}
        elif kind == "Pod":
            _pod(cluster, obj, labels, pos, at)
        elif kind == "Service":
            cluster.net.services.append(svc.service(obj, name, _namespace(obj), pos, at))
        elif kind == "EndpointSlice":
            cluster.net.slices.append(svc.endpoint_slice(obj, name, _namespace(obj), pos, at))
        else:
            cluster.policies.append(_policy(obj, pos, at))
    _unique_services(cluster, pos)
    svc.allocate(cluster.net, objects, pos)
    for i, obj in enumerate(objects):
        ns = _namespace(obj)
        if obj.get("kind") in ("Namespace", *UNNAMED) or ns in cluster.namespaces:
            continue
        if (obj.get("metadata") or {}).get("uid"):  # read from a cluster: its namespace was
            cluster.namespaces[ns] = {}  # there (`kubectl get pods,svc -A` lists none)
        else:
            raise ScenarioError(f'namespaces "{ns}" not found', pos.where(
                ("kubernetes", i, "metadata", "namespace")), "a Namespace object first")
    for ns in cluster.namespaces:
        cluster.namespaces[ns].setdefault(NAME_LABEL, ns)
    return cluster


def _namespace(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "default")


def _unique_services(cluster: Cluster, pos: Positions) -> None:
    seen: set[str] = set()
    for s in cluster.net.services:
        if s.key in seen:
            raise ScenarioError(f'services "{s.name}" already exists', pos.where(s.at))
        seen.add(s.key)


def _labels(value: object, pos: Positions, at: tuple, kind: str, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScenarioError("expected a mapping of label: value", pos.where(at))
    out = {}
    for k, v in value.items():
        v = "" if v is None else v
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ScenarioError(f'The {kind} "{name}" is invalid: a label value is text',
                                pos.where((*at, k)))
        if not _LABEL_VALUE.match(str(v)) or len(str(v)) > 63:
            raise ScenarioError(f'The {kind} "{name}" is invalid: metadata.labels: Invalid '
                                f'value: "{str(v)[:63]}": a valid label must be an empty string or '
                                "consist of alphanumeric characters, '-', '_' or '.'",
                                pos.where((*at, k)))
        out[str(k)] = str(v)
    return out


def _pod(cluster: Cluster, obj: dict, labels: dict, pos: Positions, at: tuple) -> None:
    name, ns = cluster_pod(obj)
    spec = obj.get("spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("containers"), list) or \
            not spec["containers"]:
        raise ScenarioError(f'The Pod "{name}" is invalid: spec.containers: Required value',
                            pos.where((*at, "spec")))
    if not spec.get("nodeName") and not isinstance(obj.get("status"), dict):
        raise ScenarioError(f'Pod "{name}": spec.nodeName: netsim has no scheduler: say which '
                            "node runs it", pos.where((*at, "spec")), "nodeName: node1")
    for c, cont in enumerate(spec["containers"]):
        for p, port in enumerate((cont or {}).get("ports") or []):
            where = pos.where((*at, "spec", "containers", c, "ports", p))
            number = (port or {}).get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool) or \
                    not 0 < number < 65536:
                raise ScenarioError(f'The Pod "{name}" is invalid: spec.containers[{c}].ports'
                                    f"[{p}].containerPort: Invalid value: {number}: must be "
                                    "between 1 and 65535, inclusive", where)
            proto = port.get("protocol", "TCP")
            if proto not in PROTOCOLS:
                raise ScenarioError(f'Unsupported value: "{proto}": supported values: '
                                    + ", ".join(f'"{x}"' for x in PROTOCOLS), where)
    _pod_dns(spec, name, pos, at)
    key = pod_key(name, ns)
    if key in cluster.pods or key in cluster.host_network:
        raise ScenarioError(f'pods "{name}" already exists', pos.where((*at, "metadata")))
    if spec.get("hostNetwork") is True:
        cluster.host_network.append(key)
    elif own_network(obj):
        cluster.pods[key] = (name, ns, labels)
        cluster.pod_nodes[key] = str(spec["nodeName"])
        if not ready(obj):
            cluster.unready.add(key)
        cluster.pod_ports[key] = [(str(p.get("name") or ""), str(p.get("protocol", "TCP")),
                                   p["containerPort"]) for c in spec["containers"]
                                  for p in (c or {}).get("ports") or []]


def _pod_dns(spec: dict, name: str, pos: Positions, at: tuple) -> None:
    """spec.dnsPolicy, hostname and subdomain as the API server validates them."""
    policy = spec.get("dnsPolicy", "ClusterFirst")
    if policy == "None":
        raise ScenarioError(f'Pod "{name}": spec.dnsPolicy None: netsim does not model '
                            "dnsConfig yet", pos.where((*at, "spec", "dnsPolicy")),
                            ", ".join(DNS_POLICIES))
    if policy not in DNS_POLICIES:
        raise ScenarioError(f'The Pod "{name}" is invalid: spec.dnsPolicy: Unsupported value: '
                            f'"{policy}": supported values: '
                            + ", ".join(f'"{x}"' for x in (*DNS_POLICIES, "None")),
                            pos.where((*at, "spec", "dnsPolicy")))
    for key in ("hostname", "subdomain"):
        value = spec.get(key)
        if value is not None and (not isinstance(value, str) or not _DNS1123.match(value)
                                  or len(value) > 63):
            raise ScenarioError(f'The Pod "{name}" is invalid: spec.{key}: Invalid value: '
                                f'"{str(value)[:63]}": a lowercase RFC 1123 label must consist '
                                "of lower case alphanumeric characters or '-'",
                                pos.where((*at, "spec", key)))


def container(obj: dict) -> dict:
    """The Pod as netsim's container: its node, what it listens on (the declared
    containerPorts, else its image's), its hostPorts (portmap), its identity."""
    name, ns = cluster_pod(obj)
    spec = obj["spec"]
    listen, ports, image = [], [], None
    for cont in spec["containers"]:
        image = image or (cont or {}).get("image")
        for port in (cont or {}).get("ports") or []:
            proto = str(port.get("protocol", "TCP")).lower()
            if proto == "sctp":
                continue
            listen.append(f"{port['containerPort']}/{proto}")
            if port.get("hostPort"):
                host_ip = f"{port['hostIP']}:" if port.get("hostIP") else ""
                ports.append(f"{host_ip}{port['hostPort']}:{port['containerPort']}/{proto}")
    meta = obj["metadata"]
    out: dict = {"host": spec["nodeName"], "pod": {
        "name": name, "namespace": ns, "labels": {str(k): "" if v is None else str(v)
                                                  for k, v in (meta.get("labels") or {}).items()},
        "dns_policy": spec.get("dnsPolicy", "ClusterFirst"),
        **{k: spec[k] for k in ("hostname", "subdomain") if spec.get(k)}}}
    if image:
        out["image"] = str(image)
    if listen:
        out["listen"] = listen
    if ports:
        out["ports"] = ports
    return out


def _selector(value: object, pos: Positions, at: tuple, what: str) -> Selector:
    if value is None:
        return Selector()
    if not isinstance(value, dict):
        raise ScenarioError(f"{what}: expected a label selector (matchLabels, "
                            "matchExpressions)", pos.where(at))
    unknown = set(value) - {"matchLabels", "matchExpressions"}
    if unknown:
        raise ScenarioError(f'{what}: unknown field "{sorted(unknown)[0]}"', pos.where(at),
                            "matchLabels, matchExpressions")
    labels = tuple(sorted((str(k), "" if v is None else str(v))
                          for k, v in (value.get("matchLabels") or {}).items()))
    exprs = []
    for j, e in enumerate(value.get("matchExpressions") or []):
        where = pos.where((*at, "matchExpressions", j))
        op = (e or {}).get("operator")
        if op not in OPERATORS:
            raise ScenarioError(f'{what}.matchExpressions[{j}].operator: Invalid value: "{op}": '
                                "not a valid selector operator", where, ", ".join(OPERATORS))
        values = tuple(str(v) for v in e.get("values") or [])
        if op in ("In", "NotIn") and not values:
            raise ScenarioError(f"{what}.matchExpressions[{j}].values: Required value: must be "
                                "specified when `operator` is 'In' or 'NotIn'", where)
        if op in ("Exists", "DoesNotExist") and values:
            raise ScenarioError(f"{what}.matchExpressions[{j}].values: Forbidden: may not be "
                                "specified when `operator` is 'Exists' or 'DoesNotExist'", where)
        exprs.append((str(e.get("key")), op, values))
    return Selector(labels, tuple(exprs))


def _policy(obj: dict, pos: Positions, at: tuple) -> Policy:
    name = str(obj["metadata"]["name"])
    ns = str(obj["metadata"].get("namespace") or "default")
    spec = obj.get("spec") or {}
    head = f'The NetworkPolicy "{name}" is invalid: '
    if not isinstance(spec, dict):
        raise ScenarioError(head + "spec: expected a mapping", pos.where((*at, "spec")))
    sel = _selector(spec.get("podSelector"), pos, (*at, "spec", "podSelector"),
                    "spec.podSelector")
    types = spec.get("policyTypes")
    if types is None:  # the API's default: Ingress, and Egress if there are egress rules
        types = ["Ingress"] + (["Egress"] if spec.get("egress") else [])
    for j, t in enumerate(types):
        if t not in ("Ingress", "Egress"):
            raise ScenarioError(head + f'spec.policyTypes[{j}]: Unsupported value: "{t}": '
                                'supported values: "Egress", "Ingress"',
                                pos.where((*at, "spec", "policyTypes", j)))
    rules = {d: tuple(_rule(spec, d, j, r, pos, at, head)
                      for j, r in enumerate(spec.get(d) or []))
             for d in ("ingress", "egress")}
    return Policy(name, ns, sel, tuple(dict.fromkeys(types)), rules["ingress"],
                  rules["egress"], at)


def _rule(spec: dict, direction: str, j: int, rule: object, pos: Positions, at: tuple,
          head: str) -> PolicyRule:
    rule = rule or {}
    base = (*at, "spec", direction, j)
    field_ = f"spec.{direction}[{j}]"
    if not isinstance(rule, dict):
        raise ScenarioError(head + f"{field_}: expected a mapping", pos.where(base))
    key = "from" if direction == "ingress" else "to"
    peers = []
    for k, p in enumerate(rule.get(key) or []):
        peers.append(_peer(p or {}, pos, (*base, key, k), head + f"{field_}.{key}[{k}]"))
    ports = []
    for k, p in enumerate(rule.get("ports") or []):
        ports.append(_port(p or {}, pos, (*base, "ports", k), head + f"{field_}.ports[{k}]"))
    return PolicyRule(tuple(peers), tuple(ports), j)


def _peer(p: dict, pos: Positions, at: tuple, field_: str) -> Peer:
    given = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if p.get(k) is not None]
    if not given:
        raise ScenarioError(f"{field_}: Required value: must specify a peer", pos.where(at))
    if "ipBlock" in given and len(given) > 1:
        raise ScenarioError(f"{field_}: Forbidden: may not specify both ipBlock and another "
                            "peer", pos.where(at))
    if "ipBlock" in given:
        block = p["ipBlock"] or {}
        cidr = str(block.get("cidr", ""))
        try:
            net = ip_network(cidr, strict=False)
        except ValueError:
            raise ScenarioError(f'{field_}.ipBlock.cidr: Invalid value: "{cidr}": must be a '
                                "valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
                                pos.where((*at, "ipBlock", "cidr"))) from None
        excepts = []
        for k, e in enumerate(block.get("except") or []):
            try:
                sub = ip_network(str(e), strict=False)
            except ValueError:
                sub = None
            if sub is None or sub.version != net.version or not sub.subnet_of(net) or \
                    sub == net:
                raise ScenarioError(f'{field_}.ipBlock.except[{k}]: Invalid value: "{e}": '
                                    "must be a strict subset of `cidr`",
                                    pos.where((*at, "ipBlock", "except", k)))
            excepts.append(str(sub))
        return Peer(cidr=str(net), except_=tuple(excepts))
    pods = _selector(p.get("podSelector"), pos, (*at, "podSelector"), f"{field_}.podSelector") \
        if p.get("podSelector") is not None else None
    nss = _selector(p.get("namespaceSelector"), pos, (*at, "namespaceSelector"),
                    f"{field_}.namespaceSelector") if p.get("namespaceSelector") is not None \
        else None
    return Peer(pods=pods, namespaces=nss)


def _port(p: dict, pos: Positions, at: tuple, field_: str) -> PortRule:
    proto = p.get("protocol", "TCP")
    if proto not in PROTOCOLS:
        raise ScenarioError(f'{field_}.protocol: Unsupported value: "{proto}": supported '
                            "values: " + ", ".join(f'"{x}"' for x in PROTOCOLS),
                            pos.where((*at, "protocol")))
    port, end = p.get("port"), p.get("endPort")
    if isinstance(port, str) and not port.isdigit():
        raise ScenarioError(f'{field_}.port: "{port}" is a named port: netsim does not resolve '
                            "named ports in a NetworkPolicy yet", pos.where((*at, "port")),
                            "the port's number")
    if port is not None:
        port = int(port)
        if not 0 < port < 65536:
            raise ScenarioError(f"{field_}.port: Invalid value: {port}: must be between 1 and "
                                "65535, inclusive", pos.where((*at, "port")))
    if end is not None:
        if port is None:
            raise ScenarioError(f"{field_}.port: Required value: must be specified when "
                                "`endPort` is specified", pos.where(at))
        if not isinstance(end, int) or isinstance(end, bool) or end < port or end > 65535:
            raise ScenarioError(f"{field_}.endPort: Invalid value: {end}: must be greater than "
                                "or equal to `port`", pos.where((*at, "endPort")))
    return PortRule(str(proto), port, end)
