"""Conflists as the scenario gives them (inline, or `{file: PATH}` beside the scenario),
checked as the plugins and runtimes check them, with the plugins' own words."""

from __future__ import annotations

import json
from pathlib import Path

from netsim.runtime.cni.context import Cni

# what Debian's containernetworking-plugins 1.1.1 speak (CNI_COMMAND=VERSION)
VERSIONS = ("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0")
LATER = {  # reference plugins netsim knows of but does not model yet
    "host-device": "host-device", "sbr": "sbr", "vrf": "vrf",
}


def load(cni: Cni) -> None:
    for name, value in cni.asm.sc.cni.items():
        path = ("cni", name)
        conf = _read(cni, value, path)
        if conf.get("name", name) != name:
            raise cni.error((*path, "name"), f"the conflist is named {conf['name']!r}, its key "
                            f"{name!r}: runtimes find networks by the conflist's name")
        conf["name"] = name
        version = str(conf.get("cniVersion", ""))
        if version not in VERSIONS:
            raise cni.error((*path, "cniVersion"), f'incompatible CNI versions: config is '
                            f'"{version}", plugin supports {list(VERSIONS)}', ", ".join(VERSIONS))
        plugins = conf.get("plugins")
        if not isinstance(plugins, list) or not plugins:
            raise cni.error(path, "a conflist needs plugins: [...]",
                            "a list of {type: bridge, ...}")
        for i, plugin in enumerate(plugins):
            _check_plugin(cni, plugin, (*path, "plugins", i))
        cni.conflists[name] = conf


def _read(cni: Cni, value: dict, path: tuple) -> dict:
    if set(value) != {"file"}:
        return dict(value)
    base = Path(cni.asm.loaded.path).parent
    file = base / str(value["file"])
    try:
        data = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError) as e:
        raise cni.error((*path, "file"), f"cannot read {file}: {e}") from None
    except json.JSONDecodeError as e:
        raise cni.error((*path, "file"), f"{file}:{e.lineno}: not JSON: {e.msg}") from None
    if not isinstance(data, dict):
        raise cni.error((*path, "file"), f"{file} is not a conflist (a JSON object)")
    return data


def _check_plugin(cni: Cni, plugin: object, path: tuple) -> None:
    if not isinstance(plugin, dict) or not isinstance(plugin.get("type"), str):
        raise cni.error(path, "a plugin is a mapping with a type", "{type: bridge, ...}")
    kind = plugin["type"]
    if kind in LATER:
        raise cni.error((*path, "type"), f"netsim does not model the {LATER[kind]} plugin yet",
                        ", ".join(cni.plugins))
    if kind not in cni.plugins:
        raise cni.error((*path, "type"), f'failed to find plugin "{kind}" in path '
                        "[/usr/lib/cni] (not a reference plugin)", ", ".join(cni.plugins))
