"""The journal is typed: read back as netsim wrote it, and anything else is BrokenJournal."""

from __future__ import annotations

import pytest

from netsim.realize.journal import BrokenJournal, Daemon, Journal, Process, dump, parse


def test_a_journal_reads_back_as_written() -> None:
    j = Journal(lab="x", namespaces=["nsim-x.a"], keeper=Process(pid=42, start="123"),
                engine={"kind": "docker", "version": "28.5.2"},
                daemons=[Daemon(what="dockerd", host="docker1", dir="/d", cgroup="/nsim-x.h")],
                findings=["web: differs"], warnings=[("CHECK", "said")])
    back = parse(dump(j), "x.json")
    assert back == j and back.engine_kind == "docker" and back.keeper.pid == 42


@pytest.mark.parametrize(("text", "words"), [
    ("{ not json", "cannot be read"),
    ("[]", "is not a netsim journal"),
    ('{"lab": "x", "namespaces": "nsim-x.a"}', "namespaces"),
    ('{"lab": "x", "keeper": {"pid": "1"}}', "keeper.pid"),
    ('{"lab": "x", "daemons": [{"pid": 7.5}]}', "daemons.0.pid"),
    ('{"namespaces": []}', "lab"),
])
def test_a_journal_of_the_wrong_shape_is_broken_not_a_keyerror_later(text: str,
                                                                      words: str) -> None:
    with pytest.raises(BrokenJournal, match=words):
        parse(text, "x.json")
