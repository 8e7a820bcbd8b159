"""A warning as the reports carry it: its code, the user's file and line it is about, what the
code means and where that is explained (the terminal prints the same warning as one line).

A warning is said as `(code, "containers.web.ports: text")`: the dotted path before the first
": " names the key it is about, which the scenario's positions turn into file:line (for a
Compose project or a cluster directory: the user's own file it came from)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from netsim.answer.pitfalls import DOC, PITFALLS
from netsim.scenario.yamlpos import Positions

_PATH = re.compile(r"^([A-Za-z_][\w-]*(?:\.[\w.-]+)*): ")


@dataclass(frozen=True)
class Notice:
    code: str
    text: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def explained(self) -> str | None:
        got = PITFALLS.get(self.code)
        return got[0] if got else None

    @property
    def fix(self) -> str | None:
        got = PITFALLS.get(self.code)
        return got[1] if got else None

    @property
    def anchor(self) -> str | None:
        return f"{DOC}" if self.code in PITFALLS else None

    @property
    def where(self) -> str:
        """file:line (or file alone; "" when the warning names no key of the file)."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_json(self) -> dict:
        return {"code": self.code, "text": self.text, "file": self.file, "line": self.line,
                "column": self.column, "explained": self.explained, "fix": self.fix,
                "anchor": self.anchor}


def _path(text: str) -> tuple | None:
    m = _PATH.match(text)
    return None if m is None else tuple(int(p) if p.isdigit() else p
                                        for p in m.group(1).split("."))


def placed(warnings: list[tuple[str, str]], positions: Positions | None) -> list[Notice]:
    """Each warning with the place of the key it names (the nearest key the file has); a
    first word that is no top-level key of the file ("docker1: ...") names no place."""
    out = []
    for code, text in warnings:
        path = _path(text)
        if path is None or positions is None or not positions.known(path[:1]):
            out.append(Notice(code, text))
            continue
        at = positions.where(path)
        out.append(Notice(code, text, at.file, at.line, at.column))
    return out
