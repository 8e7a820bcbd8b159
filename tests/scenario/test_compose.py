"""Compose files as scenarios: mapped as Docker Compose v2 creates them (names, networks,
aliases, order), merged as compose merges several -f files, and refused at file:line in
compose's words. The checks are on the model netsim builds from them (addresses Docker's
IPAM hands out, what resolves, what is isolated), not on the mapping's own dict."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest
from click.testing import CliRunner

from netsim.cli import main
from netsim.errors import ScenarioError
from netsim.lab import Lab
from netsim.predict.walk import Predictor
from netsim.probe.observe import Predicted
from netsim.probe.plan import address_of
from tests.conftest import SCENARIOS


def write(tmp_path: Path, text: str, name: str = "compose.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load(tmp_path: Path, text: str, name: str = "compose.yaml") -> Lab:
    return Lab.load(write(tmp_path, text, name))


def refused(tmp_path: Path, text: str, name: str = "compose.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as e:
        load(tmp_path, text, name).model  # noqa: B018 - mapping errors come at load, Docker's at build
    return e.value


def predict(lab: Lab, src: str, dst: str, proto: str = "icmp", port: int | None = None):
    return Predictor(lab.model).probe(lab.model.endpoints[src].ns, address_of(lab.model, dst),
                                      proto, port)


def resolve(lab: Lab, container: str, name: str) -> str:
    return Predicted(lab.model).resolve(container, name).result


def listening(lab: Lab, container: str) -> set[tuple[int, str]]:
    ns = lab.model.ns[lab.model.endpoints[container].ns]
    return {(ls.port, ls.proto) for ls in ns.listeners if ls.role == "echo"}


APP = """\
name: shop
services:
  web:
    image: nginx
    ports: ["8080:80"]
    networks: [frontend, backend]
    depends_on: [db]
  db:
    image: postgres
    networks:
      backend: {aliases: [database], ipv4_address: 172.28.0.10}
networks:
  frontend: {}
  backend:
    ipam: {config: [{subnet: 172.28.0.0/24, gateway: 172.28.0.254}]}
"""


def test_names_networks_and_aliases_are_compose_s(tmp_path) -> None:
    lab = load(tmp_path, APP)
    m = lab.model
    assert lab.name == "shop"
    assert set(m.containers) == {"shop-web-1", "shop-db-1"}
    nets = {n.name: n for n in m.networks.values() if n.name.startswith("shop_")}
    assert set(nets) == {"shop_frontend", "shop_backend"}
    backend = nets["shop_backend"]
    assert backend.subnet == IPv4Network("172.28.0.0/24")
    assert backend.gateway == IPv4Address("172.28.0.254")
    assert backend.endpoints["shop-db-1"].ip == IPv4Address("172.28.0.10")  # ipv4_address
    assert backend.endpoints["shop-web-1"].ip == IPv4Address("172.28.0.1")  # IPAM's first free
    assert resolve(lab, "shop-web-1", "database") == "172.28.0.10"  # the alias
    assert resolve(lab, "shop-web-1", "db") == "172.28.0.10"  # the service name
    assert predict(lab, "shop-db-1", "shop-web-1@shop_frontend").result == "blocked"


def test_services_without_networks_share_the_project_default(tmp_path) -> None:
    lab = load(tmp_path, "services: {a: {image: busybox}, b: {image: busybox}}\n")
    project = tmp_path.name.lower()
    default = [n for n in lab.model.networks.values() if n.name == f"{project}_default"]
    assert len(default) == 1 and set(default[0].endpoints) == {f"{project}-a-1",
                                                                f"{project}-b-1"}
    assert predict(lab, f"{project}-a-1", f"{project}-b-1").result == "reach"


def test_ports_long_and_short_expose_and_listen(tmp_path) -> None:
    lab = load(tmp_path, """name: p
services:
  web:
    image: busybox
    ports:
      - "127.0.0.1:8081:80"
      - {target: 53, published: "5353", protocol: udp}
    expose: ["9000"]
""")
    bindings = {(b.host_ip, b.host_port, b.proto, b.container_port)
                for b in lab.model.containers["p-web-1"].ports}
    assert bindings == {(IPv4Address("127.0.0.1"), 8081, "tcp", 80),
                        (IPv4Address("0.0.0.0"), 5353, "udp", 53)}
    assert listening(lab, "p-web-1") == {(80, "tcp"), (53, "udp"), (9000, "tcp")}


def test_network_mode_host_none_and_service(tmp_path) -> None:
    lab = load(tmp_path, """name: m
