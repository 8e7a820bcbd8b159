"""What a command typed in a tutorial would print, from what its probe came to.

In busybox's words (the `alpine` image Docker's tutorials use), so a learner can hold the
tutorial's printed output against netsim's line by line. Only what the verdict decides is
printed: the address a name resolved to, packets received or lost, the error; round-trip
times and per-packet lines are the network's, not the model's, and are left out.
"""

from __future__ import annotations

from collections.abc import Callable

from netsim.answer.outcome import Outcome
from netsim.scenario.shell import Typed


def lines(t: Typed, got: Outcome) -> list[str]:
    if got.result == "inconclusive":
        return [f"(netsim could not tell what `{t.tool}` would print: "
                f"{'; '.join(got.evidence) or got.why})"]
    return PRINTERS[t.tool](t, got)


def _ping(t: Typed, got: Outcome) -> list[str]:
    if got.result == "unresolved":
        return [f"ping: bad address '{t.target}'"]
    n = t.count
    received = n if got.result == "reach" else 0
    return [f"PING {t.target} ({got.dst}): {t.size} data bytes",
            f"--- {t.target} ping statistics ---",
            f"{n} packets transmitted, {received} packets received, "
            f"{100 - 100 * received // n}% packet loss"]


_NS_FAILURE = {"nxdomain": "NXDOMAIN", "servfail": "SERVFAIL", "refused": "REFUSED"}


def _nslookup(t: Typed, got: Outcome) -> list[str]:
    server = f"{got.dst}:53" if got.dst else "?"
    if got.result in _NS_FAILURE:
        return [f"Server:\t\t{got.dst}", f"Address:\t{server}", "",
                f"** server can't find {t.target}: {_NS_FAILURE[got.result]}"]
    if got.result in ("timeout", "unreachable"):
        return [";; connection timed out; no servers could be reached"]
    return [f"Server:\t\t{got.dst}", f"Address:\t{server}", "", "Non-authoritative answer:",
            f"Name:\t{t.target}", *(f"Address: {a}" for a in got.result.split(","))]


def _wget(t: Typed, got: Outcome) -> list[str]:
    where = f"{got.dst}:{t.port}"
    return {
        "unresolved": [f"wget: bad address '{t.target}'"],
        "open": [f"Connecting to {t.target} ({where})", "(the server's answer)"],
        "closed": [f"Connecting to {t.target} ({where})",
                   f"wget: can't connect to remote host ({got.dst}): Connection refused"],
        "blocked": [f"Connecting to {t.target} ({where})", "wget: download timed out"],
    }[got.result]


def _curl(t: Typed, got: Outcome) -> list[str]:
    return {
        "unresolved": [f"curl: (6) Could not resolve host: {t.target}"],
        "open": ["(the server's answer)"],
        "closed": [f"curl: (7) Failed to connect to {t.target} port {t.port}: "
                   "Connection refused"],
        "blocked": [f"curl: (28) Failed to connect to {t.target} port {t.port}: "
                    "Connection timed out"],
    }[got.result]


def _nc(t: Typed, got: Outcome) -> list[str]:
    where = f"{t.target} ({got.dst}:{t.port})"
    return {
        "unresolved": [f"nc: bad address '{t.target}'"],
        "open": [f"{where} open"],
        "closed": [f"nc: {where}: Connection refused"],
        "blocked": [f"nc: {where}: Connection timed out"],
    }[got.result]


PRINTERS: dict[str, Callable[[Typed, Outcome], list[str]]] = {
    "ping": _ping, "nslookup": _nslookup, "wget": _wget, "curl": _curl, "nc": _nc,
}
