"""Expectations and the full matrix -> concrete probes (source namespace, address, protocol).

Endpoint words (contract): a container, a host, `lan`, a LAN peer, `outside`, `router`,
`name@network` (that node's address on one network; a host's is the network's gateway),
or a literal IPv4 or IPv6 address (as a destination or an expected source only). A word
stands for its address in the probe's family (`family:`; 4 unless said or a literal's own).
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address, ip_address

from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.errors import ScenarioError
from netsim.model.graph import IPAddress, Model, NodeKind
from netsim.scenario.load import Loaded


def _names(model: Model) -> str:
    return ", ".join(model.endpoints)


def address_of(model: Model, word: str, family: int = 4) -> IPAddress | str | None:
    """The address a word stands for in `family`; a str is an error message."""
    if "@" in word:
        name, _, net = word.partition("@")
        ep = model.endpoints.get(name)
        if ep is None:
            return f"'{name}' is not a node of this scenario"
        if ep.kind == NodeKind.HOST and family == 4:
            dn = model.networks.get(f"{name}/{net}")
            if dn is None or dn.gateway is None:
                return f"{name} has no address on network '{net}'"
            return dn.gateway
        book = ep.addresses if family == 4 else ep.addresses6
        if net not in book:
            return f"{name} is not on network '{net}' in IPv{family} (it is on " \
                f"{', '.join(book) or 'none'})"
        return book[net]
    if word.startswith("svc/"):
        got = model.virtual.get(word)
        if got is None:
            return f"no Service {word[4:]!r} with a ClusterIP (" + (
                ", ".join(w for w in model.virtual) or "no Services") + ")"
        return got if family == 4 else f"{word} has no IPv{family} ClusterIP"
    if word in model.endpoints:
        got = model.endpoints[word].of(family)
        return got if got is not None else f"{word} has no IPv{family} address (" + (
            "its network gives it none): nothing can reach it by address" if family == 4 else
            "lan.ipv6 gives the LAN's machines theirs; a container gets one from an IPv6 "
            "subnet of its network)")
    try:
        return ip_address(word)
    except ValueError:
        return f"'{word}' is not a node of this scenario nor an IP address"


def source_ips(model: Model, word: str) -> frozenset[IPAddress] | str:
    if "@" not in word and word in model.endpoints:
        ep = model.endpoints[word]
        if ep.kind == NodeKind.HOST:
            return frozenset(a for a in (ep.addresses["lan"], ep.addresses6.get("lan")) if a)
        return frozenset([*ep.addresses.values(), *ep.addresses6.values()])
    got = address_of(model, word)
    return got if isinstance(got, str) else frozenset({got})


def families(e, path: tuple, positions) -> tuple[int, ...]:
    """The families an expectation probes: `family:` (both: each), else a literal
    destination's own, else IPv4."""
    literal = None
    if e.to and (e.to[0].isdigit() or ":" in e.to):  # a name: no parse (a refusal is slow)
        try:
            literal = ip_address(e.to)
        except ValueError:
            pass
    if e.family is None:
        return (literal.version if literal else 4,)
    wanted = (4, 6) if e.family == "both" else (e.family,)
    if literal and wanted != (literal.version,):
        raise ScenarioError(f"{e.to} is an IPv{literal.version} address; family: {e.family} "
                            "asks for another", positions.where((*path, "family")),
                            str(literal.version))
    return wanted


def expectations(loaded: Loaded, model: Model) -> list[Probe]:
    probes = []
    pos = loaded.positions
    for i, e in enumerate(loaded.scenario.expect):
        path = ("expect", i)
        if e.run is not None:
            probes.append(_run(loaded, model, e, i))
            continue
        src = model.endpoints.get(e.from_)
        if src is None or "@" in e.from_:
            raise ScenarioError(f"'{e.from_}' is not a node of this scenario",
                                pos.where((*path, "from")), _names(model))
        if e.resolve is not None or e.by == "name":
            if e.family == "both" and e.resolve is not None:  # one answer per expectation
                raise ScenarioError("resolve asks one family at a time",
                                    pos.where((*path, "family")), "family: 4 or family: 6")
            # a name without `family` is looked up as a client does (AF_UNSPEC: family 0),
            # with it as `curl -4` / `curl -6` do; `resolve` asks A unless told
            for family in ((4, 6) if e.family == "both" else
                           (e.family or (4 if e.resolve is not None else 0),)):
                probes.append(_by_name(model, e, src, i, pos, family))
            continue
        sips: frozenset = frozenset()
        if e.source is not None:
            got = source_ips(model, e.source)
            if isinstance(got, str):
                raise ScenarioError(got, pos.where((*path, "source")), _names(model))
            sips = got
        proto = e.port.proto if e.port else "icmp"
        for family in families(e, path, pos):
            dst = address_of(model, e.to, family)
            if isinstance(dst, str):
                raise ScenarioError(dst, pos.where((*path, "to")),
                                    f"{_names(model)}, name@network or an IP address")
            probes.append(Probe(e.from_, src.ns, e.to, dst, proto,
                                e.port.port if e.port else None, e.size, e.result, e.source,
                                sips, f"expect[{i}]", family=family, any=e.any, ask=e.ask))
    return probes


