"""The Docker runtime as the registry sees it: a simulated dockerd per host (daemon.py),
Docker's container-name rule, and how a real engine of a given version is predicted."""

from __future__ import annotations

import re
from dataclasses import replace

from netsim.runtime.contract import Runtime
from netsim.runtime.docker import daemon, keys
from netsim.runtime.docker.profiles import for_version
from netsim.scenario.load import Loaded

NAME = daemon.NAME
# validContainerNamePattern: two characters at least (a network's name may be one)
CONTAINER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+\Z")


def container_name(name: str) -> str | None:
    """dockerd's refusal, in its words (daemon/names.go)."""
    if CONTAINER_NAME.match(name):
        return None
    return f"Invalid container name ({name[:80]}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"


def as_engine(loaded: Loaded, version: str) -> Loaded:
    """A real engine is the version it is: predicted with that version's profile, whatever
    the scenario's `docker:` names (said in a note when they differ)."""
    profile, named = for_version(version), loaded.scenario.docker
    notes = loaded.notes
    if named and named != profile:
        notes = (*notes, ("engine", f"the scenario names Docker {named}; the engine is "
                          f"{version}: predicted with the {profile} profile"))
    return replace(loaded, scenario=loaded.scenario.model_copy(update={"docker": profile}),
                   notes=notes)


RUNTIME = Runtime(daemon.build, per_node=False, container_name=container_name,
                  as_engine=as_engine, keys=keys.Keys, host_keys=keys.HostKeys)
