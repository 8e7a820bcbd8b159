"""YAML with positions: plain Python data plus a map from key path to (line, column).

The file is read once, as the parser's events (no node graph); every mapping key and value
keeps where it stood, so an error found later (by pydantic or by the model) can point at
`file:line:col`. Duplicate keys, which PyYAML accepts silently (the last one wins), are
refused here. So are tags YAML's core schema does not have, and aliases that expand without
bound (a "billion laughs" file, an alias of itself); merge keys (`<<: *defaults`, as compose
files use them) are applied, a key of the mapping itself winning (its place too).
"""

from __future__ import annotations

from collections.abc import Callable
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

    def known(self, path: Path) -> bool:
        """Does the file itself have this key?"""
        return tuple(path) in self.values or tuple(path) in self.keys

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


def ancestor(table: dict[tuple, Where], path: tuple) -> Where | None:
    """The place of `path`, or of its nearest ancestor that has one."""
    probe = tuple(path)
    while probe and probe not in table:
        probe = probe[:-1]
    return table.get(probe)


class Places(Positions):
    """A scenario netsim wrote from the user's files (Compose, a cluster directory): each
    key path -> the user's file:line it came from (nearest ancestor); a path none came from
    names the input and no line of the text netsim wrote."""

    def __init__(self, file: str, places: dict[tuple, Where]):
        super().__init__(file)
        self.places = places

    def known(self, path: tuple) -> bool:
        return tuple(path) in self.places

    def where(self, path: tuple, at_key: bool = False) -> Where:
        at = ancestor(self.places, path)
        return Where(at.file, at.line, at.column, at.path or tuple(path)) if at else \
            Where(self.file, None, None, tuple(path))


def load_text(text: str, file: str) -> tuple[object, Positions]:
    pos = Positions(file)
    try:
        data = _Builder(pos, _Loader(text)).document()
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
    if data is _EMPTY:
        raise ScenarioError("the file is empty; a scenario needs at least `name:`", Where(file, 1, 1))
    return data, pos


_EMPTY = object()
_MERGED = object()  # the key `<<`
STR = "tag:yaml.org,2002:str"
BUDGET = (f"aliases expand this file past {MAX_NODES} values (or {MAX_DEPTH} levels): a "
          "scenario is never that big")
Next = Callable[[], yaml.Event]
_SCALAR, _ALIAS = yaml.ScalarEvent, yaml.AliasEvent
_MAP, _MAP_END, _SEQ, _SEQ_END = (yaml.MappingStartEvent, yaml.MappingEndEvent,
                                  yaml.SequenceStartEvent, yaml.SequenceEndEvent)
_COLLECTION_TAG = {_MAP: "tag:yaml.org,2002:map", _SEQ: "tag:yaml.org,2002:seq"}
_IMMUTABLE = (int, float, bool, type(None))


def _place(ev: yaml.Event) -> tuple[int, int]:
    """(line, column) where an event starts, counted from 1."""
    return ev.start_mark.line + 1, ev.start_mark.column + 1


