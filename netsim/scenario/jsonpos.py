"""JSON with positions, read as Go's encoding/json reads it (what libcni and the plugins use).

Plain Python data plus the place of every key and value (`yamlpos.Positions`), so an error
found later points at the user's own `file:line:col`. Go's rules where Python's differ:
NaN and Infinity are not JSON; a number is a float64 unless a field says otherwise, so one
beyond its range is refused (and never becomes a 5,000-digit Python int); the syntax errors
are Go's sentences. Iterative, so nesting costs no recursion; bounded at MAX_DEPTH.
"""

from __future__ import annotations

import bisect
import math
import re
from json.decoder import scanstring

from netsim.errors import ScenarioError, Where
from netsim.scenario.yamlpos import Positions

MAX_DEPTH = 256  # Go allows 10,000; no configuration nests past a handful
_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


class Number(float):
    """A JSON number with a fraction or an exponent: a float that keeps its literal, which
    Go's errors quote (`cannot unmarshal number 1e3 into ... of type int`)."""

    text: str

    def __new__(cls, text: str) -> Number:
        self = super().__new__(cls, float(text))
        self.text = text
        return self


def literal(value: object) -> str:
    """A number as the file wrote it."""
    return value.text if isinstance(value, Number) else str(value)


def load(text: str, file: str) -> tuple[object, Positions]:
    return _Reader(text, file).document()


class _Reader:
    def __init__(self, text: str, file: str):
        self.s, self.file = text, file
        self.pos = Positions(file)
        self.lines = [m.end() for m in re.finditer("\n", text)]

    def place(self, i: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.lines, i)
        return line + 1, i - (self.lines[line - 1] if line else 0) + 1

    def fail(self, i: int, why: str) -> ScenarioError:
        line, col = self.place(i)
        return ScenarioError(f"invalid JSON: {why}", Where(self.file, line, col))

    def bad(self, i: int, context: str) -> ScenarioError:
        if i >= len(self.s):
            return self.fail(i, "unexpected end of JSON input")
        return self.fail(i, f"invalid character {self.s[i]!r} {context}")

    def skip(self, i: int) -> int:
        return _WS.match(self.s, i).end()

    def document(self) -> tuple[object, Positions]:
        value, i = self.value(self.skip(0), ())
        i = self.skip(i)
        if i < len(self.s):
            raise self.bad(i, "after top-level value")
        return value, self.pos

    def scalar(self, i: int) -> tuple[object, int]:
        s = self.s
        if s.startswith('"', i):
            try:
                return scanstring(s, i + 1, True)
            except ValueError as e:
                raise self.fail(i, f"in string literal: {str(e).split(':')[0]}") from None
        for word, value in _LITERALS.items():
            if s.startswith(word, i):
                return value, i + len(word)
        m = _NUMBER.match(s, i)
        if not m or not m.group():
            raise self.bad(i, "looking for beginning of value")
        text = m.group()
        number = float(text)
        if math.isinf(number):
            raise self.fail(i, f"cannot unmarshal number {text[:24]}… into Go value of type "
                               "float64 (out of range)")
        if m.group(1) or m.group(2):
            return Number(text), m.end()
        return int(text), m.end()  # at most ~309 digits: float() bounded it

    def value(self, i: int, path: tuple) -> tuple[object, int]:
        """One value; containers are filled from an explicit stack, not by recursion."""
        root: list = []
        stack: list[list] = [[root, path, 0]]  # [container, its path, items so far]
        while True:
            frame = stack[-1]
            container, cpath, count = frame
            i = self.skip(i)
            if container is root:
                key, here = 0, path
            else:
                closer = "}" if isinstance(container, dict) else "]"
                if self.s.startswith(closer, i):
                    stack.pop()
                    i += 1
                    if len(stack) == 1:
                        return root[0], i
                    continue
                if count:
                    if not self.s.startswith(",", i):
                        raise self.bad(i, "after object key:value pair" if closer == "}"
                                       else "after array element")
                    i = self.skip(i + 1)
                key, i = self.key(container, cpath, count, i)
                here = (*cpath, key)
            self.pos.values[here] = self.place(i)
            frame[2] += 1
            if self.s.startswith(("{", "["), i):
                if len(stack) > MAX_DEPTH:
                    raise self.fail(i, f"nested deeper than {MAX_DEPTH} levels")
                new: dict | list = {} if self.s[i] == "{" else []
                self.put(container, key, new)
                stack.append([new, here, 0])
                i += 1
                continue
            item, i = self.scalar(i)
            self.put(container, key, item)
            if container is root:
                return item, i

    def key(self, container: object, cpath: tuple, count: int, i: int) -> tuple[object, int]:
        """An array's next index, or an object's next key (read up to its colon)."""
        if not isinstance(container, dict):
            return count, i
        if not self.s.startswith('"', i):
            raise self.bad(i, "looking for beginning of object key string")
        key, j = self.scalar(i)
        self.pos.keys[(*cpath, key)] = self.place(i)
        j = self.skip(j)
        if not self.s.startswith(":", j):
            raise self.bad(j, "after object key")
        return key, self.skip(j + 1)

    @staticmethod
    def put(container: object, key: object, item: object) -> None:
        if isinstance(container, dict):
            container[key] = item  # a repeated key: the last one wins, as in Go
        else:
            container.append(item)
