"""`netsim check FILE.conflist|.conf|.json` / `netsim check DIR` (a node's net.d): the scenario a
user would write to check it — one CNI node, two pods on the network the runtime would pick,
and each plugin's promise as an expectation; a DIR that also holds kube-flannel's
net-conf.json is a cluster (scenario/cluster.py).

A directory is read as CRI-O reads it: every `.conf`, `.conflist` and `.json` in file-name
order, a file libcni refuses skipped with its reason (containerd stops there instead), the
first one left the network pods get. A network of a plugin netsim does not model is named,
and the rest of the directory is still checked."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from netsim.errors import ScenarioError, Where
from netsim.scenario import cluster, jsonpos, userfile
from netsim.scenario.cni import gojson, libcni, multus, unmodelled
from netsim.scenario.yamlpos import Places, Positions

SUFFIXES = libcni.SUFFIXES
MAX_BYTES = 1 << 20  # a node's conflist is a few hundred bytes
VALID = "a CNI network configuration: {cniVersion, name, plugins: [{type: bridge, ...}]}"
MAX_FILES = 256  # a net.d holds a handful
Notes = list[tuple[str, str]]
KUBE_FLANNEL = {"Network": "10.244.0.0/16", "Backend": {"Type": "vxlan"}}
CALICO_POOL = {"apiVersion": "projectcalico.org/v3", "kind": "IPPool",
               "metadata": {"name": "default-ipv4-ippool"},
               "spec": {"cidr": "10.244.0.0/16", "blockSize": 26, "ipipMode": "Never",
                        "vxlanMode": "CrossSubnet", "natOutgoing": True}}


def is_cni_input(path: Path) -> bool:
    return path.is_dir() or path.suffix in SUFFIXES


def files(path: Path) -> list[Path]:
    if not path.is_dir():
        return [path]
    found = sorted((p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()
                    and p.name not in cluster.FILES), key=lambda p: p.name)
    if not found:
        raise ScenarioError(f"{path}: no net configurations found (*.conf, *.conflist, *.json)",
                            valid="a net.d directory such as /etc/cni/net.d")
    if len(found) > MAX_FILES:
        raise ScenarioError(f"{path}: {len(found)} configuration files, more than the "
                            f"{MAX_FILES} netsim reads from one directory")
    return found


def read(file: Path) -> tuple[object, Positions]:
    """A CNI configuration file's JSON with its positions: bounded, regular files only."""
    return jsonpos.load(userfile.read_text(file, MAX_BYTES, VALID), str(file))


def _load(file: Path) -> tuple[dict, Positions]:
    """The file as libcni loads it, and its positions; ScenarioError at the file's own line
    when refused."""
    data, positions = read(file)
    try:
        return libcni.from_file(data, file.suffix), positions
    except libcni.Invalid as e:
        raise ScenarioError(e.message, positions.where(e.path), VALID) from None


def _unmodelled(conf: dict) -> str | None:
    return next((w for p in conf["plugins"] if (w := unmodelled.why(p["type"]))), None)


def networks(path: Path) -> tuple[dict[str, tuple[str, dict]], Notes]:
    """name -> (file, loaded config) of each network netsim can check, first the one pods
    get; the notes say what was skipped and why."""
    confs: dict[str, tuple[str, dict]] = {}
    notes: Notes = []
    chosen = False
    cluster_net = None  # a thin Multus first in the directory: the network it names
    for file in files(path):
        try:
            conf, positions = _load(file)
            followed = _multus(file, conf, positions, notes)
            if followed is not None and isinstance(followed, str):
                cluster_net = cluster_net or (followed if not chosen else None)
                chosen = True
                continue
            conf = followed or conf
        except ScenarioError as e:
            if not path.is_dir():
                raise
            notes.append(("cni", f"{file.name} skipped, as CRI-O skips it (containerd stops "
                                 f"at it): {e}"))
            continue
        why = _unmodelled(conf)
        if why and not path.is_dir():
            raise ScenarioError(f"{file}: network {conf['name']!r}: {why}")
        if why:
            notes.append(("cni", f"{file.name}: network {conf['name']!r} is "
                                 f"{'what pods get' if not chosen else 'also here'}, but "
                                 f"{why}"))
        elif conf["name"] not in confs:
            confs[conf["name"]] = (str(file.resolve()), conf)
        chosen = True
    if cluster_net is not None:
        confs = _first(confs, cluster_net, notes)
    if not confs:
        raise ScenarioError(f"{path}: no network here that netsim models"
                            + "".join(f"\n  {n}" for _, n in notes))
    return confs, notes


