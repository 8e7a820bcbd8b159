"""The project's `.env` as Docker Compose v2 reads it (compose-go's dotenv parser): `KEY=value`
or `KEY: value`, an optional `export `, `#` comment lines; an unquoted value ends at the line's
end or at ` #` (an inline comment), trailing blanks trimmed, and is interpolated; a single-
quoted value is taken as written; a double-quoted one has `\\n`, `\\r`, `\\t` and `\\X` escapes
and is interpolated; quoted values may span lines; a bare `KEY` takes the shell's value. Keys
are letters, digits, `_` and `.`. Bounded: the file before it is read, every value after it
is expanded."""

from __future__ import annotations

import re
from pathlib import Path

from netsim.errors import ScenarioError, Where
from netsim.scenario import userfile
from netsim.scenario.compose import interpolation

MAX_BYTES = 1 << 20
MAX_VALUE = 1 << 16  # one value after interpolation: a .env that doubles itself stops here
_KEY = re.compile(r"[ \t]*(?:export[ \t]+)?([^=:\n]*?)[ \t]*(=|:|\n|$)")
_NAME = re.compile(r"[\w.]+")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def read(path: Path, environ: dict[str, str]) -> dict[str, str]:
    """The variables the file sets (none when there is no file; a FIFO or a device is
    refused, not waited on)."""
    if not path.exists():
        return {}
    text = userfile.read_text(path, MAX_BYTES, "a .env file of KEY=value lines")
    return _Parser(text, str(path), environ).run()


class _Parser:
    def __init__(self, text: str, file: str, environ: dict[str, str]):
        self.s, self.file, self.environ = text, file, environ
        self.out: dict[str, str] = {}
        self.budget = interpolation.Budget()  # the whole file's growth, not one value's

    def error(self, i: int, message: str) -> ScenarioError:
        return ScenarioError(message, Where(self.file, self.s.count("\n", 0, i) + 1),
                             "KEY=value, KEY='literal', KEY=\"with \\n escapes\", # comments")

    def run(self) -> dict[str, str]:
        i = 0
        while True:
            i = self.statement(i)
            if i >= len(self.s):
                return self.out
            m = _KEY.match(self.s, i)
            key = m.group(1)
            if not _NAME.fullmatch(key):
                bad = next((c for c in key if not (c.isalnum() or c in "_.")), key[:1] or "=")
                raise self.error(i, "key cannot contain a space" if bad in " \t" else
                                 f"unexpected character {bad!r} in variable name")
            if m.group(2) in ("\n", ""):  # a bare KEY: the shell's value, if it has one
                if key in self.environ:
                    self.out[key] = self.environ[key]
                i = m.end()
                continue
            value, i = self.value(m.end())
            self.out[key] = self.environ.get(key, value)

    def statement(self, i: int) -> int:
        """The start of the next statement: blank lines and comment lines skipped."""
        while i < len(self.s):
            if self.s[i].isspace():
                i += 1
            elif self.s[i] == "#":
                end = self.s.find("\n", i)
                i = len(self.s) if end < 0 else end
            else:
                break
        return i

    def value(self, i: int) -> tuple[str, int]:
        while i < len(self.s) and self.s[i] in " \t":
            i += 1
        quote = self.s[i] if i < len(self.s) and self.s[i] in "'\"" else None
        if quote is None:
            end = self.s.find("\n", i)
            end = len(self.s) if end < 0 else end
            raw = self.s[i:end].split(" #", 1)[0].rstrip()
            return self.expand(raw, i), end
        j = i + 1
        while j < len(self.s) and not (self.s[j] == quote and self.s[j - 1] != "\\"):
            j += 1
        if j >= len(self.s):
            raise self.error(i, "unterminated quoted value")  # its line, not its text
        raw = self.s[i + 1:j]
        if quote == "'":
            return raw, j + 1
        return self.expand(re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1))
                                  if m.group(1) != "$" else m.group(0), raw), i), j + 1

    def expand(self, raw: str, i: int) -> str:
        variables = {**self.out, **self.environ}
        value = interpolation.substitute(raw, variables, lambda: Where(
            self.file, self.s.count("\n", 0, i) + 1), self.budget) if "$" in raw else raw
        if len(value) > MAX_VALUE:
            raise self.error(i, f"a value grows past {MAX_VALUE} characters by interpolation")
        return value
