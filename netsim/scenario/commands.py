"""`commands:` — the docker CLI lines a tutorial gives, as printed, turned into scenario entries.

    commands:
      docker1: |
        sudo docker network create -d macvlan
        --subnet=192.168.1.0/24 --gateway=192.168.1.1 -o parent=eth0
        pubnet
        docker run -itd --name web --network pubnet -p 8080:80 nginx

Read as a tutorial prints them: a leading `sudo` or prompt (`$ `, `[root@host ~]# `), lines
that continue the command before them (a backslash, or simply not starting with `docker`: a
flag, the network's name, the container's own command), combined short flags (`-itd`).
Supported: `docker network create|connect|disconnect|rm`, `docker run` (`container run`),
`docker rm|stop`, and, with nothing to do, `docker swarm init|join`, `exec`, `ps`, `inspect`,
`logs`, `port`, `pull`, `network ls|inspect`. Flags that change nothing netsim models
(volumes, limits, capabilities, restart, environment) are accepted with a note. Each line
becomes the same data a `networks:` / `containers:` entry would hold, appended after them in
order, so schema and model errors point at the line.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable

from netsim.errors import ScenarioError
from netsim.scenario import shell
from netsim.scenario.schema import V6ONLY
from netsim.scenario.yamlpos import Positions

PROMPT = re.compile(r"^(\[[^\]]*\][#$]|\$)\s+")  # "[root@docker001 ~]# ", "$ "
# a shell inside a container, as tutorials print it after `docker attach` / `docker exec -it`:
# busybox's "/ # ", bash's "root@3b2f0c1e:/# "
INSIDE = re.compile(r"^([/~][^\s#$]*|[\w.-]+@[\w.-]+:[/~][^\s#$]*)\s?[#$]\s+")
TYPED = "\0typed "  # marks a line typed into a container, not run on the host
DETACH = "\0detach"  # CTRL+p CTRL+q, as tutorials print the detach sequence
_DETACH = re.compile(r"^ctrl\s*[-+]\s*p\s*,?\s*ctrl\s*[-+]\s*q$", re.I)
# after `docker attach` the container's root prompt is `# `: `# ping ...` is typed, not a comment
_ATTACHING = re.compile(r"^docker\s+(container\s+)?(attach\s|exec\s.*-\w*i.*\s(sh|ash|bash|"
                        r"/bin/sh|/bin/ash|/bin/bash)$)")


class CommandError(ValueError):
    pass


def _split_short(argv: list[str], flags: dict[str, str], switches: dict[str, str]) -> list[str]:
    """`-itd` -> `-i -t -d`; `-dp 80:80` -> `-d -p 80:80` (the last letter may take a value)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        if not (re.fullmatch(r"-[A-Za-z]{2,}", arg) and arg not in flags and arg not in switches):
            out.append(arg)
            if not arg.startswith("-"):
                return out + argv[i + 1:]  # the image and the container's own command
            continue
        letters = [f"-{c}" for c in arg[1:]]
        if not all(x in switches for x in letters[:-1]) or letters[-1] not in {**switches,
                                                                              **flags}:
            raise CommandError(f"unknown shorthand flag: {arg}")
        out += letters
    return out


def _opts(argv: list[str], flags: dict[str, str], switches: dict[str, str],
          repeat: set[str], notes: list[str] | None = None) -> tuple[dict, list[str]]:
    """Docker-style options: `--flag value`, `--flag=value`, `-f value`; switches take none.
    Flags of IGNORED are accepted and noted: they change nothing netsim models."""
    out: dict = {}
    rest: list[str] = []
    argv = _split_short(argv, flags, switches)
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
        if notes is not None and name in IGNORED:
            takes_value = IGNORED[name]
            notes.append(f"{name} accepted: it changes nothing netsim models")
            i += 1 if (eq or not takes_value) else 2
            continue
        if name == "--ipv4" and value.lower() in ("false", "0"):
            raise CommandError(V6ONLY)
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
NET_SWITCHES = {"--internal": "internal", "--attachable": "attachable", "--ipv6": "ipv6"}
RUN_FLAGS = {"--name": "name", "--network": "network", "--net": "network",
             "--network-alias": "alias", "--alias": "alias", "--ip": "ip", "--ip6": "ip6",
             "-p": "publish",
             "--publish": "publish", "--expose": "expose", "--link": "link",
             "--hostname": "hostname", "-h": "hostname", "--dns": "dns", "--add-host": "add_host"}
