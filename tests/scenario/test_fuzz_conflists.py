"""Hostile conflists: every field of every valid real conflist (tests/corpus/cni) given each
wrong JSON type, and whole files built to exhaust the reader. Each answer is a clean refusal
(exit 2 or 3, never a traceback) or a valid network; runs without root."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import yaml

from netsim.errors import NetsimError, ScenarioError
from netsim.lab import Lab
from tests.scenario.test_fuzz_corpus import _baseline, _netsim_check

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "cni"
VALID = [e["file"] for e in yaml.safe_load((CORPUS / "SOURCES.yml").read_text())
         if e["expect"] == "valid"]
WRONG = ["x", 5, 1.5, -1, True, None, [], {}, [1, "a"], {"a": {"b": None}}, "10.0.0.0/33",
         "::/0", "", 10 ** 400, "0.0.0.0/0", 65536, "eth0", "fd00::1"]
SCENARIO = "name: f\nhosts: {node1: {runtime: cni}}\ncni: {'%s': {file: %s}}\n" \
           "containers: {pa: {listen: [80/tcp]}, pb: {}}\n"


def paths(value: object, at: tuple = ()) -> list[tuple]:
    out = [at] if at else []
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for k, v in items:
        out += paths(v, (*at, k))
    return out


def replaced(data: object, path: tuple, new: object) -> object:
    data = json.loads(json.dumps(data))
    *head, last = path
    node = data
    for k in head:
        node = node[k]
    node[last] = new
    return data


def network(data: dict) -> str:
    """What a scenario keys the file by: its name, a Multus file's cluster network's."""
    if data.get("type") == "multus":
        ds = data["delegates"]
        return next((d for d in ds if d.get("masterplugin")), ds[0])["name"]
    return data["name"]


def cases() -> list[tuple[str, str, str]]:
    """(file, its network's name, the mutated text)."""
    out = []
    for file in VALID:
        data = json.loads((CORPUS / file).read_text())
        rng = random.Random(file)
        for path in paths(data):
            for new in rng.sample(WRONG, 5):
                out.append((file, network(data), json.dumps(replaced(data, path, new))))
    return out


CASES = cases()


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 1000


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda k: f"{CASES[k][0]}-{k}")
def test_a_mutated_conflist_is_refused_cleanly_or_checks(case: int, tmp_path: Path) -> None:
    file, network, text = CASES[case]
    name = "n" + Path(file).suffix
    (tmp_path / name).write_text(text)
    (tmp_path / "s.yml").write_text(SCENARIO % (network, name))
    try:
        Lab.load(tmp_path / "s.yml").check(full_matrix=False)
    except ScenarioError as e:
        assert e.exit_code == 2 and e.where is not None, str(e)
        assert "Error:" not in e.message and "Exception" not in e.message, str(e)
    except NetsimError as e:
        assert e.exit_code in (2, 3), str(e)


def _deep(n: int) -> str:
    return '{"name": "n", "cniVersion": "1.0.0", "plugins": [{"type": "bridge", "x": ' + \
        "[" * n + "]" * n + "}]}"


@pytest.mark.parametrize("kind", ["deep", "big-number", "infinity", "nan", "huge", "sparse",
                                  "fifo", "binary"])
def test_hostile_conflists_exit_2_fast_and_small(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "x.conflist"
    if kind == "deep":
        path.write_text(_deep(100_000))
    elif kind == "big-number":
        path.write_text('{"name": "n", "cniVersion": "1.0.0", "plugins": [{"type": "bridge", '
                        '"mtu": ' + "9" * 5000 + "}]}")
    elif kind in ("infinity", "nan"):
        path.write_text('{"name": "n", "plugins": [{"type": "bridge", "mtu": %s}]}'
                        % ("Infinity" if kind == "infinity" else "NaN"))
    elif kind == "huge":
        path.write_text('{"name": "n", "x": "' + "a" * (3 << 20) + '"}')
    elif kind == "sparse":
        with path.open("wb") as f:
            f.truncate(1 << 30)
    elif kind == "fifo":
        import os
        os.mkfifo(path)
    elif kind == "binary":
        path.write_bytes(b'{"name": "\xff\xfe"}')
    code, out, seconds, mb = _netsim_check(str(path))
    assert code == 2, out
    assert "Traceback" not in out, out
    assert seconds < _baseline(tmp_path) + 1.0 and mb < 200, (seconds, _baseline(tmp_path), mb)
