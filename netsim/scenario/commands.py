"""`commands:` — the docker CLI lines a tutorial gives, turned into scenario entries.

    commands:
      docker1: |
        docker network create -d macvlan --subnet=192.168.1.0/24 -o parent=eth0 pubnet
        docker run -d --name web --network pubnet -p 8080:80 nginx

Supported: `docker network create`, `docker run` (`docker container run`), `docker network
connect`, and `docker swarm init|join` (accepted, nothing to do: every host joins the swarm when
an overlay exists). Each line becomes the same data a `networks:` / `containers:` entry would
hold, appended after them in order, so schema and model errors point at the line.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable

from netsim.errors import ScenarioError
from netsim.scenario.yamlpos import Positions


class CommandError(ValueError):
    pass


def _opts(argv: list[str], flags: dict[str, str], switches: dict[str, str],
          repeat: set[str]) -> tuple[dict, list[str]]:
    """Docker-style options: `--flag value`, `--flag=value`, `-f value`; switches take none."""
    out: dict = {}
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-") or arg == "-":
            rest = argv[i:]
            break
        name, eq, value = arg.partition("=")
        if name in switches:
            out[switches[name]] = True
            i += 1
            continue
        if name not in flags:
            known = sorted({*flags, *switches})
            raise CommandError(f"unknown flag: {name} (netsim understands {', '.join(known)})")
        if not eq:
            if i + 1 >= len(argv):
                raise CommandError(f"flag needs an argument: {name}")
            value = argv[i + 1]
            i += 1
        key = flags[name]
        if key in repeat:
            out.setdefault(key, []).append(value)
        else:
            out[key] = value
        i += 1
    return out, rest


NET_FLAGS = {"-d": "driver", "--driver": "driver", "--subnet": "subnet", "--gateway": "gateway",
             "--ip-range": "ip_range", "--aux-address": "aux", "-o": "opt", "--opt": "opt",
             "--label": "label"}
NET_SWITCHES = {"--internal": "internal", "--attachable": "attachable"}
RUN_FLAGS = {"--name": "name", "--network": "network", "--net": "network",
             "--network-alias": "alias", "--ip": "ip", "-p": "publish", "--publish": "publish",
             "--expose": "expose", "--link": "link", "--hostname": "hostname", "-h": "hostname",
             "-e": "env", "--env": "env", "--entrypoint": "entrypoint", "--restart": "restart",
             "-v": "volume", "--volume": "volume", "-w": "workdir", "--label": "label"}
RUN_SWITCHES = {"-d": "detach", "--detach": "detach", "--rm": "rm", "-it": "it", "-i": "i",
                "-t": "t", "-P": "publish_all", "--publish-all": "publish_all",
                "--privileged": "privileged", "-dit": "detach"}
CONNECT_FLAGS = {"--alias": "alias", "--ip": "ip"}
REPEAT = {"aux", "opt", "publish", "expose", "link", "env", "volume", "label", "alias",
          "network"}


def _kv(items: list[str], what: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise CommandError(f"{what} must be KEY=VALUE: {item}")
        out[key] = value
    return out


def network_create(host: str, argv: list[str], data: dict) -> tuple[str, str]:
    o, rest = _opts(argv, NET_FLAGS, NET_SWITCHES, REPEAT)
    if len(rest) != 1:
        raise CommandError("docker network create needs exactly one NAME")
    name = rest[0]
    opts = _kv(o.get("opt", []), "-o")
    net: dict = {"driver": o.get("driver", "bridge")}
    if net["driver"] != "overlay":
        net["host"] = host
    for key in ("subnet", "gateway", "ip_range"):
        if key in o:
            net[key] = o[key]
    if o.get("aux"):
        net["aux_addresses"] = _kv(o["aux"], "--aux-address")
    if o.get("internal"):
        net["internal"] = True
    if "parent" in opts:
        net["parent"] = opts.pop("parent")
    if "macvlan_mode" in opts:
        net["mode"] = opts.pop("macvlan_mode")
    if opts:
        net["options"] = opts
    if name in data["networks"]:
        raise CommandError(f"network with name {name} already exists")
    data["networks"][name] = net
    return "networks", name


def run(host: str, argv: list[str], data: dict) -> tuple[str, str]:
    o, rest = _opts(argv, RUN_FLAGS, RUN_SWITCHES, REPEAT)
    if not rest:
        raise CommandError('"docker run" requires at least 1 argument (the image)')
    name = o.get("name")
    if not name:
        raise CommandError("give the container a --name: expectations refer to it")
    nets = o.get("network", [])
    ctr: dict = {"host": host, "image": rest[0]}
    aliases, ip = o.get("alias", []), o.get("ip")
    if len(nets) > 1 or aliases or ip:
        ctr["networks"] = {}
        for i, n in enumerate(nets or ["bridge"]):
            entry: dict = {}
            if i == 0 and aliases:
                entry["aliases"] = aliases
            if i == 0 and ip:
                entry["ip"] = ip
            ctr["networks"][n] = entry
    elif nets:
        ctr["network"] = nets[0]
    for key, target in (("publish", "ports"), ("expose", "expose"), ("link", "links")):
        if o.get(key):
            ctr[target] = list(o[key])
    if o.get("publish_all"):
        ctr["publish_all"] = True
    if "hostname" in o:
        ctr["hostname"] = o["hostname"]
    if name in data["containers"]:
        raise CommandError(f'Conflict. The container name "/{name}" is already in use')
    data["containers"][name] = ctr
    return "containers", name


def network_connect(host: str, argv: list[str], data: dict) -> tuple[str, str]:
    o, rest = _opts(argv, CONNECT_FLAGS, {}, REPEAT)
    if len(rest) != 2:
        raise CommandError("docker network connect needs NETWORK CONTAINER")
    net, name = rest
    ctr = data["containers"].get(name)
    if ctr is None:
        raise CommandError(f"No such container: {name}")
    if "networks" not in ctr:
        ctr["networks"] = {ctr.pop("network", "bridge"): {}}
    entry: dict = {"connect": True}
    if o.get("alias"):
        entry["aliases"] = o["alias"]
    if o.get("ip"):
        entry["ip"] = o["ip"]
    ctr["networks"][net] = entry
    return "containers", name


def _ignore(host: str, argv: list[str], data: dict) -> None:
    return None


VERBS: dict[tuple[str, ...], Callable] = {
    ("network", "create"): network_create,
    ("run",): run,
    ("container", "run"): run,
    ("network", "connect"): network_connect,
    ("swarm", "init"): _ignore,
    ("swarm", "join"): _ignore,
}


def expand(data: dict, pos: Positions) -> None:
    """Turn `commands:` into networks / containers entries, in place."""
    commands = data.get("commands")
    if not isinstance(commands, dict) or not commands:
        return
    data.setdefault("networks", {})
    data.setdefault("containers", {})
    if data["networks"] is None:
        data["networks"] = {}
    if data["containers"] is None:
        data["containers"] = {}
    for host, text in commands.items():
        start = pos.values.get(("commands", host), (1, 1))[0]
        for lineno, line in _lines(str(text)):
            where = pos.where(("commands", host))
            where.line, where.column = start + lineno, None
            try:
                argv = shlex.split(line)
            except ValueError as e:
                raise ScenarioError(f"cannot split this line: {e}", where) from None
            if argv[:1] != ["docker"]:
                raise ScenarioError(f"not a docker command: {line}", where,
                                    "docker network create / docker run / docker network connect")
            verb = next((v for v in VERBS if tuple(argv[1:1 + len(v)]) == v), None)
            if verb is None:
                raise ScenarioError(f"netsim does not simulate `{' '.join(argv[:3])}`", where,
                                    ", ".join("docker " + " ".join(v) for v in VERBS))
            try:
                made = VERBS[verb](host, argv[1 + len(verb):], data)
            except CommandError as e:
                raise ScenarioError(f"{e}", where) from None
            if made:
                pos.values[made] = (where.line, 1)
                pos.keys[made] = (where.line, 1)


def _lines(text: str) -> list[tuple[int, str]]:
    """Logical lines (backslash continuations joined), without comments; with their index."""
    out, buf, first = [], "", None
    for i, raw in enumerate(text.splitlines()):
        line = raw.strip()
        if first is None:
            first = i
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip() and not buf.strip().startswith("#"):
            out.append((first, buf.strip()))
        buf, first = "", None
    return out
