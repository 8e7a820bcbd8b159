"""`netsim check DIR` / `netsim import cluster DIR`, where DIR holds what a user copies from a
Kubernetes cluster: the node's conflist (`10-flannel.conflist`, `10-calico.conflist`,
`10-canal.conflist`) and any of kube-flannel's `net-conf.json`, `nodes.json` (`kubectl get
nodes -o json`: each node's name, InternalIP and podCIDR), `calico.yaml` (`calicoctl get
ippools -o yaml`, more resources appended as documents) and `kubernetes.yaml` (`kubectl get
namespaces,pods,networkpolicies,services,endpointslices -A -o yaml`; or `kubernetes.json`,
the same with `-o json`). The scenario: those nodes on their LAN, and the
cluster's pods and policies (the matrix says who reaches whom), or else a pod on each node and
what the CNI promises as expectations."""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from pathlib import Path

from netsim.errors import ScenarioError, Where
from netsim.scenario import jsonpos, userfile
from netsim.scenario.cni import gojson
from netsim.scenario.yamlpos import Positions

NET_CONF = "net-conf.json"
NODES = "nodes.json"
CALICO = "calico.yaml"
KUBERNETES = ("kubernetes.yaml", "kubernetes.json")  # kubectl get ... -o yaml, or -o json
FILES = (NET_CONF, NODES, CALICO, *KUBERNETES)
MAX_BYTES = 16 << 20  # kubectl prints ~5 KiB a node
MAX_NODES = 100  # each a namespace with its own flanneld when run; check grows with n², 100: ~3 s
KUBECTL = "kubectl get nodes -o json"
_KINDS = {dict: "an object", list: "a list", str: "a string"}
_DNS1123 = re.compile(r"[a-z0-9]([-a-z0-9.]{0,57}[a-z0-9])?\Z")  # pod-<name> fits 63


def is_cluster(path: Path) -> bool:
    return path.is_dir() and any((path / f).is_file() for f in FILES)


def nodes(path: Path) -> list[dict]:
    """name, address (InternalIP) and pod_cidr of each node, as kubectl prints them, and
    `where` it stands; the shapes checked where they are read, at nodes.json's own lines."""
    file = path / NODES
    if not file.is_file():
        return [{"name": "node1"}, {"name": "node2"}]
    doc, pos = jsonpos.load(userfile.read_text(file, MAX_BYTES, KUBECTL), str(file))
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ScenarioError("not a node list: no items", pos.where(()), KUBECTL)
    if len(items) > MAX_NODES:
        raise ScenarioError(f"{len(items):,} nodes: netsim builds at most {MAX_NODES}",
                            pos.where(("items",)), KUBECTL)
    out = [_node(item, pos, ("items", k)) for k, item in enumerate(items)]
    for key in ("name", "address", "pod_cidr"):
        seen: dict[str, int] = {}
        for k, node in enumerate(out):
            if key in node and seen.setdefault(node[key], k) != k:
                raise ScenarioError(f"{node[key]} is also node {out[seen[node[key]]]['name']}'s",
                                    pos.where(("items", k)), f"one {key} per node")
    return out


def _node(item: object, pos: Positions, at: tuple) -> dict:
    def get(obj: object, key: str, kind: type, where: tuple) -> object:
        value = obj.get(key) if isinstance(obj, dict) else None
        if value is not None and not isinstance(value, kind):
            raise ScenarioError(f"{key} is {gojson.kind_of(value)}, not {_KINDS[kind]}",
                                pos.where((*where, key)), KUBECTL)
        return value

    meta = get(item, "metadata", dict, at)
    name = get(meta, "name", str, (*at, "metadata"))
    if not name or not _DNS1123.match(name):
        raise ScenarioError("a node's metadata.name is a DNS-1123 name of at most 59 "
                            "characters for netsim", pos.where((*at, "metadata")), KUBECTL)
    node: dict = {"name": name, "where": pos.where(at)}
    status = get(item, "status", dict, at) or {}
    for k, a in enumerate(get(status, "addresses", list, (*at, "status")) or []):
        where = (*at, "status", "addresses", k)
        if get(a, "type", str, where) == "InternalIP":
            ip = _parse(ip_address, get(a, "address", str, where), pos, (*where, "address"))
            if ip.version == 4 and "address" not in node:  # dual stack: the IPv4 one
                node["address"] = str(ip)
    spec = get(item, "spec", dict, at) or {}
    cidrs = get(spec, "podCIDRs", list, (*at, "spec")) or [get(spec, "podCIDR", str, (*at, "spec"))]
    for k, cidr in enumerate(c for c in cidrs if c is not None):
        net = _parse(ip_network, cidr, pos, (*at, "spec", "podCIDRs", k))
        if net.version == 4 and "pod_cidr" not in node:
            node["pod_cidr"] = str(net)
    return node


