"""Commands a tutorial types into its containers become probes, in its order, and each shows
what it would print (netsim.scenario.shell, netsim.report.printed); no root."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.report import printed
from netsim.scenario import shell

LAB = """
name: typed
hosts: {h1: {}}
commands:
  h1: |
    $ docker network create app
    $ docker run -d --name web --network app nginx
    $ docker run -d --name db --network app postgres
    $ docker run -dit --name lone alpine ash
TYPED
"""


def _rows(typed: str):
    lab = Lab.from_yaml(LAB.replace("TYPED", typed))
    return lab, [r for r in lab.check(full_matrix=False).expectations if r.probe.typed]


def _shown(typed: str) -> list[list[str]]:
    return [printed.lines(r.probe.typed, r.predicted) for r in _rows(typed)[1]]


def test_docker_exec_lines_are_probes_with_what_busybox_prints() -> None:
    got = _shown("""    $ docker exec -it web ping -c 3 db
    $ docker exec web wget -qO- http://db:8080/
    $ docker exec -it web nslookup db
    $ docker exec web sh -c "nc -zv db 80"
    $ docker exec web curl -s http://nowhere.example:8080/
    $ docker exec lone ping -c1 web""")
    assert got[0][0].startswith("PING db (10.") or got[0][0].startswith("PING db (172.")
    assert got[0][-1] == "3 packets transmitted, 3 packets received, 0% packet loss"
    assert got[1][-1].startswith("wget: can't connect to remote host (")  # nothing listens
    assert got[2][-2] == "Name:\tdb" and got[2][0] == "Server:\t\t127.0.0.11"
    assert got[3][0].startswith("nc: db (") and got[3][0].endswith("Connection refused")
    assert got[4] == ["curl: (7) Failed to connect to nowhere.example port 8080: Connection "
                      "refused"]  # an unknown dotted name stands for `outside`
    assert got[5] == ["ping: bad address 'web'"]  # the default bridge has no names


def test_after_attach_root_prompt_lines_are_typed_until_the_detach_sequence() -> None:
    _, rows = _rows("""    $ docker attach web
    # ping -c 2 db
    # the next line is a comment: its first word is no tool
    Ctrl+P Ctrl+Q
    # ping -c 2 web""")
    assert [r.probe.typed.text for r in rows] == ["ping -c 2 db"]
    assert [r.probe.src for r in rows] == ["web"]


def test_a_shell_from_docker_exec_takes_the_prompt_lines() -> None:
    _, rows = _rows("""    $ docker exec -it db sh
    / # ping -c 1 web
    # nslookup web""")
    assert [(r.probe.src, r.probe.proto) for r in rows] == [("db", "icmp"), ("db", "dns")]


def test_a_closing_clean_up_is_checked_then_left_undone() -> None:
    lab, rows = _rows("""    $ docker exec web ping -c 1 db
    $ docker stop web db lone
    $ docker rm web db lone
    $ docker network rm app""")
    assert {"web", "db", "lone"} <= set(lab.model.containers)
    assert [r.predicted.result for r in rows] == ["reach"]
    assert any("clean-up from here is checked, not done" in w for _, w in lab.model.warnings)
    with pytest.raises(ScenarioError, match="No such container: nope"):
        _rows("    $ docker rm -f nope")


@pytest.mark.parametrize(("typed", "words"), [
    ("$ docker exec nope ping db", "No such container: nope"),
    ("$ docker exec web", "requires at least 2 arguments"),
    ("$ docker exec --bogus web ping db", "unknown flag: --bogus"),
])
def test_docker_exec_is_refused_in_dockers_words(typed: str, words: str) -> None:
    with pytest.raises(ScenarioError, match=words):
        _rows("    " + typed)


@pytest.mark.parametrize(("text", "note"), [
    ("ip addr show", "`ip` shows what is there"),
    ("ping", "ping without a host"),
    ("ping -c x db", "refuses its count"),
    ("nslookup db 8.8.8.8", "asks the server 8.8.8.8"),
    ("wget ftp://db/", "http:// and https:// URLs only"),
    ("nc db 80", "`nc -z HOST PORT` only"),
    ("ping 'db", "cannot split"),
])
def test_what_is_no_probe_says_why(text: str, note: str) -> None:
    got = shell.read("web", text, 1)
    assert isinstance(got, str) and note in got


def test_a_prompt_line_with_no_container_attached_is_noted() -> None:
    lab, rows = _rows("    / # ping -c 1 db")
    assert not rows and any("no `docker attach`" in w for _, w in lab.model.warnings)


@pytest.mark.parametrize(("line", "reads"), [
    ("ip addr show", True), ("sudo netstat -tulpn | grep :80", True), ("iptables -nvL", True),
    ("ip link add x type dummy", False), ("echo 1 > /proc/sys/net/ipv4/ip_forward", False),
    ("netstat -tln | tee out", False), ("iptables -A INPUT -j DROP", False),
    ("ip addr show && ip link del eth0", False), ("nft list ruleset", True),
])
def test_a_host_line_is_noted_only_when_it_changes_nothing(line: str, reads: bool) -> None:
    text = LAB.replace("TYPED", "    $ " + line)
    if reads:
        assert any("on the host shows what is there" in w
                   for _, w in Lab.from_yaml(text).model.warnings)
    else:
        with pytest.raises(ScenarioError, match="not a docker command"):
            _ = Lab.from_yaml(text).model


def test_a_probe_typed_into_a_container_removed_later_is_refused_at_its_line() -> None:
    with pytest.raises(ScenarioError, match="web is gone by the end of commands") as e:
        _rows("""    $ docker exec web ping -c 1 db
    $ docker rm -f web
    $ docker run -d --name late nginx""")
    assert e.value.where.line == 10  # the exec line (LAB puts TYPED on line 10)
