"""The scenario format netsim reads: the shared keys (netsim.scenario.schema) with every
runtime's own (`Runtime.keys`, `Runtime.host_keys`) composed in, so a runtime's key is
validated in the same pass as the rest, at its file:line, and an editor is told of it
(`netsim schema`). The loaders take the format from here; the scenario package names no
runtime."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, create_model

from netsim.runtime.contract import Runtime
from netsim.runtime.registry import RUNTIMES
from netsim.scenario import editor_schema
from netsim.scenario import load as loader
from netsim.scenario.load import Loaded
from netsim.scenario.schema import Host as SharedHost
from netsim.scenario.schema import NodeName, map_of_empty
from netsim.scenario.schema import Scenario as SharedScenario


def compose(runtimes: dict[str, Runtime]) -> tuple[type[SharedScenario], type[SharedHost]]:
    """The format with these runtimes' keys (pydantic orders fields from the last base: the
    shared keys first, then each runtime's)."""
    host_parts = [rt.host_keys for rt in runtimes.values() if rt.host_keys]
    parts = [rt.keys for rt in runtimes.values() if rt.keys]
    host = create_model("Host", __base__=(*reversed(host_parts), SharedHost),
                        __module__=__name__)
    scenario = create_model(
        "Scenario", __base__=(*reversed(parts), SharedScenario), __module__=__name__,
        hosts=(Annotated[dict[NodeName, host], BeforeValidator(map_of_empty)], {}))
    return scenario, host


Scenario, Host = compose(RUNTIMES)


def load(path: str | Path | list) -> Loaded:
    return loader.load(path, Scenario)


def from_text(text: str, file: str = "<scenario>") -> Loaded:
    return loader.from_text(text, file, schema=Scenario)


def json_schema() -> dict[str, Any]:
    return editor_schema.scenario_schema(Scenario)
