"""Real probes: sockets made inside each source namespace, answers read from the kernel.

TCP: a non-blocking connect (open / closed = refused / blocked = no answer or unreachable),
then the echo service's line tells which source address the server saw. UDP: a datagram to
the echo service (open = answer, closed = ICMP port unreachable). ICMP: echo requests packed
by hand, sent on one raw socket per source namespace (DF set for `size:`); scapy dissects ICMP
errors. Names (proto "dns") are resolved by the real libc inside the container
(netsim.probe.resolve), never here.

All probes of a wave are in flight at once, sent by two threads (each in its sources'
namespaces: setns is per thread; the kernel's work is done in the sendto/connect call with
the GIL released, so both cores carry it); a wave holds as many new neighbours as the
machine-wide ARP table can take (it is shared by every namespace and capped by gc_thresh3),
and between waves the lab's own neighbour caches are flushed. A negative answer is retried
once; when the ARP table overflowed during a probe its negative verdict is `inconclusive`.
"""

from __future__ import annotations

import errno
import os
import random
import selectors
import socket
import struct
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict
from netsim.probe.icmp import ECHO6_REPLY, ECHO6_REQUEST, ICMP6_ERRORS, echo_request
from netsim.realize import sandbox

TIMEOUT = 1.0
IP_MTU_DISCOVER, IP_PMTUDISC_DO = 10, 2
IPV6_MTU_DISCOVER = 23  # linux/in6.h (IPV6_PMTUDISC_DO is 2 too)
FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6}
NEGATIVE = (Verdict.BLOCKED,)  # answers that may be a lost packet: retried, never trusted
SENDERS = min(2, os.cpu_count() or 1)  # threads sending a wave: the kernel's work per probe
SPLIT_FROM = 64  # (sendto, connect) runs in the sender's syscall, the GIL released


def _table(name: str) -> tuple[int, int]:
    """A machine-wide neighbour table's entries and table_fulls (/proc/net/stat)."""
    path = Path("/proc/net/stat") / name
    if not path.exists():  # ndisc_cache without IPv6
        return 0, 0
    rows = [r.split() for r in path.read_text().splitlines()]
    col = {n: i for i, n in enumerate(rows[0])}
    cpus = [[int(x, 16) for x in r] for r in rows[1:] if r]
    return cpus[0][col["entries"]], sum(r[col["table_fulls"]] for r in cpus)


def neigh_stats() -> dict[str, int]:
    """The machine-wide neighbour tables, ARP's and NDP's (read-only; their limits live in
    the root ns): waves are sized by ARP's; an overflow of either makes a verdict doubtful."""
    entries, fulls = _table("arp_cache")
    fulls += _table("ndisc_cache")[1]
    thresh = int(Path("/proc/sys/net/ipv4/neigh/default/gc_thresh3").read_text())
    return {"entries": entries, "table_fulls": fulls, "gc_thresh3": thresh}


RST_ON_CLOSE = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close() sends a RST


class _Flusher:
    """Empties the lab's neighbour caches: toggling IFF_NOARP flushes a device's entries
    (and keeps its routes), one netlink message each, over one socket per namespace."""

    def __init__(self, targets: list[tuple[str, str]]):
        self.socks: dict[str, socket.socket] = {}
        self.devs: list[tuple[str, int]] = []
        for ns, ifname in targets:
            with sandbox.in_netns(ns):
                if ns not in self.socks:
                    self.socks[ns] = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
                try:
                    self.devs.append((ns, socket.if_nametoindex(ifname)))
                except OSError:
                    continue
        self.seq = 0

    def _set(self, ns: str, index: int, noarp: bool) -> None:
        self.seq += 1
        body = struct.pack("BxHiII", 0, 0, index, 0x80 if noarp else 0, 0x80)
        self.socks[ns].send(struct.pack("IHHII", 16 + len(body), 16, 0x5, self.seq, 0) + body)
        self.socks[ns].recv(4096)

    def flush(self) -> None:
        for ns, index in self.devs:
            self._set(ns, index, True)
            self._set(ns, index, False)

    def close(self) -> None:
        for s in self.socks.values():
            s.close()


@dataclass
class _Wave:
    members: list[int] = field(default_factory=list)
    keys: set = field(default_factory=set)  # (source namespace, destination): new neighbours
    pairs: set = field(default_factory=set)  # (from, to)
    sources: set = field(default_factory=set)
    cold_targets: set = field(default_factory=set)  # destinations of `cold` probes

    def admits(self, p: Probe, capacity: int) -> bool:
        if (p.to, p.src) in self.pairs or p.src in self.cold_targets:
            return False
        if p.cold and p.to in self.sources:
            return False
        return (p.src_ns, p.dst) in self.keys or len(self.keys) < capacity

    def add(self, i: int, p: Probe) -> None:
        self.members.append(i)
        self.keys.add((p.src_ns, p.dst))
        self.pairs.add((p.src, p.to))
        self.sources.add(p.src)
        if p.cold:
            self.cold_targets.add(p.to)


