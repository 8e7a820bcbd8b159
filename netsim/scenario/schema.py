"""The scenario file, as validated data (contract v1 in shared/design.md, extended where noted).

Pure shape and value checks: every model refuses unknown keys and says which keys are valid.
Cross-references (unknown network, IP outside a subnet, port conflicts) are the model's job,
because they need IPAM and Docker's order of operations.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from netsim.scenario.portspec import (
    SYNTAX,
    PortProto,
    PortRequest,
    parse_listen,
    parse_port_proto,
    parse_port_spec,
)

RESULTS_ICMP = ("reach", "blocked")
RESULTS_PORT = ("open", "closed", "blocked")
RESULTS_DNS = ("nxdomain", "servfail", "timeout", "refused", "unreachable")
ASKS = ("result", "source")  # what an `ask:` expectation (a lesson's question) asks about
RESERVED = ("lan", "outside", "router")  # node names netsim itself uses on every LAN

_LAB = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}\Z")
# the rule every name follows (a network's, as Docker's 20.10.24 checks it); a runtime may
# ask more of a container's (runtime.contract: Docker's two characters at least)
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
_IFNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}\Z")  # IFNAMSIZ: 15 characters
MAX_NAME = 63  # a DNS label: the embedded DNS answers container names


class FieldProblem(ValueError):
    """A validation failure that knows its wording, what is valid, and (sub) where below it."""

    def __init__(self, message: str, valid: str | None = None, sub: tuple = (), at_key=False):
        super().__init__(message)
        self.message, self.valid, self.sub, self.at_key = message, valid, sub, at_key


def _ipv4(v: Any) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(str(v).strip())
    except ValueError:
        raise FieldProblem(f'"{v}" is not an IPv4 address', "e.g. 192.168.1.10") from None


def _ipv6(v: Any) -> ipaddress.IPv6Address:
    try:
        return ipaddress.IPv6Address(str(v).strip())
    except ValueError:
        raise FieldProblem(f'"{v}" is not an IPv6 address', "e.g. 2001:db8:1::10") from None


def _prefix6(v: Any, what: str, example: str) -> tuple[str, ipaddress.IPv6Network]:
    """(the text, its IPv6 network), refused with the network it meant if host bits are set."""
    text = str(v).strip()
    try:
        return text, ipaddress.IPv6Network(text)
    except ValueError as e:
        if "host bits set" in str(e):
            fixed = ipaddress.IPv6Network(text, strict=False)
            raise FieldProblem(f'"{v}" has host bits set', f"{fixed}") from None
        raise FieldProblem(f'"{v}" is not an IPv6 {what}', f"e.g. {example}") from None


def _net6(v: Any) -> ipaddress.IPv6Network:
    """An IPv6 prefix for a LAN: /64 as SLAAC wants it, up to /120 (room for its hosts)."""
    text, net = _prefix6(v, "prefix", "2001:db8:1::/64")
    if "/" not in text or not 16 <= net.prefixlen <= 120:
        raise FieldProblem(f'"{v}" is not a LAN prefix', "a /16 to /120, e.g. 2001:db8:1::/64")
    return net


def _family(v: Any) -> int | str:
    text = str(v).strip().lower().removeprefix("ipv")
    if text in ("4", "6"):
        return int(text)
    if text == "both":
        return "both"
    raise FieldProblem(f"'{v}' is not an address family", "4, 6, both")


def _net(v: Any) -> ipaddress.IPv4Network:
    text = str(v).strip()
    if "/" not in text:
        raise FieldProblem(f'"{v}" is not a subnet', "CIDR such as 172.30.0.0/24")
    try:
        return ipaddress.IPv4Network(text)
    except ValueError as e:
        if "host bits set" in str(e):
            net = ipaddress.IPv4Network(text, strict=False)
            raise FieldProblem(f'"{v}" has host bits set', f"{net}") from None
        raise FieldProblem(f'"{v}" is not a subnet', "CIDR such as 172.30.0.0/24") from None


def _name(kind: str, rule: re.Pattern = _NAME):
    def check(v: Any) -> str:
        text = str(v)
        if not rule.match(text):
            raise FieldProblem(
                f'Invalid {kind} name ({text[:80]}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'
            )
        if len(text) > MAX_NAME:
            raise FieldProblem(f"{kind} name of {len(text)} characters: netsim keeps names to "
                               f"{MAX_NAME} (a DNS label; the embedded DNS answers them)")
        return text

    return check


def _lab(v: Any) -> str:
    text = str(v)
    if not _LAB.match(text):
        raise FieldProblem(
            f'"{text}" cannot prefix namespace names',
            "1-20 characters of a-z, 0-9 and '-', starting with a letter or digit",
        )
    return text


def _ifname(v: Any) -> str:
    text = str(v)
    if not _IFNAME.match(text):
        raise FieldProblem(f'"{text[:80]}" is not an interface name',
                           "up to 15 of a-z A-Z 0-9 _ . -")
    return text


def _uplink(v: Any) -> str:
    text = _ifname(v)
    if text == "lo":
        raise FieldProblem("lo is the loopback: a host's LAN interface is another one", "eth0")
    return text


def _dns_name(v: Any) -> str:
    """A name DNS can carry: labels of 1-63 characters, 253 in all."""
    text = _text(v)
    labels = text.rstrip(".").split(".")
    if len(text) > 253 or not all(0 < len(x) <= 63 for x in labels) or not text.isascii():
        raise FieldProblem(f'"{text[:80]}" is not a DNS name', "labels of 1-63 ASCII "
                           "characters, 253 in all")
    return text


def _parsed(parse: Callable[[Any], PortProto]) -> Callable[[Any], PortProto]:
    """A validator from a portspec parser: its ValueError becomes the field's problem."""
    def check(v: Any) -> PortProto:
        if isinstance(v, PortProto):
            return v
        try:
            return parse(str(v))  # as text: the parsers read text, and cache by it
        except ValueError as e:
            raise FieldProblem(str(e)) from None

    return check


