"""Every lesson notebook runs top to bottom: as root with live probes, and as an unprivileged
user with predictions only; none leaves a namespace behind."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT, needs_root, netsim_leftovers
from tests.nbrun import outputs, right_answers, run

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_per_lesson() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  ROOT / "notebooks" / "make_notebooks.py")
    lessons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lessons)
    assert [p.stem for p in NOTEBOOKS] == sorted(slug for slug, *_ in lessons.LESSONS)
    assert len(NOTEBOOKS) >= 7


@needs_root
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_live_as_root(path) -> None:
    nb = run(str(path))
    text, pictures = outputs(nb)
    assert "live probes: yes" in text
    assert "observations equal the prediction" in text  # the live report was displayed
    assert pictures >= 2  # the topology, then the same with the results
    assert text.count("Right.") == len(right_answers(str(path))), text  # checked on the kernel
    assert "(the kernel)" in text and "Not quite" not in text
    if path.stem.startswith("01-"):  # the NAT lesson traces one packet on the kernel
        assert "trace lan -&gt; docker1:8080/tcp" in text or "trace lan -> docker1" in text
        assert "dnat to" in text and "conntrack 192.168.1.2:" in text  # the rewrite, traced
    assert not netsim_leftovers()["namespaces"]


def test_the_notebooks_ask_before_they_answer() -> None:
    """No answer in an exercise's cell, and nothing printed before it that gives it away:
    the first picture has no results and the report comes after the exercises."""
    import nbformat

    for path in NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        sources = [c.source for c in nb.cells]
        answer_cells = [s for c, s in zip(nb.cells, sources, strict=True)
                        if "answer" in c.get("metadata", {}).get("tags", [])]
        assert answer_cells and all(s.split("#")[0].strip().endswith("= ...")
                                    for s in answer_cells), path
        first_check = next(i for i, s in enumerate(sources) if s.startswith("check_answer("))
        before = "\n".join(sources[:first_check])
        assert "lab.draw(results=False)" in before and "display(report)" not in before
        assert "lab.check()\ncheck" not in before


def _scenario(nb) -> dict:
    import yaml

    cell = next(c.source for c in nb.cells if c.source.startswith("SCENARIO = "))
    return yaml.safe_load(cell.split('"""')[1])


VERDICT_WORDS = {"reach", "blocked", "open", "closed", "nxdomain"}  # a hint lists them all


def test_no_answer_is_on_the_page_before_its_question() -> None:
    """Each question's expectation is shown as a question (`ask:`, no result, no source),
    no expectation above it says the same probe with the answer, and its hint is not it."""
    import nbformat

    for path in NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        rights = right_answers(str(path))
        expect = _scenario(nb)["expect"]
        for k, cell in enumerate(nb.cells):
            m = re.match(r"check_answer\(report, (\d+), (\w+)\)", cell.source)
            if m is None:
                continue
            n, var = int(m.group(1)), m.group(2)
            right = str(rights[var]).lower()
            asked = expect[n]
            assert "ask" in asked and "result" not in asked and "source" not in asked, \
                (path.stem, n)
            same = [e for e in expect if e is not asked and all(
                e.get(f) == asked.get(f) for f in ("from", "to", "port", "resolve", "size"))]
            assert not any(str(e.get("result", "")).lower() == right or
                           str(e.get("source", "")).lower() == right for e in same), path.stem
            hint = nb.cells[k - 1].source  # the answer cell: `var = ...  # the hint`
            if right not in VERDICT_WORDS:  # an address: the hint's example is another one
                assert right not in hint.lower().split("#", 1)[1], (path.stem, var, hint)
            shown = "\n".join(c.source for c in nb.cells[:k - 2])
            assert f"check_answer(report, {n}," not in shown


def _report(scenario: str):
    from netsim.lab import Lab

    return Lab.from_yaml(scenario).check()


LESSON = """\
name: q
hosts: {docker1: {address: 192.168.1.10}}
containers:
  web: {ports: ["8080:80"], listen: [80/tcp]}
  client: {}
expect:
  - {from: web, to: outside, port: 80/tcp, ask: source}
  - {from: client, to: web, port: 80/tcp, ask: result}
  - {from: lan, to: web, ask: result}
  - {from: lan, to: docker1, port: 8081/tcp, ask: result}
"""


def test_check_answer_takes_names_addresses_and_the_words_that_mean_the_verdict(
        capsys) -> None:
    from netsim.exercise import check_answer

    report = _report(LESSON)
    for answer in ("192.168.1.10", "docker1", " Docker1 ".strip()):
        assert check_answer(report, 0, answer) is True, answer
    assert check_answer(report, 0, "client") is False  # a name, but the wrong one
    assert "says '192.168.1.10'" in capsys.readouterr().out
    for answer in ("open", "reach", "yes", "connects"):  # the port answers: all mean open
        assert check_answer(report, 1, answer) is True, answer
    assert "(precisely: open)" in capsys.readouterr().out
    for answer in ("blocked", "no", "dropped", "timeout"):
        assert check_answer(report, 2, answer) is True, answer
    assert check_answer(report, 2, "reach") is False
    assert check_answer(report, 3, "refused") is True  # nothing listens on 8081: RST
    assert check_answer(report, 3, "closed") is True and check_answer(report, 3, "open") is False


def test_check_answer_says_the_valid_words_and_refuses_a_bad_number(capsys) -> None:
    from netsim.exercise import check_answer

    report = _report(LESSON)
    assert check_answer(report, 2, "maybe") is None
    said = capsys.readouterr().out
    assert "cannot read 'maybe'" in said and '"reach", "blocked"' in said
    assert check_answer(report, 1, "perhaps") is None
    assert '"open", "closed", "blocked"' in capsys.readouterr().out
    assert check_answer(report, 0, "nowhere") is None
    assert "a machine's name" in capsys.readouterr().out
    assert check_answer(report, 9, "reach") is None and check_answer(report, -1, "x") is None
    assert "no expectation 9 in this report: it has 4, numbered 0 to 3" in \
        capsys.readouterr().out
    assert check_answer(report, 1, ...) is None
    assert "Write your answer first" in capsys.readouterr().out


@needs_root
def test_an_unanswered_and_a_wrong_answer_are_told_so() -> None:
    path = str(ROOT / "notebooks" / "04-host-none-container.ipynb")
    _first, second = right_answers(path)  # the first left unanswered
    text, _ = outputs(run(path, {second: "reach"}))
    assert "Write your answer first: replace ... in the cell above" in text
    assert "Not quite: you said 'reach'; the kernel says 'blocked'." in text
    assert "Why: " in text


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                    reason="needs root to make an unprivileged user namespace")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_root(path, tmp_path) -> None:
    """`unshare --user` without a root mapping: the notebook's kernel runs with euid 65534 and
    no capability over the machine, exactly what a student's account has."""
    env = {**os.environ, "HOME": str(tmp_path), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "IPYTHONDIR": str(tmp_path / "ipy"), "MPLCONFIGDIR": str(tmp_path / "mpl"),
           "PYTHONPATH": str(ROOT)}
    argv = ["unshare", "--user", sys.executable, str(ROOT / "tests" / "nbrun.py"), str(path)]
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=str(tmp_path),
                       timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert "live probes need root" in r.stdout
    assert "PICTURES 0" not in r.stdout
    assert r.stdout.count("Right.") == len(right_answers(str(path)))
    assert "(netsim's prediction)" in r.stdout
    if path.stem.startswith("01-"):  # the trace lesson without root: the predicted hops
        assert "docker1 DNAT 192.168.1.10:8080 -> 172.17.0.2:80" in r.stdout
