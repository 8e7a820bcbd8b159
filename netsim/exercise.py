""""Predict, then check" for the lesson notebooks: the learner writes an answer, this says
whether the kernel (or, without root, netsim's prediction) agrees, and why.

An answer is read as a learner writes it: a verdict in the words that mean it for that probe
("reach", "yes", "refused" ...), a source as an address or a name ("docker1",
"docker1@bridge", "lan"); an answer netsim cannot read gets the words it can."""

from __future__ import annotations

from typing import Any

from netsim.probe.plan import source_ips

# the kind of probe -> its verdicts -> the words a learner may use for each
WORDS: dict[str, dict[str, frozenset[str]]] = {
    "icmp": {"reach": frozenset({"reach", "reaches", "reachable", "yes", "ok", "answers",
                                 "replies", "pong", "open"}),
             "blocked": frozenset({"blocked", "no", "dropped", "unreachable", "timeout",
                                   "times out", "filtered", "no answer"})},
    "port": {"open": frozenset({"open", "reach", "reaches", "reachable", "yes", "ok",
                                "connects", "connected", "accepted", "answers"}),
             "closed": frozenset({"closed", "refused", "rejected", "reset", "rst", "no",
                                  "connection refused"}),
             "blocked": frozenset({"blocked", "no", "dropped", "timeout", "times out",
                                   "filtered", "no answer"})},
    "dns": {"nxdomain": frozenset({"nxdomain", "no such name", "not found", "does not exist"}),
            "servfail": frozenset({"servfail"}), "timeout": frozenset({"timeout", "no answer"}),
            "refused": frozenset({"refused"}), "unresolved": frozenset({"unresolved"})},
}
HINTS = {"result": '"reach" or "blocked" (ping); "open", "closed" or "blocked" (a port); an '
                   'address or "nxdomain" (a name)',
         "source": 'an address as a string ("10.0.0.5"), or a machine\'s name ("docker1")'}


def _kind(row: Any) -> str:
    p = row.probe
    return "dns" if p.proto == "dns" else "icmp" if p.proto == "icmp" else "port"


def _verdicts(row: Any, said: str) -> set[str] | None:
    """The verdicts the words may mean for this probe; None: words netsim cannot read."""
    kind = _kind(row)
    if kind == "dns":
        try:
            from ipaddress import ip_address

            return {str(ip_address(said))}
        except ValueError:
            pass
    got = {v for v, words in WORDS[kind].items() if said in words}
    return got or None


def _sources(report: Any, said: str) -> set[str] | None:
    """The addresses an answer about a source stands for (itself, or a node's)."""
    try:
        from ipaddress import ip_address

        return {str(ip_address(said))}
    except ValueError:
        names = {n.lower(): n for n in report.model.endpoints}  # "Docker1" is docker1
        node, _, net = said.partition("@")
        word = names.get(node.lower(), node) + (f"@{net}" if net else "")
        got = source_ips(report.model, word)
        return None if isinstance(got, str) else {str(a) for a in got}


def _truth(row: Any, about: str) -> tuple[str, Any]:
    seen = row.source_seen if row.observed else row.predicted.source_seen
    if about == "source":
        return (str(seen) if seen is not None else "nothing: no answer"), seen
    return str(row.observed or row.predicted.result), seen


def check_answer(report: Any, n: int, answer: object, about: str | None = None) -> bool | None:
    """Compare `answer` with expectation `n` of `report` (a RunReport after live probes, or
    the CheckReport's prediction), print the verdict and the reason; None when unanswered,
    unreadable or asked of an expectation the report has not."""
    count = len(report.expectations)
    if not isinstance(n, int) or not 0 <= n < count:
        print(f"There is no expectation {n!r} in this report: it has {count}, numbered 0 to "
              f"{count - 1} (the # column).")
        return None
    row = report.expectations[n]
    about = about or row.probe.ask or "result"
    if about not in HINTS:
        print(f"A question is about {' or '.join(HINTS)}, not {about!r}.")
        return None
    if answer is ...:
        print(f"Write your answer first: replace ... in the cell above with {HINTS[about]}.")
        return None
    truth, seen = _truth(row, about)
    said = str(answer).strip().lower()
    means = _sources(report, str(answer).strip()) if about == "source" else \
        _verdicts(row, said)
    if means is None:
        valid = (HINTS["source"] if about == "source" else
                 ", ".join(f'"{v}"' for v in WORDS[_kind(row)]) + (
                     " or an address" if _kind(row) == "dns" else ""))
        print(f"netsim cannot read {answer!r} as an answer here: say {valid}.")
        return None
    basis = "the kernel" if row.observed else "netsim's prediction"
    ok = truth.lower() in {m.lower() for m in means}
    head = "Right." if ok else f"Not quite: you said {answer!r}; {basis} says {truth!r}."
    exact = f" (precisely: {truth})" if ok and said != truth.lower() else ""
    print(f"{head}{exact} {row.probe.label}: {row.observed or row.predicted.result}"
          + (f", the server saw {seen}" if seen is not None else "")
          + f" ({basis}).\nWhy: {row.predicted.why}")
    return ok
