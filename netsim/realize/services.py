"""The lab's services: echo listeners that answer with the peer address they saw (so NAT is
observed from the server side) and their own (which of a Service's endpoints answered), and
Docker's userland proxy (docker-proxy) on published ports.

They all run in one "keeper" process per lab, forked by `netsim up` and journaled, so the lab
stays alive between `netsim up` and `netsim probe`. The keeper lives in the lab's LAN namespace
so that cleanup finds it by namespace as well as by its journaled PID.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time

from netsim.model.graph import Listener, Model
from netsim.model.zone import NXDOMAIN, Zone
from netsim.realize import sandbox

ANSWER_TIMEOUT = 1.0
IP_PKTINFO = 8  # linux/in.h: learn a datagram's destination, answer from that same address
IPV6_RECVPKTINFO, IPV6_PKTINFO = 49, 50  # linux/in6.h: the same for IPv6


def _bind(ns: str, lst: Listener, family: int) -> socket.socket:
    """The listener's socket in `family`: an IPv6 one for an IPv6 address, and the [::] twin
    of an echo service at 0.0.0.0 (IPV6_V6ONLY: its IPv4 socket takes IPv4)."""
    with sandbox.in_netns(ns):
        kind = socket.SOCK_STREAM if lst.proto == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(socket.AF_INET6 if family == 6 else socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ip = str(lst.ip)
    if family == 6:
        twin = lst.ip.version == 4
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(twin or lst.v6only))
        ip = "::" if twin else ip
    s.bind((ip, lst.port))
    if lst.proto == "tcp":
        s.listen(256)
    elif family == 6:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.setblocking(False)
    return s


def _echo_tcp(sock: socket.socket) -> None:
    try:
        conn, peer = sock.accept()
    except BlockingIOError:
        return
    with conn, contextlib.suppress(OSError):
        local = conn.getsockname()  # after DNAT: which of a Service's endpoints this is
        conn.sendall(f"{peer[0]}:{peer[1]} {local[0]}:{local[1]}\n".encode())


def _recv_udp(sock: socket.socket) -> tuple[bytes, tuple, bytes]:
    """A datagram, its sender, and the local address it was sent to (IP(V6)_PKTINFO)."""
    data, anc, _, peer = sock.recvmsg(2048, socket.CMSG_SPACE(20))
    local = b"\0" * (16 if sock.family == socket.AF_INET6 else 4)
    for level, kind, value in anc:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO:
            local = value[8:12]  # in_pktinfo.ipi_addr: the header's destination address
        elif level == socket.IPPROTO_IPV6 and kind == IPV6_PKTINFO:
            local = value[:16]  # in6_pktinfo.ipi6_addr
    return data, peer, local


def _send_udp(sock: socket.socket, data: bytes, peer: tuple, local: bytes) -> None:
    """Answer from the address the client wrote to, as a connected client requires."""
    if sock.family == socket.AF_INET6:
        info = struct.pack("16sI", local, 0)
        sock.sendmsg([data], [(socket.IPPROTO_IPV6, IPV6_PKTINFO, info)], 0, peer)
        return
    info = struct.pack("I4s4s", 0, local, b"\0\0\0\0")
    sock.sendmsg([data], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, peer)


def _echo_udp(sock: socket.socket) -> None:
    with contextlib.suppress(BlockingIOError, OSError):
        _, peer, local = _recv_udp(sock)
        me = socket.inet_ntop(sock.family, local)
        _send_udp(sock, f"{peer[0]}:{peer[1]} {me}:{sock.getsockname()[1]}\n".encode(), peer,
                  local)


def _proxy_tcp(sock: socket.socket, ns: str, lst: Listener) -> None:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return
    threading.Thread(target=_relay_tcp, args=(conn, ns, lst), daemon=True).start()


def _relay_tcp(conn: socket.socket, ns: str, lst: Listener) -> None:
    """docker-proxy: a second connection from the host namespace; relay the answer back."""
    with conn:
        with sandbox.in_netns(ns):
            back = socket.socket(_family(lst.target[0]), socket.SOCK_STREAM)
        with back:
            back.settimeout(ANSWER_TIMEOUT)
            try:
                back.connect((str(lst.target[0]), lst.target[1]))
                data = back.recv(256)
                conn.settimeout(ANSWER_TIMEOUT)
                conn.sendall(data)
            except OSError:
                pass  # like docker-proxy: the client's connection just closes


def _proxy_udp(sock: socket.socket, ns: str, lst: Listener) -> None:
    try:
        data, peer, local = _recv_udp(sock)
    except (BlockingIOError, OSError):
        return

    def relay() -> None:
        with sandbox.in_netns(ns):
            back = socket.socket(_family(lst.target[0]), socket.SOCK_DGRAM)
        with back:
            back.settimeout(ANSWER_TIMEOUT)
            try:
                back.sendto(data, (str(lst.target[0]), lst.target[1]))
                answer, _ = back.recvfrom(2048)
                if lst.routed_reply:  # 20.10's docker-proxy: a plain WriteTo, the route
                    sock.sendto(answer, peer)  # picks the source (Listener.routed_reply)
                else:
                    _send_udp(sock, answer, peer, local)
            except OSError:
                pass

    threading.Thread(target=relay, daemon=True).start()


def _dns(sock: socket.socket, conf: dict) -> None:
    """Docker's embedded resolver (names of this container's networks, the rest forwarded from
    the host namespace), or the LAN's server (records, else NXDOMAIN)."""
    from dnslib import AAAA, QTYPE, RCODE, RR, A, DNSError, DNSRecord

    try:
        data, peer, local = _recv_udp(sock)
        query = DNSRecord.parse(data)
    except (OSError, DNSError):  # not a DNS query: ignored, as a resolver would
        return
    name = str(query.q.qname).rstrip(".").lower()
    reply = query.reply()
    zone = conf.get("zone")
    got = Zone(**zone).answer(name, query.q.qtype == QTYPE.AAAA) if zone else None
    if got is not None:  # CoreDNS's own zone: authoritative, NXDOMAIN for what it lacks
        rcode, ips = got
        reply.header.aa = 1
        if rcode == NXDOMAIN:
            reply.header.rcode = RCODE.NXDOMAIN
        elif query.q.qtype == QTYPE.A:
            for ip in ips:
                reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A(ip), ttl=5))
        _send_udp(sock, reply.pack(), peer, local)
        return
    if name in conf["names"]:
        if query.q.qtype == QTYPE.A:
            for ip in conf["names"][name]:
                reply.add_answer(RR(query.q.qname, QTYPE.A, rdata=A(str(ip)), ttl=600))
        elif query.q.qtype == QTYPE.AAAA:  # a name without IPv6: NOERROR, no answer
            for ip in conf.get("names6", {}).get(name, ()):
                reply.add_answer(RR(query.q.qname, QTYPE.AAAA, rdata=AAAA(ip), ttl=600))
        _send_udp(sock, reply.pack(), peer, local)
        return
    if conf["forward"] is not None:
        threading.Thread(target=_forward, args=(sock, data, peer, local, conf), daemon=True).start()
        return
    _fail(sock, reply, peer, local, conf["failure"], RCODE)


