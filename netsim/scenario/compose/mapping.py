"""A merged Compose project as a netsim scenario, mapped as Docker Compose (v2) creates it on
one engine: networks `<project>_<net>` (and `<project>_default` for services that name none),
containers `<project>-<service>-<n>`, each service's name an alias on its networks, created
in `depends_on` order. netsim's own keys ride in the `x-netsim` extension key: at the top
(`expect`, `lan`, `hosts`, `docker`, `name`, `images`, `host`) and in a service (`host`,
`listen`). Every netsim value remembers the Compose place it came from, so a later error
(the runtime's, Docker's words) points into the Compose file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from netsim.errors import ScenarioError, Where
from netsim.scenario.compose.files import Project
from netsim.scenario.schema import V6ONLY
from netsim.scenario.yamlpos import Places

DEFAULT_HOST = "docker1"
# x-netsim's keys and the YAML shape each takes (the scenario's own checks do the rest)
TOP_SHAPES = {"expect": list, "lan": dict, "hosts": dict, "docker": dict, "name": str,
              "images": dict, "host": str, "networks": dict}
TOP_KEYS = tuple(TOP_SHAPES)
SHAPE_WORDS = {list: "a list", dict: "a mapping of key: value", str: "text"}
# how an external network was made (`docker network create -d D --subnet S NAME`), by name
EXTERNAL_KEYS = ("driver", "subnet", "gateway", "ip_range", "internal", "options", "parent")
SERVICE_KEYS = ("host", "listen")
# service keys that change what netsim models; every other compose key (environment,
# volumes, command, healthcheck, ...) changes nothing on the network and is accepted as is
NOTED = {"sysctls": "sysctls are not applied (netsim sets no container sysctl)",
         "mac_address": "mac_address is not applied: Docker's generated MAC is modelled",
         "dns_search": "dns_search is not modelled", "dns_opt": "dns_opt is not modelled",
         "external_links": "external_links are not modelled"}
MAX_DEPTH = 100  # a depends_on or extends chain: a real project's is a handful
MAX_CONTAINERS = 1000  # what scale / deploy.replicas may ask of one project, summed
BOOL_TEXT = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


@dataclass
class Mapped:
    data: dict
    places: Places
    notes: list[tuple[str, str]] = field(default_factory=list)


def project_name(project: Project, extra: dict) -> str:
    """`name:`, else $COMPOSE_PROJECT_NAME, else the directory's name; lowercased, keeping
    what compose keeps (a-z, 0-9, '_', '-')."""
    raw = project.data.get("name") or os.environ.get("COMPOSE_PROJECT_NAME") \
        or project.directory.name
    name = re.sub(r"[^a-z0-9_-]", "", str(raw).lower()).lstrip("_-")
    if not name:
        raise ScenarioError(f"project name {raw!r} must not be empty: it needs a letter or "
                            "digit", project.where(("name",)), "[a-z0-9][a-z0-9_-]*")
    return name


class _Mapper:
    def __init__(self, project: Project):
        self.p = project
        self.extra = project.data.get("x-netsim") or {}
        if not isinstance(self.extra, dict):
            raise ScenarioError("x-netsim is a mapping", project.where(("x-netsim",)),
                                ", ".join(TOP_KEYS))
        for key in self.extra:
            if key not in TOP_KEYS:
                raise ScenarioError(f"x-netsim: unknown key {key!r}",
                                    project.where(("x-netsim", key)), ", ".join(TOP_KEYS))
            shape = TOP_SHAPES[key]
            if self.extra[key] is not None and not isinstance(self.extra[key], shape):
                raise ScenarioError(f"expected {SHAPE_WORDS[shape]}",
                                    project.where(("x-netsim", key)))
        self.project = project_name(project, self.extra)
        self.places: dict[tuple, Where] = {}
        self.notes: list[tuple[str, str]] = []
        self.services = {k: v or {} for k, v in (project.data.get("services") or {}).items()}
        self.active = {k: v for k, v in self.services.items() if _active(v)
                       and (not isinstance(v, dict) or _replicas(v) > 0)}
        total = sum(_replicas(v) for v in self.active.values() if isinstance(v, dict))
        if total > MAX_CONTAINERS:  # counted before one container is named
            big = max(self.active, key=lambda k: _replicas(self.active[k])
                      if isinstance(self.active[k], dict) else 0)
            raise ScenarioError(f"this project asks for {total:,} containers (scale, "
                                f"deploy.replicas): netsim builds at most {MAX_CONTAINERS:,}",
                                project.where(("services", big)))
        self.host = str(self.extra.get("host") or next(iter(self.extra.get("hosts") or {}),
                                                       DEFAULT_HOST))

    def place(self, netsim: tuple, compose: tuple) -> None:
        self.places[netsim] = self.p.where(compose)

    # -- names, as Compose makes them
    def net_name(self, key: str) -> str:
        spec = (self.p.data.get("networks") or {}).get(key) or {}
        if spec.get("name"):
            return str(spec["name"])
        if _external(spec):
            ext = spec.get("external")
            return str(ext.get("name")) if isinstance(ext, dict) and ext.get("name") else key
        return f"{self.project}_{key}"

    def containers_of(self, service: str) -> list[str]:
        svc = self.services[service]
        if svc.get("container_name"):
            return [str(svc["container_name"])]
        return [f"{self.project}-{service}-{i}" for i in range(1, _replicas(svc) + 1)]

    def first(self, service: str) -> str:
        return self.containers_of(service)[0]

    # -- the scenario
    def scenario(self) -> dict:
        lab = self.extra.get("name") or self.project.replace("_", "-")[:20].rstrip("-")
        if "name" not in self.extra and len(self.project) > 20:
            self.notes.append(("compose", f"project {self.project!r}: the lab is called {lab!r} "
                               "(a lab name prefixes namespaces: 20 characters at most; "
                               "x-netsim: {name: ...} picks another)"))
        out: dict = {"name": lab}
        self.place(("name",), ("x-netsim", "name") if "name" in self.extra else ("name",))
        for key in ("docker", "lan", "hosts", "images"):
            if key in self.extra:
                out[key] = self.extra[key]
                self.place((key,), ("x-netsim", key))
        out.setdefault("hosts", {self.host: {}})
        order = self.start_order()
        used = self.networks_used(order)
        out["networks"] = self.networks(used)
        out["containers"] = {}
        for service in order:
            self.service(service, out["containers"])
        if "expect" in self.extra:
            out["expect"] = self.expectations(self.extra["expect"], used)
        for service in self.services:
            if service not in self.active and _replicas(self.services[service]) == 0:
                self.notes.append(("compose", f"service {service!r} has scale 0: Compose "
                                   "creates no container for it"))
            elif service not in self.active:
                self.notes.append(("compose", f"service {service!r} is not started: its "
                                   "profiles are not active (COMPOSE_PROFILES)"))
        return out

    def start_order(self) -> list[str]:
        """depends_on first, as compose creates them; otherwise file order."""
        order: list[str] = []
        state: dict[str, str] = {}

        def visit(name: str, chain: tuple) -> None:
            if state.get(name) == "done":
                return
            if state.get(name) == "visiting":
                raise ScenarioError(f"dependency cycle detected: {' -> '.join((*chain, name))}",
                                    self.p.where(("services", chain[-1], "depends_on")))
            if len(chain) >= MAX_DEPTH:
                raise ScenarioError(f"depends_on chains more than {MAX_DEPTH} services deep",
                                    self.p.where(("services", name, "depends_on")))
            state[name] = "visiting"
            for dep in _deps(self.services[name]):
                if dep not in self.services:
                    raise ScenarioError(f'service "{name}" depends on undefined service '
                                        f'"{dep}": invalid compose project',
                                        self.p.where(("services", name, "depends_on", dep)),
                                        ", ".join(self.services))
                visit(dep, (*chain, name))
            state[name] = "done"
            if name in self.active:
                order.append(name)

        for name in self.services:
            if name in self.active:
                visit(name, ())
        return order

    def networks_used(self, order: list[str]) -> list[str]:
        declared = self.p.data.get("networks") or {}
        used: list[str] = []
        for name in order:
            svc = self.services[name]
            nets = svc.get("networks")
            if svc.get("network_mode") is not None:
                if nets:
                    raise ScenarioError(f"service {name} declares mutually exclusive "
                                        "`network_mode` and `networks`",
                                        self.p.where(("services", name, "network_mode")))
                continue
            for key in (nets or {"default": None}):
                if key not in declared and key != "default":
                    raise ScenarioError(f'service "{name}" refers to undefined network {key}: '
                                        "invalid compose project",
                                        self.p.where(("services", name, "networks", key)),
                                        ", ".join(declared) or None)
                if key not in used:
                    used.append(key)
        return [k for k in declared if k in used] + (["default"] if "default" in used
                                                     and "default" not in declared else [])

    def networks(self, used: list[str]) -> dict:
        declared = self.p.data.get("networks") or {}
        out: dict = {}
        for key in used:
            spec = declared.get(key) or {}
            name = self.net_name(key)
            at = ("networks", key)
            net: dict = {"host": self.host}
            self.place(("networks", name), at)
            if spec.get("driver"):
                net["driver"] = spec["driver"]
                self.place(("networks", name, "driver"), (*at, "driver"))
            opts = spec.get("driver_opts") or {}
            if opts:
                net["options"] = {str(k): str(v) for k, v in opts.items()}
                self.place(("networks", name, "options"), (*at, "driver_opts"))
            self.ipam(net, name, spec.get("ipam") or {}, at)
            for flag in ("internal", "attachable"):
                if flag in spec:
                    net[flag] = _bool(spec[flag], self.p.where((*at, flag)))
                    self.place(("networks", name, flag), (*at, flag))
            if "enable_ipv4" in spec and spec["enable_ipv4"] in (False, "false"):
                raise ScenarioError(V6ONLY, self.p.where((*at, "enable_ipv4")))
            if "enable_ipv6" in spec:  # --ipv6; its subnet is ipam's IPv6 config entry
                net["ipv6"] = _bool(spec["enable_ipv6"], self.p.where((*at, "enable_ipv6")))
                self.place(("networks", name, "ipv6"), (*at, "enable_ipv6"))
            if _external(spec):
                for bad in ("driver", "driver_opts", "ipam", "internal"):
                    if bad in spec:
                        raise ScenarioError(f'conflicting parameters "external" and "{bad}" '
                                            f'specified for network "{key}"',
                                            self.p.where((*at, bad)))
                self.external(net, key, name)
            out[name] = net
        return out

    def external(self, net: dict, key: str, name: str) -> None:
        """An external network exists before the project: `x-netsim: {networks: {NAME: ...}}`
        says how it was made (`docker network create --subnet ... NAME`); else a bridge."""
        given = self.extra.get("networks") or {}
        if not isinstance(given, dict):
            raise ScenarioError("x-netsim.networks maps an external network's name to how it "
                                "was made", self.p.where(("x-netsim", "networks")),
                                ", ".join(EXTERNAL_KEYS))
        made = given.get(name, given.get(key))
        if made is None:
            self.notes.append(("compose", f"network {key!r} is external: netsim creates "
                               f"{name!r} first, as `docker network create {name}` would have "
                               "(a bridge; x-netsim: {networks: {" + name + ": {subnet: ...}}} "
                               "says how it was made)"))
            return
        at = ("x-netsim", "networks", name if name in given else key)
        if not isinstance(made, dict):
            raise ScenarioError(f"x-netsim.networks.{name}: a mapping of how it was made",
                                self.p.where(at), ", ".join(EXTERNAL_KEYS))
        for k, v in made.items():
            if k not in EXTERNAL_KEYS:
                raise ScenarioError(f"x-netsim.networks.{name}: unknown key {k!r}",
                                    self.p.where((*at, k)), ", ".join(EXTERNAL_KEYS))
            net[k] = v
            self.place(("networks", name, k), (*at, k))
        self.notes.append(("compose", f"network {key!r} is external: netsim creates {name!r} "
                           "first, as x-netsim.networks says it was made"))

    def external_unknown(self, key: str) -> bool:
        """An external network nobody said the subnet of."""
        spec = (self.p.data.get("networks") or {}).get(key) or {}
        given = self.extra.get("networks") or {}
        made = given.get(self.net_name(key), given.get(key)) if isinstance(given, dict) else None
        return _external(spec) and not (isinstance(made, dict) and made.get("subnet"))

    def ipam(self, net: dict, name: str, ipam: dict, at: tuple) -> None:
        """ipam.config: one entry per family (like --subnet given once per family)."""
        entries = list(enumerate(ipam.get("config") or []))
        four = [(i, c) for i, c in entries if ":" not in str(c.get("subnet", ""))]
        six = [(i, c) for i, c in entries if ":" in str(c.get("subnet", ""))]
        for family, got in ((4, four), (6, six)):
            if len(got) > 1:
                raise ScenarioError(f"netsim models one IPv{family} subnet per network",
                                    self.p.where((*at, "ipam", "config", got[1][0])),
                                    "one config entry per address family")
        if ipam.get("driver") not in (None, "default"):
            raise ScenarioError(f"ipam driver {ipam['driver']!r} is not modelled",
                                self.p.where((*at, "ipam", "driver")), "default")
        for key in ("subnet", "gateway", "ip_range", "aux_addresses"):
            if four and key in four[0][1]:
                net[key] = four[0][1][key]
                self.place(("networks", name, key), (*at, "ipam", "config", four[0][0], key))
        if six:
            i, entry = six[0]
            for key in ("gateway", "ip_range", "aux_addresses"):
                if key in entry:
                    raise ScenarioError(f"netsim does not model an IPv6 {key} yet: Docker's "
                                        "own (the subnet's first address) is taken",
                                        self.p.where((*at, "ipam", "config", i, key)),
                                        "subnet only, for the IPv6 entry")
            net["subnet"] = [v for v in (net.get("subnet"), entry["subnet"]) if v is not None]
            self.place(("networks", name, "subnet"), (*at, "ipam", "config", i, "subnet"))

    def service(self, name: str, containers: dict) -> None:
        svc = self.services[name]
        at = ("services", name)
        own = svc.get("x-netsim") or {}
        for key in own:
            if key not in SERVICE_KEYS:
                raise ScenarioError(f"x-netsim: unknown key {key!r}",
                                    self.p.where((*at, "x-netsim", key)), ", ".join(SERVICE_KEYS))
        for key, words in NOTED.items():
            if key in svc:
                self.notes.append(("compose", f"services.{name}.{words}"))
        for k, cname in enumerate(self.containers_of(name)):
            c: dict = {"host": str(own.get("host") or self.host)}
            self.place(("containers", cname), at)
            self.attach(name, svc, c, cname, k)
            for key, value in self.simple(svc, at).items():
                c[key] = value
                self.place(("containers", cname, key), (*at, _FROM.get(key, key)))
            if "listen" in own:
                c["listen"] = own["listen"]
                self.place(("containers", cname, "listen"), (*at, "x-netsim", "listen"))
            elif svc.get("ports") or svc.get("expose"):
                c["listen"] = self.listens(svc)
                self.place(("containers", cname, "listen"), (*at, "ports"))
            containers[cname] = c

    def attach(self, name: str, svc: dict, c: dict, cname: str, k: int) -> None:
        at = ("services", name)
        mode = svc.get("network_mode")
        if mode is not None:
            c["network"] = self.mode(str(mode), (*at, "network_mode"))
            self.place(("containers", cname, "network"), (*at, "network_mode"))
            return
        nets = svc.get("networks") or {"default": None}
        c["networks"] = {}
        for key in _by_priority(nets):  # compose's NetworksByPriority: the first is primary
            spec = nets[key] or {}
            attach: dict = {"aliases": [name, *[str(a) for a in spec.get("aliases") or []]]}
            where = (*at, "networks", key)
            if spec.get("ipv4_address"):
                if k:
                    raise ScenarioError(f"service {name} has {_replicas(svc)} replicas and a "
                                        "fixed ipv4_address: only one container can have it",
                                        self.p.where((*where, "ipv4_address")))
                if self.external_unknown(key):
                    raise self.static_on_external(key, str(spec["ipv4_address"]), where)
                attach["ip"] = spec["ipv4_address"]
            if spec.get("ipv6_address"):  # --ip6
                if k:
                    raise ScenarioError(f"service {name} has {_replicas(svc)} replicas and a "
                                        "fixed ipv6_address: only one container can have it",
                                        self.p.where((*where, "ipv6_address")))
                attach["ip6"] = spec["ipv6_address"]
            if "gw_priority" in spec:
                attach["gw_priority"] = spec["gw_priority"]
            net = self.net_name(key)
            c["networks"][net] = attach
            self.place(("containers", cname, "networks", net), where)

    def static_on_external(self, key: str, ip: str, where: tuple) -> ScenarioError:
        """Docker's words, and where this project can say what Docker knew: the subnet the
        network was created with lives outside the project."""
        name = self.net_name(key)
        guess = ".".join(ip.split(".")[:3]) + ".0/24" if ip.count(".") == 3 else "..."
        return ScenarioError(
            "user specified IP address is supported only when connecting to networks with "
            f"user configured subnets: network {name!r} is external, made before this project "
            "by `docker network create`, and netsim does not know its subnet",
            self.p.where((*where, "ipv4_address")),
            f"say how it was made: x-netsim: {{networks: {{{name}: {{subnet: {guess}}}}}}} "
            f"(as `docker network create --subnet {guess} {name}`)")

    def mode(self, mode: str, where: tuple) -> str:
        kind, _, target = mode.partition(":")
        if kind == "service":
            if target not in self.services:
                raise ScenarioError(f"service {target!r} not found for network_mode "
                                    f"{mode!r}", self.p.where(where), ", ".join(self.services))
            return f"container:{self.first(target)}"
        if kind in ("host", "none", "bridge", "container"):
            return mode
        raise ScenarioError(f"network_mode {mode!r} is not valid", self.p.where(where),
                            "bridge, host, none, service:NAME, container:NAME")

    def simple(self, svc: dict, at: tuple) -> dict:
        """Keys with a netsim twin of (almost) the same shape."""
        out: dict = {}
        if svc.get("image"):
            out["image"] = str(svc["image"])
        if svc.get("ports"):
            out["ports"] = [_port(p) for p in svc["ports"]]
        if svc.get("expose"):
            out["expose"] = [_expose(e) for e in svc["expose"]]
        if svc.get("links"):
            out["links"] = [self.link(str(v), (*at, "links", i))
                            for i, v in enumerate(svc["links"])]
        if svc.get("hostname"):
            out["hostname"] = svc["hostname"]
        if svc.get("dns"):
            out["dns"] = [svc["dns"]] if isinstance(svc["dns"], str) else list(svc["dns"])
        if svc.get("extra_hosts"):
            out["add_hosts"] = _hosts(svc["extra_hosts"])
        return out

    def link(self, text: str, where: tuple) -> str:
        service, _, alias = text.partition(":")
        if service not in self.services:
            raise ScenarioError(f"service {service!r} not found for links",
                                self.p.where(where), ", ".join(self.services))
        return f"{self.first(service)}:{alias or service}"

    def listens(self, svc: dict) -> list[str]:
        """What the service listens on, when x-netsim does not say: the container side of
        its ports and what it exposes (the image's own ports otherwise, as for docker run)."""
        seen: list[str] = []
        for p in svc.get("ports") or []:
            target, proto = _target(p)
            seen += [f"{t}/{proto}" for t in _range(target)]
        for e in svc.get("expose") or []:
            port, _, proto = str(e).partition("/")
            seen += [f"{t}/{proto or 'tcp'}" for t in _range(port)]
        return list(dict.fromkeys(seen))

    def expectations(self, items: object, used: list[str]) -> object:
        if not isinstance(items, list):
            return items
        nets = {k: self.net_name(k) for k in used}
        out = []
        for i, item in enumerate(items):
            self.place(("expect", i), ("x-netsim", "expect", i))
            if not isinstance(item, dict):
                out.append(item)
                continue
            item = dict(item)
            # `by: name` probes resolve `to` inside the source: a DNS name, not a service
            keys = ("from", "run", "source") if item.get("by") else ("from", "to", "run", "source")
            for key in keys:
                if isinstance(item.get(key), str):
                    item[key] = self.endpoint(item[key], nets)
            out.append(item)
        return out

    def endpoint(self, text: str, nets: dict[str, str]) -> str:
        """`web` -> the service's (first) container; `web@backend` -> on that network."""
        name, at, net = text.partition("@")
        if name in self.services and name in self.active:
            name = self.first(name)
        return f"{name}@{nets.get(net, net)}" if at else name


_FROM = {"add_hosts": "extra_hosts"}


def _by_priority(nets: dict) -> list[str]:
    """Highest `priority` first, then by name (compose-go's ServiceConfig.NetworksByPriority)."""
    return sorted(nets, key=lambda k: (-int((nets[k] or {}).get("priority") or 0), k))


def _active(svc: dict) -> bool:
    profiles = svc.get("profiles") or []
    wanted = {p for p in os.environ.get("COMPOSE_PROFILES", "").split(",") if p}
    return not profiles or bool(wanted & set(profiles)) or "*" in wanted


def _deps(svc: dict) -> list[str]:
    deps = svc.get("depends_on") or {}
    return [str(d) for d in deps]


def _replicas(svc: dict) -> int:
    deploy = svc.get("deploy") or {}
    n = svc.get("scale", deploy.get("replicas", 1) if isinstance(deploy, dict) else 1)
    return int(n) if str(n).isascii() and str(n).isdigit() else 1


def _external(spec: dict) -> bool:
    ext = spec.get("external")
    return bool(ext) and (not isinstance(ext, str) or BOOL_TEXT.get(ext.lower(), False))


def _bool(value: object, where: Where) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in BOOL_TEXT:
        return BOOL_TEXT[text]
    raise ScenarioError(f"{value!r} is not a boolean", where, "true, false")


def _port(p: object) -> str:
    """The long syntax as the short one netsim (and `docker run -p`) reads."""
    if not isinstance(p, dict):
        return str(p)
    target, proto = _target(p)
    host = f"{p['host_ip']}:" if p.get("host_ip") else ""
    published = f"{p['published']}:" if p.get("published") not in (None, "") else ""
    if host and not published:
        published = ":"
    return f"{host}{published}{target}/{proto}"


def _target(p: object) -> tuple[str, str]:
    if isinstance(p, dict):
        return str(p.get("target", 0)), str(p.get("protocol") or "tcp")  # unset: Go's zero
    text = str(p)
    text, _, proto = text.partition("/")
    return text.rsplit(":", 1)[-1], proto or "tcp"


def _expose(e: object) -> str:
    text = str(e)
    return text if "/" in text else f"{text}/tcp"


def _range(text: str) -> list[int]:
    """The ports of "80" or "8000-8010"; none for what is not one (the port's own check
    refuses it, in Docker's words)."""
    a, _, b = str(text).partition("-")
    if not a.isascii() or not a.isdigit() or (b and not (b.isascii() and b.isdigit())) \
            or len(a) > 5 or len(b) > 5 or not 0 < int(a) <= int(b or a) <= 65535:
        return []
    return list(range(int(a), int(b or a) + 1))


def _hosts(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for entry in value or []:
        text = str(entry)
        sep = "=" if "=" in text else ":"
        name, _, ip = text.partition(sep)
        out[name] = ip
    return out


def scenario(project: Project) -> Mapped:
    m = _Mapper(project)
    data = m.scenario()
    return Mapped(data, Places(project.files[0], m.places), m.notes)