RUN_SWITCHES = {"-d": "detach", "--detach": "detach", "--rm": "rm", "-i": "i",
                "--interactive": "i", "-t": "t", "--tty": "t", "-P": "publish_all",
                "--publish-all": "publish_all"}
# flags that change nothing netsim models: accepted with a note (True: the flag takes a value)
IGNORED = {f: True for f in (
    "-e", "--env", "--env-file", "--entrypoint", "-w", "--workdir", "-u", "--user", "-l",
    "--label", "--restart", "-v", "--volume", "--mount", "--volumes-from", "--tmpfs", "-m",
    "--memory", "--memory-swap", "--memory-reservation", "--cpus", "-c", "--cpu-shares",
    "--cpuset-cpus", "--pids-limit", "--cap-add", "--cap-drop", "--security-opt", "--device",
    "--ulimit", "--log-driver", "--log-opt", "--shm-size", "--stop-signal", "--stop-timeout",
    "--health-cmd", "--health-interval", "--health-retries", "--health-timeout", "--pull",
    "--platform", "--runtime", "--gpus", "--dns-search", "--dns-option", "--group-add",
    "--mac-address", "--sysctl", "--label-file", "--cgroupns", "--ipc", "--pid", "--uts")}
IGNORED |= {f: False for f in ("--privileged", "--init", "--read-only", "--no-healthcheck",
                               "--oom-kill-disable", "--sig-proxy")}
CONNECT_FLAGS = {"--alias": "alias", "--ip": "ip", "--ip6": "ip6"}
REPEAT = {"aux", "opt", "publish", "expose", "link", "alias", "network", "dns", "add_host",
          "subnet"}


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
    subnets = o.get("subnet", [])
    if subnets:  # --subnet once per family: [IPv4, IPv6] (schema.Network reads either)
        net["subnet"] = subnets[0] if len(subnets) == 1 else subnets
    for key in ("gateway", "ip_range"):
        if key in o:
            net[key] = o[key]
    if o.get("ipv6"):
        net["ipv6"] = True
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
    notes = data.setdefault("_notes", [])
    o, rest = _opts(argv, RUN_FLAGS, RUN_SWITCHES, REPEAT, notes)
    if not rest:
        raise CommandError('"docker run" requires at least 1 argument (the image)')
    name = o.get("name") or _unnamed(rest[0], data)
    nets = o.get("network", [])
    ctr: dict = {"host": host, "image": rest[0]}
    aliases, ip, ip6 = o.get("alias", []), o.get("ip"), o.get("ip6")
    if len(nets) > 1 or aliases or ip or ip6:
        ctr["networks"] = {}
        for i, n in enumerate(nets or ["bridge"]):
            entry: dict = {}
            if i == 0 and aliases:
                entry["aliases"] = aliases
            if i == 0 and ip:
                entry["ip"] = ip
            if i == 0 and ip6:
                entry["ip6"] = ip6
            ctr["networks"][n] = entry
    elif nets:
        ctr["network"] = nets[0]
    for key, target in (("publish", "ports"), ("expose", "expose"), ("link", "links"),
                        ("dns", "dns")):
        if o.get(key):
            ctr[target] = list(o[key])
    if o.get("add_host"):
        ctr["add_hosts"] = _add_hosts(o["add_host"])
    if o.get("publish_all"):
        ctr["publish_all"] = True
    if "hostname" in o:
        ctr["hostname"] = o["hostname"]
    if name in data["containers"]:
        if not data["containers"][name].get("removed"):
            raise CommandError(f'Conflict. The container name "/{name}" is already in use')
        _retire(data, name)  # removed earlier: its entry keeps its place under another key
    data["containers"][name] = ctr
    for entry, key in data.pop("_pending", []):  # connected / removed just before this run
        entry[key] = name
    if o.get("i") and not o.get("detach"):  # `docker run -it`: the terminal is its shell now
        data["_attached"] = name
    return "containers", name