_port_proto = _parsed(parse_port_proto)
_listen = _parsed(parse_listen)


def _port_spec(v: Any) -> tuple[PortRequest, ...]:
    if isinstance(v, tuple):
        return v
    if not isinstance(v, (str, int)):
        raise FieldProblem(f"{v!r} is not a port mapping", SYNTAX)
    try:
        return tuple(parse_port_spec(str(v)))
    except ValueError as e:
        raise FieldProblem(str(e), SYNTAX) from None


def _text(v: Any) -> str:
    if isinstance(v, (dict, list)) or v is None:
        raise FieldProblem("expected text")
    return str(v).lower() if isinstance(v, bool) else str(v)


def none_is_empty(v: Any) -> Any:  # a section left empty (`lan:`) is all defaults
    return {} if v is None else v


def map_of_empty(v: Any) -> Any:
    """`docker1:` with nothing after it means "all defaults"."""
    if isinstance(v, dict):
        return {k: ({} if x is None else x) for k, x in v.items()}
    return v


IPv4 = Annotated[ipaddress.IPv4Address, BeforeValidator(_ipv4)]
Net = Annotated[ipaddress.IPv4Network, BeforeValidator(_net)]
IPv6 = Annotated[ipaddress.IPv6Address, BeforeValidator(_ipv6)]
Net6 = Annotated[ipaddress.IPv6Network, BeforeValidator(_net6)]
Family = Annotated[int | str, BeforeValidator(_family), WithJsonSchema(
    {"enum": [4, 6, "both"], "description": "4, 6, or both (each probed; both must hold)"})]
ContainerName = Annotated[str, BeforeValidator(_name("container"))]
NodeName = Annotated[str, BeforeValidator(_name("host"))]  # a host or a LAN machine
NetworkName = Annotated[str, BeforeValidator(_name("network"))]
IfName = Annotated[str, BeforeValidator(_ifname)]
Uplink = Annotated[str, BeforeValidator(_uplink)]  # a host's interface on the LAN
# what an editor may offer for the types read from text (`netsim schema`): the input's shape,
# not the parsed value's
_PORT = {"type": ["string", "integer"], "description": "PORT[/tcp|udp]", "examples": ["80/tcp"]}
Port = Annotated[PortProto, BeforeValidator(_port_proto), WithJsonSchema(_PORT)]
Listen = Annotated[PortProto, BeforeValidator(_listen), WithJsonSchema(
    {**_PORT, "description": "[IP:]PORT[/tcp|udp]"})]
