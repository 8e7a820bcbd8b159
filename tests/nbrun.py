"""Execute one notebook top to bottom (used by the tests, also as an unprivileged user)."""

from __future__ import annotations

import sys
import tempfile

import nbformat
from nbclient import NotebookClient


def run(path: str) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
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
    book = run(sys.argv[1])
    body, pictures = outputs(book)
    print(body)
    print(f"PICTURES {pictures}")
