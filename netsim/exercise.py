""""Predict, then check" for the lesson notebooks: the learner writes an answer, this says
whether the kernel (or, without root, netsim's prediction) agrees, and why."""

from __future__ import annotations

from typing import Any

ABOUT = {  # what a question asks -> how to read the truth off a report row, and the hint
    "result": (lambda row, seen: row.observed or row.predicted.result,
               '"reach" or "blocked" (ping); "open", "closed" or "blocked" (a port); '
               'an address or "nxdomain" (a name)'),
    "source": (lambda row, seen: str(seen) if seen is not None else "nothing: no answer",
               'an address, as a string: "192.168.1.10"'),
}


def check_answer(report: Any, n: int, answer: object, about: str = "result") -> bool | None:
    """Compare `answer` with expectation `n` of `report` (a RunReport after live probes, or
    the CheckReport's prediction), print the verdict and the reason; None when unanswered."""
    truth_of, hint = ABOUT[about]
    row = report.expectations[n]
    seen = row.source_seen if row.observed else row.predicted.source_seen
    truth = truth_of(row, seen)
    if answer is ...:
        print(f"Write your answer first: replace ... in the cell above with {hint}.")
        return None
    basis = "the kernel" if row.observed else "netsim's prediction"
    ok = str(answer).strip().lower() == truth.lower()
    head = "Right." if ok else f"Not quite: you said {answer!r}; {basis} says {truth!r}."
    print(f"{head} {row.probe.label}: {row.observed or row.predicted.result}"
          + (f", the server saw {seen}" if seen is not None else "")
          + f" ({basis}).\nWhy: {row.predicted.why}")
    return ok
