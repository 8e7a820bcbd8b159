"""One row per probe: expected vs predicted vs observed, and whether it is a success."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from netsim.model.predict import Outcome
from netsim.probe.plan import Probe


@dataclass
class Row:
    probe: Probe
    predicted: Outcome
    observed: str | None = None  # filled by `netsim run` (issue 3)
    source_seen: IPv4Address | None = None
    attempts: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def expected_met(self) -> bool | None:
        """Does the outcome (observed when there is one, else predicted) meet the expectation?"""
        if self.probe.expected is None:
            return None
        result = self.observed or self.predicted.result
        seen = self.source_seen if self.observed else self.predicted.source_seen
        if result != self.probe.expected:
            return False
        return not (self.probe.source_ips and seen not in self.probe.source_ips)

    @property
    def mismatch(self) -> bool:
        return self.observed is not None and self.observed not in (
            self.predicted.result, "inconclusive")

    @property
    def ok(self) -> bool:
        return self.expected_met is not False and not self.mismatch
