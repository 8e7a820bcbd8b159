"""Compose's interpolation (the compose-spec's "Interpolation"): `$VAR`, `${VAR}`,
`${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$` for a literal `$`;
used for the Compose files and for the values of a `.env` file alike."""

from __future__ import annotations

import re

from netsim.errors import ScenarioError

VAR = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([_a-zA-Z][_a-zA-Z0-9]*))")


def substitute(text: str, variables: dict, where) -> str:
    def one(m: re.Match) -> str:
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
                arg = substitute(rest[len(op):], variables, where)
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