def _fail(sock: socket.socket, reply, peer: tuple, local: bytes, failure: str, rcode) -> None:
    if failure == "timeout":
        return  # nothing comes back, as from a resolver whose upstream is silent
    reply.header.rcode = rcode.NXDOMAIN if failure == "nxdomain" else rcode.SERVFAIL
    _send_udp(sock, reply.pack(), peer, local)


def _forward(sock: socket.socket, data: bytes, peer: tuple, local: bytes, conf: dict) -> None:
    from dnslib import RCODE, DNSRecord

    host_ns, server = conf["forward"]
    with sandbox.in_netns(host_ns):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with up:
        up.settimeout(ANSWER_TIMEOUT)
        try:  # connected: an ICMP port unreachable fails at once, as Docker's resolver sees it
            up.connect((server, 53))
            up.send(data)
            answer = up.recv(4096)
        except OSError as e:  # CoreDNS: SERVFAIL at once when refused, nothing in time else
            said = conf["failure"] if isinstance(e, TimeoutError) else \
                conf.get("refused", conf["failure"])
            _fail(sock, DNSRecord.parse(data).reply(), peer, local, said, RCODE)
            return
    _send_udp(sock, answer, peer, local)


def _family(ip: object) -> int:
    return socket.AF_INET6 if getattr(ip, "version", 4) == 6 else socket.AF_INET


