"""What libcni (containernetworking/cni) does with a network configuration before any plugin
runs, as containerd and CRI-O call it: a `.conflist` read by NetworkConfFromBytes, a `.conf`
or `.json` (one plugin) upconverted to a list of one (ConfListFromConf), a net.d directory
read in file-name order; each in libcni's own words. Plugins then decode their own object
with their own struct (`gojson`, the tables beside each plugin model)."""

from __future__ import annotations

from netsim.scenario.cni import gojson
from netsim.scenario.cni.gojson import ANY, BOOL, STRING, list_of, map_of, struct

SUFFIXES = (".conf", ".conflist", ".json")  # containerd's and CRI-O's ConfFiles extensions
SPEC = (1, 1, 0)  # the newest spec libcni implements: a later `cniVersions` entry is skipped
OLDEST = "0.1.0"  # how a plugin reads a config without cniVersion (version.ConfigDecoder)

DNS = struct("DNS", nameservers=list_of(STRING), domain=STRING, search=list_of(STRING),
             options=list_of(STRING))
IPAM = struct("IPAM", type=STRING)
# types.NetConf: what every plugin's struct embeds, and what libcni decodes each plugin into
NETCONF = struct("NetConf", cniVersion=STRING, name=STRING, type=STRING,
                 capabilities=map_of(BOOL), ipam=IPAM, dns=DNS, prevResult=map_of(ANY))


class Invalid(Exception):
    """libcni refused the configuration: its message, and the key path it is about."""

    def __init__(self, message: str, path: tuple = ()):
        super().__init__(message)
        self.message, self.path = message, path


def _type_name(value: object) -> str:
    """Go's %T of a decoded JSON value."""
    return {"bool": "bool", "object": "map[string]interface {}", "array": "[]interface {}",
            "string": "string", "number": "float64", "null": "<nil>"}[gojson.kind_of(value)]


def from_file(data: object, suffix: str) -> dict:
    """A file's JSON as the runtime loads it: `.conflist` as a list, the others upconverted."""
    if suffix == ".conflist":
        return conflist(data)
    return upconvert(data)


def upconvert(data: object) -> dict:
    """ConfFromBytes then ConfListFromConf: one plugin's config as a list of one; the plugin
    keeps every key (its name and cniVersion too, as libcni hands them on)."""
    plugin = _plugin(data, "error parsing configuration: ", ())
    return conflist({"name": plugin.get("name", ""), "cniVersion": plugin.get("cniVersion", ""),
                     "plugins": [data]}, single=True)


def conflist(data: object, single: bool = False) -> dict:
    """NetworkConfFromBytes: the list's own keys checked, each plugin decoded as
    types.NetConf. The result is the conflist with its plugins normalized (Go's field names)
    and an effective cniVersion (`OLDEST` when none is given, as the plugins read it)."""
    head = "error parsing configuration list: "
    data = {} if data is None else data  # JSON null into a Go map: an empty map
    if not isinstance(data, dict):
        raise Invalid(f"{head}json: cannot unmarshal {gojson.kind_of(data)} into Go value of "
                      "type map[string]interface {}")
    if "name" not in data:
        raise Invalid(f"{head}no name")
    if not isinstance(data["name"], str):
        raise Invalid(f"{head}invalid name type {_type_name(data['name'])}", ("name",))
    version = data.get("cniVersion", "")
    if not isinstance(version, str):
        raise Invalid(f"{head}invalid cniVersion type {_type_name(version)}", ("cniVersion",))
    version = _newest(data, version, head)
    for key in ("disableCheck", "disableGC", "loadOnlyInlinedPlugins"):
        _read_bool(data, key, head)
    plugins = data.get("plugins")
    if "plugins" not in data:
        raise Invalid(f"{head}no 'plugins' key")  # libcni 1.1 (containerd 1.7, CRI-O 1.2x)
    if not isinstance(plugins, list):
        raise Invalid(f"{head}invalid 'plugins' type {_type_name(plugins)}", ("plugins",))
    if not plugins:
        raise Invalid(f"{head}no plugins in list", ("plugins",))
    out = [_plugin(p, f"failed to parse plugin config {i}: error parsing configuration: ",
                   () if single else ("plugins", i)) for i, p in enumerate(plugins)]
    return {**data, "name": data["name"], "cniVersion": version or OLDEST, "plugins": out}


def _plugin(data: object, head: str, path: tuple) -> dict:
    try:
        plugin = gojson.decode(data, NETCONF)
    except gojson.DecodeError as e:
        raise Invalid(head + e.message, (*path, *e.path)) from None
    if not isinstance(plugin, dict):
        raise Invalid(f"{head}json: cannot unmarshal null into Go value of type NetConf", path)
    if not plugin.get("type"):
        raise Invalid(f"{head}missing 'type'", path)
    return plugin


def _read_bool(data: dict, key: str, head: str) -> bool:
    """libcni's readBool: a bool, or the text "true"/"false" in any case."""
    value = data.get(key, False)
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise Invalid(f"{head}invalid type {_type_name(value)} for {key}", (key,))
    if value.lower() not in ("true", "false"):
        raise Invalid(f'{head}invalid value "{value.lower()}" for {key}', (key,))
    return value.lower() == "true"


def _newest(data: dict, version: str, head: str) -> str:
    """`cniVersions` (spec 1.1): the newest entry libcni implements, with cniVersion."""
    if "cniVersions" not in data:
        return version
    listed = data["cniVersions"]
    if not isinstance(listed, list):
        raise Invalid(f"{head}invalid type for cniVersions: {_type_name(listed)}",
                      ("cniVersions",))
    known = []
    for i, v in enumerate([*listed, *([version] if version else [])]):
        if not isinstance(v, str):
            raise Invalid(f"{head}invalid type for cniVersions index {i}: {_type_name(v)}",
                          ("cniVersions", i))
        parsed = parse_version(v)
        if parsed is None:
            raise Invalid(f"{head}invalid cniVersions entry {v} at index {i}: "
                          f'unable to parse version "{v}"', ("cniVersions", i))
        if parsed <= SPEC:
            known.append((parsed, v))
    return max(known)[1] if known else version


def parse_version(text: str) -> tuple[int, ...] | None:
    """version.ParseVersion: major.minor.micro, minor and micro optional."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts) + (0,) * (3 - len(parts))