def _multus(file: Path, conf: dict, positions: Positions, notes: Notes) -> dict | str | None:
    """A thin Multus config: its inline cluster network (loaded as libcni loads a file), or
    the name of the one it names (`clusterNetwork`); None: not Multus."""
    try:
        c = multus.cluster(conf)
    except libcni.Invalid as e:
        raise ScenarioError(e.message, positions.where(_in_file(file, e.path)),
                            VALID) from None
    if c is None:
        return None
    if c.named is not None:
        notes.append(("cni", f"{file.name}: Multus runs its clusterNetwork {c.named!r} for "
                             "every pod (eth0)"))
        return c.named
    try:
        inner = libcni.upconvert(c.delegate) if isinstance(c.delegate, dict) and \
            "plugins" not in c.delegate else libcni.conflist(c.delegate)
    except libcni.Invalid as e:
        where = positions.where((*_in_file(file, c.at), *e.path))
        raise ScenarioError(e.message, where, VALID) from None
    notes.append(("cni", f"{file.name}: Multus runs its cluster network {inner['name']!r} "
                         "(eth0) for every pod: netsim follows it"))
    return inner


def _in_file(file: Path, at: tuple) -> tuple:
    """A key path of the loaded conflist in the file: a `.conf` is the plugin itself."""
    return at[2:] if file.suffix != ".conflist" and at[:2] == ("plugins", 0) else at


def _first(confs: dict, named: str, notes: Notes) -> dict:
    """Multus's clusterNetwork (a network's name, or a file of the directory) first."""
    base = PurePosixPath(named).name
    key = next((n for n, (f, _) in confs.items() if n == named or Path(f).name == base), None)
    if key is None:
        notes.append(("cni", f"Multus's clusterNetwork {named!r} is not a network of this "
                             "directory: pods would not start"))
        return confs
    return {key: confs[key], **{n: v for n, v in confs.items() if n != key}}


def scenario_text(path: Path) -> tuple[str, Notes, Places]:
    """The scenario, what reading noticed, and where its parts came from: the user's files,
    never a line of the text netsim wrote."""
    found, notes = networks(path)
    confs = {n: file for n, (file, _) in found.items()}
    name, (_, first) = next(iter(found.items()))
    places = {("cni", n): Where(f) for n, f in confs.items()}
    if cluster.is_cluster(path):  # a cluster's files: its nodes, its pods or one on each
        missing = [f for f in (cluster.NET_CONF, cluster.CALICO) if not (path / f).is_file()]
        defaults = {**(_flanneld(first, notes) if cluster.NET_CONF in missing else {}),
                    **(_calico_node(first, notes) if cluster.CALICO in missing else {})}
        doc, more = cluster.scenario(path, confs, name, defaults)
        return yaml.safe_dump(doc, sort_keys=False), notes, Places(str(path), {**places, **more})
    expect, note = _promises(first)
    if note:
        notes.append(("cni", note))
    doc = {"name": "conflist-check", "hosts": {"node1": {"runtime": "cni"}},
           **_flanneld(first, notes), **_calico_node(first, notes),
           "cni": {n: {"file": f} for n, f in confs.items()},
           "containers": {"pod1": {"network": name, "listen": ["80/tcp"]},
                          "pod2": {"network": name}},
           "expect": expect}
    return yaml.safe_dump(doc, sort_keys=False), notes, Places(str(path), places)


def is_canal(conf: dict) -> bool:
    """Calico's plugin on the podCIDR flannel leased (canal.yaml's conflist)."""
    main = conf["plugins"][0]
    ipam = main.get("ipam") if isinstance(main.get("ipam"), dict) else {}
    return main["type"] == "calico" and ipam.get("type") == "host-local"


