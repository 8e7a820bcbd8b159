"""Conflists as the scenario gives them (inline, or `{file: PATH}` beside the scenario), loaded
as libcni loads them (`libcni`), then each plugin's object decoded as that plugin decodes it
(its `CONF` struct, its words), errors at the user's own file:line."""

from __future__ import annotations

from pathlib import Path

from netsim.errors import ScenarioError
from netsim.runtime.cni.context import Cni, Source
from netsim.runtime.cni.plugins import ipam
from netsim.scenario import conflists
from netsim.scenario.cni import gojson, libcni, multus, unmodelled

# what Debian's containernetworking-plugins 1.1.1 speak (CNI_COMMAND=VERSION)
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0")


def load(cni: Cni) -> None:
    for name, value in cni.asm.sc.cni.items():
        path = ("cni", name)
        raw, source = _read(cni, name, value, path)
        cni.sources[name] = source
        conf = _libcni(cni, raw, source.single, path)
        try:
            followed = multus.cluster(conf)
        except libcni.Invalid as e:
            raise cni.error((*path, *e.path), e.message, conflists.VALID) from None
        if followed is not None:
            conf = _follow(cni, name, followed, source, path)
        if conf["name"] not in ("", name):
            raise cni.error((*path, "name"), f"the conflist is named {conf['name']!r}, its key "
                            f"{name!r}: runtimes find networks by the conflist's name")
        conf["name"] = name
        if conf["cniVersion"] not in VERSIONS:
            raise cni.error((*path, "cniVersion"), f'incompatible CNI versions: config is '
                            f'"{conf["cniVersion"]}", plugin supports '
                            f'[{" ".join(chr(34) + v + chr(34) for v in VERSIONS)}]',
                            ", ".join(VERSIONS))
        conf["plugins"] = [_plugin(cni, p, (*path, "plugins", i))
                           for i, p in enumerate(conf["plugins"])]
        cni.conflists[name] = conf
        v6 = ipv6(conf, cni.plugins)
        if v6:
            cni.warn("C06", f"cni.{name}: IPv6 {', '.join(v6)}: carried to the real plugins as "
                     "written, not modelled yet; the IPv4 side is predicted")


def _libcni(cni: Cni, raw: object, single: bool, path: tuple) -> dict:
    try:
        return libcni.upconvert(raw) if single else libcni.conflist(raw)
    except libcni.Invalid as e:
        raise cni.error((*path, *e.path), e.message, conflists.VALID) from None


def _follow(cni: Cni, name: str, c: multus.Cluster, source: Source, path: tuple) -> dict:
    """A multus config: its cluster network, loaded as libcni loads a file, errors at its own
    place inside the multus file; the network must be keyed by its own name (Multus runs it
    under that name)."""
    if c.named is not None:
        raise cni.error((*path, *c.at), f"Multus's clusterNetwork {c.named!r} is another "
                        "file of its net.d: netsim follows it when it reads the directory",
                        "netsim check /etc/cni/net.d, or key that network's own file here")
    at = (*source.at, *(c.at[2:] if source.single else c.at))
    inner = Source(source.positions, at, isinstance(c.delegate, dict)
                   and "plugins" not in c.delegate)
    cni.sources[name] = inner
    conf = _libcni(cni, c.delegate, inner.single, path)
    if conf["name"] not in ("", name):
        raise cni.error((*path, "name"), f"Multus runs this file's cluster network under its "
                        f"own name {conf['name']!r}: key it so", conf["name"])
    said = multus.note(f"cni.{name}", name, c)
    if said:
        cni.warn("multus", said)
    return conf


def ipv6(conf: dict, plugins: dict | None = None) -> list[str]:
    """The IPv6 ranges, routes and addresses of a conflist's IPAM (decoded by type: a JSON
    null stands where Go would leave a zero value); with `plugins` (type -> model), only
    those the model does not hold (a main plugin whose model says IPV6, with host-local)."""
    out = []
    for p in conf["plugins"]:
        ipam = p.get("ipam") or {}
        if plugins is not None and modelled_v6(p, plugins):
            continue
        firsts = [(rs or [None])[0] for rs in ipam.get("ranges") or []]
        for what, key, items in (("range", "subnet", firsts),
                                 ("route", "dst", ipam.get("routes") or []),
                                 ("address", "address", ipam.get("addresses") or [])):
            out += [f"{what} {x[key]}" for x in items if ":" in (x or {}).get(key, "")]
    return out


def modelled_v6(plugin: dict, plugins: dict) -> bool:
    """The model holds this plugin's IPv6 (bridge with host-local: both families)."""
    model = plugins.get(plugin.get("type"))
    return bool(getattr(model, "IPV6", False)) and \
        (plugin.get("ipam") or {}).get("type") == "host-local"


def _read(cni: Cni, name: str, value: dict, path: tuple) -> tuple[object, Source]:
    """The conflist's JSON and where it was written: a file beside the scenario (`.conflist`
    read as a list, `.conf` and `.json` as one plugin, as containerd and CRI-O read them), or
    the scenario's own mapping (named by its key; one plugin when it has a type and no
    plugins)."""
    if set(value) != {"file"}:
        single = "plugins" not in value and "type" in value
        return {"name": name, **value}, Source(cni.asm.loaded.positions, path, single)
    file = Path(cni.asm.loaded.path).parent / str(value["file"])
    try:
        data, positions = conflists.read(file)
    except ScenarioError as e:
        where = e.where if e.where and e.where.line else cni.asm.loaded.positions.where(
            (*path, "file"))
        raise ScenarioError(e.message, where, e.valid) from None
    return data, Source(positions, (), file.suffix != ".conflist")


def _plugin(cni: Cni, plugin: dict, path: tuple) -> dict:
    """The plugin's object as it decodes it (Go's field names, its types, in its words), its
    IPAM's too; a plugin netsim does not model is named with whose it is."""
    kind = plugin["type"]
    if unmodelled.why(kind):
        raise cni.error((*path, "type"), unmodelled.why(kind), ", ".join(cni.plugins))
    if kind not in cni.plugins:
        raise cni.error((*path, "type"), f'failed to find plugin "{kind}" in path '
                        "[/usr/lib/cni] (not a reference plugin)", ", ".join(cni.plugins))
    module = cni.plugins[kind]
    out = _decode(cni, plugin, module, path)
    kind = (out.get("ipam") or {}).get("type")
    if kind in ipam.IPAMS and not getattr(module, "OWN_IPAM", False):
        out["ipam"] = _decode(cni, plugin, ipam.IPAMS[kind], path, kind)["ipam"]
    return out


def _decode(cni: Cni, plugin: dict, module: object, path: tuple, kind: str = "") -> dict:
    try:
        return gojson.decode(plugin, module.CONF)
    except gojson.DecodeError as e:
        raise cni.error((*path, *e.path), module.DECODE + e.message,
                        f"the {kind or plugin['type']} plugin's documented keys") from None
