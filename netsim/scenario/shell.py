"""What a tutorial types inside a container, read as the probe it is.

    $ docker attach alpine1          $ docker exec -it web ping -c 2 db
    / # ping -c 2 alpine2            $ docker exec web wget -qO- http://api:8080/
    # nslookup alpine3

`ping`, `nslookup`, `wget`, `curl` and `nc -z` (busybox's and the usual Linux tools' flags)
become probes, in the tutorial's order; what else is typed (`ip addr`, `cat /etc/hosts`, `exit`)
changes nothing netsim models and is noted. The words are kept as typed so a report can show
what the command would print (netsim.report.printed).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Typed:
    """One probe a typed command asks for."""

    container: str  # where it was typed
    text: str  # as typed
    line: int  # in the scenario file
    tool: str  # ping | nslookup | wget | curl | nc
    target: str  # a name or an IPv4 address, as typed
    proto: str  # icmp | tcp | udp | dns
    port: int | None = None
    count: int = 4  # ping -c (busybox pings until stopped: netsim shows 4)
    size: int = 56  # ping -s


# flags that take a value, per tool: (short letters, long names); the rest are switches; a
# value glued to its letter (-c2, -qO-) works as getopt reads it
_VALUED: dict[str, tuple[str, set[str]]] = {
    "ping": ("cstwWIiQp", set()),
    "wget": ("OoTtUYPe", {"--output-document", "--timeout", "--tries", "--user-agent",
                          "--header"}),
    "curl": ("omHXdAeuxwr", {"--output", "--max-time", "--connect-timeout", "--header",
                             "--request", "--data", "--user-agent", "--user", "--proxy",
                             "--write-out", "--retry"}),
    "nc": ("wipsq", set()),
    "nslookup": ("", set()),  # -type=A, -port=53: their values are glued
}
# what else a tutorial types: shows or leaves, changes nothing netsim models
SHOWS = {"ip", "ifconfig", "route", "cat", "hostname", "ls", "env", "ps", "netstat", "ss",
         "exit", "apk", "apt", "apt-get", "echo", "traceroute", "arp", "uname", "whoami", "id",
         "dig", "host", "getent", "tcpdump", "sh", "ash", "bash", "top", "df", "mount", "grep",
         "iptables", "nft", "brctl", "bridge", "lsof"}


# what a host's shell line may run and still change nothing (`ip addr show`, `netstat -tulpn |
# grep :80`): `ip` only in its show forms; shells, package managers and mounts change things
_CHANGES = {"sh", "ash", "bash", "apk", "apt", "apt-get", "mount", "exit"}
_IP_SHOWS = {"show", "list", "ls", "get", "lst"}


def reads(argv: list[str]) -> bool:
    """A line typed on a host that only shows what is there: every stage of a pipeline, and
    nothing redirected into a file (`echo 1 > /proc/sys/net/ipv4/ip_forward` changes it)."""
    if any(w.startswith(">") or w in ("&&", "||", ";") for w in argv):
        return False
    stages: list[list[str]] = [[]]
    for w in argv:
        stages.append([]) if w == "|" else stages[-1].append(w)
    return all(_stage_reads(stage) for stage in stages)


def _stage_reads(argv: list[str]) -> bool:
    if not argv or argv[0] not in SHOWS or argv[0] in _CHANGES:
        return False
    words = [w for w in argv[1:] if not w.startswith("-")]
    if argv[0] in ("ip", "route", "ifconfig", "bridge"):
        return len(words) <= 1 or words[1] in _IP_SHOWS
    if argv[0] in ("brctl", "nft"):
        return words[:1] in (["show"], ["list"])
    if argv[0] == "iptables":  # -L / -S list; anything else writes a rule
        return any(re.fullmatch(r"-\w*[LS]\w*|--list(-rules)?", w) for w in argv[1:])
    return True


def tools() -> set[str]:
    """The words a typed line may start with: after `docker attach`, `# WORD ...` is typed."""
    return set(_VALUED) | SHOWS


def read(container: str, text: str, line: int) -> Typed | str:
    """The probe `text` asks for, or the note that says why it asks for none."""
    try:
        argv = shlex.split(text)
    except ValueError as e:
        return f"cannot split `{text}`: {e}"
    if not argv:
        return "nothing typed"
    tool = argv[0].rsplit("/", 1)[-1]
    if tool == "busybox" and len(argv) > 1:
        tool, argv = argv[1], argv[1:]
    if tool not in _VALUED:
        return f"`{tool}` shows what is there and changes nothing: no probe"
    opts, rest = _split(argv[1:], _VALUED[tool])
    return _READERS[tool](container, text, line, opts, rest)


def _split(words: list[str], valued: tuple[str, set[str]]) -> tuple[dict[str, str], list[str]]:
    """Flags (with their values) and the positional words, as getopt reads them."""
    letters, longs = valued
    opts: dict[str, str] = {}
    rest: list[str] = []
    it = iter(words)
    for w in it:
        if w.startswith("--"):
            key, eq, value = w.partition("=")
            opts[key] = value if eq else (next(it, "") if key in longs else "")
        elif w.startswith("-") and len(w) > 1:
            for i, ch in enumerate(w[1:], 1):  # -qO- , -c2, -zv
                if ch in letters:
                    opts[f"-{ch}"] = w[i + 1:] or next(it, "")
                    break
                opts[f"-{ch}"] = ""
        else:
            rest.append(w)
    return opts, rest


def _ping(container: str, text: str, line: int, opts: dict, rest: list[str]) -> Typed | str:
    if not rest:
        return "ping without a host: busybox prints its usage"
    count = _number(opts.get("-c"), 4)
    size = _number(opts.get("-s"), 56)
    if count is None or size is None or size > 65507:
        return f"`{text}`: ping refuses its count or size"
    return Typed(container, text, line, "ping", rest[-1], "icmp", None, max(count, 1), size)


def _nslookup(container: str, text: str, line: int, opts: dict, rest: list[str]) -> Typed | str:
    if not rest:
        return "nslookup without a name: busybox prints its usage"
    if len(rest) > 1:
        return f"`{text}` asks the server {rest[1]}, not the container's own: no probe"
    return Typed(container, text, line, "nslookup", rest[0], "dns", 53)


def _url(container: str, text: str, line: int, opts: dict, rest: list[str], tool: str
         ) -> Typed | str:
    if not rest:
        return f"{tool} without a URL: it prints its usage"
    url = rest[-1] if "://" in rest[-1] else f"http://{rest[-1]}"
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError as e:
        return f"`{text}`: {tool} refuses the URL ({e})"
    if not parts.hostname or port is None:
        return f"`{text}`: netsim probes http:// and https:// URLs only"
    return Typed(container, text, line, tool, parts.hostname, "tcp", port)


def _nc(container: str, text: str, line: int, opts: dict, rest: list[str]) -> Typed | str:
    if "-z" not in opts or len(rest) < 2:
        return f"`{text}`: netsim probes `nc -z HOST PORT` only (a scan, nothing sent)"
    port = _number(rest[1], None)
    if port is None or not 0 < port < 65536:
        return f"`{text}`: nc refuses the port {rest[1]!r}"
    return Typed(container, text, line, "nc", rest[0], "udp" if "-u" in opts else "tcp", port)


def _number(word: str | None, default: int | None) -> int | None:
    if word is None:
        return default
    return int(word) if word.isdigit() else None


_READERS = {
    "ping": _ping,
    "nslookup": _nslookup,
    "wget": lambda c, t, n, o, r: _url(c, t, n, o, r, "wget"),
    "curl": lambda c, t, n, o, r: _url(c, t, n, o, r, "curl"),
    "nc": _nc,
}
