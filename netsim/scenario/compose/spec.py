"""The official compose-spec JSON schema (vendored: compose-spec.json, see NOTICE.md), applied
with jsonschema; its first error in file order becomes one ScenarioError in Compose's words
("additional properties 'portz' not allowed", "must be a string")."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from netsim.errors import ScenarioError, Where

SCHEMA = Path(__file__).with_name("compose-spec.json")
TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string",
              "integer": "a whole number", "number": "a number", "boolean": "a boolean",
              "null": "null"}


@cache
def _validator():
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


def top_level() -> tuple[str, ...]:
    return tuple(sorted(_validator().schema["properties"]))


def schema() -> dict:
    return _validator().schema


def validate(data: dict, where: Callable[[tuple], Where]) -> None:
    errors = list(_validator().iter_errors(data))
    if not errors:
        return
    first = min(errors, key=lambda e: _line(where(tuple(e.absolute_path))))
    raise _error(_deepest(first), where)


def _line(w: Where) -> tuple[int, int]:
    return (w.line or 0, w.column or 0)


def _deepest(error):
    """A oneOf/anyOf failure says little; the alternative that got furthest says what."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.context)))
    return error


def _error(e, where: Callable[[tuple], Where]) -> ScenarioError:
    path = tuple(e.absolute_path)
    kind = e.validator
    if kind == "additionalProperties":
        extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
        extra = [k for k in extra if not str(k).startswith("x-")]
        known = sorted(e.schema.get("properties", {}))
        close = difflib.get_close_matches(str(extra[0]), known, n=3) if extra else []
        words = ", ".join(f"'{k}'" for k in extra)
        return ScenarioError(f"additional properties {words} not allowed",
                             where((*path, extra[0]) if extra else path),
                             ", ".join(close) if close else ", ".join(known) or None)
    if kind == "type":
        types = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        return ScenarioError("must be " + " or ".join(TYPE_WORDS.get(t, t) for t in types),
                             where(path))
    if kind == "enum":
        return ScenarioError(f"{e.instance!r} is not allowed", where(path),
                             ", ".join(map(str, e.validator_value)))
    if kind == "required":
        return ScenarioError(e.message.replace("is a required property", "is required"),
                             where(path))
    if kind == "uniqueItems":
        return ScenarioError("has duplicate items", where(path))
    if kind == "pattern" or kind == "patternProperties":
        return ScenarioError(f"{e.instance!r} does not match {e.validator_value!r}", where(path))
    return ScenarioError(e.message, where(path))