def _flanneld(conf: dict, notes: Notes) -> dict:
    """The flannel plugin (and Canal's calico) reads what flanneld leased the node: with no
    net-conf.json beside the conflist, flanneld is configured as kube-flannel.yml (canal.yaml)
    ships it, and that is said."""
    if conf["plugins"][0]["type"] != "flannel" and not is_canal(conf):
        return {}
    notes.append(("cni", f"no {cluster.NET_CONF} beside it: flanneld runs with kube-flannel's "
                         "net-conf.json (Network 10.244.0.0/16, vxlan)"))
    return {"flannel": dict(KUBE_FLANNEL)}


def _calico_node(conf: dict, notes: Notes) -> dict:
    """The calico plugin needs calico-node's pool: with none given, the Tigera operator's
    default (VXLANCrossSubnet, natOutgoing) on kubeadm's usual pod network, and that is said."""
    if conf["plugins"][0]["type"] != "calico" or is_canal(conf):
        return {}
    notes.append(("cni", "calico: no IPPool given: calico-node runs with the operator's default "
                         f"pool ({CALICO_POOL['spec']['cidr']}, vxlanMode CrossSubnet, "
                         "natOutgoing); add `calico:` resources to say yours"))
    return {"calico": [CALICO_POOL]}


def _promises(conf: dict) -> tuple[list[dict], str | None]:
    """What the network's plugins promise, as expectations: pods reach each other; with a
    default route, the outside (seen as the node when masqueraded); the LAN cannot reach a
    pod; a gateway bridge's node reaches its pods. None without an IPv4 address."""
    main = conf["plugins"][0]
    ipam = gojson.field(main, "ipam")
    ipam = ipam if isinstance(ipam, dict) else {}
    if main["type"] not in ("flannel", "calico") and not _has_ipv4(ipam):
        return [], (f"network {conf['name']!r} gives its pods no IPv4 address (L2 only, "
                    "loopback only or IPv6 only): nothing to probe by address")
    plugins = [p for p in conf["plugins"] if isinstance(p, dict)]
    bridges = [p for p in plugins if p.get("type") == "bridge"]
    # read before any plugin's own check: a key as Go matches it, a value of the right type
    masq = any(gojson.field(p, "ipMasq") is True for p in plugins if p.get("type") in ("bridge", "ptp"))
    gateway = any(gojson.field(p, "isGateway") is True or gojson.field(p, "isDefaultGateway") is True
                  for p in bridges)
    routes = gojson.field(ipam, "routes")
    default = any(gojson.field(p, "isDefaultGateway") is True for p in bridges) or any(
        isinstance(r, dict) and str(gojson.field(r, "dst")) == "0.0.0.0/0"
        for r in (routes if isinstance(routes, list) else []))
    expect = [{"from": "pod2", "to": "pod1", "port": "80/tcp", "result": "open",
               "source": "pod2"}]
    if default:
        expect.append({"from": "pod1", "to": "outside", "port": "80/tcp",
                       "result": "open" if masq else "blocked",
                       **({"source": "node1"} if masq else {})})
    expect.append({"from": "lan", "to": "pod1", "result": "blocked"})
    if gateway:
        expect.append({"from": "node1", "to": "pod1", "result": "reach"})
    return expect, None


def _has_ipv4(ipam: dict) -> bool:
    def listed(key: str, obj: dict = ipam) -> list:
        value = gojson.field(obj, key)
        return value if isinstance(value, list) else []

    if ipam.get("type") == "static":
        return any(isinstance(a, dict) and ":" not in str(gojson.field(a, "address"))
                   for a in listed("addresses"))
    subnet = gojson.field(ipam, "subnet")
    sets = listed("ranges") or ([[{"subnet": subnet}]] if subnet else [])
    return bool(ipam.get("type")) and any(
        isinstance(rs, list) and rs and isinstance(rs[0], dict)
        and ":" not in str(gojson.field(rs[0], "subnet")) for rs in sets)
