"""The scenario format as a JSON schema, for editors (`netsim schema`): generated from the
pydantic models, so it can never drift from what `netsim check` accepts. Two liberties the
models take on input are written into it: a mapping entry left empty (`docker1:`) means all
defaults, and so does an empty section (`lan:`)."""

from __future__ import annotations

from typing import Any

from netsim import __version__
from netsim.scenario.schema import Scenario

ID = "https://netsim.invalid/scenario.schema.json"  # a name, not a download address


def scenario_schema(format: type[Scenario] = Scenario) -> dict[str, Any]:
    """`format`: the scenario with the runtimes' keys (netsim.runtime.schema)."""
    schema = format.model_json_schema(by_alias=True)
    for model in schema.get("$defs", {}).values():
        for prop in model.get("properties", {}).values():
            _empty_is_default(prop)
    for prop in schema["properties"].values():
        _empty_is_default(prop)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": ID,
            "title": f"netsim scenario (netsim {__version__})",
            "description": "A netsim scenario: hosts, their LAN, networks, containers and what "
                           "they are expected to reach. `netsim check FILE` validates it.",
            **{k: v for k, v in schema.items() if k != "title"}}


def _empty_is_default(prop: dict) -> None:
    """`$ref` to a section, or a map of sections: null is accepted there too."""
    if "$ref" in prop:
        ref = prop.pop("$ref")
        prop["anyOf"] = [{"$ref": ref}, {"type": "null"}]
    values = prop.get("additionalProperties")
    if isinstance(values, dict) and "$ref" in values:
        prop["additionalProperties"] = {"anyOf": [values, {"type": "null"}]}
    for alt in prop.get("anyOf", []):
        if isinstance(alt, dict) and alt is not prop and "additionalProperties" in alt:
            _empty_is_default(alt)