def _unnamed(image: str, data: dict) -> str:
    """Docker names an unnamed container at random; netsim says which name it gives."""
    base = re.sub(r"[^a-zA-Z0-9_.-]", "-", image.rsplit("/", 1)[-1].split(":")[0]) or "ctr"
    n = 1
    while f"{base}-{n}" in data["containers"]:
        n += 1
    data["_notes"].append(f"docker run {image} without --name: netsim calls it {base}-{n}")
    return f"{base}-{n}"


def _add_hosts(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        host, sep, ip = item.partition(":")  # --add-host db.local:10.0.0.5 (or db.local=...)
        if not sep:
            host, sep, ip = item.partition("=")
        if not sep:
            raise CommandError(f"invalid argument \"{item}\" for \"--add-host\" flag: bad "
                               "format for add-host")
        out[host] = ip
    return out


def _retire(data: dict, name: str) -> None:
    """A removed container's entry moves to `NAME-rmN`, so the name can be used again."""
    n = 1
    while f"{name}-rm{n}" in data["containers"]:
        n += 1
    new = f"{name}-rm{n}"
    data["containers"] = {(new if k == name else k): v for k, v in data["containers"].items()}
    for ctr in data["containers"].values():  # "removed before NAME ran" meant that NAME
        for entry in [ctr, *(ctr.get("networks") or {}).values()]:
            for key in ("removed", "connect"):
                if entry.get(key) == name:
                    entry[key] = new


def remove(host: str, argv: list[str], data: dict) -> None:
    """`docker rm [-f] NAME...` / `docker stop NAME...`: its addresses and ports are free again
    for the containers that start after it (Docker reuses a freed address at once)."""
    o, rest = _opts(argv, {}, {"-f": "force", "--force": "force", "-v": "volumes",
                                "--volumes": "volumes", "-t": "t"}, set())
    if not rest:
        raise CommandError('"docker rm" requires at least 1 argument')
    stopped = data.setdefault("_stopped", set())
    for name in rest:
        ctr = data["containers"].get(name)
        if ctr is not None and ctr.get("removed") and name in stopped:
            stopped.discard(name)  # `docker stop` then `docker rm`: removed already
            continue
        if ctr is None or ctr.get("removed"):
            raise CommandError(f"Error response from daemon: No such container: {name}")
        if not o.get("force") and not data.get("_stopping"):
            raise CommandError(f"Error response from daemon: You cannot remove a running "
                               f"container {name}. Stop the container before attempting "
                               "removal or force remove")
        ctr["removed"] = True  # at the end, unless a later `docker run` comes first
        data.setdefault("_pending", []).append((ctr, "removed"))
        if data.get("_stopping"):
            stopped.add(name)
    data.pop("_stopping", None)


def stop(host: str, argv: list[str], data: dict) -> None:
    data["_stopping"] = True  # a stopped container holds no address (rm then removes it)
    remove(host, ["-f", *argv], data)


def _networks_of(data: dict, name: str) -> dict:
    """The running container's entry, its `network:` turned into a `networks:` map."""
    ctr = data["containers"].get(name)
    if ctr is None or ctr.get("removed"):
        raise CommandError(f"No such container: {name}")
    if "networks" not in ctr:
        ctr["networks"] = {ctr.pop("network", "bridge"): {}}
    return ctr


def network_connect(host: str, argv: list[str], data: dict) -> tuple[str, str]:
    o, rest = _opts(argv, CONNECT_FLAGS, {}, REPEAT)
    if len(rest) != 2:
        raise CommandError("docker network connect needs NETWORK CONTAINER")
    net, name = rest
    ctr = _networks_of(data, name)
    entry: dict = {"connect": True}  # at the end, unless a later `docker run` comes first
    if o.get("alias"):
        entry["aliases"] = o["alias"]
    for key in ("ip", "ip6"):
        if o.get(key):
            entry[key] = o[key]
    ctr["networks"][net] = entry
    data.setdefault("_pending", []).append((entry, "connect"))
    return "containers", name


def network_disconnect(host: str, argv: list[str], data: dict) -> tuple[str, str]:
    _, rest = _opts(argv, {}, {"-f": "force", "--force": "force"}, set())
    if len(rest) != 2:
        raise CommandError("docker network disconnect needs NETWORK CONTAINER")
    net, name = rest
    ctr = _networks_of(data, name)
    if net not in ctr["networks"]:
        raise CommandError(f"Error response from daemon: container {name} is not connected to "
                           f"network {net}")
    ctr["networks"][net]["removed"] = True  # at the end, unless a later `docker run` comes first
    data.setdefault("_pending", []).append((ctr["networks"][net], "removed"))
    return "containers", name


def network_rm(host: str, argv: list[str], data: dict) -> None:
    _, rest = _opts(argv, {}, {"-f": "force", "--force": "force"}, set())
    if not rest:
        raise CommandError('"docker network rm" requires at least 1 argument')
    for net in rest:
        if net not in data["networks"]:
            raise CommandError(f"Error response from daemon: network {net} not found")
        users = [n for n, c in data["containers"].items() if not c.get("removed") and (
            c.get("network") == net or net in (c.get("networks") or {}))]
        if users:
            raise CommandError(f"Error response from daemon: error while removing network: "
                               f"network {net} has active endpoints ({', '.join(users)})")
        del data["networks"][net]  # its subnet is free for the networks created after it


def _ignore(host: str, argv: list[str], data: dict) -> None:
    return None


def _read_only(host: str, argv: list[str], data: dict) -> None:
    """`docker container ls`, `docker network inspect`, ...: they show, they change nothing."""
    data["_notes"].append("shows what is there and changes nothing: nothing to build")


def attach(host: str, argv: list[str], data: dict) -> None:
    """`docker attach NAME`: the lines a tutorial types next are typed into NAME."""
    rest = [a for a in argv if not a.startswith("-")]
    if not rest:
        raise CommandError('"docker attach" requires exactly 1 argument')
    if rest[-1] not in data["containers"]:
        raise CommandError(f"Error response from daemon: No such container: {rest[-1]}")
    data["_attached"] = rest[-1]


def typed(host: str, line: str, data: dict) -> None:
    """A line typed into a container (after `docker attach`, or at its shell's prompt): a
    probe when it is one (netsim.scenario.shell), else a note."""
    into = data.get("_attached")
    if into is None:
        data["_notes"].append(f"typed at a container's prompt, but no `docker attach` or "
                              f"`docker exec -it` says which container: `{line}` is no probe")
        return
    if line.split() == ["exit"]:  # the shell ends; with `docker run -it`, the container too
        data["_attached"] = None
        data["_notes"].append(f"`exit` leaves {into}'s shell (a `docker run -it` container "
                              "stops with it): netsim keeps it up, as the tutorial tested it")
        return
    got = shell.read(into, line, data["_line"])
    if isinstance(got, str):
        data["_notes"].append(f"typed into {into}: {got}")
    else:
        data["_typed"].append(got)


# docker exec's own flags: the container is the first word after them, its command the rest
EXEC_FLAGS = {"-e": "env", "--env": "env", "-u": "user", "--user": "user", "-w": "workdir",
              "--workdir": "workdir", "--env-file": "env_file", "--detach-keys": "keys"}
EXEC_SWITCHES = {"-i": "i", "--interactive": "i", "-t": "t", "--tty": "t", "-d": "detach",
                 "--detach": "detach", "--privileged": "privileged"}
SHELLS = {"sh", "ash", "bash", "/bin/sh", "/bin/ash", "/bin/bash"}


def exec_(host: str, argv: list[str], data: dict) -> None:
    """`docker exec [-it] NAME CMD...`: CMD typed into NAME; a shell (`sh`) attaches to it."""
    words = _split_short(argv, EXEC_FLAGS, EXEC_SWITCHES)
    at = 0
    while at < len(words) and words[at].startswith("-"):
        flag = words[at].partition("=")[0]
        if flag not in EXEC_FLAGS and flag not in EXEC_SWITCHES:
            raise CommandError(f"unknown flag: {flag}")
        at += 1 + (flag in EXEC_FLAGS and "=" not in words[at])
    if len(words) < at + 2:
        raise CommandError('"docker exec" requires at least 2 arguments')
    name, cmd = words[at], words[at + 1:]
    ctr = data["containers"].get(name)
    if ctr is None or ctr.get("removed"):
        raise CommandError(f"Error response from daemon: No such container: {name}")
    if cmd[0] in SHELLS and cmd[1:2] == ["-c"] and len(cmd) > 2:
        cmd = shlex.split(cmd[2])
    data["_attached"] = name
    if cmd[0] in SHELLS and len(cmd) == 1:
        return  # an interactive shell: the lines typed next go into it
    typed(host, shlex.join(cmd), data)


VERBS: dict[tuple[str, ...], Callable] = {
    ("network", "create"): network_create,
    ("run",): run,
    ("container", "run"): run,
    ("network", "connect"): network_connect,
    ("network", "disconnect"): network_disconnect,
    ("network", "rm"): network_rm,
    ("network", "remove"): network_rm,
    ("rm",): remove,
    ("container", "rm"): remove,
    ("stop",): stop,
    ("container", "stop"): stop,
    ("swarm", "init"): _ignore,
    ("swarm", "join"): _ignore,
    ("network", "ls"): _ignore,
    ("network", "inspect"): _ignore,
    ("exec",): exec_,
    ("container", "exec"): exec_,
    ("ps",): _ignore,
    ("inspect",): _ignore,
    ("logs",): _ignore,
    ("port",): _ignore,
    ("pull",): _ignore,
    ("images",): _ignore,
    ("attach",): attach,
    ("container", "attach"): attach,
    **{verb: _read_only for verb in (
        ("container", "ls"), ("container", "list"), ("container", "ps"), ("container", "inspect"),
        ("container", "logs"), ("container", "port"), ("container", "top"), ("top",),
        ("stats",), ("container", "stats"), ("network", "list"),
        ("version",), ("info",), ("image", "ls"), ("image", "pull"), ("image", "list"))},
}


# the verbs a tutorial ends with: taking the lab down is `netsim down`'s job (see expand)
CLEANUP = {("stop",), ("container", "stop"), ("rm",), ("container", "rm"), ("network", "rm"),
           ("network", "remove")}


def expand(data: dict, pos: Positions) -> tuple[list[tuple[str, str]], list[shell.Typed]]:
    """Turn `commands:` into networks / containers entries, in place; return the notes
    (flags accepted that change nothing, names netsim gave) as (id, sentence), and the probes
    typed into containers, in order. A tutorial's closing clean-up (the `docker stop|rm` lines
    it ends with) is checked as Docker would check it, then left undone: the lab stands as the
    tutorial tested it, and `netsim down` takes it down."""
    commands = data.get("commands")
    if not isinstance(commands, dict) or not commands:
        return [], []
    for key in ("networks", "containers"):
        if data.get(key) is None:
            data[key] = {}
    data["_notes"], data["_typed"] = [], []
    notes: list[tuple[str, str]] = []
    for host, text in commands.items():
        start = pos.values.get(("commands", host), (1, 1))[0]
        lines = _lines(str(text))
        first = _cleanup_from(lines)
        kept = None
        for i, (lineno, line) in enumerate(lines):
            where = pos.where(("commands", host))
            where.line, where.column = start + lineno, None
            if i == first:
                kept = copy.deepcopy({k: data[k] for k in ("networks", "containers")})
                notes.append(("command", f"commands.{host} line {where.line}: the tutorial's "
                              "clean-up from here is checked, not done: the lab stands as "
                              "the tutorial tested it (`netsim down` takes it down)"))
            before = len(data["_notes"])
            data["_line"] = where.line
            made = _one(host, line, data, where)
            notes += [("command", f"commands.{host} line {where.line}: {n}")
                      for n in data["_notes"][before:]]
            if made and kept is None:
                pos.values[made] = (where.line, 1)
                pos.keys[made] = (where.line, 1)
        if kept is not None:
            data.update(kept)
        data["_attached"] = None  # each host's shell is its own
    typed = data["_typed"]
    for key in ("_notes", "_pending", "_stopping", "_attached", "_stopped", "_typed", "_line"):
        data.pop(key, None)
    return notes, typed


def _cleanup_from(lines: list[tuple[int, str]]) -> int | None:
    """Where the closing clean-up starts: the last lines, if all are clean-up or read-only
    verbs and one at least cleans up (and something came before them)."""
    first = None
    for i in range(len(lines) - 1, 0, -1):
        verb = _verb(lines[i][1])
        if verb in CLEANUP:
            first = i
        elif verb is None or VERBS[verb] not in (_read_only, _ignore):
            break
    return first


def _verb(line: str) -> tuple[str, ...] | None:
    if line.startswith((TYPED, DETACH)):
        return None
    try:
        argv = shlex.split(line)
    except ValueError:
        return None
    return _verb_of(argv) if argv[:1] == ["docker"] else None


def _verb_of(argv: list[str]) -> tuple[str, ...] | None:
    """The VERBS key `docker ...` names (`network create`, `run`, ...)."""
    return next((v for v in VERBS if tuple(argv[1:1 + len(v)]) == v), None)


def _one(host: str, line: str, data: dict, where) -> tuple[str, str] | None:
    if line.startswith(TYPED):
        return typed(host, line.removeprefix(TYPED), data)
    if line == DETACH:
        data["_attached"] = None
        return None
    try:
        argv = shlex.split(line)
    except ValueError as e:
        raise ScenarioError(f"cannot split this line: {e}", where) from None
    if argv[:1] != ["docker"]:
        if shell.reads(argv):
            data["_notes"].append(f"`{argv[0]}` on the host shows what is there and changes "
                                  "nothing: nothing to build")
            return None
        raise ScenarioError(f"not a docker command: {line}", where,
                            "docker network create / docker run / docker network connect")
    verb = _verb_of(argv)
    if verb is None:
        raise ScenarioError(f"netsim does not simulate `{' '.join(argv[:3])}`", where,
                            ", ".join("docker " + " ".join(v) for v in VERBS))
    try:
        return VERBS[verb](host, argv[1 + len(verb):], data)
    except CommandError as e:
        raise ScenarioError(f"{e}", where) from None


def _clean(raw: str) -> str:
    """A tutorial's line: no prompt, no leading sudo."""
    line = PROMPT.sub("", raw.strip())
    while line.startswith("sudo "):
        line = line[5:].lstrip()
    return line


def _lines(text: str) -> list[tuple[int, str]]:
    """Logical commands with the index of their first line; comments dropped. A command goes
    on over a line ending in a backslash, and over the lines a tutorial breaks it into: a line
    starting with a flag, the NAME a `network create` still lacks, and after a `docker run`
    the container's own command (what follows the image). After `docker attach`, a `# TOOL`
    line is typed into the container (its root prompt), until the detach sequence."""
    out: list[tuple[int, str]] = []
    glue = attached = False
    tools = shell.tools()
    for i, raw in enumerate(text.splitlines()):
        inside = INSIDE.match(raw.strip() + " ")
        root = attached and re.match(r"^#\s+(\S+)", raw.strip())
        if inside or (root and root.group(1) in tools):
            at = inside.end() if inside else 1
            typed_line = (raw.strip() + " ")[at:].strip()
            if typed_line:
                out.append((i, TYPED + typed_line))
            glue = False
            continue
        line = _clean(raw)
        if _DETACH.match(line):
            out.append((i, DETACH))
            glue = attached = False
            continue
        if not line or line.startswith("#"):
            glue = glue and bool(line)
            continue
        joined = line.endswith("\\")
        line = line[:-1].rstrip() if joined else line
        prompted = bool(PROMPT.match(raw.strip()))  # a prompt starts a command of its own
        if out and (glue or (not prompted and _continues(out[-1][1], line))):
            out[-1] = (out[-1][0], f"{out[-1][1]} {line}")
        else:
            out.append((i, line))
        attached = bool(_ATTACHING.match(out[-1][1])) or (attached and not out[-1][1].startswith(
            "docker"))
        glue = joined
    return out


def _continues(command: str, line: str) -> bool:
    if line.startswith("docker") or command.startswith((TYPED, DETACH)):
        return False
    if line.startswith("-"):
        return True
    words = command.split()
    if words[1:3] == ["network", "create"]:
        return not any(not w.startswith("-") for w in _positionals(words[3:], NET_FLAGS))
    return words[1:2] == ["run"] or words[1:3] == ["container", "run"]


def _positionals(words: list[str], flags: dict[str, str]) -> list[str]:
    """The words that are not flags nor flag values."""
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w.startswith("-"):
            skip = "=" not in w and w in flags
        else:
            out.append(w)
    return out
