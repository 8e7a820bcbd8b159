"""What a command typed in a tutorial would print, from what its probe came to.

In busybox's words (the `alpine` image Docker's tutorials use), so a learner can hold the
tutorial's printed output against netsim's line by line. Only what the verdict decides is
printed: the address a name resolved to, packets received or lost, the error; round-trip
times and per-packet lines are the network's, not the model's, and are left out.
"""

from __future__ import annotations

from collections.abc import Callable

from netsim.answer.outcome import Outcome
from netsim.answer.verdict import Verdict
from netsim.scenario.shell import Typed


def lines(t: Typed, got: Outcome) -> list[str]:
    if got.result == Verdict.INCONCLUSIVE:
        return [f"(netsim could not tell what `{t.tool}` would print: "
                f"{'; '.join(got.evidence) or got.why})"]
    return PRINTERS[t.tool](t, got)


def _ping(t: Typed, got: Outcome) -> list[str]:
    if got.result == Verdict.UNRESOLVED:
        return [f"ping: bad address '{t.target}'"]
    n = t.count
    received = n if got.result == Verdict.REACH else 0
    return [f"PING {t.target} ({got.dst}): {t.size} data bytes",
            f"--- {t.target} ping statistics ---",
            f"{n} packets transmitted, {received} packets received, "
            f"{100 - 100 * received // n}% packet loss"]


_NS_FAILURE = {Verdict.NXDOMAIN: "NXDOMAIN", Verdict.SERVFAIL: "SERVFAIL", Verdict.REFUSED: "REFUSED"}


def _nslookup(t: Typed, got: Outcome) -> list[str]:
    server = f"{got.dst}:53" if got.dst else "?"
    if got.result in _NS_FAILURE:
        return [f"Server:\t\t{got.dst}", f"Address:\t{server}", "",
                f"** server can't find {t.target}: {_NS_FAILURE[got.result]}"]
    if got.result in (Verdict.TIMEOUT, Verdict.UNREACHABLE):
        return [";; connection timed out; no servers could be reached"]
    return [f"Server:\t\t{got.dst}", f"Address:\t{server}", "", "Non-authoritative answer:",
            f"Name:\t{t.target}", *(f"Address: {a}" for a in got.result.split(","))]


def _wget(t: Typed, got: Outcome) -> list[str]:
    where = f"{got.dst}:{t.port}"
    return {
        Verdict.UNRESOLVED: [f"wget: bad address '{t.target}'"],
        Verdict.OPEN: [f"Connecting to {t.target} ({where})", "(the server's answer)"],
        Verdict.CLOSED: [f"Connecting to {t.target} ({where})",
                   f"wget: can't connect to remote host ({got.dst}): Connection refused"],
        Verdict.BLOCKED: [f"Connecting to {t.target} ({where})", "wget: download timed out"],
    }[got.result]


def _curl(t: Typed, got: Outcome) -> list[str]:
    return {
        Verdict.UNRESOLVED: [f"curl: (6) Could not resolve host: {t.target}"],
        Verdict.OPEN: ["(the server's answer)"],
        Verdict.CLOSED: [f"curl: (7) Failed to connect to {t.target} port {t.port}: "
                   "Connection refused"],
        Verdict.BLOCKED: [f"curl: (28) Failed to connect to {t.target} port {t.port}: "
                    "Connection timed out"],
    }[got.result]


def _nc(t: Typed, got: Outcome) -> list[str]:
    where = f"{t.target} ({got.dst}:{t.port})"
    return {
        Verdict.UNRESOLVED: [f"nc: bad address '{t.target}'"],
        Verdict.OPEN: [f"{where} open"],
        Verdict.CLOSED: [f"nc: {where}: Connection refused"],
        Verdict.BLOCKED: [f"nc: {where}: Connection timed out"],
    }[got.result]


PRINTERS: dict[str, Callable[[Typed, Outcome], list[str]]] = {
    "ping": _ping, "nslookup": _nslookup, "wget": _wget, "curl": _curl, "nc": _nc,
}
