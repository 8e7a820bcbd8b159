"""A lab's journal: what netsim made for it, written before each thing exists, as types.

The journal is the crash record: `attach` (netsim probe on a lab `up` left), `down` and
`cleanup` read it after any exit. `sandbox` is its one reader and writer; `parse` validates
what it read, so a broken or foreign journal is a `BrokenJournal`, never a KeyError later.
What a run finds travels in memory; the journal keeps it only for a later `attach`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from netsim.errors import NetsimError


class BrokenJournal(NetsimError):
    """A journal that cannot be read, or a name that is not a lab's (exit 2)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class Process(_Record):
    """A process netsim started for the lab; `start` (its /proc start time) tells it from a
    later process that got the same number."""

    pid: int
    start: str | None = None


class Daemon(_Record):
    """A daemon an engine or a runtime started in one of the lab's namespaces (a managed
    dockerd): journaled (directory, cgroup) before it starts, by PID once it runs."""

    what: str = "daemon"  # how a message names it ("dockerd")
    host: str = "?"
    dir: str = ""
    cgroup: str = ""
    pid: int | None = None
    start: str | None = None


class Journal(_Record):
    lab: str
    namespaces: list[str] = []
    keeper: Process | None = None  # the services keeper
    scenario: str = ""  # the scenario's text: `attach` rebuilds the model from it
    path: str = ""
    since: float = 0.0
    pid: int | None = None  # the process that builds or uses it
    pid_start: str | None = None
    # the engine that made it: `kind` (a key of the engine registry) and what that engine
    # alone reads back (its version, sockets, names); opaque to everything else
    engine: dict[str, Any] = {}
    files: str | None = None  # the lab's files directory, once journaled
    kept: bool = False  # left up on purpose (netsim up, run --keep): cleanup leaves it
    daemons: list[Daemon] = []
    findings: list[str] = []  # what realizing it found (for a later attach)
    warnings: list[tuple[str, str]] = []  # what a runtime's tool said (for a later attach)

    @property
    def engine_kind(self) -> str | None:
        kind = self.engine.get("kind")
        return kind if isinstance(kind, str) else None


def parse(text: str, where: str) -> Journal:
    """A journal's text as netsim wrote it; anything else is BrokenJournal."""
    try:
        return Journal.model_validate_json(text)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "the journal"
        if first["type"] == "json_invalid":
            raise BrokenJournal(f"journal {where} cannot be read: {first['msg']}") from None
        raise BrokenJournal(f"journal {where} is not a netsim journal ({field}: "
                            f"{first['msg']})") from None


def dump(journal: Journal) -> str:
    return journal.model_dump_json(indent=1)