def _parse(parse, text: object, pos: Positions, where: tuple):
    try:
        return parse(str(text))
    except ValueError:
        raise ScenarioError(f"{text!r} is not an IP address or CIDR", pos.where(where),
                            KUBECTL) from None


def _lan(found: list[dict]) -> dict:
    """The smallest subnet (a /24 at least) holding every node's address: the nodes' one
    L2 segment, with the router and netsim's `lan` machine where no node is."""
    addrs = [IPv4Address(n["address"]) for n in found if "address" in n]
    if not addrs:
        return {}
    subnet = IPv4Network(f"{addrs[0]}/24", strict=False)
    while not all(a in subnet for a in addrs) and subnet.prefixlen > 16:
        subnet = subnet.supernet()
    if not all(a in subnet for a in addrs):  # no one segment: the others are other racks
        subnet = IPv4Network(f"{addrs[0]}/24", strict=False)
    taken = set(addrs)
    ends = (subnet.network_address + k for k in range(1, 64))
    tops = (subnet.broadcast_address - k for k in range(1, 64))
    free = [a for pair in zip(ends, tops, strict=True) for a in pair if a not in taken]
    return {"subnet": str(subnet), "gateway": str(free[0]), "address": str(free[1])}


def scenario(path: Path, confs: dict[str, str], network: str,
             defaults: dict) -> tuple[dict, dict]:
    """The scenario, and where each of its hosts and pods came from (nodes.json's lines);
    `defaults`: what stands in for a daemon's missing file (said in a note by the caller)."""
    found = nodes(path)
    places = {}
    for n in found:
        if "where" in n:
            at = n.pop("where")
            places |= {("hosts", n["name"]): at, ("containers", f"pod-{n['name']}"): at}
    doc: dict = {"name": "cluster-check"}
    lan = _lan(found)
    if lan:
        doc["lan"] = lan
    doc["hosts"] = {n["name"]: {"runtime": "cni", **{k: v for k, v in n.items() if k != "name"}}
                    for n in found}
    for key, file in (("flannel", NET_CONF), ("calico", CALICO)):
        if (path / file).is_file():
            doc[key] = {"file": str((path / file).resolve())}
            places[(key,)] = Where(str(path / file))
        elif key in defaults:
            doc[key] = defaults[key]
    doc["cni"] = {n: {"file": f} for n, f in confs.items()}
    dumps = [path / f for f in KUBERNETES if (path / f).is_file()]
    if len(dumps) > 1:
        raise ScenarioError(f"both {KUBERNETES[0]} and {KUBERNETES[1]}: netsim reads one "
                            "dump of the cluster", Where(str(path)), " or ".join(KUBERNETES))
    if dumps:  # the cluster's own pods: the matrix is the answer
        doc["kubernetes"] = {"file": str(dumps[0].resolve())}
        places[("kubernetes",)] = Where(str(dumps[0]))
        return doc, places
    pods = {f"pod-{n['name']}": n["name"] for n in found}
    doc["containers"] = {p: {"host": node, "network": network, **(
        {"listen": ["80/tcp"]} if p == next(iter(pods)) else {})} for p, node in pods.items()}
    doc["expect"] = _promises(pods, found)
    return doc, places


def _promises(pods: dict[str, str], found: list[dict]) -> list[dict]:
    """Pods reach the first one as themselves, it reaches the outside as its node, the LAN
    does not reach it, another node does."""
    first, *others = pods
    expect = [{"from": p, "to": first, "port": "80/tcp", "result": "open", "source": p}
              for p in others]
    expect += [{"from": first, "to": "outside", "port": "80/tcp", "result": "open",
                "source": pods[first]},
               {"from": "lan", "to": first, "result": "blocked"}]
    expect += [{"from": n["name"], "to": first, "port": "80/tcp", "result": "open"}
               for n in found[1:2]]
    return expect
