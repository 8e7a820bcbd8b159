"""`netsim check FILE.conflist` / `netsim check DIR` (a node's net.d): the scenario a user
would write to check it — one CNI node, two pods on the network the runtime would pick
(the first conflist by file name), and each plugin's promise as an expectation; a DIR that
also holds kube-flannel's net-conf.json is a cluster (scenario/cluster.py)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from netsim.errors import ScenarioError
from netsim.scenario import cluster

SUFFIXES = (".conflist", ".conf", ".json")


def is_cni_input(path: Path) -> bool:
    return path.is_dir() or path.suffix in SUFFIXES


def files(path: Path) -> list[Path]:
    found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES
                   and p.name not in (cluster.NET_CONF, cluster.NODES)) if path.is_dir() \
        else [path]
    if not found:
        raise ScenarioError(f"{path}: no *.conflist in this directory", valid="a net.d "
                            "directory such as /etc/cni/net.d")
    return found


def scenario_text(path: Path) -> str:
    confs: dict[str, str] = {}
    first: dict | None = None
    for file in files(path):
        try:
            conf = json.loads(file.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ScenarioError(f"{file}: not a conflist: {e}") from None
        if not isinstance(conf, dict) or not isinstance(conf.get("name"), str):
            raise ScenarioError(f"{file}: a conflist is a JSON object with a name")
        confs[conf["name"]] = str(file.resolve())
        first = first or conf
    name = first["name"]
    if cluster.is_cluster(path):  # a flannel cluster's files: its nodes, a pod on each
        return yaml.safe_dump(cluster.scenario(path, confs, name), sort_keys=False)
    bridges = [p for p in first.get("plugins", []) if isinstance(p, dict)
               and p.get("type") == "bridge"]
    masq = any(p.get("ipMasq") for p in bridges)
    gateway = any(p.get("isGateway") or p.get("isDefaultGateway") for p in bridges)
    expect = [{"from": "pod2", "to": "pod1", "port": "80/tcp", "result": "open",
               "source": "pod2"},
              {"from": "pod1", "to": "outside", "port": "80/tcp",
               "result": "open" if masq else "blocked", **({"source": "node1"} if masq else {})},
              {"from": "lan", "to": "pod1", "result": "blocked"}]
    if gateway:
        expect.append({"from": "node1", "to": "pod1", "result": "reach"})
    doc = {"name": "conflist-check", "hosts": {"node1": {"runtime": "cni"}},
           "cni": {n: {"file": f} for n, f in confs.items()},
           "containers": {"pod1": {"network": name, "listen": ["80/tcp"]},
                          "pod2": {"network": name}},
           "expect": expect}
    return yaml.safe_dump(doc, sort_keys=False)
