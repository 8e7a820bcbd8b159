"""Who realizes a lab: one line per engine. `netns` builds the model itself (namespaces,
links, nftables); `docker` applies the scenario to real Docker engines — daemons netsim starts
in its own namespaces (managed, the default) or an engine given by `--docker-host`.

Every engine returns a `Running` (kernel namespace names and the interfaces to flush), so one
prober observes them all; `down` knows from the journal which engine made a lab.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from netsim.errors import ScenarioError
from netsim.model.graph import Model
from netsim.probe.running import Running
from netsim.realize import sandbox
from netsim.realize.journal import Journal
from netsim.scenario.load import Loaded


@dataclass(frozen=True)
class Engine:
    up: Callable[[Loaded, Model, dict], Running]
    attach: Callable[[Journal, Model, dict[str, str]], Running]  # a lab `netsim up` left up
    version: Callable[[dict], str | None]  # the engine's version before anything is built
    remove: Callable[[Journal], None] = lambda journal: None  # what teardown cannot find
    # how `netsim ls` says it, from its own journal record
    describe: Callable[[dict], str] = lambda record: str(record.get("kind", "?"))


# engine -> its module (up, attach, version; remove and describe if it has them), imported
# when the engine is asked for: a `check` loads neither netlink nor the Docker SDK
ENGINES: dict[str, str] = {
    "netns": "netsim.engine.netns",
    "docker": "netsim.engine.docker.engine",
}
DEFAULT = "netns"


@cache
def get(name: str) -> Engine:
    if name not in ENGINES:  # the CLI's choices cover this; Lab(..., engine=) from a notebook
        raise ScenarioError(f"no engine named '{name}'", valid=", ".join(ENGINES))
    m = importlib.import_module(ENGINES[name])
    extra = {k: getattr(m, k) for k in ("remove", "describe") if hasattr(m, k)}
    return Engine(m.up, m.attach, m.version, **extra)


def kind_of(journal: Journal) -> str:
    return journal.engine_kind or DEFAULT


def describe(journal: Journal) -> str:
    kind = kind_of(journal)
    return get(kind).describe(journal.engine) if kind in ENGINES else kind


def down(lab: str) -> list[str]:
    """Tear a lab down, whichever engine made it: the engine's own part first (objects on an
    existing engine, found by label), then everything the journal lists."""
    try:
        journal = sandbox.read_journal(lab)
    except sandbox.BrokenJournal:
        journal = Journal(lab=lab)
    kind = kind_of(journal)
    from netsim.realize import lifecycle  # netlink: only when something is torn down

    with sandbox.uninterrupted():  # half a teardown would leave the other half
        if kind in ENGINES:
            get(kind).remove(journal)
        return lifecycle.down(lab)


def down_if_mine(lab: str) -> None:
    """Tear the lab down if this process built it (its journal says so): after an
    interruption anywhere in `up`, never another process's lab of the same name."""
    try:
        journal = sandbox.read_journal(lab)
    except sandbox.BrokenJournal:
        return
    if journal.pid == os.getpid():
        down(lab)