services:
  app: {image: busybox}
  side: {image: busybox, network_mode: "service:app"}
  h: {image: busybox, network_mode: host}
  n: {image: busybox, network_mode: none}
""")
    c = lab.model.containers
    assert c["m-side-1"].mode == "container" and c["m-side-1"].joins == "m-app-1"
    assert c["m-h-1"].mode == "host" and c["m-n-1"].mode == "none"
    assert lab.model.endpoints["m-side-1"].ns == lab.model.endpoints["m-app-1"].ns


def test_internal_and_external_networks(tmp_path) -> None:
    lab = load(tmp_path, """name: x
services:
  a: {image: busybox, networks: [inside, shared]}
networks:
  inside: {internal: true}
  shared: {external: true, name: proxy-net}
""")
    names = {n.name: n for n in lab.model.networks.values()}
    assert names["x_inside"].internal and "proxy-net" in names  # external keeps its own name
    assert "x_shared" not in names
    assert any("external" in text for _, text in lab.model.warnings)


def test_an_external_network_is_made_as_x_netsim_says_it_was(tmp_path) -> None:
    """`docker network create --subnet 172.30.0.0/24 proxy` before the project, said in
    x-netsim.networks: the static address Docker then accepts is the container's."""
    lab = load(tmp_path, """name: e
services:
  web: {image: nginx, networks: {proxy: {ipv4_address: 172.30.0.10}}}
networks:
  proxy: {external: true}
x-netsim:
  networks:
    proxy: {subnet: 172.30.0.0/24, gateway: 172.30.0.254}
""")
    net = next(n for n in lab.model.networks.values() if n.name == "proxy")
    assert (str(net.subnet), str(net.gateway)) == ("172.30.0.0/24", "172.30.0.254")
    assert str(lab.model.endpoints["e-web-1"].addresses["proxy"]) == "172.30.0.10"


def test_links_depends_on_order_and_replicas(tmp_path) -> None:
    lab = load(tmp_path, """name: o
services:
  web: {image: busybox, depends_on: {api: {condition: service_started}}, links: ["api:backend"],
        network_mode: bridge}
  api: {image: busybox, depends_on: [db], network_mode: bridge, scale: 2}
  db: {image: busybox, network_mode: bridge}
""")
    bridge = next(n for n in lab.model.networks.values() if n.name == "bridge")
    order = sorted(bridge.endpoints, key=lambda c: bridge.endpoints[c].ip)
    assert order == ["o-db-1", "o-api-1", "o-api-2", "o-web-1"]  # depends_on: created first
    assert resolve(lab, "o-web-1", "backend") == str(bridge.endpoints["o-api-1"].ip)  # --link


def test_extends_and_yaml_merge_keys(tmp_path) -> None:
    write(tmp_path, "services: {base: {image: nginx, expose: ['81']}}\n", "common.yml")
    lab = load(tmp_path, """name: e
x-common: &common {image: busybox, expose: ["7000"]}
services:
  a: {<<: *common, hostname: alpha}
  b: {extends: a, expose: ["7001"]}
  c: {extends: {file: common.yml, service: base}}
""")
    listen = {c: {port for port, _ in listening(lab, c)} for c in lab.model.containers}
    assert listen["e-a-1"] == {7000}
    assert listen["e-b-1"] == {7000, 7001}  # extends: sequences appended
    assert listen["e-c-1"] == {81}
    assert lab.loaded.scenario.containers["e-b-1"].image == "busybox"


def test_several_files_merge_in_order_and_the_override_file_comes_along(tmp_path) -> None:
    base = write(tmp_path, "name: mg\nservices: {web: {image: nginx, ports: ['8080:80']}}\n")
    extra = write(tmp_path, "services: {web: {ports: ['8443:443'], image: httpd}}\n",
                  "prod.yml")
    lab = Lab.load([base, extra])
    c = lab.model.containers["mg-web-1"]
    assert lab.loaded.scenario.containers["mg-web-1"].image == "httpd"
    assert {b.host_port for b in c.ports} == {8080, 8443}
    write(tmp_path, "services: {web: {ports: ['9090:80']}}\n", "compose.override.yaml")
    c = Lab.load(base).model.containers["mg-web-1"]  # as `docker compose` without -f
    assert {b.host_port for b in c.ports} == {8080, 9090}


