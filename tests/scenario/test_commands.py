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


TUTORIAL = """name: tut
hosts: {docker1: {address: 192.168.1.40, interface: ens33}}
commands:
  docker1: |
    docker network create -d macvlan
    --subnet=192.168.1.0/24
    --ip-range=192.168.1.192/27
    --gateway=192.168.1.1
    -o parent=ens33
    my_macvlan
    docker run --name some-redis -d redis
    docker run --name some-app --link some-redis:redis -d redis
    docker run -it --link some-redis:redis --rm redis redis-cli -h redis -p 6379
    $ sudo docker run -itd -v /data:/data --restart always --memory 512m --name cache redis
    [root@docker001 ~]# docker run -dit --name web --dns 192.168.1.1 --add-host db.local:10.0.0.5 nginx
    sudo docker run -it -p 192.168.1.40:6379:6379 --name public -d redis
    redis-server --appendonly yes --requirepass pass123
"""


def test_a_tutorials_lines_as_printed() -> None:
    """../shared/tutorial prints commands with bare line breaks, sudo and prompts."""
    lab = Lab.from_yaml(TUTORIAL, "tut.yml")
    sc = lab.loaded.scenario
    net = sc.networks["my_macvlan"]
    assert (net.driver, net.parent, str(net.ip_range)) == ("macvlan", "ens33", "192.168.1.192/27")
    assert sc.containers["some-app"].links == ["some-redis:redis"]
    assert "redis-1" in sc.containers  # unnamed: netsim says which name it gave
    assert sc.containers["cache"].image == "redis"
    web = sc.containers["web"]
    assert [str(x) for x in web.dns] == ["192.168.1.1"] and str(web.add_hosts["db.local"]) == \
        "10.0.0.5"
    assert [r.spec for reqs in sc.containers["public"].ports for r in reqs] == [
        "192.168.1.40:6379:6379"]
    notes = [t for pid, t in lab.model.warnings if pid == "command"]
    assert any("netsim calls it redis-1" in t for t in notes)
    assert any("-v accepted" in t for t in notes) and any("--memory accepted" in t for t in notes)
    assert lab.model.names["web"].hosts["db.local"][0].exploded == "10.0.0.5"


RM = """name: rm
commands:
  docker1: |
    docker run -d --name aa busybox
    docker run -d --name bb busybox
    docker rm -f aa
    docker run -d --name cc busybox
    docker run -d --name aa busybox
    docker network create app
    docker run -d --name dd --network app busybox
    docker network connect app bb
    docker network disconnect app dd
    docker run -d --name ee --network app busybox
"""


def test_rm_and_re_create_reuse_the_freed_address_at_once() -> None:
    m = Lab.from_yaml(RM, "rm.yml").model
    ip = {n: str(ep.primary) for n, ep in m.endpoints.items() if n in ("aa", "bb", "cc", "dd", "ee")}
    assert ip["bb"] == "172.17.0.3"
    assert ip["cc"] == "172.17.0.2"  # a's address, freed by docker rm -f aa
    assert ip["aa"] == "172.17.0.4"  # the new a
    assert "aa-rm1" not in m.endpoints and "aa-rm1" not in m.containers
    assert str(m.endpoints["ee"].addresses["app"]) == "172.18.0.2"  # d's, freed by disconnect
    assert "app" not in m.endpoints["dd"].addresses


@pytest.mark.parametrize(("line", "words"), [
    ("docker rm aa", "You cannot remove a running container aa"),
    ("docker rm nope", "No such container: nope"),
    ("docker network rm app", "has active endpoints"),
    ("docker run -xyz --name q busybox", "unknown shorthand flag: -xyz"),
])
def test_removal_errors_as_docker_words_them(line: str, words: str) -> None:
    text = ("name: r\ncommands:\n  docker1: |\n    docker network create app\n"
            "    docker run -d --name aa --network app busybox\n" + f"    {line}\n")
    with pytest.raises(ScenarioError, match=words):
        _ = Lab.from_yaml(text, "r.yml").model