def serve(entries: list[tuple[str, Listener, socket.socket]], dns: dict) -> None:
    sel = selectors.DefaultSelector()
    for ns, lst, sock in entries:
        if lst.role == "dns":
            sel.register(sock, selectors.EVENT_READ,
                         lambda s, conf=dns[(ns, lst.port)]: _dns(s, conf))
        elif lst.role == "proxy":
            handler = _proxy_tcp if lst.proto == "tcp" else _proxy_udp
            sel.register(sock, selectors.EVENT_READ,
                         lambda s, ns=ns, lst=lst, h=handler: h(s, ns, lst))
        elif lst.role == "echo":
            sel.register(sock, selectors.EVENT_READ, _echo_tcp if lst.proto == "tcp" else _echo_udp)
    while True:
        for key, _ in sel.select():
            key.data(key.fileobj)


def listeners(model: Model, names: dict[str, str]) -> list[tuple[str, Listener, int]]:
    """(namespace, listener, family) per socket: an echo service at 0.0.0.0 in a namespace
    with IPv6 has a [::] twin (the model's Listener says so)."""
    out = []
    for ns_id, ns in model.ns.items():
        v6 = model.ipv6_on(ns_id)
        for lst in ns.listeners:
            if lst.role not in ("echo", "proxy", "dns"):
                continue
            out.append((names[ns_id], lst, lst.ip.version))
            if v6 and lst.role == "echo" and lst.ip.version == 4 and lst.ip.is_unspecified:
                out.append((names[ns_id], lst, 6))
    return out


def dns_tables(model: Model, names: dict[str, str]) -> dict[tuple[str, int], dict]:
    """(namespace, port) -> what that DNS server answers (model/dns.py decides it)."""
    out: dict[tuple[str, int], dict] = {}
    router = str(model.endpoints["router"].addresses["lan"])
    texts: dict[int, dict] = {}  # a table many views share is written out once

    def text(table: dict) -> dict:
        if id(table) not in texts:
            texts[id(table)] = {n: [str(ip) for ip in ips] for n, ips in table.items()}
        return texts[id(table)]

    for cname, view in model.names.items():
        if not view.resolver_port:
            continue
        ns_id = model.endpoints[cname].ns
        forward = (names[model.ns[ns_id].host], str(view.upstream or router)) \
            if view.forwards else None
        out.setdefault((names[ns_id], view.resolver_port), {
            "names": text(view.names), "names6": text(view.names6),
            "forward": forward, "failure": view.failure})
    for ns_id in model.zones:  # CoreDNS pods: forward from their own namespace
        out[(names[ns_id], 53)] = {"names": {}, "zone": model.zones[ns_id].as_dict(),
                                   "forward": (names[ns_id], router), "failure": "timeout",
                                   "refused": "servfail"}
    if model.lan_dns is not None:
        out[(names["router"], 53)] = {
            "names": {n: [str(ip) for ip in ips] for n, ips in model.lan_dns.items()},
            "forward": None, "failure": "nxdomain"}
    return out


def start(model: Model, names: dict[str, str], home_ns: str) -> int:
    """Fork the keeper; return its PID once every socket is bound (or raise its error)."""
    wanted = listeners(model, names)
    dns = dns_tables(model, names)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the keeper
        os.close(r)
        try:
            # none of the caller's descriptors (a `flock` lock, a pipe) may live on in here
            limit = os.sysconf("SC_OPEN_MAX")
            os.closerange(3, w)
            os.closerange(w + 1, limit)
            os.setsid()
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            entries = [(ns, lst, _bind(ns, lst, family)) for ns, lst, family in wanted]
            fd = os.open(sandbox.NETNS_DIR / home_ns, os.O_RDONLY)
            sandbox.setns(fd)  # live in the lab: cleanup finds us by namespace too
            os.close(fd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for std in (0, 1, 2):
                os.dup2(devnull, std)
            os.write(w, b"ok\n")
            os.close(w)
            serve(entries, dns)
        except BaseException as e:
            with contextlib.suppress(OSError):
                said = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
                os.write(w, f"error {said}\n".encode())
        finally:
            os._exit(1)
    os.close(w)
    answer = b""
    deadline = time.monotonic() + 10
    while not answer.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(r, 1024)
        if not chunk:
            break
        answer += chunk
    os.close(r)
    text = answer.decode().strip()
    if text != "ok":
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise RuntimeError(f"the lab's services did not start: {text or 'no answer'}")
    return pid


if __name__ == "__main__":  # pragma: no cover
    sys.exit("netsim.realize.services is started by `netsim up`")