def test_interpolation_from_the_environment_and_dotenv(tmp_path, monkeypatch) -> None:
    (tmp_path / ".env").write_text("WEB_PORT=8088\n")
    monkeypatch.setenv("IMAGE_TAG", "1.25")
    lab = load(tmp_path, """name: i
services:
  web: {image: "nginx:${IMAGE_TAG}", ports: ["${WEB_PORT}:80", "${OTHER:-9000}:90"]}
""")
    c = lab.model.containers["i-web-1"]
    assert {b.host_port for b in c.ports} == {8088, 9000}
    assert lab.loaded.scenario.containers["i-web-1"].image == "nginx:1.25"


def test_profiles_container_name_priority_extra_hosts_and_service_x_netsim(tmp_path,
                                                                          monkeypatch) -> None:
    monkeypatch.delenv("COMPOSE_PROFILES", raising=False)
    text = """name: k
services:
  app:
    image: busybox
    container_name: the-app
    hostname: apphost
    extra_hosts: ["printer:192.168.1.60", "nas=192.168.1.61"]
    networks: {zz: {priority: 10}, aa: {}}
    x-netsim: {listen: [7000/tcp]}
  debug: {image: busybox, profiles: [debug]}
networks: {aa: {}, zz: {}}
x-netsim:
  hosts: {docker1: {}, docker2: {}}
  host: docker2
"""
    lab = load(tmp_path, text)
    c = lab.model.containers
    assert set(c) == {"the-app"} and c["the-app"].host == "docker2"
    assert any("'debug' is not started" in t for _, t in lab.model.warnings)
    assert list(lab.loaded.scenario.containers["the-app"].networks) == ["k_zz", "k_aa"]
    assert resolve(lab, "the-app", "printer") == "192.168.1.60"
    assert resolve(lab, "the-app", "nas") == "192.168.1.61"
    own = {str(a) for a in lab.model.endpoints["the-app"].addresses.values()}
    assert resolve(lab, "the-app", "apphost") in own  # its hostname, in its /etc/hosts
    assert listening(lab, "the-app") == {(7000, "tcp")}
    monkeypatch.setenv("COMPOSE_PROFILES", "debug")
    assert "k-debug-1" in load(tmp_path, text).model.containers


def test_x_netsim_expectations_name_services_and_networks(tmp_path) -> None:
    lab = load(tmp_path, APP + """x-netsim:
  expect:
    - {from: web, to: db, port: 5432/tcp, result: open, source: web@backend}
    - {from: db, to: web@frontend, result: blocked}
    - {from: web, to: database, by: name, port: 5432/tcp, result: open}
""")
    report = lab.check()
    assert [r.probe.label for r in report.expectations] == [
        "shop-web-1 -> shop-db-1:5432/tcp", "shop-db-1 -> shop-web-1@shop_frontend icmp",
        "shop-web-1 -> database (by name):5432/tcp"]
    assert not report.failed


def test_the_shipped_compose_app_is_predicted_as_expected() -> None:
    r = CliRunner().invoke(main, ["check", "-q", str(SCENARIOS / "compose" / "compose.yaml")])
    assert r.exit_code == 0, r.output
    assert "shop: 7/7 expectations predicted to hold" in r.output
    r = CliRunner().invoke(main, ["check", "-q", "--matrix", "none", "-f",
                                  str(SCENARIOS / "compose" / "compose.yaml")])
    assert r.exit_code == 0, r.output


