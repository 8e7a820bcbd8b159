"""A runtime's own tools, run for real while a lab is built (the CNI plugins' ADD): the
model's `tool_runs` in order, each handed to the runner its runtime registered for it.

The realizer names no runtime: the runners come in from above (`lifecycle.up(tools=...)`),
and what they found against the model comes back as `Said`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netsim.errors import NetsimError
from netsim.model.graph import Model, ToolRun


@dataclass(frozen=True)
class ToolContext:
    lab: str
    names: dict[str, str]  # model namespace id -> kernel namespace name
    files: Path  # the lab's files directory (a tool's state lives under it)


@dataclass
class Said:
    findings: list[str] = field(default_factory=list)  # the real tool vs the model
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (topic, sentence)

    def __iadd__(self, other: Said) -> Said:
        self.findings += other.findings
        self.warnings += other.warnings
        return self


class ToolRefused(NetsimError):
    """A real tool refused what the scenario asks (exit 2): in its own words."""


Runner = Callable[[ToolRun, ToolContext], Said]


def run(model: Model, ctx: ToolContext, tools: Mapping[str, Runner]) -> Said:
    said = Said()
    for step in model.tool_runs:
        said += tools[step.tool](step, ctx)
    return said