def typed(loaded: Loaded, model: Model) -> list[Probe]:
    """The probes a tutorial typed into its containers (`ping`, `nslookup`, `wget` ...), in
    its order: what they come to is predicted and observed; there is no expected result
    (the tutorial's words are in its comments). A dotted name the lab does not know
    (`ping google.com`) stands for the internet: it is probed as `outside`, by address."""
    out = []
    records = loaded.scenario.lan.dns.records
    for t in loaded.typed:
        src, view = model.endpoints.get(t.container), model.names.get(t.container)
        where = replace(loaded.positions.where(("commands",)), line=t.line, column=None)
        if src is None:
            raise ScenarioError(f"{t.container} is gone by the end of commands: netsim builds "
                                "and probes the lab as the commands leave it", where)
        origin = f"line {t.line}"
        if t.proto == "dns":
            out.append(Probe(t.container, src.ns, f"resolve {t.target}",
                             view.nameserver if view else None, "dns", 53, None, None, None,
                             frozenset(), origin, t.target, typed=t))
            continue
        port = t.port if t.proto != "icmp" else None
        try:
            dst: IPv4Address | None = IPv4Address(t.target)
            name, to = None, t.target
        except ValueError:
            dst, name, to = None, t.target, t.target
            known = view is not None and (t.target in view.names or t.target in view.hosts)
            if "." in t.target and not known and t.target not in records:
                dst, name, to = model.endpoints["outside"].primary, None, "outside"
        if name is not None and view is None:  # no resolver modelled: a node's own address
            got = address_of(model, t.target)
            if not isinstance(got, IPv4Address):
                raise ScenarioError(f"`{t.text}`: {t.container} resolves no names in this "
                                    "model", where)
            dst, name = got, None
        out.append(Probe(t.container, src.ns, to, dst, t.proto, port, None, None, None,
                         frozenset(), origin, name, typed=t))
    return out


def _run(loaded: Loaded, model: Model, e, i: int) -> Probe:
    """`{run: NAME, error: TEXT}`: Docker refuses to start NAME with words containing TEXT."""
    if e.run not in loaded.scenario.containers:
        raise ScenarioError(f"'{e.run}' is not a container of this scenario",
                            loaded.positions.where(("expect", i, "run")),
                            ", ".join(loaded.scenario.containers))
    return Probe(e.run, "", f"docker run {e.run}", None, "run", None, None, Verdict.FAILED, None,
                 frozenset(), f"expect[{i}]", error=e.error)


def _by_name(model: Model, e, src, i: int, pos, family: int) -> Probe:
    """A DNS probe (`resolve:`) or a probe whose target is resolved inside the source first."""
    view = model.names.get(e.from_)
    if view is None:
        raise ScenarioError(f"'{e.from_}' is not a container: only containers resolve names "
                            "through Docker", pos.where(("expect", i, "from")),
                            ", ".join(model.names))
    if e.resolve is not None:
        return Probe(e.from_, src.ns, f"resolve {e.resolve}", view.nameserver, "dns", 53, None,
                     e.result, None, frozenset(), f"expect[{i}]", e.resolve, family=family,
                     ask=e.ask)
    sips: frozenset = frozenset()
    if e.source is not None:
        got = source_ips(model, e.source)
        if isinstance(got, str):
            raise ScenarioError(got, pos.where(("expect", i, "source")), _names(model))
        sips = got
    proto = e.port.proto if e.port else "icmp"
    return Probe(e.from_, src.ns, e.to, None, proto, e.port.port if e.port else None, e.size,
                 e.result, e.source, sips, f"expect[{i}]", e.to, family=family, ask=e.ask)


def matrix(model: Model) -> list[Probe]:
    """Every node to every node (ICMP), and every listened or published port from everywhere."""
    return matrix_parts(model, by_class=False)[0]


# (proto, port, the targets as (name, address)): probes from every container left to classes
Block = tuple[str, int | None, list[tuple[str, IPv4Address]]]


