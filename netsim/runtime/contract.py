"""What a runtime brings, all of it from its own package: one `Runtime` per package, one
line in `registry.py`. The shared layers call these fields and name no runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netsim.model.assembly import Assembly
from netsim.model.graph import ToolRun
from netsim.realize.tools import Said, ToolContext
from netsim.scenario.load import Loaded
from netsim.scenario.schema import Container, Host, Scenario, Strict

Builder = Callable[[Assembly, dict[str, Host], dict[str, Container]], None]
ToolRunner = Callable[[ToolRun, ToolContext], Said]


def _any_name(name: str) -> str | None:
    return None


@dataclass(frozen=True)
class Runtime:
    build: Builder  # fills the model for the hosts given and the containers that run on them
    per_node: bool  # builds each node on its own: may run before or after another runtime
    # on a node of several: is this container its own? (None: every one no other claims)
    claims: Callable[[Container, Scenario], bool] | None = None
    # its words for a container name it refuses (None: valid); the shared rule came first
    container_name: Callable[[str], str | None] = _any_name
    # the real tools it runs while a lab is built: `ToolRun.tool` -> what runs one
    tools: dict[str, ToolRunner] = field(default_factory=dict)
    # a real engine of this runtime at `version`: the scenario as that engine is predicted
    as_engine: Callable[[Loaded, str], Loaded] | None = None
    # its own scenario keys: top-level sections (`docker:`, `cni:`), and a host's (dockerd's
    # flags, a node's podCIDR), valid on the hosts that run it (netsim.runtime.schema)
    keys: type[Strict] | None = None
    host_keys: type[Strict] | None = None
