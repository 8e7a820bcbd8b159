"""Names as Docker resolves them (spec §1.7, §1.8, §2.5, P11, P12; docker-observed §3).

Containers on a user-defined network (bridge, macvlan, overlay) ask Docker's embedded resolver
at 127.0.0.11 (`options ndots:0`): it knows, per network, each container's name, its network
aliases, its short ID, its hostname and `<name>.<network>`, and answers only for networks the
asking container is on; everything else goes to the host's upstream server. Containers on the
default bridge (and host-mode ones) get the host's resolv.conf: no names at all, except what
`--link` wrote into their /etc/hosts.

In netsim's world the host's upstream server is the LAN router (as on a home or office LAN):
it answers `lan.dns` records and NXDOMAIN for the rest.

This module is the runtime-neutral part: what a container's resolver sees (its files and its
server's table) and how libc would answer from it. Runtimes fill the views
(netsim.runtime.docker.names); the predicted and the real observers ask them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address

from netsim.answer.verdict import Verdict
from netsim.model.zone import NXDOMAIN, Zone

EMBEDDED = IPv4Address("127.0.0.11")
# what a client's resolver says when the path to its server is not open
UNREACHED = {Verdict.CLOSED: Verdict.REFUSED, Verdict.UNREACHABLE: Verdict.UNREACHABLE}
VIA = "no embedded DNS here (P11): resolv.conf sends it to the LAN's server"
NSSWITCH = "hosts: files dns\n"  # Debian-based images: /etc/hosts first, then DNS


@dataclass
class NameView:
    """What one container can resolve, and how."""

    container: str
    embedded: bool  # asks 127.0.0.11 (user-defined network) or the host's upstream directly
    nameserver: IPv4Address | None
    hosts: dict[str, list[IPv4Address]] = field(default_factory=dict)  # /etc/hosts (--link)
    names: dict[str, list[IPv4Address]] = field(default_factory=dict)  # embedded resolver
    names6: dict[str, list[IPv6Address]] = field(default_factory=dict)  # its AAAA answers
    forwards: bool = True  # unknown names go upstream (not from internal-only containers)
    resolv_conf: str = ""
    hosts_file: str = ""  # /etc/hosts as the runtime writes it
    resolver_port: int | None = None  # where the embedded resolver really listens
    failure: str = Verdict.SERVFAIL  # what the embedded resolver answers when upstream is silent
    upstream: IPv4Address | None = None  # where unknown names go (--dns, dockerd --dns, LAN)
    search: tuple[str, ...] = ()  # resolv.conf's search domains, tried as glibc tries them
    ndots: int = 1
    zone: Zone | None = None  # the cluster zone its nameserver (CoreDNS) answers itself
    forward_from: str | None = None  # the namespace that server forwards the rest from
    via: str = VIA  # where a lookup without an embedded DNS goes, in words


@dataclass(frozen=True)
class Answer:
    result: str  # an address | nxdomain | servfail | timeout | refused | unreachable
    addresses: tuple[IPv4Address | IPv6Address, ...]
    why: str


def canonical(name: str) -> str:
    return name.strip().rstrip(".").lower()


def resolver_port(lab: str, container: str) -> int:
    """Docker picks a random port; netsim a stable one per container (43000-60999)."""
    h = int(hashlib.sha256(f"{lab}/dns/{container}".encode()).hexdigest()[:8], 16)
    return 43000 + h % 18000


def resolv_conf(view: NameView) -> str:
    if view.embedded:
        return "nameserver 127.0.0.11\noptions ndots:0\n"
    if view.nameserver is None:
        return "# no nameserver: the host's resolv.conf has none\n"
    search = f"search {' '.join(view.search)}\n" if view.search else ""
    options = f"options ndots:{view.ndots}\n" if view.ndots != 1 else ""
    return f"{search}nameserver {view.nameserver}\n{options}"


def candidates(view: NameView, name: str) -> list[str]:
    """The names glibc's res_search asks, in order: a name with `ndots` dots or more as
    given first, then under each search domain; one with fewer, the other way round; a name
    ending in a dot, only itself."""
    q = canonical(name)
    if name.endswith(".") or not view.search:
        return [q]
    searched = [f"{q}.{d}" for d in view.search]
    return [q, *searched] if q.count(".") >= view.ndots else [*searched, q]


def upstream_records(view: NameView, router: IPv4Address,
                     lan_dns: dict[str, list[IPv4Address]] | None) -> dict | None:
    """The records of the server unknown names go to: only the LAN router runs one."""
    return lan_dns if view.upstream in (None, router) else None


def hosts_file(view: NameView, own: list[tuple[IPv4Address, list[str]]]) -> str:
    """/etc/hosts as Docker writes it: localhost lines, `--link` entries, the container's own
    addresses with its hostname (libnetwork etchosts.Build)."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet", "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes",
             "ff02::2\tip6-allrouters"]
    by_ip: dict[IPv4Address, list[str]] = {}
    for name, ips in view.hosts.items():
        by_ip.setdefault(ips[0], []).append(name)
    lines += [f"{ip}\t{' '.join(names)}" for ip, names in by_ip.items()]
    lines += [f"{ip}\t{' '.join(names)}" for ip, names in own]
    return "\n".join(lines) + "\n"


