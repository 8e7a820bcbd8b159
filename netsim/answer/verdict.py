"""The words a probe's result can be, one enum for the predictor, the prober and the reports.

A DNS lookup that resolves has an address as its result instead (the answer itself); every
other result is a `Verdict`. It is a `StrEnum`, so the JSON report and the scenario format
keep the same words.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    REACH = "reach"  # ICMP answered
    BLOCKED = "blocked"  # no answer, or an ICMP error: dropped, no route
    OPEN = "open"  # a service answered (TCP connected, UDP echoed)
    CLOSED = "closed"  # reached and refused: RST, ICMP port unreachable
    INCONCLUSIVE = "inconclusive"  # no evidence either way
    UNRESOLVED = "unresolved"  # a by-name probe whose name did not resolve
    STARTED = "started"  # a `docker run` that started
    FAILED = "failed"  # a `docker run` that failed
    NXDOMAIN = "nxdomain"  # DNS: the name does not exist
    SERVFAIL = "servfail"
    REFUSED = "refused"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"

    def __repr__(self) -> str:  # the word, as a plain string shows it ('blocked')
        return repr(self.value)

    @classmethod
    def of(cls, word: str) -> Verdict | str:
        """A verdict from its word; anything else is a DNS answer (an address) as it is."""
        return cls._value2member_map_.get(word, word)  # type: ignore[return-value]


Result = Verdict | str  # a Verdict, or the address a lookup answered