PortSpec = Annotated[tuple[PortRequest, ...], BeforeValidator(_port_spec), WithJsonSchema(
    {"type": ["string", "integer"], "description": "docker run -p: " + SYNTAX,
     "examples": ["8080:80", "127.0.0.1:8081:80/tcp"]})]
Text = Annotated[str, BeforeValidator(_text)]


def _runtimes(v: Any) -> tuple[str, ...]:
    """`runtime: cni`, or the runtimes one node runs in the order they start on it
    (`[docker, cni]`: dockerd first, then the pods)."""
    names = v if isinstance(v, list) else [v]
    if not names:
        raise FieldProblem("name at least one runtime", "docker, cni")
    out = tuple(_text(n) for n in names)
    if len(set(out)) != len(out):
        raise FieldProblem("a runtime is named twice")
    return out


Runtimes = Annotated[tuple[str, ...], BeforeValidator(_runtimes), WithJsonSchema(
    {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
     "description": "docker, cni, or the runtimes of one node in start order"})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise FieldProblem("expected a mapping of key: value", ", ".join(cls._keys()))
        known = _KNOWN.get(cls)
        if known is None:  # once per class: this runs for every mapping read
            known = _KNOWN[cls] = frozenset(cls._keys())
        if not known.issuperset(data):
            valid = cls._keys()
            key = next(k for k in data if k not in known)
            raise FieldProblem(f"unknown key '{key}'", ", ".join(valid), (key,), at_key=True)
        return data

    @classmethod
    def _keys(cls) -> list[str]:
        return [f.alias or n for n, f in cls.model_fields.items()]


_KNOWN: dict[type, frozenset[str]] = {}


def _subnet6(v: Any) -> ipaddress.IPv6Network:
    """A container network's IPv6 subnet (`--subnet fd00:30::/64`, `fixed-cidr-v6`)."""
    text, net = _prefix6(v, "subnet", "fd00:30::/64")
    if "/" not in text or net.prefixlen > 124:
        raise FieldProblem(f'"{v}" leaves no room for addresses', "a /64 to /124, e.g. "
                           "fd00:30::/64")
    return net


def _subnets(v: Any) -> Any:
    """`subnet: [172.30.0.0/24, "fd00:30::/64"]` (like --subnet twice) -> subnet + subnet6."""
    if not isinstance(v, dict) or not isinstance(v.get("subnet"), list):
        return v
    out, given = dict(v), v["subnet"]
    out["subnet"] = None
    for i, item in enumerate(given):
        key = "subnet6" if ":" in str(item) else "subnet"
        if out.get(key) is not None:
            raise FieldProblem("one subnet per address family (netsim models no more)",
                               "one IPv4 and one IPv6 subnet", sub=("subnet", i))
        try:
            out[key] = _subnet6(item) if key == "subnet6" else _net(item)
        except FieldProblem as e:
            raise FieldProblem(e.message, e.valid, sub=("subnet", i)) from None
    return out


Subnet6 = Annotated[ipaddress.IPv6Network, BeforeValidator(_subnet6)]


class Peer(Strict):
    address: IPv4
    address6: IPv6 | None = None  # with lan.ipv6; default: the prefix + the IPv4's host digits
    listen: list[Port] | None = None


class Shorthand:
    """A section that also takes a shorter form (a Peer as just its address): editors are
    told both (`netsim schema`)."""

    def __init__(self, short: dict):
        self.short = short

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> dict:
        return {"anyOf": [handler(core_schema), self.short]}


def _peer(v: Any) -> Any:
    return {"address": v} if isinstance(v, (str, int)) else v


class LanDns(Strict):
    enabled: bool = True  # the router answers DNS on 53/udp (records, else NXDOMAIN)
    records: Annotated[dict[Annotated[str, BeforeValidator(_dns_name)], IPv4],
                       BeforeValidator(none_is_empty)] = {}


def _lan_dns(v: Any) -> Any:
    return {"enabled": v} if isinstance(v, bool) else v


class LanVlan(Strict):
    """An 802.1Q VLAN the LAN's switch carries (a trunk): the router's sub-interface on it is
    its gateway, and its peers are machines on that VLAN only."""

    subnet: Net
    gateway: IPv4 | None = None  # the router's address on the VLAN; default: the first
    peers: Annotated[dict[NodeName, Annotated[Peer, BeforeValidator(_peer),
                                              Shorthand({"type": "string", "format": "ipv4"})]],
                     BeforeValidator(none_is_empty)] = {}


VlanId = Annotated[int, Field(ge=1, le=4094)]


class Lan(Strict):
    subnet: Net = ipaddress.IPv4Network("192.168.1.0/24")
    gateway: IPv4 | None = None  # default: the subnet's first address
    address: IPv4 | None = None  # the node `lan`; default: the subnet's second address
    # an IPv6 prefix the LAN also carries (dual stack): the router ::1, `lan` ::2, hosts ::10,
    # ::11 ... (each machine: the prefix + its IPv4 host part's digits); `outside` then has
    # 2001:db8:ffff::10 behind the router
    ipv6: Net6 | None = None
    peers: Annotated[dict[NodeName, Annotated[Peer, BeforeValidator(_peer),
                                              Shorthand({"type": "string", "format": "ipv4"})]],
                     BeforeValidator(none_is_empty)] = {}
    mtu: Annotated[int, Field(ge=576, le=65535)] = 1500
    listen: list[Port] | None = None  # default 80/tcp, 53/udp on lan, peers and outside
    routes: Annotated[dict[str, NodeName], BeforeValidator(none_is_empty)] = {}
    block: list[Port] = []  # issue 4: a firewall between hosts
    hairpin: bool = False  # issue 4: a VEPA-capable switch
    dns: Annotated[LanDns, BeforeValidator(_lan_dns),
                   Shorthand({"type": "boolean"})] = LanDns()  # the hosts' upstream server
    vlans: Annotated[dict[VlanId, LanVlan], BeforeValidator(none_is_empty)] = {}  # 802.1Q


class Host(Strict):
    """What every host has, whoever wires its containers; each runtime adds its own keys
    (`Runtime.host_keys`: dockerd's flags, a Kubernetes node's podCIDR)."""

    runtime: Runtimes = ("docker",)  # who wires its containers, in start order (RUNTIMES)
    address: IPv4 | None = None  # default: .10, .11, ... in file order
    addresses: list[IPv4] = []  # more addresses on the same interface
    address6: IPv6 | None = None  # with lan.ipv6; default: the prefix + the IPv4's host digits
    interface: Uplink = "eth0"
    # more NICs cabled to the LAN's switch, with no address: what a CNI host-device or a
    # macvlan master can take (a second port, an SR-IOV VF as the node sees it)
    nics: Annotated[list[Uplink], Field(max_length=16)] = []
    mtu: Annotated[int, Field(ge=576, le=65535)] | None = None  # default: the LAN's
    ip_forward: bool = True  # False: reset to 0 after dockerd started (pitfall P04)
    # True: already 1 when dockerd starts (sysctl.conf, a router), so Docker leaves FORWARD
    # ACCEPT; False (a fresh machine): dockerd turns it on and sets FORWARD DROP
    ip_forward_at_start: bool = False
    hairpin: bool | None = None  # this host's switch port reflects frames (VEPA); default: lan's
    listen: list[Listen] = []  # services of the host itself


_SUBNETS = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"},
                                           "maxItems": 2}],
            "description": "a subnet, or one per family: [IPv4, IPv6] (--subnet twice)"}


