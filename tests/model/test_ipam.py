"""IPAM exactly like Docker (spec §1.2, §1.3, §2.1, §2.4; docker-observed §3)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

from tests.conftest import lab

EXPECTED_ORDER = [f"172.{n}.0.0/16" for n in range(18, 32)] + ["192.168.16.0/20",
                                                               "192.168.32.0/20"]


def test_first_16_user_networks_follow_the_pool_order() -> None:
    nets = "\n".join(f"  n{i:02d}: {{}}" for i in range(16))
    model = lab(f"name: x\nnetworks:\n{nets}\n").model
    got = [str(model.networks[f"docker1/n{i:02d}"].subnet) for i in range(16)]
    # 192.168.0.0/20 is skipped: it overlaps the LAN 192.168.1.0/24 (an on-link route)
    assert got == EXPECTED_ORDER
    assert [str(model.networks[f"docker1/n{i:02d}"].gateway) for i in (0, 15)] == [
        "172.18.0.1", "192.168.32.1"]


def test_lan_elsewhere_frees_192_168_0_0() -> None:
    nets = "\n".join(f"  n{i:02d}: {{}}" for i in range(15))
    model = lab(f"name: x\nlan: {{subnet: 10.9.0.0/24}}\nnetworks:\n{nets}\n").model
    assert str(model.networks["docker1/n14"].subnet) == "192.168.0.0/20"


def test_docker0_and_lowest_free_addresses() -> None:
    model = lab("name: x\ncontainers: {aa: {}, bb: {}, cc: {}}\n").model
    bridge = model.networks["docker1/bridge"]
    assert bridge.subnet == IPv4Network("172.17.0.0/16")
    assert bridge.gateway == IPv4Address("172.17.0.1")
    assert [str(model.endpoints[n].primary) for n in ("aa", "bb", "cc")] == [
        "172.17.0.2", "172.17.0.3", "172.17.0.4"]


def test_ip_range_without_gateway_takes_the_ranges_first_address() -> None:
    """Observed on 20.10: --subnet 10.11.0.0/24 --ip-range 10.11.0.128/28 -> gateway .128."""
    model = lab("""name: x
networks:
  r: {subnet: 10.11.0.0/24, ip_range: 10.11.0.128/28}
containers:
  aa: {network: r}
  bb: {networks: {r: {ip: 10.11.0.10}}}
  cc: {network: r}
""").model
    net = model.networks["docker1/r"]
    assert str(net.gateway) == "10.11.0.128"
    assert not net.gateway_in_config
    assert [str(model.endpoints[n].primary) for n in ("aa", "bb", "cc")] == [
        "10.11.0.129", "10.11.0.10", "10.11.0.130"]
    assert any(pid == "P19" for pid, _ in model.warnings)


def test_macs_per_profile() -> None:
    text = "name: x\ndocker: '{p}'\ncontainers: {{aa: {{}}}}\n"
    old = lab(text.format(p="20.10")).model.ns["aa"].ifaces["eth0"].mac
    assert old == "02:42:ac:11:00:02"
    new = lab(text.format(p="28")).model.ns["aa"].ifaces["eth0"].mac
    first = int(new.split(":")[0], 16)
    assert new != old and first & 0x02 and not first & 0x01  # locally administered unicast
    assert new == lab(text.format(p="28")).model.ns["aa"].ifaces["eth0"].mac  # stable


def test_random_host_ports_come_from_the_ephemeral_range_per_protocol() -> None:
    model = lab("""name: x
containers:
  aa: {expose: [80/tcp, 5353/udp], publish_all: true}
  bb: {ports: ["80"]}
""").model
    ports = {(p.container, p.container_port, p.proto): p.host_port
             for m in model.containers.values() for p in m.ports}
    assert ports == {("aa", 80, "tcp"): 32768, ("aa", 5353, "udp"): 32768, ("bb", 80, "tcp"): 32769}


def test_host_port_range_picks_a_free_port() -> None:
    model = lab("""name: x
containers:
  aa: {ports: ["8000-8010:80"]}
  bb: {ports: ["8000-8010:80"]}
""").model
    got = [p.host_port for m in model.containers.values() for p in m.ports]
    assert got == [8000, 8001]