class _Builder:
    """Plain data straight from the parser's events (no node graph: composing one costs as
    much again), with positions, a node budget and merge keys. An anchored node's events
    are recorded as they are read and replayed at each alias: an alias expands where it
    stands, its values at the places of the anchor's, and counts against the budget."""

    def __init__(self, pos: Positions, loader: yaml.SafeLoader):
        self.pos, self.loader, self.nodes = pos, loader, 0
        self.ctor = yaml.SafeLoader("")
        self.anchors: dict[str, list[yaml.Event]] = {}
        self.recording: list[list[yaml.Event]] = []  # of the anchored nodes being read
        self.open: set[str] = set()  # their anchors
        self.sizes: dict[str, int] = {}  # anchor -> values it expands to
        self.scalars: dict[tuple[str, str], object] = {}  # (tag, text) -> int, bool, None

    def live(self) -> yaml.Event:
        ev = self.loader.get_event()
        for rec in self.recording:
            rec.append(ev)
        return ev

    def document(self) -> object:
        get = self.loader.get_event
        get()  # StreamStartEvent
        start = get()
        if type(start) is yaml.StreamEndEvent:
            return _EMPTY
        # while no anchored node is read, events come straight from the parser: live()
        # would only add the cost of a call
        data = self.node(get(), get, (), 0, True)
        get()  # DocumentEndEvent
        more = get()
        if type(more) is not yaml.StreamEndEvent:
            raise self.error(more, (), "not valid YAML: expected a single document, but "
                             "found another document")
        return data

    def error(self, ev: yaml.Event, path: Path, message: str) -> ScenarioError:
        return ScenarioError(message, Where(self.pos.file, *_place(ev), path))

    def node(self, ev: yaml.Event, nxt: Next, path: Path, depth: int, live: bool) -> object:
        """The value that starts with `ev`; `live`: read from the file (not replayed)."""
        if type(ev) is _ALIAS:
            return self.alias(ev, path, depth)
        if live and ev.anchor is not None:
            return self.anchored(ev, nxt, path, depth)
        return self.build(ev, nxt, path, depth, live)

    def build(self, ev: yaml.Event, nxt: Next, path: Path, depth: int, live: bool) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES or depth > MAX_DEPTH:
            raise self.error(ev, path, BUDGET)
        kind, tag = type(ev), self.tag(ev, path)
        mark = ev.start_mark
        # a block scalar's text starts on the line after its indicator
        block = kind is _SCALAR and ev.style in ("|", ">")
        self.pos.values[path] = (mark.line + 1 + block, mark.column + 1)
        if kind is _MAP:
            return self.mapping(nxt, path, depth, live)
        if kind is _SEQ:
            out: list[object] = []
            item = nxt()
            while type(item) is not _SEQ_END:
                out.append(self.node(item, nxt, (*path, len(out)), depth + 1, live))
                item = nxt()
            return out
        if tag in TEXT:  # text is the event's value (and 2024-01-01 stays text, not a
            return ev.value  # date): no constructor call, the most common case by far
        if tag == MERGE:
            raise self.error(ev, path, "<< merges a mapping in as a key (<<: *defaults); as "
                             "a value, quote it")
        return self.scalar(ev, tag, path)

    def tag(self, ev: yaml.Event, path: Path) -> str:
        """The event's tag, as written or resolved (a scalar's by its text, through the
        loader's cache); one the core schema lacks is refused."""
        tag = ev.tag
        if tag is None or tag == "!":
            tag = ((_TAGS.get((ev.value, ev.implicit))  # the cache, without the call
                    or self.loader.resolve(yaml.ScalarNode, ev.value, ev.implicit))
                   if type(ev) is _SCALAR else _COLLECTION_TAG[type(ev)])
        if tag not in CORE:
            raise self.error(ev, path, f"unknown tag {tag}: scenarios use plain YAML")
        return tag

    def scalar(self, ev: yaml.ScalarEvent, tag: str, path: Path) -> object:
        key = (tag, ev.value)
        if key in self.scalars:
            return self.scalars[key]
        try:
            value = self.ctor.construct_object(yaml.ScalarNode(tag, ev.value, ev.start_mark,
                                                               ev.end_mark, ev.style))
        except (ValueError, yaml.YAMLError) as e:  # e.g. an integer of 5,000 digits, `a: <<`
            why = getattr(e, "problem", None) or e  # without PyYAML's second line of place
            raise self.error(ev, path, f"not a value netsim can read: {why}") from None
        if isinstance(value, _IMMUTABLE):  # 80, true, ~: shared, as the parser shares none
            self.scalars[key] = value
        return value

    def fresh(self, ev: yaml.Event) -> str:
        """The anchor `ev` defines, which no node may have defined before (as libyaml's
        composer says)."""
        name = ev.anchor
        if name in self.anchors or name in self.open:
            first = self.anchors[name][0].start_mark.line + 1 if name in self.anchors else None
            raise self.error(ev, (), f"not valid YAML: found duplicate anchor '{name}'" + (
                f" (first at line {first})" if first else ""))
        return name

    def anchored(self, ev: yaml.Event, nxt: Next, path: Path, depth: int) -> object:
        name = self.fresh(ev)
        rec = [ev]
        self.recording.append(rec)
        self.open.add(name)
        before = self.nodes
        value = self.build(ev, self.live, path, depth, True)
        self.recording.pop()
        self.open.discard(name)
        self.anchors[name] = rec
        self.sizes[name] = self.nodes - before  # what each alias of it will expand to
        return value

    def alias(self, ev: yaml.AliasEvent, path: Path, depth: int) -> object:
        if ev.anchor in self.open or self.nodes + self.sizes.get(ev.anchor, 0) > MAX_NODES:
            # `lan: &x {peers: *x}` would expand without end, a bomb past the budget: said
            # at the alias, before expanding it
            raise self.error(ev, path, BUDGET)
        return self.build(*self.replay(ev), path, depth, False)

    def replay(self, ev: yaml.AliasEvent) -> tuple[yaml.Event, Next]:
        """The first event an alias stands for, and the rest to read."""
        rec = self.anchors.get(ev.anchor)
        if rec is None:
            raise self.error(ev, (), f"not valid YAML: found undefined alias '{ev.anchor}'")
        return rec[0], iter(rec[1:]).__next__

    def mapping(self, nxt: Next, path: Path, depth: int, live: bool) -> dict:
        out: dict[object, object] = {}
        merged: list[tuple[object, Positions]] = []
        keys = self.pos.keys
        kev = nxt()
        while type(kev) is not _MAP_END:
            key, kev = self.key(kev, path, live)
            at = (*path, key)
            if key is _MERGED:  # `<<: *x` or `<<: [*x, *y]`: keys not given here
                merged.append(self.merge_source(nxt(), nxt, path, depth, live))
            elif key in out:
                raise self.error(kev, at, f"duplicate key '{key}' (first at line "
                                 f"{keys[at][0]}); names must be unique")
            else:
                keys[at] = _place(kev)
                out[key] = self.node(nxt(), nxt, at, depth + 1, live)
            kev = nxt()
        for source, places in merged:
            self.merge(out, path, source, places)
        return out

    def key(self, kev: yaml.Event, path: Path, live: bool) -> tuple[object, yaml.Event]:
        """A mapping key as text (or MERGE), and the event it stands at."""
        if type(kev) is _ALIAS:  # an alias of a scalar
            kev = self.replay(kev)[0]
        elif live and kev.anchor is not None and type(kev) is _SCALAR:
            self.anchors[self.fresh(kev)] = [kev]
        if type(kev) is not _SCALAR:
            raise self.error(kev, path, "a key must be plain text")
        tag = self.tag(kev, path)
        if tag == STR:
            return kev.value, kev
        if tag == MERGE:
            return _MERGED, kev
        key = self.scalar(kev, tag, path)
        if key is None or isinstance(key, (list, dict)):
            raise self.error(kev, path, "a key must be plain text")
        return (str(key) if not isinstance(key, str) else key), kev

    def merge_source(self, ev: yaml.Event, nxt: Next, path: Path, depth: int,
                     live: bool) -> tuple[object, Positions]:
        """What a merge key names, built aside (at the key `<<`), with its own places."""
        mine = self.pos
        self.pos = Positions(mine.file)
        try:
            value = self.node(ev, nxt, (*path, "<<"), depth + 1, live)
            return value, self.pos
        finally:
            self.pos = mine

    def merge(self, out: dict, path: Path, source: object, places: Positions) -> None:
        """Keys of merged mappings that the mapping does not give (the first source wins),
        with their places."""
        here = (*path, "<<")
        sources = [(source, here)] if not isinstance(source, list) else [
            (s, (*here, i)) for i, s in enumerate(source)]
        bad = next((at for s, at in sources if not isinstance(s, dict)), None)
        if bad is not None:
            line, col = places.values.get(bad, (None, None))
            raise ScenarioError("a merge key (<<) takes a mapping or a list of mappings",
                                Where(self.pos.file, line, col, path))
        for src, at in sources:
            taken = [k for k in src if k not in out]
            for k in taken:
                out[k] = src[k]
            for table, mine in ((places.values, self.pos.values), (places.keys, self.pos.keys)):
                for p, mark in table.items():
                    if p[:len(at)] == at and len(p) > len(at) and p[len(at)] in taken:
                        mine[(*path, *p[len(at):])] = mark