GRACE = 0.02  # s: how long a wave's packets get to reach the rules before counters are read


def _snmp() -> dict[tuple[str, str, int], int]:
    """The calling thread's namespace's IpExt counters (InNoRoutes: forwarded packets with no
    route), keyed like rule counters."""
    out = {}
    lines = Path("/proc/thread-self/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("IpExt:"):
            out = {("snmp", n, 0): int(v) for n, v in zip(names.split()[1:],
                                                         values.split()[1:], strict=True)}
    six = Path("/proc/thread-self/net/snmp6")  # IPv6's (Ip6InNoRoutes): absent without IPv6
    if six.exists():
        for line in six.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name.startswith("Ip6"):
                out[("snmp", name, 0)] = int(value.strip())
    return out


class _Counted:
    """Blocked verdicts proven by the counter of the rule the model says drops them: once
    every probe still waiting in a wave is one the model says a rule drops, and that rule's
    counter rose by exactly the number of the wave's probes sent there that no answer let
    through, the waiting ones are blocked there — no need to wait out the timeout, nor to
    ask again. Anything else (a probe the model says passes still waiting, a count that
    differs) waits as before: the model only says where to look."""

    def __init__(self, probes: list[Probe], prober: Prober):
        self.prober = prober  # whose namespace fds the reads go through
        self.all = {k: p.drop for k, p in enumerate(probes) if p.drop}
        self.keyed = dict(self.all)  # those not decided yet
        self.before = self._read(set(self.all.values())) if self.all else {}

    def _read(self, rules: set[tuple]) -> dict[str, dict]:
        """The counters of those rules' chains, per namespace."""
        from netsim.realize import nft

        chains: dict[str, set[tuple[str, str]]] = {}
        for ns, table, chain, _, _ in rules:
            chains.setdefault(ns, set()).add((table, chain))
        out = {}
        try:
            for ns, wanted in chains.items():
                self.prober.enter(ns)
                nft_chains = {c for c in wanted if c[0] != "snmp"}
                out[ns] = (nft.counters(nft_chains) if nft_chains else {}) | (
                    _snmp() if len(nft_chains) < len(wanted) else {})
        finally:
            self.prober.home()
        return out

    def confirm(self, sel: selectors.BaseSelector, icmp_wait: dict, out: list[Outcome]) -> int:
        """Decide what the counters prove; how many sockets were closed."""
        sockets = {key.data[0]: key for key in sel.get_map().values()
                   if not isinstance(key.data[0], str)}
        waiting = set(sockets) | set(icmp_wait.values())
        if not waiting or not waiting <= self.keyed.keys():
            return 0
        now = self._read({self.keyed[k] for k in waiting})
        by_rule: dict[tuple, list[int]] = {}
        for k in waiting:
            by_rule.setdefault(self.keyed[k], []).append(k)
        closed = 0
        for rule, ks in by_rule.items():
            ns, table, chain, index, what = rule
            # every probe of the wave the model sends there and no answer has passed: those
            # that are waiting, and those an ICMP error already decided (a rate-limited
            # router answers the first few only, but counts them all)
            hit = [k for k, r in self.all.items() if r == rule and out[k].result == Verdict.BLOCKED]
            rose = now[ns].get((table, chain, index), 0) - \
                self.before[ns].get((table, chain, index), 0)
            if rose != len(hit):
                continue
            name = f"{'IpExt ' * (not chain.startswith('Ip6'))}{chain}" if table == "snmp" \
                else f"{table} {chain} {what}"
            for k in ks:
                out[k].counted = True
                out[k].evidence.append(f"dropped: the counter of {name} in {ns} rose by {rose} "
                                       f"for the {len(hit)} probe(s) the model says it drops")
                if k in sockets:
                    sel.unregister(sockets[k].fileobj)
                    sockets[k].fileobj.close()
                    closed += 1
            for ident in [i for i, k in icmp_wait.items() if k in ks]:
                del icmp_wait[ident]
            for k in ks:
                del self.keyed[k]
        return closed


class Prober:
    def __init__(self, names: dict[str, str], flush_targets: list[tuple[str, str]],
                 timeout: float = TIMEOUT, progress: Callable[[int, int], None] | None = None):
        self.names = names
        self.progress = progress  # called (done, total) after each wave
        self.timeout = timeout
        self.flusher = _Flusher(flush_targets)
        self.icmp: dict[str, socket.socket] = {}
        self._fds: dict[str, int] = {}  # namespace -> an open fd of it, for setns
        self._here = threading.local()  # per sending thread: .ns it is in, .home fd
        self._pool = ThreadPoolExecutor(SENDERS - 1) if SENDERS > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.flusher.close()
        for s in self.icmp.values():
            s.close()
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def enter(self, ns: str) -> None:
        """Stay in a source's namespace while its probes' sockets are made (a wave is sorted
        by source): one setns per source, not two opens, two setns and two closes each."""
        here = self._here
        if getattr(here, "ns", None) == ns:
            return
        if getattr(here, "home", None) is None:
            here.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        if ns not in self._fds:
            self._fds[ns] = os.open(sandbox.NETNS_DIR / ns, os.O_RDONLY)
        sandbox.setns(self._fds[ns])
        here.ns = ns

    def home(self) -> None:
        here = self._here
        if getattr(here, "ns", None) is not None:
            sandbox.setns(here.home)
            here.ns = None
        if getattr(here, "home", None) is not None:
            os.close(here.home)
            here.home = None

    def _open_fds(self, probes: list[Probe]) -> None:
        """Every source's namespace fd, opened before the senders start (they share them)."""
        for p in probes:
            ns = self.names[p.src_ns]
            if ns not in self._fds:
                self._fds[ns] = os.open(sandbox.NETNS_DIR / ns, os.O_RDONLY)

    # --- the whole job ------------------------------------------------------------------
    def run(self, probes: list[Probe]) -> list[Outcome]:
        results: list[Outcome | None] = [None] * len(probes)
        todo = list(range(len(probes)))
        done, total = 0, len(probes)
        for attempt in (1, 2):
            if attempt == 2:
                total += len(todo)  # negative answers are asked once more
            for wave in self._waves(probes, todo):
                before = neigh_stats()["table_fulls"]
                got = self._wave([probes[i] for i in wave])
                overflowed = neigh_stats()["table_fulls"] > before
                for i, obs in zip(wave, got, strict=True):
                    obs.attempts = attempt
                    if overflowed and obs.result in NEGATIVE:
                        obs.result = Verdict.INCONCLUSIVE
                        obs.evidence.append("the machine's ARP table overflowed during the probe")
                    results[i] = obs
                self.flusher.flush()
                done += len(wave)
                if self.progress:
                    self.progress(done, total)
            todo = [i for i in todo if results[i].result in (*NEGATIVE, Verdict.INCONCLUSIVE)
                    and not results[i].counted]
            if not todo:
                break
        return results  # type: ignore[return-value]

    def _waves(self, probes: list[Probe], todo: list[int]) -> list[list[int]]:
        """Waves that fit the ARP table, in which every probe starts with cold neighbour caches
        as the prediction assumes. Linux updates an entry it is still resolving from *any* ARP
        packet of that neighbour, so a probe that the model says dies for want of an ARP answer
        (`cold`) never shares a wave with a probe sent by its destination; and no probe meets
        its own reverse (B's request would teach A the MAC of B)."""
        stats = neigh_stats()
        budget = max(64, int(stats["gc_thresh3"] * 0.7) - stats["entries"])
        pairs_per_wave = max(16, budget // 3)  # a flow can add 2-3 entries (both ends, a hop)
        waves: list[_Wave] = []
        open_: list[_Wave] = []  # waves with room for a new neighbour
        holding: dict[tuple, list[_Wave]] = {}  # a full wave still takes the keys it has
        for i in sorted(todo, key=lambda i: probes[i].src_ns):
            p = probes[i]
            key = (p.src_ns, p.dst)
            wave = next((w for w in holding.get(key, ()) if w.admits(p, pairs_per_wave)),
                        None) or next((w for w in open_ if w.admits(p, pairs_per_wave)), None)
            if wave is None:
                wave = _Wave()
                waves.append(wave)
                open_.append(wave)
            if key not in wave.keys:
                holding.setdefault(key, []).append(wave)
            wave.add(i, p)
            if len(wave.keys) >= pairs_per_wave and wave in open_:
                open_.remove(wave)
        return [w.members for w in waves]

    # --- one wave: everything in flight at once -----------------------------------------
    def _wave(self, probes: list[Probe]) -> list[Outcome]:
        sel = selectors.DefaultSelector()
        out = [Outcome(Verdict.BLOCKED, dst=p.dst) for p in probes]
        icmp_wait: dict[tuple[str, int, int], int] = {}
        counted = _Counted(probes, self)
        self._open_fds(probes)
        mine, *theirs = self._split(probes)
        parts = [self._pool.submit(self._send, probes, out, *cut) for cut in theirs]
        sent = [self._send(probes, out, *mine)] + [f.result() for f in parts]
        pending = 0
        for socks, pings in sent:
            icmp_wait.update(pings)
            for s, k, p in socks:
                sel.register(s, selectors.EVENT_WRITE if p.proto == "tcp"
                             else selectors.EVENT_READ, (k, p))
            pending += len(socks)
        for ns in {n for n, _, _ in icmp_wait}:
            for key in (ns, f"{ns}/6"):
                if key in self.icmp:
                    sel.register(self.icmp[key], selectors.EVENT_READ, ("icmp", key))
        start = time.monotonic()
        deadline = start + self.timeout
        while (pending or icmp_wait) and time.monotonic() < deadline:
            wait = max(0.0, deadline - time.monotonic())
            if counted.keyed:
                wait = min(wait, GRACE)
            for key, _ in sel.select(wait):
                if key.data[0] == "icmp":
                    self._pong(key.fileobj, key.data[1], icmp_wait, out)
                    continue
                if self._answer(sel, key, out):
                    pending -= 1
            if counted.keyed and time.monotonic() - start >= GRACE:
                pending -= counted.confirm(sel, icmp_wait, out)
        for key in list(sel.get_map().values()):
            sel.unregister(key.fileobj)
            if not isinstance(key.data[0], str):
                out[key.data[0]].evidence.append(f"no answer in {self.timeout:.1f} s")
                key.fileobj.close()
        for k in icmp_wait.values():
            out[k].evidence.append(f"no echo reply in {self.timeout:.1f} s")
        sel.close()
        return out

    def _split(self, probes: list[Probe]) -> list[tuple[int, int]]:
        """The wave cut into a slice per sender, at a change of source (a wave is sorted by
        source), so that one namespace's ICMP socket is only ever used by one thread."""
        n = len(probes)
        if self._pool is None or n < SPLIT_FROM:
            return [(0, n)]
        cut = n // 2
        while cut < n and probes[cut].src_ns == probes[cut - 1].src_ns:
            cut += 1
        return [(0, cut), (cut, n)] if cut < n else [(0, n)]

    def _send(self, probes: list[Probe], out: list[Outcome], k0: int, k1: int
              ) -> tuple[list[tuple[socket.socket, int, Probe]], dict]:
        """Send probes k0..k1 from this thread: the sockets to wait on and the pings sent."""
        socks, pings = [], {}
        try:
            for k in range(k0, k1):
                p = probes[k]
                ns = self.names[p.src_ns]
                if p.dst is None:
                    out[k].evidence.append("the destination has no address")
                    continue
                try:
                    if p.proto == "icmp":
                        ident, seq = self._ping(ns, p)
                        pings[(ns, ident, seq)] = k
                        continue
                    socks.append((self._open(ns, p), k, p))
                except OSError as e:
                    out[k].evidence.append(f"{errno.errorcode.get(e.errno, e.errno)}: "
                                           f"{e.strerror}")
        finally:
            self.home()
        return socks, pings

    def _open(self, ns: str, p: Probe) -> socket.socket:
        self.enter(ns)
        kind = socket.SOCK_STREAM if p.proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(FAMILY[p.dst.version], kind)
        s.setblocking(False)
        if p.proto == "tcp":
            rc = s.connect_ex((str(p.dst), p.port))
            if rc not in (0, errno.EINPROGRESS):
                s.close()
                raise OSError(rc, os.strerror(rc))
        else:
            s.connect((str(p.dst), p.port))
            s.send(b"netsim probe\n")
        return s

    def _answer(self, sel: selectors.BaseSelector, key, out: list[Outcome]) -> bool:
        """Handle one ready socket; True when that probe is decided."""
        s: socket.socket = key.fileobj
        k, p = key.data
        if p.proto == "tcp" and key.events == selectors.EVENT_WRITE:
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                out[k].result = Verdict.CLOSED if err == errno.ECONNREFUSED else Verdict.BLOCKED
                out[k].evidence.append(errno.errorcode.get(err, str(err)))
                sel.unregister(s)
                s.close()
                return True
            out[k].result = Verdict.OPEN
            out[k].evidence.append("connected")
            sel.modify(s, selectors.EVENT_READ, (k, p))
            return False
        try:
            data = s.recv(4096)
        except ConnectionRefusedError:
            out[k].result = Verdict.CLOSED
            out[k].evidence.append("ICMP port unreachable" if p.proto != "tcp" else "RST")
        except OSError as e:
            out[k].evidence.append(errno.errorcode.get(e.errno, str(e)))
        else:
            out[k].result = Verdict.OPEN
            line = data.decode(errors="replace").strip()
            out[k].evidence.append(f"echo {line!r}" if line else "closed without an answer")
            if line:  # "PEER:PORT LOCAL:PORT" (an older echo: the peer only)
                words = [w.rsplit(":", 1)[0].strip("[]") for w in line.split()]
                try:
                    out[k].source_seen = ip_address(words[0])
                    out[k].served_by = ip_address(words[1]) if len(words) > 1 else None
                except ValueError:
                    pass
        sel.unregister(s)
        if p.proto == "tcp":  # answered: a RST ends it (no FIN and ACK, no TIME_WAIT)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RST_ON_CLOSE)
        s.close()
        return True

    # --- ICMP ---------------------------------------------------------------------------
    def _ping(self, ns: str, p: Probe) -> tuple[int, int]:
        v6 = p.dst.version == 6
        key = f"{ns}/6" if v6 else ns  # one raw socket per namespace and family
        if key not in self.icmp:
            self.enter(ns)
            self.icmp[key] = socket.socket(FAMILY[p.dst.version], socket.SOCK_RAW,
                                           socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
            self.icmp[key].setblocking(False)
        s = self.icmp[key]
        df = IP_PMTUDISC_DO if p.size is not None else 0
        if v6:  # IPv6 never fragments on the way; DO: the sender does not either
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, df)
        else:
            s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, df)
        ident, seq = random.randint(1, 65535), random.randint(1, 65535)
        payload = b"\x00" * (p.size if p.size is not None else 56)
        # ICMPv6: the kernel fills in the checksum (it covers a pseudo-header it writes)
        s.sendto(echo_request(ident, seq, payload, ECHO6_REQUEST if v6 else 8), (str(p.dst), 0))
        return ident, seq

    def _pong(self, s: socket.socket, key: str, wait: dict, out: list[Outcome]) -> None:
        if key.endswith("/6"):
            self._pong6(s, key[:-2], wait, out)
            return
        ns = key
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            hl = (data[0] & 0x0F) * 4
            kind = data[hl]
            if kind == 0:  # echo reply: the hot path, read without dissecting
                ident, seq = struct.unpack_from("!HH", data, hl + 4)
                k = wait.pop((ns, ident, seq), None)
                if k is not None:
                    out[k].result = Verdict.REACH
                    out[k].evidence.append(f"echo reply from {socket.inet_ntoa(data[12:16])}")
            elif kind in (3, 11):
                self._icmp_error(data, ns, wait, out)

    def _pong6(self, s: socket.socket, ns: str, wait: dict, out: list[Outcome]) -> None:
        """ICMPv6 from a raw socket (no IP header): echo replies, and the errors that quote
        our echo request (its IPv6 header is 40 bytes, our id and seq follow the type)."""
        while True:
            try:
                data, peer = s.recvfrom(65535)
            except BlockingIOError:
                return
            kind = data[0]
            if kind == ECHO6_REPLY:
                k = wait.pop((ns, *struct.unpack_from("!HH", data, 4)), None)
                if k is not None:
                    out[k].result = Verdict.REACH
                    out[k].evidence.append(f"echo reply from {peer[0]}")
            elif kind in ICMP6_ERRORS and len(data) >= 8 + 40 + 8 and data[8 + 40] == \
                    ECHO6_REQUEST:
                k = wait.pop((ns, *struct.unpack_from("!HH", data, 8 + 40 + 4)), None)
                if k is not None:
                    out[k].evidence.append(f"ICMPv6 {ICMP6_ERRORS[kind]} (code {data[1]}) "
                                           f"from {peer[0]}")

    def _icmp_error(self, data: bytes, ns: str, wait: dict, out: list[Outcome]) -> None:
        """Unreachable / time exceeded: scapy dissects the quoted packet for the evidence."""
        from scapy.layers.inet import ICMP, IP, ICMPerror, IPerror

        pkt = IP(data)
        if not pkt.haslayer(ICMPerror):
            return
        inner, icmp = pkt[ICMPerror], pkt[ICMP]
        k = wait.pop((ns, inner.id, inner.seq), None)
        if k is not None:
            out[k].evidence.append(f"ICMP type {icmp.type} code {icmp.code} from {pkt.src} "
                                   f"about {pkt[IPerror].dst}")