V6ONLY = ("netsim does not model IPv6-only networks (--ipv4=false, Docker 28) yet: give the "
          "network an IPv4 subnet too")


class Network(Strict):
    driver: Text = "bridge"
    host: NodeName | None = None
    hosts: list[NodeName] | None = None  # overlay: the swarm nodes it spans (default: all)
    subnet: Annotated[Net | None, WithJsonSchema(_SUBNETS)] = None
    subnet6: Subnet6 | None = None  # what subnet's IPv6 item becomes (--subnet fd00::/64)
    ipv6: bool = False  # --ipv6
    gateway: IPv4 | None = None
    ip_range: Net | None = None
    aux_addresses: Annotated[dict[str, IPv4], BeforeValidator(none_is_empty)] = {}
    internal: bool = False
    attachable: bool = True
    options: Annotated[dict[str, Text], BeforeValidator(none_is_empty)] = {}
    parent: IfName | None = None  # macvlan: -o parent=
    mode: Text | None = None  # macvlan: -o macvlan_mode=
    shim: bool = False  # issue 4: host-side macvlan so the host reaches its containers

    @model_validator(mode="before")
    @classmethod
    def _split_subnets(cls, v: Any) -> Any:
        if isinstance(v, dict) and "ipv4" in v:  # --ipv4: true is the default, false not modelled
            if v["ipv4"] is not True:
                raise FieldProblem(V6ONLY, "ipv4: true (the default)", ("ipv4",), at_key=True)
            v = {k: x for k, x in v.items() if k != "ipv4"}
        return _subnets(v)


