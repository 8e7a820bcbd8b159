"""`--engine netns` (the default): netsim builds everything itself from the model."""

from __future__ import annotations

from netsim.engine.running import Running
from netsim.model.graph import Model
from netsim.realize import lifecycle
from netsim.scenario.load import Loaded


def up(loaded: Loaded, model: Model, options: dict) -> Running:
    names = lifecycle.up(model, loaded.scenario.name, loaded.text, loaded.path).names
    return Running(names, lifecycle.flush_targets(model, names))


def attach(journal: dict, model: Model, names: dict[str, str]) -> Running:
    return Running(names, lifecycle.flush_targets(model, names))


def version(options: dict) -> str | None:
    return None  # the model's own profile: nothing to ask
