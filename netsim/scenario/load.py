"""Read a scenario file: YAML with positions -> validated `Scenario`, or one clear ScenarioError."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from pydantic import ValidationError

from netsim.errors import ScenarioError, Where
from netsim.gcpause import paused
from netsim.scenario import commands, conflists, kubernetes, shell, userfile
from netsim.scenario.compose import files as compose_files
from netsim.scenario.compose import mapping as compose_mapping
from netsim.scenario.schema import FieldProblem, Scenario
from netsim.scenario.yamlpos import Positions, load_text

# pydantic error type -> our sentence; the rest fall back to pydantic's own message
_PLAIN = {
    "missing": "missing required key '{key}'",
    "dict_type": "expected a mapping of key: value",
    "list_type": "expected a list",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "greater_than_equal": "{input!r} is too small (at least {ge})",
    "less_than_equal": "{input!r} is too large (at most {le})",
    "tuple_type": "expected a list",
}


@dataclass(frozen=True)
class Loaded:
    scenario: Scenario
    positions: Positions
    path: str
    text: str = ""  # kept so a running lab can be rebuilt from its journal
    notes: tuple[tuple[str, str], ...] = ()  # what reading it noticed (commands' ignored flags)
    typed: tuple[shell.Typed, ...] = ()  # probes typed into containers in `commands:`, in order


MAX_BYTES = 4 << 20  # a scenario of 1,000 containers is about 60 KiB


def load(path: str | Path | list, schema: type[Scenario] = Scenario) -> Loaded:
    """Regular files only (a FIFO or /dev/zero would never end), at most MAX_BYTES. A Compose
    file (or several, merged in order as `docker compose -f a -f b`) is mapped first.
    `schema`: the format with the runtimes' keys (netsim.runtime.schema); the shared keys
    alone by default."""
    if isinstance(path, list):
        if len(path) != 1:
            return from_compose([Path(p) for p in path], schema)
        path = path[0]
    name = str(path)
    if name == "-":  # a scenario piped in: its own format only (a Compose project is files)
        return from_text(userfile.read_stdin(MAX_BYTES, "a scenario (.yml) on standard input"),
                         userfile.STDIN, schema=schema)
    if conflists.is_cni_input(Path(path)) and Path(path).exists():
        text, notes, places = conflists.scenario_text(Path(path))
        loaded = from_text(text, name, places, schema)
        return replace(loaded, notes=(*loaded.notes, *notes))
    if Path(path).is_file() and compose_files.is_compose(Path(path)):
        return from_compose([Path(path)], schema)
    return from_text(userfile.read_text(path, MAX_BYTES, "a scenario file (.yml)"), name,
                     schema=schema)


@paused()
def from_compose(paths: list[Path], schema: type[Scenario] = Scenario) -> Loaded:
    """Compose files as Docker Compose merges and creates them; errors at their file:line."""
    mapped = compose_mapping.scenario(compose_files.read(paths))
    try:
        scenario = schema.model_validate(mapped.data)
    except ValidationError as e:
        raise _first(e, mapped.places) from None
    text = yaml.safe_dump(mapped.data, sort_keys=False)  # what the journal rebuilds it from
    return Loaded(scenario, mapped.places, str(paths[0]), text, tuple(mapped.notes))


@paused()
def from_text(text: str, file: str = "<scenario>", places: Positions | None = None,
              schema: type[Scenario] = Scenario) -> Loaded:
    """`places`: where a scenario netsim wrote came from (its errors point there)."""
    data, pos = load_text(text, file)
    pos = places or pos
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a mapping (name:, hosts:, networks:, containers:, ...)",
                            pos.where(()))
    keys = [f.alias or k for k, f in schema.model_fields.items()]
    if userfile.foreign(data, keys):
        raise userfile.not_a(file, "a netsim scenario", ", ".join(keys))
    notes, typed = commands.expand(data, pos)
    kubernetes.expand(data, pos, file)
    try:
        scenario = schema.model_validate(data)
    except ValidationError as e:
        raise _first(e, pos) from None
    return Loaded(scenario, pos, file, text, tuple(notes), tuple(typed))


def _first(exc: ValidationError, pos: Positions) -> ScenarioError:
    """The error that stands first in the file: one clear message, not pydantic's list."""
    errors = [_convert(err, pos) for err in exc.errors(include_url=False)]
    errors.sort(key=lambda e: (e.where.line or 0, e.where.column or 0))
    return errors[0]


def _convert(err: dict, pos: Positions) -> ScenarioError:
    loc = tuple(p for p in err["loc"] if not _is_wrapper(p))
    problem = (err.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        path = loc + tuple(problem.sub)
        return ScenarioError(problem.message, _where(pos, path, problem.at_key), problem.valid)
    kind = err["type"]
    if kind == "missing":
        return ScenarioError(_PLAIN[kind].format(key=loc[-1]), pos.where(loc[:-1]))
    if kind == "literal_error":
        valid = err["ctx"]["expected"].replace("'", "")
        return ScenarioError(f"{err['input']!r} is not valid", pos.where(loc), valid)
    template = _PLAIN.get(kind)
    if template:
        return ScenarioError(template.format(input=err.get("input"), **(err.get("ctx") or {})),
                             pos.where(loc))
    return ScenarioError(err["msg"], pos.where(loc))


def _where(pos: Positions, path: tuple, at_key: bool) -> Where:
    return pos.where(path, at_key=at_key)


def _is_wrapper(part: object) -> bool:
    """pydantic adds validator names such as 'function-before[...]' to some locations."""
    return isinstance(part, str) and (part == "[key]" or part.startswith("function-")
                                      or ("[" in part and "(" in part))
