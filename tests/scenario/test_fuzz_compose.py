"""Hostile Compose files: fields of every valid real project (tests/corpus/compose) given
wrong YAML types, and whole files built to exhaust the reader. Each answer is a clean refusal
(exit 2 or 3 at a file:line, never a traceback) or a valid project; runs without root."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
import yaml

from netsim.errors import NetsimError, ScenarioError
from netsim.lab import Lab
from tests.scenario.test_fuzz_conflists import paths, replaced
from tests.scenario.test_fuzz_corpus import _baseline, _netsim_check
from tests.scenario.test_real_compose import CORPUS, VALID

WRONG = ["x", 5, 1.5, -1, True, None, [], {}, [1, "a"], {"a": {"b": None}}, "10.0.0.0/33",
         "", 10 ** 30, "0.0.0.0:70000:80", "${UNSET:?boom}", "$${x}", "host-gateway",
         "service:nope", "container:", "a" * 300, "::1", [[[]]], {"external": True}]
PER_FILE = 30  # (path, wrong value) pairs tried per project


def cases() -> list[tuple[str, str]]:
    """(file, the mutated project as YAML)."""
    out = []
    for file in VALID:
        data = yaml.safe_load((CORPUS / file).read_text())
        rng = random.Random(file)
        pairs = [(path, new) for path in paths(data) for new in range(len(WRONG))]
        for path, new in rng.sample(pairs, min(PER_FILE, len(pairs))):
            out.append((file, yaml.safe_dump(replaced(data, path, WRONG[new]))))
    return out


CASES = cases()


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 1000


@pytest.mark.parametrize("case", range(len(CASES)), ids=lambda k: f"{CASES[k][0]}-{k}")
def test_a_mutated_project_is_refused_cleanly_or_checks(case: int, tmp_path: Path) -> None:
    _, text = CASES[case]
    (tmp_path / "compose.yaml").write_text(text)
    start = time.perf_counter()
    try:
        Lab.load(tmp_path / "compose.yaml").check(full_matrix=False)
    except ScenarioError as e:
        assert e.exit_code == 2 and e.where is not None and e.where.file, str(e)
        assert "Error:" not in e.message and "Exception" not in e.message, str(e)
    except NetsimError as e:
        assert e.exit_code in (2, 3), str(e)
    assert time.perf_counter() - start < _one_line() + 1.0


_ONE: list[float] = []


def _one_line() -> float:
    """A one-line scenario's check, in this process (the best of three)."""
    if not _ONE:
        def once() -> float:
            t = time.perf_counter()
            Lab.from_yaml("name: base\n").check(full_matrix=False)
            return time.perf_counter() - t
        _ONE.append(min(once() for _ in range(3)))
    return _ONE[0]


@pytest.mark.parametrize("kind", ["deep", "wide", "alias-bomb", "huge-env", "many-services",
                                  "many-ports", "fifo-env", "extends-loop"])
def test_hostile_projects_exit_2_fast_and_small(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "compose.yaml"
    if kind == "deep":
        path.write_text("services:\n  web:\n    image: x\n    labels: " + "[" * 5000 + "]" * 5000)
    elif kind == "wide":
        path.write_text("services:\n  web:\n    image: x\n    ports: ["
                        + ", ".join(f'"{p}:80"' for p in range(1, 70000, 1)) + "]\n")
    elif kind == "alias-bomb":
        path.write_text("x-a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"x-{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True))
            + "services: {web: {image: x, labels: *i}}\n")
    elif kind == "huge-env":
        path.write_text("services: {web: {image: '${X}'}}\n")
        (tmp_path / ".env").write_text("X=" + "a" * (8 << 20) + "\n")
    elif kind == "many-services":
        path.write_text("services:\n" + "".join(f"  s{i}: {{image: x, scale: 1000}}\n"
                                                for i in range(20)))
    elif kind == "many-ports":
        path.write_text("services: {web: {image: x, ports: ['1-65535:1-65535']}}\n")
    elif kind == "fifo-env":
        import os
        path.write_text("services: {web: {image: '${X}'}}\n")
        os.mkfifo(tmp_path / ".env")
    elif kind == "extends-loop":
        path.write_text("services:\n  a: {image: x, extends: b}\n  b: {image: x, extends: a}\n")
    code, out, seconds, mb = _netsim_check(str(path))
    assert code == 2, out
    assert "Traceback" not in out, out
    assert seconds < _baseline(tmp_path) + 1.0 and mb < 300, (seconds, _baseline(tmp_path), mb)