def matrix_parts(model: Model, by_class: bool) -> tuple[list[Probe], list[Block]]:
    """The matrix; with `by_class`, what containers send is not listed probe by probe but
    as blocks (ICMP and each listened port to the containers, each published port of a
    host) that netsim.predict.class_matrix predicts per class of twins: the rest (from hosts,
    the LAN, outside) is listed as always."""
    eps = [ep for ep in model.endpoints.values() if ep.kind != NodeKind.ROUTER]
    others = [ep for ep in eps if ep.kind != NodeKind.CONTAINER]  # hosts, the LAN, outside
    out = []
    blocks: dict[tuple, list[tuple[str, IPv4Address]]] = {}

    def senders(t) -> list:  # who is listed as sending to t; the rest go by class
        return others if by_class and t.kind == NodeKind.CONTAINER else eps

    if by_class:
        blocks[("icmp", None)] = [(t.name, t.primary) for t in eps
                                  if t.kind == NodeKind.CONTAINER and t.primary is not None]
    for s in eps:  # source by source, as the prober sends them
        for t in (others if by_class and s.kind == NodeKind.CONTAINER else eps):
            if s.name != t.name and t.primary is not None:
                out.append(_mk(s, t.name, t.primary, "icmp", None))
    for t in eps:
        if t.kind != NodeKind.CONTAINER or t.primary is None:
            continue
        for lst in model.ns[t.ns].listeners:
            if lst.role != "echo":
                continue
            if by_class:
                blocks.setdefault((lst.proto, lst.port), []).append((t.name, t.primary))
            out += [_mk(s, t.name, t.primary, lst.proto, lst.port) for s in senders(t)
                    if s.name != t.name]
    for info in model.containers.values():
        for pb in info.ports:
            host = model.endpoints[info.host]
            if pb.host_ip.version == 6:  # the IPv6 half: _matrix6
                continue
            if pb.host_ip.is_loopback:
                out += [_mk(s, str(pb.host_ip), pb.host_ip, pb.proto, pb.host_port)
                        for s in eps if s.ns == host.ns]
                continue
            dst = host.primary if pb.host_ip == IPv4Address("0.0.0.0") else pb.host_ip
            if by_class:
                blocks.setdefault((pb.proto, pb.host_port, "published"), []).append(
                    (info.host, dst))
            out += [_mk(s, info.host, dst, pb.proto, pb.host_port)
                    for s in (others if by_class else eps)]
    for label, ip, proto, port in model.entries:  # Services: from everywhere, never by class
        out += [_mk(s, label, ip, proto, port) for s in eps if s.name != label]
    out += _matrix6(model, eps)
    return out, [(key[0], key[1], list(dict.fromkeys(targets)))
                 for key, targets in blocks.items()]


def _matrix6(model: Model, eps: list) -> list[Probe]:
    """The matrix's IPv6 half, listed probe by probe (never by class): from every endpoint
    whose namespace has IPv6 to every IPv6 address (ICMPv6), each container's listened ports
    and each host's IPv6 published ports."""
    six = [ep for ep in eps if model.ipv6_on(ep.ns)]
    if not six:
        return []
    out = [_mk(s, t.name, t.primary6, "icmp", None, 6) for s in six for t in six
           if s.name != t.name and t.primary6 is not None]
    for t in six:
        if t.kind != NodeKind.CONTAINER or t.primary6 is None:
            continue
        for lst in model.ns[t.ns].listeners:
            if lst.role == "echo":
                out += [_mk(s, t.name, t.primary6, lst.proto, lst.port, 6) for s in six
                        if s.name != t.name]
    for info in model.containers.values():
        host = model.endpoints[info.host]
        for pb in info.ports:
            if pb.host_ip.version != 6 or host.primary6 is None:
                continue
            if pb.host_ip.is_loopback:
                out += [_mk(s, str(pb.host_ip), pb.host_ip, pb.proto, pb.host_port, 6)
                        for s in six if s.ns == host.ns]
                continue
            dst = host.primary6 if pb.host_ip.is_unspecified else pb.host_ip
            out += [_mk(s, info.host, dst, pb.proto, pb.host_port, 6) for s in six]
    return out


def _mk(s, to: str, dst: IPAddress, proto: str, port: int | None, family: int = 4) -> Probe:
    return Probe(s.name, s.ns, to, dst, proto, port, None, None, None, frozenset(), "matrix",
                 family=family)


def single(model: Model, frm: str, to: str, port: str | None = None) -> Probe:
    """One probe from words, as `netsim trace LAB FROM TO [PORT/PROTO]` takes them."""
    from netsim.scenario.portspec import parse_port_proto

    src = model.endpoints.get(frm)
    if src is None or "@" in frm:
        raise ScenarioError(f"'{frm}' is not a node of this scenario", valid=_names(model))
    dst = address_of(model, to)
    if isinstance(dst, str) or dst is None:
        raise ScenarioError(dst or f"'{to}' has no address", valid=_names(model))
    proto, number = "icmp", None
    if port:
        try:
            pp = parse_port_proto(port)
        except ValueError as e:
            raise ScenarioError(f"{port}: {e}", valid="PORT/tcp, PORT/udp") from None
        proto, number = pp.proto, pp.port
    return Probe(frm, src.ns, to, dst, proto, number, None, None, None, frozenset(), "trace")
