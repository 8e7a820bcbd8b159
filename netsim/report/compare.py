"""One row per probe: expected vs predicted vs observed, and whether it is a success."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict

if TYPE_CHECKING:
    from netsim.probe.trace import Trace


@dataclass
class Row:
    probe: Probe
    predicted: Outcome
    seen: Outcome | None = None  # what the kernel did (netsim run), same shape
    # the same probe on other engines of one run (`--engine netns,docker`): label -> outcome
    also: dict[str, Outcome] = field(default_factory=dict)
    # where a mismatch left the prediction: a netsim.probe.trace.Trace of the probe, sent again
    trace: Trace | None = None

    @property
    def observed(self) -> str | None:
        return self.seen.result if self.seen else None

    @property
    def source_seen(self) -> IPv4Address | None:
        return self.seen.source_seen if self.seen else None

    @property
    def family(self) -> int | None:
        """The family probed: the probe's, or for a name looked up as a client does, the
        family of the address it got (observed, else predicted)."""
        if self.probe.family:
            return self.probe.family
        got = self.seen if self.seen and self.seen.dst is not None else self.predicted
        return got.dst.version if got.dst is not None else None

    @property
    def attempts(self) -> int:
        return self.seen.attempts if self.seen else 0

    @property
    def notes(self) -> list[str]:
        return self.seen.evidence if self.seen else []

    @property
    def expected_met(self) -> bool | None:
        """Does the outcome (observed when there is one, else predicted: every way a
        Service's endpoints may take, or one of them for `any:`) meet the expectation?"""
        if self.probe.expected is None:
            return None
        if self.seen is not None:
            return self._meets(self.seen)
        ways = [self._meets(o) for o in self.predicted.choices or [self.predicted]]
        return any(ways) if self.probe.any else all(ways)

    def _meets(self, got: Outcome) -> bool:
        if got.result != self.probe.expected:
            return False
        if self.probe.error is not None:  # a failing docker run: Docker's words must match
            return self.probe.error.lower() in got.why.lower()
        return not (self.probe.source_ips and got.source_seen not in self.probe.source_ips)

    @property
    def way(self) -> Outcome:
        """The predicted way a report shows: the one the kernel took (a run), else for `any:`
        a way that meets the expectation, else the first."""
        if self.seen is not None:
            return self.predicted_for(self.seen)
        if self.probe.any:
            return next((o for o in self.predicted.choices if self._meets(o)), self.predicted)
        return self.predicted

    def predicted_for(self, seen: Outcome) -> Outcome:
        """The prediction for the endpoint that answered (when a Service's split chose)."""
        for o in self.predicted.choices:
            if seen.served_by is not None and o.served_by == seen.served_by:
                return o
        return self.predicted

    @property
    def mismatch(self) -> bool:
        return any(o.result not in (self.predicted_for(o).result, Verdict.INCONCLUSIVE)
                   for o in ([self.seen] if self.seen else []) + list(self.also.values()))

    @property
    def ok(self) -> bool:
        return self.expected_met is not False and not self.mismatch
