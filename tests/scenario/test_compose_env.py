"""A Compose project's `.env` as Docker Compose v2 reads it, and `host-gateway` as dockerd
resolves it: what real projects write (inline comments, quotes, `export`, multi-line values)."""

from __future__ import annotations

from ipaddress import IPv4Address
from pathlib import Path

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.scenario.compose import dotenv


def env(tmp_path: Path, text: str, shell: dict | None = None) -> dict[str, str]:
    (tmp_path / ".env").write_text(text)
    return dotenv.read(tmp_path / ".env", shell or {})


def test_inline_comments_quotes_export_and_escapes_as_compose_reads_them(tmp_path) -> None:
    got = env(tmp_path, "# settings\nWEB_PORT=8080   # the port\nHASH=a#b\n"
              "export NAME='literal $WEB_PORT # kept'\nMSG=\"one\\ntwo ${WEB_PORT}\"\n"
              "YAML: style\n  SPACED = value  \nKEY=\"multi\nline\"\nEMPTY=\n")
    assert got == {"WEB_PORT": "8080", "HASH": "a#b", "NAME": "literal $WEB_PORT # kept",
                   "MSG": "one\ntwo 8080", "YAML": "style", "SPACED": "value",
                   "KEY": "multi\nline", "EMPTY": ""}


def test_the_shell_wins_and_a_bare_key_takes_the_shells_value(tmp_path) -> None:
    assert env(tmp_path, "A=file\nB\nC\nD=${A}-x\n", {"A": "shell", "B": "b"}) == \
        {"A": "shell", "B": "b", "D": "shell-x"}


@pytest.mark.parametrize("text, line, words", [
    ("A=1\nBAD KEY=1\n", 2, "key cannot contain a space"),
    ("A=1\n\nK-1=x\n", 3, "unexpected character '-' in variable name"),
    ('A="open\n', 1, 'unterminated quoted value'),
    ("A=" + "x" * 40 + "\n" + "".join(f"A{i + 1}=${{A{i or ''}}}${{A{i or ''}}}\n"
                                      for i in range(12)), 12, "grows past 65536"),
])
def test_a_broken_env_file_is_refused_at_its_line(tmp_path, text, line, words) -> None:
    with pytest.raises(ScenarioError) as e:
        env(tmp_path, text)
    assert words in e.value.message and e.value.where.line == line
    assert e.value.where.file.endswith(".env")


def test_an_env_file_that_is_not_a_regular_file_is_refused(tmp_path) -> None:
    import os
    os.mkfifo(tmp_path / ".env")
    with pytest.raises(ScenarioError, match="not a regular file"):
        dotenv.read(tmp_path / ".env", {})


def test_a_port_from_env_with_an_inline_comment(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("WEB_PORT", raising=False)
    (tmp_path / ".env").write_text("WEB_PORT=8080   # the port the LAN uses\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web: {image: nginx, ports: ['${WEB_PORT}:80']}\n")
    ports = Lab.load(tmp_path / "compose.yaml").model.containers[f"{tmp_path.name}-web-1"].ports
    assert [b.host_port for b in ports] == [8080]


def test_host_gateway_is_the_default_bridges_gateway(tmp_path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "name: hg\nservices:\n  web:\n    image: nginx\n    extra_hosts: "
        "['host.docker.internal:host-gateway']\n")
    lab = Lab.load(tmp_path / "compose.yaml")
    view = lab.model.names["hg-web-1"]
    assert view.hosts["host.docker.internal"] == [IPv4Address("172.17.0.1")]
    assert "172.17.0.1\thost.docker.internal" in view.hosts_file


def test_add_host_host_gateway_on_the_docker_cli(tmp_path) -> None:
    (tmp_path / "s.yml").write_text(
        "name: cli\nhosts: {docker1: {}}\ncommands:\n  docker1: |\n    docker run -d --name app "
        "--add-host host.docker.internal:host-gateway busybox\n")
    view = Lab.load(tmp_path / "s.yml").model.names["app"]
    assert view.hosts["host.docker.internal"] == [IPv4Address("172.17.0.1")]
