"""What can go wrong, and the exit code each failure maps to (contract: design.md "Commands").

    NetsimError                 base; never shown as a traceback
    ├── ScenarioError           bad input: file, line, column, field, message, what is valid  -> exit 2
    │   └── ScenarioErrors      several of them, reported first one first
    └── EnvironmentProblem      the machine cannot do it (not root, nft missing, kernel feature) -> exit 3

Exit code 1 (a probe or prediction disagreed with an expectation) is a result, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_DISAGREE = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3


class NetsimError(Exception):
    exit_code = EXIT_BAD_INPUT


@dataclass
class Where:
    """A place in a scenario file: `path` is the key path, e.g. ("containers", "web", "ports", 1)."""

    file: str
    line: int | None = None
    column: int | None = None
    path: tuple[str | int, ...] = ()

    @property
    def field(self) -> str:
        return dotted(self.path)


def dotted(path: tuple[str | int, ...]) -> str:
    """("containers", "web", "ports", 1) -> "containers.web.ports[1]"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class ScenarioError(NetsimError):
    """One problem in a scenario, formatted `file:line:col: field: message (valid: ...)`."""

    def __init__(self, message: str, where: Where | None = None, valid: str | None = None):
        self.message = message
        self.where = where
        self.valid = valid
        super().__init__(str(self))

    def __str__(self) -> str:
        head = ""
        if self.where:
            head = self.where.file
            if self.where.line:
                head += f":{self.where.line}"
                if self.where.column:
                    head += f":{self.where.column}"
            head += ": "
            if self.where.path:
                head += f"{self.where.field}: "
        tail = f" (valid: {self.valid})" if self.valid else ""
        return f"{head}{self.message}{tail}"


class EnvironmentProblem(NetsimError):
    """The machine cannot run what was asked; `remedy` says what to do."""

    exit_code = EXIT_ENVIRONMENT

    def __init__(self, message: str, remedy: str = ""):
        self.message = message
        self.remedy = remedy
        super().__init__(f"{message}" + (f"\n  {remedy}" if remedy else ""))
