"""Execute one notebook top to bottom (used by the tests, also as an unprivileged user), with
the learner's answer cells filled in: the right answers from notebooks/make_notebooks.py by
default, or the ones given.

    python tests/nbrun.py NOTEBOOK [--unanswered]
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def lessons():
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  ROOT / "notebooks" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def right_answers(path: str) -> dict[str, object]:
    return lessons().answers(Path(path).stem)


def fill(nb: nbformat.NotebookNode, answers: dict[str, object]) -> int:
    """Write `answers` (variable -> value) into the answer cells; how many were filled."""
    filled = 0
    for cell in nb.cells:
        if "answer" not in cell.get("metadata", {}).get("tags", []):
            continue
        var = re.match(r"(\w+) = \.\.\.", cell.source)
        if var and var.group(1) in answers and answers[var.group(1)] is not ...:
            cell.source = f"{var.group(1)} = {answers[var.group(1)]!r}"
            filled += 1
    return filled


def run(path: str, answers: dict[str, object] | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    fill(nb, right_answers(path) if answers is None else answers)
    with tempfile.TemporaryDirectory() as cwd:
        NotebookClient(nb, timeout=240, kernel_name="python3",
                       resources={"metadata": {"path": cwd}}).execute()
    return nb


def outputs(nb: nbformat.NotebookNode) -> tuple[str, int]:
    """All text the notebook printed or displayed, and how many pictures it showed."""
    text, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text.append(out.get("text", ""))
            data = out.get("data", {})
            text.append(data.get("text/plain", "") + data.get("text/html", ""))
            images += "image/png" in data
    return "\n".join(text), images


if __name__ == "__main__":
    book = run(sys.argv[1], {} if "--unanswered" in sys.argv else None)
    body, pictures = outputs(book)
    print(body)
    print(f"PICTURES {pictures}")
