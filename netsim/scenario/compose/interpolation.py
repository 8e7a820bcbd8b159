"""Compose's interpolation (the compose-spec's "Interpolation"): `$VAR`, `${VAR}`,
`${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$` for a literal `$`;
used for the Compose files and for the values of a `.env` file alike."""

from __future__ import annotations

import re

from netsim.errors import ScenarioError

GROWTH = 1 << 20  # what substitution may add, by default: a Compose file's own bound


class Budget:
    """Characters substitution may still add: `${A}` 250,000 times in a 1 MiB file, with A
    64 KiB long, would be 16 GB of text; it stops at the bound, not after."""

    def __init__(self, room: int = GROWTH):
        self.room = room

    def spend(self, n: int, where) -> None:
        self.room -= n
        if self.room < 0:
            raise ScenarioError(f"interpolation grows this file by more than {GROWTH:,} "
                                "characters", where(), "shorter values, or fewer references")


VAR = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([_a-zA-Z][_a-zA-Z0-9]*))")


def substitute(text: str, variables: dict, where, budget: Budget | None = None) -> str:
    budget = budget or Budget()

    def one(m: re.Match) -> str:
        out = _one(m)
        budget.spend(len(out) - len(m.group(0)), where)
        return out

    def _one(m: re.Match) -> str:
        if m.group(1):
            return "$"
        if m.group(3):
            return variables.get(m.group(3), "")
        body = m.group(2)
        name = re.match(r"[_a-zA-Z][_a-zA-Z0-9]*", body)
        if not name:
            raise ScenarioError(f"invalid interpolation format for {text!r}", where(),
                                "${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}")
        var, rest = name.group(0), body[name.end():]
        value = variables.get(var)
        for op, empty_counts in ((":-", True), ("-", False), (":?", True), ("?", False)):
            if rest.startswith(op):
                arg = substitute(rest[len(op):], variables, where, budget)
                missing = value is None or (empty_counts and value == "")
                if op.endswith("?") and missing:
                    raise ScenarioError(f"required variable {var} is missing a value: {arg}",
                                        where())
                return arg if missing else value  # type: ignore[return-value]
        if rest:
            raise ScenarioError(f"invalid interpolation format for {text!r}", where(),
                                "${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}")
        return value or ""

    return VAR.sub(one, text)