# -- one invalid file per error class: file:line (of the text below), compose's words, exit 2
BAD = [
    ("schema: an unknown key", "services:\n  web:\n    image: x\n    portz: [80]\n", 4,
     "additional properties 'portz' not allowed"),
    ("schema: a wrong type", "services:\n  web:\n    image: x\n    ports: 80\n", 4,
     "must be a list"),
    ("undefined network", "services:\n  web:\n    image: x\n    networks: [nope]\n", 4,
     'service "web" refers to undefined network nope'),
    ("undefined dependency", "services:\n  web:\n    image: x\n    depends_on: [db]\n", 4,
     'service "web" depends on undefined service "db"'),
    ("dependency cycle", "services:\n  a: {image: x, depends_on: [b]}\n"
     "  b: {image: x, depends_on: [a]}\n", None, "dependency cycle detected"),
    ("network_mode with networks", "services:\n  web:\n    image: x\n    network_mode: host\n"
     "    networks: [default]\n", 4, "mutually exclusive"),
    ("external with a driver", "services: {web: {image: x, networks: [n]}}\nnetworks:\n"
     "  n:\n    external: true\n    driver: bridge\n", 5,
     'conflicting parameters "external" and "driver"'),
    ("static address on an external network", "services:\n  web:\n    image: x\n"
     "    networks: {proxy: {ipv4_address: 172.30.0.10}}\nnetworks:\n  proxy: {external: true}\n",
     4, "x-netsim: {networks: {proxy: {subnet: 172.30.0.0/24}}}"),
    ("x-netsim.networks unknown key", "services:\n  web: {image: x, networks: [proxy]}\n"
     "networks:\n  proxy: {external: true}\nx-netsim:\n  networks:\n    proxy: {subnett: 1}\n",
     7, "x-netsim.networks.proxy: unknown key 'subnett'"),
    ("interpolation", "services:\n  web: {image: \"${:bad}\"}\n", 2,
     "invalid interpolation format"),
    ("required variable", "services:\n  web: {image: \"${NETSIM_UNSET_VAR:?set it}\"}\n", 2,
     "required variable NETSIM_UNSET_VAR is missing a value: set it"),
    ("extends a missing service", "services:\n  web:\n    extends: base\n", 3,
     "cannot extend service 'web': service 'base' not found"),
    ("x-netsim unknown key", "services: {web: {image: x}}\nx-netsim:\n  expects: []\n", 3,
     "x-netsim: unknown key 'expects'"),
    ("bad YAML", "services:\n  web: [\n", None, "not valid YAML"),
    ("Docker's own refusal", "services:\n  web:\n    image: x\n    ports: ['70000:80']\n", 4,
     "70000"),
]


@pytest.mark.parametrize("what,text,line,words", BAD, ids=[b[0] for b in BAD])
def test_invalid_files_are_refused_at_their_line(tmp_path, what, text, line, words) -> None:
    err = refused(tmp_path, "name: bad\n" + text)
    assert words in str(err), str(err)
    assert err.where.file.endswith("compose.yaml")
    if line is not None:
        assert err.where.line == line + 1, str(err)  # + the name line
    r = CliRunner().invoke(main, ["check", str(tmp_path / "compose.yaml")])
    assert r.exit_code == 2 and words in r.output and "Traceback" not in r.output, r.output


def test_enable_ipv6_is_a_dual_stack_network_and_ipv6_address_its_ip6(tmp_path) -> None:
    """mailcow and others enable IPv6 by default: `--ipv6` with ipam's IPv6 subnet."""
    lab = load(tmp_path, """name: six
services:
  web:
    image: nginx
    networks: {front: {ipv4_address: 172.28.0.10, ipv6_address: "fd00:28::10"}}
networks:
  front:
    enable_ipv6: true
    ipam: {config: [{subnet: 172.28.0.0/16}, {subnet: "fd00:28::/64"}]}
""")
    web = lab.model.endpoints["six-web-1"]
    assert (str(web.primary), str(web.primary6)) == ("172.28.0.10", "fd00:28::10")
    assert str(lab.model.networks["docker1/six_front"].subnet6) == "fd00:28::/64"


@pytest.mark.parametrize(("ipam", "words"), [
    ('[{subnet: "fd00:28::/64"}, {subnet: "fd00:29::/64"}]', "one IPv6 subnet per network"),
    ('[{subnet: "fd00:28::/64", gateway: "fd00:28::fe"}]', "does not model an IPv6 gateway"),
])
def test_ipv6_ipam_netsim_cannot_build_is_refused_at_its_line(tmp_path, ipam, words) -> None:
    with pytest.raises(ScenarioError, match=words) as e:
        load(tmp_path, "name: six\nservices: {web: {image: nginx, networks: [front]}}\n"
             f"networks:\n  front: {{enable_ipv6: true, ipam: {{config: {ipam}}}}}\n")
    assert e.value.where.line == 4 and e.value.where.path[:4] == ("networks", "front", "ipam",
                                                                  "config")
