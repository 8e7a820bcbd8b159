"""`commands:` — docker CLI lines become the same entries as networks: / containers:."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab

CMDS = """name: c
hosts: {docker1: {}, docker2: {}}
commands:
  docker1: |
    docker network create -d macvlan --subnet=192.168.1.0/24 --gateway 192.168.1.1 \\
      --ip-range=192.168.1.192/27 --aux-address host=192.168.1.250 -o parent=eth0 -o macvlan_mode=private pub
    docker network create --internal --subnet 10.9.0.0/24 -o com.docker.network.bridge.enable_icc=false quiet
    # a comment
    docker run -d --rm --name web --network pub -p 8080:80 -P --expose 443 nginx
    docker run -it --name db --network quiet --ip 10.9.0.9 --network-alias database -h dbhost postgres
    docker network connect --alias front pub db
  docker2: |
    docker swarm join
    docker network create -d overlay ovl
    docker run --name o1 --network ovl busybox sleep 1d
"""


def test_lines_become_entries() -> None:
    sc = Lab.from_yaml(CMDS, "c.yml").loaded.scenario
    pub = sc.networks["pub"]
    assert (pub.driver, pub.host, pub.parent, pub.mode) == ("macvlan", "docker1", "eth0", "private")
    assert str(pub.ip_range) == "192.168.1.192/27" and str(pub.aux_addresses["host"]) == \
        "192.168.1.250"
    quiet = sc.networks["quiet"]
    assert quiet.internal and quiet.options == {"com.docker.network.bridge.enable_icc": "false"}
    web = sc.containers["web"]
    assert (web.host, web.network, web.publish_all) == ("docker1", "pub", True)
    assert [r.spec for reqs in web.ports for r in reqs] == ["8080:80"]
    db = sc.containers["db"]
    assert str(db.networks["quiet"].ip) == "10.9.0.9" and db.networks["quiet"].aliases == [
        "database"]
    assert db.networks["pub"].aliases == ["front"] and db.hostname == "dbhost"
    assert sc.networks["ovl"].host is None and sc.containers["o1"].host == "docker2"


def test_the_model_builds_from_commands() -> None:
    model = Lab.from_yaml(CMDS, "c.yml").model
    assert str(model.endpoints["db"].addresses["quiet"]) == "10.9.0.9"
    assert str(model.endpoints["web"].primary) == "192.168.1.192"


@pytest.mark.parametrize(("line", "words"), [
    ("docker run --nam web nginx", "unknown flag: --nam"),
    ("docker run --name web", '"docker run" requires at least 1 argument'),
    ("docker run nginx", "give the container a --name"),
    ("docker volume create v", "netsim does not simulate `docker volume create`"),
    ("ip link add x type dummy", "not a docker command"),
    ("docker network connect nope web2", "No such container: web2"),
    ("docker network create", "docker network create needs exactly one NAME"),
    ("docker run --name web -p 80:8o nginx", '"80:8o" is not a port mapping'),
])
def test_errors_point_at_the_line(line: str, words: str) -> None:
    text = f"name: c\ncommands:\n  docker1: |\n    docker network create n\n    {line}\n"
    with pytest.raises(ScenarioError) as err:
        Lab.from_yaml(text, "c.yml").model  # noqa: B018 - building raises
    assert str(err.value).startswith("c.yml:5"), str(err.value)
    assert words in str(err.value)
