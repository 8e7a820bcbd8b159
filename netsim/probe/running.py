"""What an engine hands the prober once a lab is up: the same shape for every engine, with
the engine's capabilities declared, so no probing code asks which engine it is."""

from __future__ import annotations

from dataclasses import dataclass, field

from netsim.probe.observe import Observer


@dataclass
class Running:
    names: dict[str, str]  # model namespace id -> kernel namespace name (under /run/netns)
    flush: list[tuple[str, str]]  # (namespace, interface) that hold neighbour entries
    engine: str = ""  # what realized it, as the report says it ("netns", "docker 20.10.24")
    failed_runs: dict[str, str] | None = None  # a real engine's `docker run` errors (None: no engine ran)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # containers probed by `docker exec` instead (an engine netsim cannot enter), and how
    exec_sources: frozenset[str] = frozenset()
    exec_observer: Observer | None = None  # what observes those
    findings: list[str] = field(default_factory=list)  # what realizing it found (real vs model)
    # capabilities: netsim loaded every rule itself with nft, each with a counter (a drop the
    # model names is proven by its counter); nftrace follows a probe through its namespaces;
    # netsim built it all itself (the report names no engine)
    counts_drops: bool = False
    traces: bool = False
    own: bool = False
