"""YAML with positions: plain Python data plus a map from key path to (line, column).

The file is composed once; every mapping key and value keeps where it stood, so an error found
later (by pydantic or by the model) can point at `file:line:col`. Duplicate keys, which PyYAML
accepts silently (the last one wins), are refused here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from netsim.errors import ScenarioError, Where

try:  # libyaml when present: about 5x faster on large scenarios
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - pure Python fallback
    _Loader = yaml.SafeLoader

Path = tuple[str | int, ...]


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
    except yaml.YAMLError as e:
        raise ScenarioError(f"not valid YAML: {e}", Where(file)) from None
    if node is None:
        raise ScenarioError("the file is empty; a scenario needs at least `name:`", Where(file, 1, 1))
    return _build(node, (), pos, yaml.SafeLoader("")), pos


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(node: yaml.Node, path: Path, pos: Positions, ctor: yaml.SafeLoader) -> object:
    line, col = _mark(node)
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        line += 1  # a block scalar's text starts on the line after its indicator
    pos.values[path] = (line, col)
    if isinstance(node, yaml.MappingNode):
        out: dict[object, object] = {}
        for knode, vnode in node.value:
            key = ctor.construct_object(knode) if isinstance(knode, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                line, col = _mark(knode)
                raise ScenarioError("a key must be plain text", Where(pos.file, line, col, path))
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = pos.keys[(*path, key)][0]
                line, col = _mark(knode)
                raise ScenarioError(
                    f"duplicate key '{key}' (first at line {first}); names must be unique",
                    Where(pos.file, line, col, (*path, key)),
                )
            pos.keys[(*path, key)] = _mark(knode)
            out[key] = _build(vnode, (*path, key), pos, ctor)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), pos, ctor) for i, item in enumerate(node.value)]
    if node.tag == "tag:yaml.org,2002:timestamp":  # 2024-01-01 stays text, not a date
        return node.value
    return ctor.construct_object(node)
