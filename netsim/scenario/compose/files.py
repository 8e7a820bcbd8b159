"""A Compose project's files as Docker Compose reads them: each file parsed with positions,
interpolated (`${VAR:-default}`, from the environment and the project's `.env`), checked
against the official compose-spec schema, its `extends` resolved; then the files merged in
`-f` order by the spec's merge rules (mappings merged, sequences appended, `ports` unique,
`command`/`entrypoint` replaced). Every value keeps the file:line it came from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from netsim.errors import ScenarioError, Where
from netsim.scenario import userfile
from netsim.scenario.compose import dotenv, interpolation, spec
from netsim.scenario.yamlpos import ancestor, load_text

# what `docker compose` looks for when no -f is given, and the override it adds
DEFAULT_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDES = {"compose.yaml": "compose.override.yaml", "compose.yml": "compose.override.yml",
             "docker-compose.yaml": "docker-compose.override.yaml",
             "docker-compose.yml": "docker-compose.override.yml"}
REPLACED = {"command", "entrypoint"}  # the merge rules' exceptions: the last file wins
MAX_BYTES = 1 << 20
MAX_DEPTH = 100  # an extends chain: a real project's is a handful
VALID = "a Compose file (services:, networks:, ...)"


@dataclass
class Project:
    """The merged model, where each value stood, and the project's directory."""

    data: dict
    origin: dict[tuple, Where] = field(default_factory=dict)
    directory: Path = Path(".")
    files: tuple[str, ...] = ()

    def where(self, path: tuple) -> Where:
        return _where(self.origin, path, self.files[0])


def is_compose(path: Path) -> bool:
    return path.name in DEFAULT_NAMES or path.name in OVERRIDES.values() or (
        path.suffix in (".yml", ".yaml") and _has_services(path))


def _has_services(path: Path) -> bool:
    """A file whose top level has `services:` and no `containers:` (a netsim scenario's)."""
    try:
        head = userfile.read_text(path, MAX_BYTES, VALID)[:65536]
    except ScenarioError:
        return False  # read again, and refused in words, as a scenario
    tops = set(re.findall(r"^([A-Za-z_][\w-]*):", head, re.MULTILINE))
    return "services" in tops and "containers" not in tops


def project_files(paths: list[Path]) -> list[Path]:
    """-f files as given; one compose file named as compose names its default also brings
    its override file when there is one, as `docker compose` without -f does."""
    if len(paths) == 1 and paths[0].name in OVERRIDES:
        extra = paths[0].with_name(OVERRIDES[paths[0].name])
        if extra.is_file():
            return [paths[0], extra]
    return paths


def read(paths: list[Path], env: dict[str, str] | None = None) -> Project:
    files = project_files(paths)
    directory = files[0].resolve().parent
    environ = dict(os.environ if env is None else env)
    variables = {**dotenv.read(directory / ".env", environ), **environ}  # the shell wins
    project = Project({}, {}, directory, tuple(str(p) for p in files))
    for path in files:
        data, origin = _one(path, variables)
        _merge(project.data, data, (), project.origin, origin)
    return project


def _one(path: Path, variables: dict[str, str], seen: tuple = ()) -> tuple[dict, dict]:
    text = _text(path)
    data, pos = load_text(text, str(path))
    if not isinstance(data, dict):
        raise ScenarioError("a Compose file is a mapping (services:, networks:, ...)",
                            pos.where(()))
    if userfile.foreign(data, spec.top_level(), ("x-",)):
        raise userfile.not_a(str(path), "a Compose file", ", ".join(spec.top_level()))
    origin = {p: Where(pos.file, line, col, p) for p, (line, col) in pos.values.items()}
    _bounded(data, lambda p: _where(origin, p, str(path)))
    data = _interpolate(data, (), variables, origin, interpolation.Budget())
    spec.validate(data, lambda p: _where(origin, p, str(path)))
    for name, svc in (data.get("services") or {}).items():
        for key in ("networks", "depends_on"):
            if isinstance(svc, dict) and key in svc:
                svc[key] = _normal(svc[key], ("services", name, key))
    _extends(data, path, variables, origin, seen)
    return data, origin


MAX_ENTRIES = 4096  # in one list or mapping: a real project's longest is a few dozen
MAX_VALUES = 50_000  # in one file: the schema check costs ~30 us a value (1.5 s here)


def _bounded(data: object, where) -> None:
    """Counted before anything walks the file value by value (interpolation, the schema)."""
    stack, seen = [(data, ())], 0
    while stack:
        value, path = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ScenarioError(f"this file holds more than {MAX_VALUES:,} values: a Compose "
                                "project is never that big", where(()))
        items = value.items() if isinstance(value, dict) else enumerate(value) \
            if isinstance(value, list) else ()
        if isinstance(value, (dict, list)) and len(value) > MAX_ENTRIES:
            raise ScenarioError(f"{len(value):,} entries in one place: netsim reads at most "
                                f"{MAX_ENTRIES:,} (a port range such as 8000-8999:80 is one)",
                                where(path))
        stack += [(v, (*path, k)) for k, v in items]


