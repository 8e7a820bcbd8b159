"""What an engine hands the prober once a lab is up: the same for every engine."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.probe.observe import Observer


@dataclass
class Running:
    names: dict[str, str]  # model namespace id -> kernel namespace name (under /run/netns)
    flush: list[tuple[str, str]]  # (namespace, interface) that hold neighbour entries
    engine: str = "netns"  # what realized it, as the report says it ("docker 20.10.24")
    failed_runs: dict[str, str] | None = None  # a real engine's `docker run` errors (None: no engine ran)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # containers probed by `docker exec` instead (an engine netsim cannot enter), and how
    exec_sources: frozenset[str] = frozenset()
    exec_observer: Observer | None = None  # what observes those