def lookup(view: NameView, name: str, upstream: dict[str, list[IPv4Address]] | None,
           path: str, family: int = 4, forwarded: str = Verdict.OPEN) -> Answer:
    """Resolve like the container's libc would: /etc/hosts, then its nameserver.
    `upstream`: the LAN server's records (None: no server); `path`: what a UDP packet to it
    would meet on the way the query takes (open, closed, blocked, unreachable); `family` 6
    asks for AAAA (getaddrinfo with AF_INET6). A cluster's pod: `path` reaches its cluster
    DNS, `forwarded` what that server's own queries upstream meet."""
    q = canonical(name)
    if q == "localhost":
        loop = IPv4Address("127.0.0.1") if family == 4 else IPv6Address("::1")
        return Answer(str(loop), (loop,), "/etc/hosts: localhost")
    if q in view.hosts and family == 4:
        ips = tuple(view.hosts[q])
        return Answer(str(ips[0]), ips, f"/etc/hosts entry written by --link: {q}")
    if view.zone is not None:
        return _cluster(view, name, upstream, path, forwarded, family)
    if view.embedded and family == 6 and q in view.names:
        ips6 = tuple(view.names6.get(q, ()))
        if not ips6:  # NOERROR without an answer: getaddrinfo's EAI_NODATA
            return Answer("nxdomain", (), f"Docker's embedded DNS knows {q} but has no IPv6 "
                          "address for it (no AAAA record)")
        return Answer(str(ips6[0]), ips6, f"Docker's embedded DNS at 127.0.0.11 has {q}'s "
                      "AAAA record")
    if view.embedded and q in view.names:
        ips = tuple(view.names[q])
        return Answer(str(ips[0]), ips, f"Docker's embedded DNS at 127.0.0.11 knows {q}")
    if view.embedded and not view.forwards:
        return Answer(view.failure, (), f"{q} is unknown to the embedded DNS, which does not "
                      "forward for a container on internal networks only")
    where = ("the embedded DNS forwards it from the host to the LAN's server" if view.embedded
             else view.via)
    if path != Verdict.OPEN or upstream is None:
        if view.embedded:
            return Answer(view.failure, (), f"{q} is not a name Docker knows here; {where}, "
                          f"which cannot be reached ({path})")
        kind = UNREACHED.get(path, Verdict.TIMEOUT)
        return Answer(kind, (), f"{q}: {where}, which cannot be reached ({path})")
    if q in upstream and family == 6:  # lan.dns holds A records only
        return Answer(Verdict.NXDOMAIN, (), f"{q}: {where}, which has no AAAA record for it")
    if q in upstream:
        ips = tuple(upstream[q])
        return Answer(str(ips[0]), ips, f"{q}: {where}, which has a record")
    unknown = f"{q} is not a name Docker knows here;" if view.embedded or view.via == VIA \
        else f"{q}:"
    return Answer(Verdict.NXDOMAIN, (), f"{unknown} {where}: NXDOMAIN")



def _cluster(view: NameView, name: str, upstream: dict[str, list[IPv4Address]] | None,
             path: str, forwarded: str, family: int) -> Answer:
    """A pod's lookup through its cluster DNS: each name res_search tries, in order; NXDOMAIN,
    an empty answer or SERVFAIL go on to the next, a server that does not answer ends it."""
    assert view.zone is not None
    server = f"the cluster DNS at {view.nameserver}"
    if path != Verdict.OPEN:
        return Answer(UNREACHED.get(path, Verdict.TIMEOUT), (), f"{canonical(name)}: {server} "
                      f"cannot be reached ({path})")
    empty, failed, tried = False, False, []
    for q in candidates(view, name):
        got = view.zone.answer(q, six=family == 6)
        if got is None:  # CoreDNS forwards it: `forward . /etc/resolv.conf`, the LAN's server
            if forwarded in (Verdict.CLOSED, Verdict.UNREACHABLE) or (
                    forwarded == Verdict.OPEN and upstream is None):
                failed = True  # refused upstream: CoreDNS answers SERVFAIL at once
                tried.append(f"{q} (forwarded upstream: {forwarded}, SERVFAIL)")
                continue
            if forwarded != Verdict.OPEN:  # CoreDNS waits longer than libc's 1 s
                return Answer(Verdict.TIMEOUT, (), f"{'; '.join([*tried, q])}: {server} "
                              f"forwards {q} to the LAN's server, which it cannot reach "
                              f"({forwarded}); the client gives up first")
            rcode, ips = (NXDOMAIN, []) if q not in upstream else \
                ("noerror", [] if family == 6 else [str(ip) for ip in upstream[q]])
            where = f"{q} (forwarded to the LAN's server)"
        else:
            rcode, ips = got
            where = q
        if ips:
            addrs = tuple(ip_address(ip) for ip in ips)
            return Answer(ips[0], addrs, f"{'; '.join([*tried, where])}: {server} answers "
                          f"{', '.join(ips)}")
        empty = empty or rcode != NXDOMAIN
        tried.append(f"{where}: {'no address' if rcode != NXDOMAIN else 'NXDOMAIN'}")
    kind = Verdict.NXDOMAIN if empty or not failed else Verdict.SERVFAIL
    return Answer(kind, (), f"{server}, as res_search asks it: {'; '.join(tried)}")