def _text(path: Path) -> str:
    return userfile.read_text(path, MAX_BYTES, VALID)


def _where(origin: dict, path: tuple, file: str) -> Where:
    """Where `path` stands (its nearest ancestor's place), named by `path` itself."""
    at = ancestor(origin, path)
    return Where(at.file, at.line, at.column, tuple(path)) if at else Where(file, None, None,
                                                                          tuple(path))


def _interpolate(value: object, path: tuple, variables: dict, origin: dict,
                 budget: interpolation.Budget) -> object:
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, k), variables, origin, budget)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), variables, origin, budget)
                for i, v in enumerate(value)]
    if isinstance(value, str) and "$" in value:
        file = next(iter(origin.values())).file if origin else ""
        return interpolation.substitute(value, variables, lambda: _where(origin, path, file),
                                        budget)
    return value


def _extends(data: dict, path: Path, variables: dict, origin: dict, seen: tuple) -> None:
    """`extends: base` or `extends: {service: base, file: other.yml}`: the base service's
    configuration with this one merged over it (its own extends first)."""
    services = data.get("services") or {}
    done: set[str] = set()
    me = str(path.resolve())  # a cycle through ../ is still the same file

    def resolve(name: str, chain: tuple) -> None:
        svc = services[name]
        ext = svc.get("extends") if isinstance(svc, dict) else None
        if ext is None or name in done:
            return
        if len(chain) >= MAX_DEPTH:
            raise ScenarioError(f"extends chains more than {MAX_DEPTH} services deep",
                                _where(origin, ("services", name, "extends"), str(path)))
        if (me, name) in chain:
            raise ScenarioError(f"circular reference with extends in service {name!r}",
                                _where(origin, ("services", name, "extends"), str(path)))
        ref = {"service": ext} if isinstance(ext, str) else ext
        base_name = ref["service"]
        if ref.get("file"):
            other = (path.parent / ref["file"])
            other_data, other_origin = _one(other, variables, (*chain, (me, name)))
            pool, base_origin = other_data.get("services") or {}, other_origin
        else:
            resolve_base = base_name in services
            if resolve_base:
                resolve(base_name, (*chain, (me, name)))
            pool, base_origin = services, origin
        if base_name not in pool:
            raise ScenarioError(f"cannot extend service {name!r}: service {base_name!r} not "
                                f"found", _where(origin, ("services", name, "extends"),
                                                 str(path)), ", ".join(sorted(pool)) or None)
        merged = _copy(pool[base_name])
        merged.pop("extends", None)
        where = {("services", name, *p[2:]): w for p, w in base_origin.items()
                 if p[:2] == ("services", base_name) and len(p) > 2}
        own = dict(svc)
        own.pop("extends")
        _merge(merged, own, ("services", name), where,
               {p: w for p, w in origin.items() if p[:2] == ("services", name)})
        services[name] = merged
        origin.update(where)
        done.add(name)

    for name in list(services):
        resolve(name, seen)


def _copy(value: object) -> object:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _normal(value: object, path: tuple) -> object:
    """Forms compose treats as one before merging: a service's `networks` and `depends_on`
    as lists are mappings of their names."""
    if len(path) == 3 and path[0] == "services" and path[2] in ("networks", "depends_on") \
            and isinstance(value, list):
        return {str(n): None for n in value}  # positions: the list items stand for the keys
    return value


def _merge(into: dict, new: dict, path: tuple, origin: dict, new_origin: dict) -> None:
    for key, value in new.items():
        here = (*path, key)
        value = _normal(value, here)
        old = _normal(into.get(key), here) if key in into else None
        if isinstance(old, dict) and isinstance(value, dict):
            into[key] = old
            _merge(old, value, here, origin, new_origin)
            if here in new_origin:
                origin.setdefault(here, new_origin[here])
            continue
        if isinstance(old, list) and isinstance(value, list) and key not in REPLACED:
            offset = len(old)
            fresh = [v for v in value if v not in old] if key == "ports" else value
            into[key] = old + fresh
            _copy_origin(new_origin, origin, here, offset)
            continue
        into[key] = value
        for p in [p for p in origin if p[:len(here)] == here]:
            del origin[p]
        _copy_origin(new_origin, origin, here, 0)


def _copy_origin(src: dict, dst: dict, prefix: tuple, offset: int) -> None:
    n = len(prefix)
    for p, w in src.items():
        if p[:n] != prefix:
            continue
        if offset and len(p) > n and isinstance(p[n], int):
            p = (*prefix, p[n] + offset, *p[n + 1:])
        dst[p] = w


