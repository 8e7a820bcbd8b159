"""YAML with positions: plain Python data plus a map from key path to (line, column).

The file is composed once; every mapping key and value keeps where it stood, so an error found
later (by pydantic or by the model) can point at `file:line:col`. Duplicate keys, which PyYAML
accepts silently (the last one wins), are refused here. So are tags YAML's core schema does not
have, and aliases that expand without bound (a "billion laughs" file, an alias of itself);
merge keys (`<<: *defaults`, as compose files use them) are applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from netsim.errors import ScenarioError, Where

try:  # libyaml when present: about 5x faster on large scenarios
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure Python fallback
    _Base = yaml.SafeLoader


_TAGS: dict[tuple[object, tuple[bool, bool]], str] = {}  # (text, implicit) -> tag


class _Loader(_Base):  # type: ignore[valid-type, misc]
    """The safe loader, with a scalar's tag remembered by its text: the resolver tries its
    regular expressions on every scalar, and a scenario repeats the same few (80/tcp,
    blocked, a container's name) thousands of times."""

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _TAGS.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_TAGS) < 65536:  # bounded: a file of unique values fills it once
                _TAGS[key] = tag
        return tag

Path = tuple[str | int, ...]
MAX_NODES = 200_000  # what the aliases of a scenario may expand to, at most
MAX_DEPTH = 64
CORE = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map",
                                           "timestamp", "merge")}
MERGE = "tag:yaml.org,2002:merge"
TEXT = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"}


@dataclass
class Positions:
    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path, at_key: bool = False) -> Where:
        """The place of `path`, or of its nearest ancestor that the file has."""
        probe = tuple(path)
        while True:
            table = self.keys if at_key and probe in self.keys else self.values
            if probe in table:
                line, col = table[probe]
                return Where(self.file, line, col, tuple(path))
            if not probe:
                return Where(self.file, None, None, tuple(path))
            probe = probe[:-1]


def load_text(text: str, file: str) -> tuple[object, Positions]:
    pos = Positions(file)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = e.problem or e.context or "not valid YAML"
        raise ScenarioError(f"not valid YAML: {problem}", Where(file, line, col)) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not accept: say where
        line = text.count("\n", 0, e.position) + 1
        raise ScenarioError(f"not valid YAML: {e.reason} {e.character!r}",
                            Where(file, line)) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"not valid YAML: {e}", Where(file)) from None
    if node is None:
        raise ScenarioError("the file is empty; a scenario needs at least `name:`", Where(file, 1, 1))
    return _Builder(pos, yaml.SafeLoader("")).build(node, ()), pos


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Plain data from the node graph, with positions, a node budget and merge keys."""

    def __init__(self, pos: Positions, ctor: yaml.SafeLoader):
        self.pos, self.ctor, self.nodes = pos, ctor, 0

    def error(self, node: yaml.Node, path: Path, message: str) -> ScenarioError:
        line, col = _mark(node)
        return ScenarioError(message, Where(self.pos.file, line, col, path))

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise self.error(node, path, f"aliases expand this file past {MAX_NODES} values "
                             f"(or {MAX_DEPTH} levels): a scenario is never that big")
        if node.tag not in CORE:
            raise self.error(node, path, f"unknown tag {node.tag}: scenarios use plain YAML")
        mark = node.start_mark
        kind = type(node)
        # a block scalar's text starts on the line after its indicator
        block = kind is yaml.ScalarNode and node.style in ("|", ">")
        self.pos.values[path] = (mark.line + 1 + block, mark.column + 1)
        if kind is yaml.MappingNode:
            return self._mapping(node, path, depth)
        if kind is yaml.SequenceNode:
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag in TEXT:  # text is the node's value (and 2024-01-01 stays text, not a
            return node.value  # date): no constructor call, the most common case by far
        try:
            return self.ctor.construct_object(node)
        except (ValueError, yaml.YAMLError) as e:  # e.g. an integer of 5,000 digits
            raise self.error(node, path, f"not a value netsim can read: {e}") from None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict:
        out: dict[object, object] = {}
        merged: list[yaml.Node] = []
        keys = self.pos.keys
        for knode, vnode in node.value:
            if knode.tag == MERGE:  # `<<: *x` or `<<: [*x, *y]`: keys not given here
                merged += vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                continue
            key = self._key(knode, path)
            at = (*path, key)
            if key in out:
                raise self.error(knode, at, f"duplicate key '{key}' (first at line "
                                 f"{keys[at][0]}); names must be unique")
            keys[at] = _mark(knode)
            out[key] = self.build(vnode, at, depth + 1)
        for source in merged:
            if not isinstance(source, yaml.MappingNode):
                raise self.error(source, path, "a merge key (<<) takes a mapping or a list of "
                                 "mappings")
            for key, value in self._mapping(source, path, depth + 1).items():
                out.setdefault(key, value)
        return out

    def _key(self, knode: yaml.Node, path: Path) -> str:
        if knode.tag == "tag:yaml.org,2002:str":
            return knode.value
        key = self.ctor.construct_object(knode) if isinstance(knode, yaml.ScalarNode) else None
        if key is None or isinstance(key, (list, dict)):
            raise self.error(knode, path, "a key must be plain text")
        return str(key) if not isinstance(key, str) else key