class Attach(Strict):
    ip: IPv4 | None = None
    ip6: IPv6 | None = None  # --ip6
    aliases: list[Text] = []
    connect: bool | ContainerName = False  # `network connect`: at the end, or before NAME runs
    removed: bool | ContainerName = False  # `network disconnect`: at the end, or before NAME
    gw_priority: int = 0  # Docker 28: --network name=N,gw-priority=P (highest gives the route)


class PodMeta(Strict):
    """A Kubernetes Pod's identity (`kubernetes:` fills it): what policies select it by."""

    name: Text
    namespace: Text = "default"
    labels: Annotated[dict[str, str], BeforeValidator(none_is_empty)] = {}
    dns_policy: Text = "ClusterFirst"  # spec.dnsPolicy: which resolv.conf kubelet writes
    hostname: Text | None = None  # spec.hostname and spec.subdomain: its name under a
    subdomain: Text | None = None  # headless Service of that name


class Container(Strict):
    host: NodeName | None = None
    pod: PodMeta | None = None  # a Pod of `kubernetes:`: its name, namespace and labels
    network: Text | None = None
    networks: Annotated[dict[Text, Attach], BeforeValidator(map_of_empty)] | None = None
    image: Text | None = None  # what listens by default (scenario/images.py, `images:`)
    ports: list[PortSpec] = []
    publish_all: bool = False
    expose: list[Port] = []
    listen: list[Listen] | None = None  # what the app listens on (default: the image's ports)
    links: list[Text] = []
    hostname: Annotated[str, BeforeValidator(_dns_name)] | None = None
    dns: list[IPv4] = []  # --dns
    removed: bool | ContainerName = False  # `docker rm`: at the end, or just before NAME runs
    # --add-host NAME:IP, or NAME:host-gateway (dockerd puts its default bridge's gateway there)
    add_hosts: Annotated[dict[Text, IPv4 | Literal["host-gateway"]],
                         BeforeValidator(none_is_empty)] = {}

    @model_validator(mode="after")
    def _one_network_key(self) -> Container:
        if self.network is not None and self.networks is not None:
            raise FieldProblem("give either network or networks, not both", sub=("networks",))
        return self


