"""Every error a user can meet names file:line, the field, and Docker's words where Docker has
them. Each case: a scenario, the line the error must point at, and words it must contain."""

from __future__ import annotations

import pytest

from netsim.errors import ScenarioError
from netsim.lab import Lab

CASES = {
    "port typo": ("""name: x
containers:
  web:
    ports: ["8080:80", "80:8o"]
""", 4, 'containers.web.ports[1]: "80:8o" is not a port mapping: invalid containerPort: 8o'),
    "bad proto": ("""name: x
containers:
  web: {ports: ["80:80/icmp"]}
""", 3, "invalid proto: icmp"),
    "bad host ip": ("""name: x
containers:
  web: {ports: ["1.2.3:80:80"]}
""", 3, "invalid IP address: 1.2.3"),
    "ip outside subnet 20.10": ("""name: x
docker: "20.10"
networks:
  netD: {subnet: 10.11.0.0/24}
containers:
  cc:
    networks:
      netD: {ip: 10.12.0.5}
""", 8, "Invalid address 10.12.0.5: It does not belong to any of this network's subnets"),
    "ip outside subnet 28": ("""name: x
networks:
  netD: {subnet: 10.11.0.0/24}
containers:
  cc:
    networks:
      netD: {ip: 10.12.0.5}
""", 7, "no configured subnet or ip-range contain the IP address 10.12.0.5"),
    "ip on default bridge": ("""name: x
containers:
  cc:
    networks:
      bridge: {ip: 172.17.0.9}
""", 5, "user specified IP address is supported on user defined networks only"),
    "ip on auto subnet": ("""name: x
networks: {n: {}}
containers:
  cc:
    networks:
      n: {ip: 172.18.0.9}
""", 6, "user specified IP address is supported only when connecting to networks with user "
        "configured subnets"),
    "port already allocated": ("""name: x
containers:
  aa: {ports: ["8080:80"]}
  clash: {ports: ["8080:80"]}
""", 4, "Bind for 0.0.0.0:8080 failed: port is already allocated"),
    "specific ip vs any": ("""name: x
containers:
  aa: {ports: ["127.0.0.1:8080:80"]}
  clash: {ports: ["8080:81"]}
""", 4, "Bind for 127.0.0.1:8080 failed: port is already allocated"),  # 28 names the holder
    "container mode with ports": ("""name: x
containers:
  base: {}
  side:
    network: container:base
    ports: ["80:80"]
""", 6, "conflicting options: port publishing and the container type network mode"),
    "container mode with hostname": ("""name: x
containers:
  base: {}
  side:
    network: container:base
    hostname: side
""", 6, "conflicting options: hostname and the network mode"),
    "container mode unknown target": ("""name: x
containers:
  side: {network: "container:ghost"}
""", 3, "cannot join network namespace of a non running container: container ghost"),
    "container mode self": ("""name: x
containers:
  side: {network: "container:side"}
""", 3, "cannot join own network namespace"),
    "host mode with links": ("""name: x
containers:
  db: {}
  hh:
    network: host
    links: [db]
""", 6, "conflicting options: host type networking can't be used with links"),
    "macvlan parent missing": ("""name: x
networks:
  pub:
    driver: macvlan
    parent: ens33
    subnet: 192.168.1.0/24
""", 5, "invalid subinterface vlan name ens33, example formatting is eth0.10"),
    "macvlan bad mode": ("""name: x
networks:
  pub: {driver: macvlan, parent: eth0, mode: bridged}
""", 3, "requested macvlan mode 'bridged' is not valid"),
    "macvlan vlan id": ("""name: x
networks:
  pub: {driver: macvlan, parent: eth0.5000}
""", 3, "vlan id must be between 1-4094, received: 5000"),
    "overlay with one host named": ("""name: x
hosts: {docker1: {}, docker2: {}}
networks:
  ov:
    driver: overlay
    host: docker1
""", 6, "overlay is swarm-scoped"),
    "unknown network": ("""name: x
containers:
  cc: {network: nope}
""", 3, "network nope not found"),
    "unknown driver": ("""name: x
networks:
  n: {driver: ipvlan2}
""", 3, 'plugin "ipvlan2" not found'),
    "duplicate container": ("""name: x
containers:
  web: {}
  web: {}
""", 4, "duplicate key 'web' (first at line 3)"),
    "name used twice": ("""name: x
hosts: {web: {}}
containers:
  web: {}
""", 4, "name 'web' is already used in hosts"),
    "lab name": ("""name: My_Lab
""", 1, '"My_Lab" cannot prefix namespace names'),
    "unknown key": ("""name: x
networks:
  n: {subnett: 10.0.0.0/24}
""", 3, "unknown key 'subnett' (valid: driver, host, hosts, subnet"),
    "invalid container name": ("""name: x
containers:
  "-web": {}
""", 3, "Invalid container name (-web)"),
    "subnet overlap": ("""name: x
networks:
  aa: {subnet: 10.0.0.0/16}
  bb: {subnet: 10.0.1.0/24}
""", 4, "Pool overlaps with other one on this address space"),
    "unknown probe node": ("""name: x
expect:
  - {from: ghost, to: lan, result: reach}
""", 3, "'ghost' is not a node of this scenario"),
    "none plus network": ("""name: x
networks: {n: {}}
containers:
  cc:
    networks: {none: {}, n: {}}
""", 5, "container cannot be connected to multiple networks with one of the networks in "
        "private (none) mode"),
    "link to later container": ("""name: x
containers:
  web: {links: ["db:database"]}
  db: {}
""", 3, "Cannot link to a non running container: /db AS /web/database"),
    "macvlan address taken on the LAN": ("""name: x
lan: {peers: {printer: 192.168.1.2}}
networks:
  pub: {driver: macvlan, parent: eth0, subnet: 192.168.1.0/24, gateway: 192.168.1.1}
containers:
  web: {network: pub}
""", 6, "Docker gives web 192.168.1.2 on pub, but printer already uses it on the LAN"),
    "gateway outside subnet": ("""name: x
networks:
  n: {subnet: 10.1.0.0/24, gateway: 10.2.0.1}
""", 3, "invalid gateway 10.2.0.1"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_names_line_field_and_words(name: str) -> None:
    text, line, words = CASES[name]
    with pytest.raises(ScenarioError) as err:
        lab = Lab.from_yaml(text, "scenarios/x.yml")
        lab.check(full_matrix=False)
    message = str(err.value)
    assert message.startswith(f"scenarios/x.yml:{line}:"), message
    assert words in message, message


def test_pool_exhaustion_is_worded_per_profile() -> None:
    nets = "\n".join(f"  n{i}: {{}}" for i in range(31))
    for profile, words in (("28", "all predefined address pools have been fully subnetted"),
                           ("20.10", "could not find an available, non-overlapping IPv4 address "
                                     "pool among the defaults to assign to the network")):
        text = f'name: x\ndocker: "{profile}"\nnetworks:\n{nets}\n'
        with pytest.raises(ScenarioError) as err:
            Lab.from_yaml(text, "p.yml").model  # noqa: B018 - building raises
        # 30 pools (docker0 takes one, the LAN 192.168.1.0/24 masks 192.168.0.0/20): n29 fails
        assert str(err.value).startswith("p.yml:33:"), str(err.value)
        assert words in str(err.value)
