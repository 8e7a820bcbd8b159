"""`netsim check DIR` / `netsim import cluster DIR`, where DIR holds what a user copies from a
Kubernetes cluster running flannel: kube-flannel's `net-conf.json`, the node's conflist
(`10-flannel.conflist`), and optionally `nodes.json` (`kubectl get nodes -o json`: each
node's name, InternalIP and podCIDR). The scenario: those nodes on their LAN, a pod on each,
and what flannel promises as expectations."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from netsim.errors import ScenarioError

NET_CONF = "net-conf.json"
NODES = "nodes.json"


def is_cluster(path: Path) -> bool:
    return path.is_dir() and (path / NET_CONF).is_file()


def _json(file: Path) -> object:
    try:
        return json.loads(file.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ScenarioError(f"{file}: not JSON: {e}") from None


def nodes(path: Path) -> list[dict]:
    """name, address (InternalIP) and pod_cidr of each node, as kubectl prints them."""
    file = path / NODES
    if not file.is_file():
        return [{"name": "node1"}, {"name": "node2"}]
    doc = _json(file)
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{file}: not a node list", valid="kubectl get nodes -o json")
    out = []
    for item in items:
        try:
            name = item["metadata"]["name"]
            spec, status = item.get("spec", {}), item.get("status", {})
            ip = next((a["address"] for a in status.get("addresses", [])
                       if a.get("type") == "InternalIP"), None)
        except (KeyError, TypeError, AttributeError):
            raise ScenarioError(f"{file}: a node without metadata.name",
                                valid="kubectl get nodes -o json") from None
        node = {"name": name}
        if ip:
            node["address"] = str(IPv4Address(ip))
        if spec.get("podCIDR"):
            node["pod_cidr"] = str(IPv4Network(spec["podCIDR"]))
        out.append(node)
    return out


def _lan(found: list[dict]) -> dict:
    """The first node's /24, with the router and netsim's `lan` machine where no node is."""
    addrs = [IPv4Address(n["address"]) for n in found if "address" in n]
    if not addrs:
        return {}
    subnet = IPv4Network(f"{addrs[0]}/24", strict=False)
    free = [a for a in (subnet.network_address + k for k in (1, 254, 2, 253, 3, 252))
            if a not in addrs]
    return {"subnet": str(subnet), "gateway": str(free[0]), "address": str(free[1])}


def scenario(path: Path, confs: dict[str, str], network: str) -> dict:
    found = nodes(path)
    pods = {f"pod-{n['name']}": n["name"] for n in found}
    first, *others = pods
    expect = [{"from": p, "to": first, "port": "80/tcp", "result": "open", "source": p}
              for p in others]
    expect += [{"from": first, "to": "outside", "port": "80/tcp", "result": "open",
                "source": pods[first]},
               {"from": "lan", "to": first, "result": "blocked"}]
    expect += [{"from": n["name"], "to": first, "port": "80/tcp", "result": "open"}
               for n in found[1:2]]
    doc: dict = {"name": "cluster-check"}
    lan = _lan(found)
    if lan:
        doc["lan"] = lan
    doc["hosts"] = {n["name"]: {"runtime": "cni", **{k: v for k, v in n.items() if k != "name"}}
                    for n in found}
    doc["flannel"] = {"file": str((path / NET_CONF).resolve())}
    doc["cni"] = {n: {"file": f} for n, f in confs.items()}
    doc["containers"] = {p: {"host": node, "network": network, **(
        {"listen": ["80/tcp"]} if p == first else {})} for p, node in pods.items()}
    doc["expect"] = expect
    return doc