class Expect(Strict):
    from_: Text | None = Field(None, alias="from")
    run: Text | None = None  # `docker run NAME` fails: {run: NAME, error: "..."}
    error: Text | None = None
    to: Text | None = None
    port: Port | None = None
    result: Text | None = None
    source: Text | None = None
    size: Annotated[int, Field(ge=0, le=65507)] | None = None
    by: Text | None = None  # "name": resolve `to` inside the source first (issue 5)
    resolve: Annotated[str, BeforeValidator(_dns_name)] | None = None  # a DNS probe
    # the address family probed: 4, 6, or both (each probed, both must hold); default: that of
    # a literal address, else 4 (by name: the family the client's resolver gives first)
    family: Family | None = None
    # a Service's endpoints make several ways: the expectation holds when one of them holds
    # (a run tries again until the kernel takes such a way); default: every way must hold
    any: bool = False
    # a question (a lesson's exercise): probed and reported, its answer left to the learner;
    # what it asks about: the verdict, or the source address the far end sees
    ask: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> Expect:
        if self.ask is not None:
            if self.ask not in ASKS:
                raise FieldProblem(f"'{self.ask}' is not a question netsim can check",
                                   ", ".join(ASKS), ("ask",))
            if self.result is not None or self.source is not None:
                raise FieldProblem("a question has no result or source: its answer is the "
                                   "learner's to give", sub=("result",) if self.result
                                   is not None else ("source",))
            if self.run is not None:
                raise FieldProblem("ask: is for a probe (from, to), not a docker run",
                                   sub=("ask",))
            return self._probe_shape(asked=True)
        return self._probe_shape()

    def _probe_shape(self, asked: bool = False) -> Expect:
        if self.run is not None or self.error is not None:
            if self.run is None or self.error is None:
                raise FieldProblem("a failing `docker run` is {run: NAME, error: TEXT}",
                                   sub=("run",) if self.run is None else ("error",))
            if self.from_ is not None or self.to is not None:
                raise FieldProblem("{run: NAME, error: TEXT} takes no from/to", sub=("run",))
            return self
        if self.from_ is None:
            raise FieldProblem("missing required key 'from'")
        if self.result is None and not asked:
            raise FieldProblem("missing required key 'result'")
        if self.to is None and self.resolve is None:
            raise FieldProblem("missing key 'to': where the probe goes", "a container, host, "
                               "lan, a LAN peer, outside, name@network or an IP")
        if self.resolve is not None and self.to is not None:
            raise FieldProblem("a DNS probe has resolve: and no to:", sub=("to",))
        if asked:
            if self.by not in (None, "ip", "name"):
                raise FieldProblem(f"'{self.by}' is not a way to reach `to`", "ip, name",
                                   ("by",))
            return self
        if self.resolve is not None and self.result not in RESULTS_DNS:
            try:
                ipaddress.ip_address(self.result)
            except ValueError:
                raise FieldProblem(f"'{self.result}' is not a result of a DNS probe",
                                   "an IPv4 or IPv6 address, " + ", ".join(RESULTS_DNS),
                                   ("result",)) from None
        if self.resolve is None:
            valid = RESULTS_PORT if self.port else RESULTS_ICMP
            if self.by == "name":
                valid = (*valid, "unresolved")
            if self.result not in valid:
                kind = f"a {self.port.proto.upper()} probe" if self.port else "an ICMP probe (no port)"
                raise FieldProblem(f"'{self.result}' is not a result of {kind}",
                                   ", ".join(valid), ("result",))
        if self.by not in (None, "ip", "name"):
            raise FieldProblem(f"'{self.by}' is not a way to reach `to`", "ip, name", ("by",))
        if self.any and (self.resolve is not None or self.by == "name"):
            raise FieldProblem("any: is for a probe of an address (a Service's ways); a name "
                               "resolves one way", sub=("any",))
        if self.size is not None and self.port is not None:
            raise FieldProblem("size applies to ICMP probes only (no port)", sub=("size",))
        return self


class Scenario(Strict):
    """The keys of every scenario; each runtime adds its own (`Runtime.keys`: `docker:`,
    `cni:`), composed into the format `netsim check` reads by netsim.runtime.schema."""

    name: Annotated[str, BeforeValidator(_lab)]
    lan: Lan = Lan()
    hosts: Annotated[dict[NodeName, Host], BeforeValidator(map_of_empty)] = {}
    networks: Annotated[dict[NetworkName, Network], BeforeValidator(map_of_empty)] = {}
    containers: Annotated[dict[ContainerName, Container], BeforeValidator(map_of_empty)] = {}
    images: Annotated[dict[Text, list[Port]], BeforeValidator(none_is_empty)] = {}  # extend
    commands: Annotated[dict[str, Text], BeforeValidator(none_is_empty)] = {}
    expect: Annotated[list[Expect], BeforeValidator(lambda v: [] if v is None else v)] = []
    # Kubernetes objects as kubectl applies them (scenario/kubernetes.py reads them first)
    kubernetes: Annotated[list[dict[str, Any]] | dict[str, Any],  # or {file: PATH}
                          BeforeValidator(lambda v: [] if v is None else v)] = []
