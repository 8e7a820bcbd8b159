"""`--engine netns` (the default): netsim builds everything itself from the model."""

from __future__ import annotations

from netsim.model.graph import Model
from netsim.probe.running import Running
from netsim.realize.journal import Journal
from netsim.runtime import registry as runtime
from netsim.scenario.load import Loaded

NAME = "netns"
# netsim loads every rule with nft (each with a counter) in namespaces it built: drops are
# counted, probes traced, and the report names no engine
CAN = {"counts_drops": True, "traces": True, "own": True}


def up(loaded: Loaded, model: Model, options: dict) -> Running:
    from netsim.realize import lifecycle  # netlink and the realizer: only when building

    made = lifecycle.up(model, loaded.scenario.name, loaded.text, loaded.path,
                        {"kind": NAME}, runtime.TOOLS)
    return Running(names=made.names, flush=lifecycle.flush_targets(model, made.names),
                   engine=NAME, warnings=list(made.warnings), findings=list(made.findings),
                   **CAN)


def attach(journal: Journal, model: Model, names: dict[str, str]) -> Running:
    from netsim.realize import lifecycle

    return Running(names=names, flush=lifecycle.flush_targets(model, names), engine=NAME,
                   warnings=list(journal.warnings), findings=list(journal.findings), **CAN)


def version(options: dict) -> str | None:
    return None  # the model's own profile: nothing to ask
