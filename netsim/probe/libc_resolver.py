"""The child of netsim.probe.resolve: joins a container's network namespace, bind-mounts its
files over /etc in a private mount namespace, and resolves names with libc. Standard library
(and dnslib) only, so it starts fast. Takes the namespace, the files' directory and a JSON
list of names as arguments; writes a JSON list of {result, evidence} on stdout.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from netsim.answer.verdict import Verdict

FILES = ("hosts", "resolv.conf", "nsswitch.conf")  # what Docker mounts into a container
TIMEOUT = 3.0  # the follow-up query outwaits the embedded DNS's own 1 s upstream wait
CLONE_NEWNET, CLONE_NEWNS = 0x40000000, 0x00020000
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH}


def _enter(ns: str, files: Path) -> None:
    libc = ctypes.CDLL(None, use_errno=True)

    def check(rc: int, what: str) -> None:
        if rc != 0:
            raise OSError(ctypes.get_errno(), f"{what}: {os.strerror(ctypes.get_errno())}")

    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    check(libc.setns(fd, CLONE_NEWNET), "setns")
    os.close(fd)
    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    for name in FILES:
        check(libc.mount(str(files / name).encode(), f"/etc/{name}".encode(), None, MS_BIND,
                         None), f"bind {name} over /etc/{name}")
    if Path("/var/run/nscd").is_dir():  # a name cache daemon would answer from outside
        check(libc.mount(b"tmpfs", b"/var/run/nscd", b"tmpfs", 0, None), "hide nscd")


def _nameserver() -> str | None:
    for line in Path("/etc/resolv.conf").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "nameserver":
            return parts[1]
    return None


def _ask(server: str, name: str, qtype: str = "A") -> tuple[str, str]:
    """One plain query: what the nameserver itself says (the kind of failure)."""
    from dnslib import DNSError, DNSRecord

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((server, 53))
        s.send(DNSRecord.question(name, qtype).pack())
        reply = DNSRecord.parse(s.recv(4096))
    except TimeoutError:
        return Verdict.TIMEOUT, f"no answer from {server} in {TIMEOUT:.0f} s"
    except ConnectionRefusedError:
        return Verdict.REFUSED, f"{server}:53 refused (ICMP port unreachable)"
    except OSError as e:
        kind = Verdict.UNREACHABLE if e.errno in UNREACHABLE else Verdict.TIMEOUT
        return kind, f"{server}: {errno.errorcode.get(e.errno, e.errno)}"
    except DNSError:
        return Verdict.TIMEOUT, f"{server} answered something that is not DNS"
    finally:
        s.close()
    kinds = {2: Verdict.SERVFAIL, 3: Verdict.NXDOMAIN, 5: Verdict.REFUSED}
    rcode = reply.header.rcode
    return kinds.get(rcode, Verdict.TIMEOUT), f"{server} answered rcode {rcode}"


FAMILY = {0: socket.AF_UNSPEC, 4: socket.AF_INET, 6: socket.AF_INET6}


def _resolve(asked: list) -> dict:
    """[name, family]: getaddrinfo in that family (6: AF_INET6, the AAAA answers; 0:
    AF_UNSPEC, both, in the order libc sorts them for this namespace, as a client asks)."""
    name, family = asked
    t0 = time.monotonic()
    try:
        got = socket.getaddrinfo(name, None, FAMILY[family], socket.SOCK_DGRAM)
    except socket.gaierror as e:
        took = f"getaddrinfo({name}): {e.strerror} after {time.monotonic() - t0:.2f} s"
        if e.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            return {"result": Verdict.NXDOMAIN, "evidence": [took]}
        server = _nameserver()
        if server is None:
            return {"result": Verdict.UNREACHABLE, "evidence": [took, "resolv.conf has no nameserver"]}
        kind, note = _ask(server, name, "AAAA" if family == 6 else "A")
        return {"result": kind, "evidence": [took, note]}
    addrs = list(dict.fromkeys(a[4][0] for a in got))
    return {"result": addrs[0], "evidence": [f"getaddrinfo({name}): {', '.join(addrs)}"]}


def main() -> None:
    ns, files, names = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
    _enter(ns, files)
    with ThreadPoolExecutor(max_workers=min(16, max(1, len(names)))) as pool:
        answers = list(pool.map(_resolve, names))
    sys.stdout.write(json.dumps(answers))


if __name__ == "__main__":
    main()
