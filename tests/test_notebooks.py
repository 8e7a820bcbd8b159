"""Every lesson notebook runs top to bottom: as root with live probes, and as an unprivileged
user with predictions only; none leaves a namespace behind."""

from __future__ import annotations

import os
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
