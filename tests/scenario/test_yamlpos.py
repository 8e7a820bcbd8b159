"""YAML read from the parser's events (netsim.scenario.yamlpos): the data PyYAML's own safe
loader (libyaml's, as netsim's) makes of every file both read, each key and value at its
place, and every way to abuse anchors, aliases, merge keys and tags refused at file:line
(no root)."""

from __future__ import annotations

import datetime

import pytest
import yaml

from netsim.errors import ScenarioError
from netsim.scenario.yamlpos import load_text
from tests.conftest import SCENARIOS
from tests.scenario.test_fuzz_corpus import CORPUS


def _plain(v: object) -> object:
    """PyYAML's value as netsim keeps it: a date stays the text it was written as."""
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v.isoformat() if isinstance(v, (datetime.date, datetime.datetime)) else v


def test_the_data_is_what_pyyaml_makes_of_every_file_both_read() -> None:
    texts = [p.read_text() for p in sorted(SCENARIOS.glob("*.yml"))] + [t for *_, t in CORPUS]
    compared = 0
    for text in texts:
        try:
            ours, _ = load_text(text, "f.yml")
        except ScenarioError:
            continue  # refused: a duplicate key, a tag, a value too big (tested below)
        theirs = yaml.load(text, Loader=yaml.CSafeLoader)  # libyaml, as netsim reads
        assert ours == _plain(theirs), text
        compared += 1
    assert compared >= 500  # most of the corpus reads as YAML, mutated or not


def test_places_of_keys_values_and_what_aliases_and_merges_bring() -> None:
    text = ("base: &b {x: 1, y: [1, 2]}\n"
            "one: {<<: *b, y: 3}\n"
            "two: {<<: [*b, {z: 1}], w: 2}\n"
            "text: |\n  a block\n"
            "copy: *b\n")
    data, pos = load_text(text, "f.yml")
    assert data["one"] == {"y": 3, "x": 1} and data["two"] == {"w": 2, "x": 1, "y": [1, 2],
                                                               "z": 1}
    assert pos.values[("one", "y")] == (2, 18)  # its own value, not the merged one
    assert pos.values[("one", "x")] == (1, 14)  # merged: where the anchor's value stands
    assert pos.keys[("two", "z")] == (3, 17)
    assert pos.values[("text",)][0] == 5  # a block scalar: the line after its `|`
    assert pos.values[("copy", "y", 1)] == (1, 24)  # an alias: the anchor's places


@pytest.mark.parametrize(("text", "where", "words"), [
    ("a: *x\n", "1:4", "found undefined alias 'x'"),
    ("a: &x 1\nb: &x 2\n", "2:4", "found duplicate anchor 'x' (first at line 1)"),
    ("a: 1\n---\nb: 2\n", "2:1", "expected a single document"),
    ("!foo k: v\n", "1:1", "unknown tag !foo"),  # once a traceback (the key's tag)
    ("a: <<\n", "1:4", "merges a mapping in as a key"),
    ("a: {<<: 5}\n", "1:9", "a merge key (<<) takes a mapping"),
    ("a: {<<: [{b: 1}, 2]}\n", "1:18", "a merge key (<<) takes a mapping"),
    ("? [a]\n: 1\n", "1:3", "a key must be plain text"),
    ("a: &x {peers: *x}\n", "1:15", "aliases expand this file past"),
    ("a: {b: 1, b: 2}\n", "1:11", "duplicate key 'b' (first at line 1)"),
])
def test_abuse_is_refused_at_its_place(text: str, where: str, words: str) -> None:
    with pytest.raises(ScenarioError) as got:
        load_text(text, "f.yml")
    assert str(got.value).startswith(f"f.yml:{where}:") and words in str(got.value), got.value
    assert "\n" not in str(got.value)  # one line, no PyYAML "in <unicode string>" tail
