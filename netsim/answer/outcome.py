"""What a probe came to, in one shape for the predictor and the prober alike.

The predictor fills `path`, `steps` and `why` (its steps in words: the rule that decided);
the prober fills `evidence` (the answer, the errno, the ICMP error) and `attempts`. Both
give `result` and `source_seen`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address

from netsim.answer.says import render
from netsim.answer.step import Step
from netsim.answer.verdict import Result


@dataclass
class Outcome:
    result: Result  # a Verdict, or the address a lookup answered
    source_seen: IPv4Address | None = None
    path: list[str] = field(default_factory=list)
    said: str = ""  # its words where they are not its steps' (a prober's; `why` reads them)
    dst: IPv4Address | None = None  # the address probed (after resolving a name)
    cold_arp: bool = False  # decided by an unanswered ARP: probe it with cold caches only
    # the model: (namespace, table, chain, index) of the rule that drops it (index = the
    # chain's length: its policy); the prober reads that rule's counter for evidence
    dropped_by: tuple[str, str, str, int] | None = None
    counted: bool = False  # the kernel: a rule's counter showed the drop (no retry needed)
    attempts: int = 1
    evidence: list[str] = field(default_factory=list)
    # the predictor's: what `why` says, as data (answer/step.py; empty for an observation)
    steps: list[Step] = field(default_factory=list)
    # the predictor's, when a random split (a Service's endpoints) decides: each choice's
    # outcome, this one first; the kernel takes one of them per connection
    choices: list[Outcome] = field(default_factory=list)
    served_by: IPv4Address | None = None  # the kernel's: the address that answered (echo)

    @property
    def why(self) -> str:
        """Its words: what was said, else its steps rendered, when asked (a matrix of a
        million pairs reads few)."""
        return self.said if self.said or not self.steps else render(self.steps)

    @why.setter
    def why(self, text: str) -> None:
        self.said = text
