"""Writes the lesson notebooks from the lessons below (run it after editing a lesson):

    python notebooks/make_notebooks.py

Each lesson: a short explanation, the scenario inline, the picture of the network, live
probes (root) or a sentence saying they need root, "predict, then check" exercises (the
answer cell left empty, `answer = ...`; a check cell that compares it with the kernel's or
the prediction's result and explains), then the report, the picture with the results and the
rules Docker would write. The right answers stay here (`answers()`), not in the notebooks.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
from IPython.display import display
from netsim.exercise import check_answer
from netsim.lab import Lab

LIVE, WHY_NOT = Lab.can_build()
print("live probes:", "yes" if LIVE else WHY_NOT)"""

LIVE = """\
# With root: build it for real (network namespaces, nftables, real packets) and probe every
# expectation now; the report is shown after the exercises, so it gives nothing away.
if LIVE:
    with lab.up():
        report = lab.probe()
        {extra}
else:
    print(WHY_NOT)
    report = lab.check()
print(len(report.expectations), "expectations",
      "probed on the kernel" if LIVE else "predicted by netsim")"""

SHOW = """\
display(report)
assert not report.failed, 'the kernel disagreed with an expectation or with the model'"""


def answer_cells(var: str, question: str, about: str, probe: int) -> list:
    """The question, an empty answer for the learner, and the check that explains."""
    from netsim.exercise import HINTS

    return [new_markdown_cell(f"**{question}** Write your answer in the next cell, then run "
                              "the one after it."),
            new_code_cell(f"{var} = ...  # {HINTS[about]}", metadata={"tags": ["answer"]}),
            new_code_cell(f"check_answer(report, {probe}, {var})")]


def asked(scenario: str, exercises: list) -> str:
    """The scenario as the page shows it: each expectation an exercise asks about is a
    question (`ask:`), its result and source left out, so the answer is not on the page."""
    lines = scenario.split("\n")
    start = lines.index("expect:")
    expect_at = [i for i, line in enumerate(lines) if i > start and
                 line.lstrip().startswith("- {")]
    for n, (_var, _q, about, probe, _right) in enumerate(exercises, 1):
        i = expect_at[probe]
        body, _, note = lines[i].partition("}")
        body = re.sub(r",\s*(result|source):\s*[^,}]+", "", body)
        lines[i] = f"{body}, ask: {about}}}{note.rstrip()}  # question {n}"
    return "\n".join(lines)


LESSONS = [
    ("01-default-bridge-and-nat", "The default bridge and NAT", """\
Every `docker run` without `--network` lands on **docker0** (172.17.0.0/16, gateway
172.17.0.1). Containers there reach each other by IP, reach the world through **MASQUERADE**
(the world sees the Docker host's address), and nobody outside reaches them unless a port is
published. There is no DNS by name on the default bridge.""", """\
name: lesson1
hosts: {docker1: {address: 192.168.1.10}}
containers:
  web: {ports: ["8080:80"], listen: [80/tcp]}   # -p publishes; listen says what answers
  client: {}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
  - {from: web, to: outside, port: 80/tcp, result: open, source: docker1}
  - {from: lan, to: web, result: blocked}
  - {from: lan, to: docker1, port: 8080/tcp, result: open, source: lan}
""", [("egress_source", "When `web` talks to `outside`, which address does `outside` see? "
       "(its own 172.17.0.2, or the host's 192.168.1.10?)", "source", 1, "192.168.1.10"),
      ("lan_direct", "Can the LAN machine `lan` reach `web`'s address 172.17.0.2 directly?",
        "result", 2, "blocked")],
     'after_exercises = [lab.trace("lan", "docker1", "8080/tcp")]  # NAT, step by step'),
    ("02-user-bridges-isolation-names", "User-defined bridges: isolation and names", """\
`docker network create` gives each network its own bridge and subnet (172.18.0.0/16, then
172.19...). Containers on one network talk freely and **by name** (Docker's embedded DNS at
127.0.0.11); different networks are isolated (DOCKER-ISOLATION rules, raw DROP in 28.x). A
container on two networks reaches both, but does not route between them.""", """\
name: lesson2
networks:
  front: {}
  back: {}
containers:
  web: {network: front}
  api: {networks: {front: {}, back: {}}, listen: [8000/tcp]}
  db: {network: back, listen: [5432/tcp]}
expect:
  - {from: web, to: api, by: name, port: 8000/tcp, result: open}
  - {from: web, to: db, result: blocked}
  - {from: api, to: db, by: name, port: 5432/tcp, result: open}
  - {from: web, resolve: db, result: nxdomain}
""", [("web_to_db", "Can `web` (on front) ping `db` (on back)?", "result", 1, "blocked"),
      ("name_of_db", "What does `web` get when it looks up the name `db`? (an address, or "
       "nxdomain?)", "result", 3, "nxdomain")], ""),
    ("03-publishing-ports", "Publishing ports: -p, -P and host binding", """\
`-p 8080:80` makes Docker add a **DNAT** rule (host port -> container port) and start
**docker-proxy**. Clients from the LAN keep their address; the host itself and other containers
go through docker-proxy and the container sees the **bridge gateway** as the client.
`-p 127.0.0.1:8081:80` is only for the host. `-P` publishes every exposed port on a random host
port from the ephemeral range (32768...).""", """\
name: lesson3
hosts: {docker1: {address: 192.168.1.10}}
containers:
  web:
    ports: ["8080:80", "127.0.0.1:8081:80"]
    expose: [443/tcp]
    publish_all: true
    listen: [80/tcp, 443/tcp]   # what the app listens on: publishing alone starts nothing
  client: {}
expect:
  - {from: lan, to: docker1, port: 8080/tcp, result: open, source: lan}
  - {from: lan, to: docker1, port: 8081/tcp, result: closed}
  - {from: docker1, to: 127.0.0.1, port: 8081/tcp, result: open, source: docker1@bridge}
  - {from: client, to: docker1, port: 8080/tcp, result: open, source: docker1@bridge}
  - {from: lan, to: docker1, port: 32768/tcp, result: open}
""", [("loopback_port", "Can `lan` use port 8081, published on 127.0.0.1 only?", "result", 1, "closed"),
      ("seen_by_web", "A container on the same host connects to 192.168.1.10:8080. Which "
       "address does `web` see?", "source", 3, "172.17.0.1")],
     'print(lab.rules())'),
    ("04-host-none-container", "host, none and container: network modes", """\
`--network host` shares the host's namespace: no NAT, no own address, `-p` is ignored.
`--network none` has only `lo`. `--network container:NAME` joins another container's namespace:
same address, same ports, `localhost` is shared.""", """\
name: lesson4
hosts: {docker1: {address: 192.168.1.10}}
containers:
  base: {listen: [80/tcp]}
  sidecar: {network: "container:base", listen: [9000/tcp]}
  hostapp: {network: host, listen: [8077/tcp]}
  isolated: {network: none, listen: [80/tcp]}
expect:
  - {from: sidecar, to: 127.0.0.1, port: 80/tcp, result: open}
  - {from: lan, to: hostapp, port: 8077/tcp, result: open, source: lan}
  - {from: isolated, to: outside, result: blocked}
  - {from: docker1, to: base, port: 9000/tcp, result: open}
""", [("sidecar_localhost", "`sidecar` connects to 127.0.0.1:80. Does it reach `base`'s "
       "server?", "result", 0, "open"),
      ("none_out", "Can the `none` container ping `outside`?", "result", 2, "blocked")],
     'print(lab.exec("isolated", ["ip", "-br", "link"]))'),
    ("05-macvlan-host-isolation", "macvlan and the host isolation trap", """\
A macvlan container sits **directly on the LAN** with its own MAC and address: no NAT, `-p`
does nothing. The trap: the Linux kernel never passes frames between a macvlan parent and its
children, so the **Docker host cannot reach its own macvlan containers** (and they cannot reach
it). The usual workaround is a host-side macvlan "shim" (`shim: true`).""", """\
name: lesson5
lan: {peers: {laptop: 192.168.1.50}}
hosts: {docker1: {address: 192.168.1.10}}
networks:
  pub: {driver: macvlan, parent: eth0, subnet: 192.168.1.0/24, gateway: 192.168.1.1,
        ip_range: 192.168.1.192/27}
containers:
  cam: {network: pub, listen: [554/tcp]}
expect:
  - {from: laptop, to: cam, port: 554/tcp, result: open, source: laptop}
  - {from: docker1, to: cam, result: blocked}
  - {from: cam, to: outside, port: 80/tcp, result: open, source: cam}
""", [("host_to_cam", "Can the Docker host itself ping its macvlan container `cam`?", "result", 1, "blocked"),
      ("no_nat", "`cam` talks to `outside`. Which address does `outside` see?",
        "source", 2, "192.168.1.192")], ""),
    ("06-overlay-and-mtu", "Overlay across hosts, and the MTU trap", """\
An overlay network spans Docker hosts: each host has a namespace with a bridge `br0` and a
VXLAN device (VNI 4097, UDP 4789) that carries Ethernet frames to the other hosts. Docker gives
the overlay an MTU of 1450 (1500 - 50 bytes of VXLAN). If the LAN between the hosts carries
less (a VPN, a cloud network), small packets pass and large ones vanish: the **MTU blackhole**.""",
     """\
name: lesson6
lan: {mtu: 1400}
hosts:
  docker1: {address: 192.168.1.10}
  docker2: {address: 192.168.1.11}
networks:
  ovl: {driver: overlay}
containers:
  web: {host: docker1, network: ovl, listen: [80/tcp]}
  client: {host: docker2, network: ovl}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
  - {from: client, to: web, size: 1322, result: reach}
  - {from: client, to: web, size: 1323, result: blocked}
""", [("big_ping", "On this 1400-byte LAN, does a 1323-byte ping (DF set) cross the overlay?",
  "result", 2, "blocked")], ""),
    ("07-cni-what-the-plugins-do", "CNI: what the plugins do", """\
Kubernetes nodes, containerd, CRI-O and Podman 3 do not wire containers themselves: a
**conflist** names the **CNI plugins** that do, in order. `bridge` makes **cni0**, a veth per
pod and (with `isGateway`) puts the gateway on the bridge; `host-local` hands out addresses
in turn; `ipMasq` masquerades a pod's egress through a chain of its own (`CNI-<hash>`);
`portmap` DNATs each **hostPort** to the pod and marks traffic from the pod network and from
127.0.0.1 so that it is masqueraded — every pod calling a hostPort is seen as the bridge's
gateway. Without `hairpinMode` a pod cannot reach its **own** hostPort through the node's
address. With root, netsim is the CNI runtime and runs the **real** plugin binaries, then
compares the addresses they gave with its model.""", """\
name: lesson7
hosts: {node1: {runtime: cni}}
cni:
  containerd-net:
    cniVersion: "1.0.0"
    plugins:
      - {type: bridge, bridge: cni0, isGateway: true, ipMasq: true,
         ipam: {type: host-local, ranges: [[{subnet: 10.88.0.0/16}]], routes: [{dst: 0.0.0.0/0}]}}
      - {type: portmap, capabilities: {portMappings: true}}
containers:
  web: {image: nginx, ports: ["8080:80"]}
  client: {}
expect:
  - {from: lan, to: node1, port: 8080/tcp, result: open, source: lan}
  - {from: client, to: node1, port: 8080/tcp, result: open, source: 10.88.0.1}
  - {from: web, to: node1, port: 8080/tcp, result: blocked}
  - {from: web, to: outside, port: 80/tcp, result: open, source: node1}
""", [("own_hostport", "Can `web` reach its own hostPort 8080 through node1's address?",
  "result", 2, "blocked"),
      ("seen_by_web", "`client` connects to node1:8080. Which address does `web` see?",
        "source", 1, "10.88.0.1")],
     'print(lab.rules())'),
    ("08-pods-across-nodes-flannel", "Pod networks across nodes: flannel", """\
A Kubernetes cluster gives every pod an address of one **cluster network** (flannel's default
10.244.0.0/16) and every node a **/24** of it (its podCIDR). **flanneld**, a DaemonSet on each
node, writes `/run/flannel/subnet.env` and, with the **vxlan** backend, makes `flannel.1`
(VNI 1, UDP **8472**, MTU = the NIC's - 50): per remote node a route to its /24 via its `.0`
address, a permanent neighbour entry and an FDB entry pointing at that node's address. The
`flannel` CNI plugin hands the pod to `bridge` (`cni0`) and `host-local` on the node's /24.
Pods talk to pods with their own addresses; leaving the cluster network they are masqueraded
(`FLANNEL-POSTRTG`). Here the nodes' NICs say 1500 but the network between them carries only
1400: flannel believes the NIC, and large pod packets vanish between nodes.""", """\
name: lesson8
lan: {mtu: 1400}
hosts:
  node1: {runtime: cni, mtu: 1500}
  node2: {runtime: cni, mtu: 1500}
flannel: {Network: 10.244.0.0/16, Backend: {Type: vxlan}}
cni:
  cbr0:
    cniVersion: "0.3.1"
    plugins:
      - {type: flannel, delegate: {hairpinMode: true, isDefaultGateway: true}}
      - {type: portmap, capabilities: {portMappings: true}}
containers:
  web: {host: node1, listen: [80/tcp]}
  client: {host: node2}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
  - {from: web, to: outside, port: 80/tcp, result: open, source: node1}
  - {from: client, to: web, size: 1326, result: reach}
  - {from: client, to: web, size: 1327, result: blocked}
""", [("seen_across", "`client` (on node2) connects to `web` (on node1). Which address does "
       "`web` see?", "source", 0, "10.244.1.2"),
      ("egress", "`web` calls `outside`. Which address does `outside` see?", "source", 1, "192.168.1.10"),
      ("big_ping", "flannel.1 says MTU 1450. Does a 1327-byte ping (DF set) reach `web`?",
        "result", 3, "blocked")],
     'print(lab.model.file("node1", "/run/flannel/subnet.env"))'),
    ("09-routed-pods-and-policies-calico", "Routed pods and NetworkPolicy: Calico", """\
**Calico** gives each node a block of its pool (a /26, chosen from the node's *name*) and each
pod a **/32** of it; there is no bridge. Every pod's default route points at **169.254.1.1**,
an address nobody holds: the node answers ARP for it (proxy ARP), so every packet a pod sends,
even to a pod beside it, is *routed* by its node. Between nodes, **BIRD** (a real BGP daemon,
one per node) tells every node which node holds which block: the routes in each node's kernel
are the ones BIRD learned. **felix** enforces **NetworkPolicy**: a pod that some policy selects
for ingress accepts only what a rule of those policies allows; everything else is dropped
silently. Two exceptions surprise people: a node always reaches its own pods, and `ports`
without a protocol means TCP only.""", """\
name: lesson9
hosts:
  node1: {address: 192.168.1.11, runtime: cni}
  node2: {address: 192.168.1.12, runtime: cni}
calico:
  - {apiVersion: projectcalico.org/v3, kind: IPPool, metadata: {name: pool},
     spec: {cidr: 10.48.0.0/16, natOutgoing: true}}
cni:
  k8s-pod-network:
    cniVersion: "1.0.0"
    plugins:
      - {type: calico, ipam: {type: calico-ipam}, policy: {type: k8s}}
      - {type: portmap, snat: true, capabilities: {portMappings: true}}
kubernetes:
  - {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}},
     spec: {nodeName: node1, containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: client, labels: {role: client}},
     spec: {nodeName: node2, containers: [{name: c, image: busybox}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: other},
     spec: {nodeName: node2, containers: [{name: c, image: busybox}]}}
  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web-from-clients},
     spec: {podSelector: {matchLabels: {app: web}},
            ingress: [{from: [{podSelector: {matchLabels: {role: client}}}], ports: [{port: 80}]}]}}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
  - {from: other, to: web, port: 80/tcp, result: blocked}
  - {from: node1, to: web, port: 80/tcp, result: open}
  - {from: client, to: web, result: blocked}
""", [("seen_across", "`client` (on node2) connects to `web` (on node1). Which address does "
       "`web` see?", "source", 0, "10.48.104.0"),
      ("other_pod", "`other` has no label `role: client`. Does it reach web:80?", "result", 1,
       "blocked"),
      ("ping_web", "The policy lists port 80 and no protocol. Does `client` ping `web`?",
       "result", 3, "blocked")],
     'print(lab.model.file("node1", "/etc/bird/bird.conf"))'),
    ("10-the-seed-chapter", "The networking chapter of the notes, command by command", """\
This lesson follows the Docker networking notes netsim was made for (`../shared/tutorial/`,
sections 4 and 5) in their order, with their commands as they are printed: the four network
modes (§4.1–4.2), a user-defined network (§4.3), the macvlan example (§4.6.3, one option per
line as the notes print it) and redis with `--link` (§5.3–5.5). netsim reads the commands the
way Docker would and builds exactly what they make. Two things the notes leave out show up
here: netsim's own LAN machine `lan` moves out of the macvlan range (Docker would give its
address to the first container), and warning P33 says the real pitfall, that the range covers
the Docker host's own address. After the exercises: the notes' cross-host section (overlay
against routing, CNM against CNI), predicted.""", """\
name: seed-chapter
hosts:
  docker1: {address: 192.168.1.40, interface: ens33}   # §5.6 publishes on 192.168.1.40
commands:
  docker1: |
    docker run -itd --network host --name ubuntu01 ubuntu:14.04
    docker run -itd --network bridge --name ubuntu02 ubuntu:14.04
    docker run -itd --network none --name ubuntu03 ubuntu:14.04
    docker run -itd --network container:ubuntu02 --name ubuntu04 ubuntu:14.04
    docker network create --driver bridge my_bridge
    docker network inspect my_bridge
    docker network create -d macvlan
    --subnet=192.168.1.0/24
    --ip-range=192.168.1.0/24
    --gateway=192.168.1.1
    -o parent=ens33
    my_macvlan
    docker run --name some-redis -d redis
    docker run --name some-app --link some-redis:redis -d redis
    docker run -it --link some-redis:redis --rm redis redis-cli -h redis -p 6379
expect:
  - {from: ubuntu02, to: outside, port: 80/tcp, result: open, source: docker1}
  - {from: ubuntu03, to: outside, result: blocked}
  - {from: ubuntu04, to: outside, port: 80/tcp, result: open, source: docker1}
  - {from: some-app, to: redis, by: name, port: 6379/tcp, result: open}
  - {from: ubuntu01, to: lan, port: 53/udp, result: open, source: docker1}
""", [("none_out", "`ubuntu03` runs with `--network none`. Does it ping `outside`?", "result", 1,
       "blocked"),
      ("shared_source", "`ubuntu04` runs with `--network container:ubuntu02`. When it "
       "connects to `outside`, which address does `outside` see?", "source", 2,
       "192.168.1.40"),
      ("linked", "`some-app` was started with `--link some-redis:redis`. Does it reach "
       "`redis` on 6379?", "result", 3, "open")],
     'print(lab.docker(["network", "inspect", "my_bridge"]))'),
]

ACROSS = '''\
# §4.6.1: a tunnel (VXLAN, Docker's overlay) against routes (flannel's host-gw): predicted
OVERLAY = """
name: across-overlay
hosts: {docker1: {}, docker2: {}}
networks: {ov: {driver: overlay, subnet: 10.0.9.0/24}}
containers:
  web: {host: docker1, network: ov, listen: [80/tcp]}
  client: {host: docker2, network: ov}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
"""
ROUTED = """
name: across-routes
hosts:
  node1: {runtime: cni}
  node2: {runtime: cni}
flannel: {Network: 10.244.0.0/16, Backend: {Type: host-gw}}
cni:
  cbr0:
    cniVersion: "0.3.1"
    plugins:
      - {type: flannel, delegate: {hairpinMode: true, isDefaultGateway: true}}
containers:
  web: {host: node1, listen: [80/tcp]}
  client: {host: node2}
expect:
  - {from: client, to: web, port: 80/tcp, result: open, source: client}
"""
for text in (OVERLAY, ROUTED):
    other = Lab.from_yaml(text)
    row = other.check().expectations[0]
    print(f"{other.name}: {' -> '.join(row.predicted.path)}\\n  {row.predicted.why}")
    display(other.draw("path 0"))'''

CNM_CNI = '''\
# §4.6.2: the same two containers wired by Docker (CNM) and by the CNI bridge plugin
CNM = """
name: cnm
containers: {web: {listen: [80/tcp]}, client: {}}
expect: [{from: client, to: web, port: 80/tcp, result: open, source: client}]
"""
CNI = """
name: cni
hosts: {node1: {runtime: cni}}
cni:
  mynet:
    cniVersion: "1.0.0"
    plugins:
      - {type: bridge, bridge: cni0, isGateway: true, ipMasq: true,
         ipam: {type: host-local, subnet: 10.88.0.0/16, routes: [{dst: 0.0.0.0/0}]}}
containers: {web: {listen: [80/tcp]}, client: {}}
expect: [{from: client, to: web, port: 80/tcp, result: open, source: client}]
"""
for text in (CNM, CNI):
    other = Lab.from_yaml(text)
    print(f"== {other.name}: {other.check().expectations[0].predicted.why}")
    print(other.rules())'''

MORE = {  # cells after a lesson's own: (markdown, code), predicted (no root needed)
    "10-the-seed-chapter": [
        ("## Across hosts (§4.6.1): a tunnel or routes\nDocker's overlay carries the "
         "containers' packets inside VXLAN between the hosts; flannel's host-gw (and Calico, "
         "lesson 9) routes them as they are, which needs the hosts on one link (or a router "
         "that knows the routes). The same connection, predicted both ways: the path and why.",
         ACROSS),
        ("## CNM and CNI (§4.6.2)\nDocker's own model (libnetwork, CNM) and CNI's plugins "
         "wire the same two containers alike here: a bridge, a veth each, NAT out. What "
         "differs is who writes the rules and what they say: Docker's chains against the "
         "bridge plugin's.", CNM_CNI),
    ],
}


TRACED = {"01-default-bridge-and-nat": 3}  # the expectation its trace cell sends again


def notebook(slug: str, title: str, text: str, scenario: str, exercises: list,
             extra: str) -> nbformat.NotebookNode:
    cells = [new_markdown_cell(f"# {title}\n\n{text}"), new_code_cell(SETUP),
             new_markdown_cell("## The scenario\nThe same YAML `netsim run` reads from a file. "
                               "The picture shows the network, not yet what reaches what."),
             new_code_cell(f'SCENARIO = """\n{asked(scenario, exercises)}"""\n'
                           "lab = Lab.from_yaml(SCENARIO)\nlab.draw(results=False)"),
             new_code_cell(LIVE.format(extra=f"{extra}\n        " if extra else "pass")),
             new_markdown_cell("## Predict, then check\nThink first: each check compares your "
                               "answer with what the kernel did (with root) or what netsim "
                               "predicts, and says why.")]
    for var, question, about, probe, _right in exercises:
        cells += answer_cells(var, question, about, probe)
    cells += [new_markdown_cell("## What happened\nEvery expectation: expected, predicted and "
                                "(with root) observed, with the reason."),
              new_code_cell(SHOW),
              *([new_markdown_cell(
                  "## One packet, traced\nThe same probe sent once more with nftables tracing "
                  "in every namespace: each hop, the chains and rules it met, the DNAT "
                  "rewrite in the host's nat PREROUTING and the conntrack entry that undoes "
                  "it for the reply, beside what netsim predicted."),
                 new_code_cell("if LIVE:\n    for traced in after_exercises:\n"
                               "        display(traced)\nelse:  # no root: the hops netsim "
                               "predicts, drawn and said\n"
                               f"    display(lab.draw('path {TRACED.get(slug, 0)}', report))\n"
                               f"    print(report.expectations[{TRACED.get(slug, 0)}]"
                               ".predicted.why)")]
                if "after_exercises" in extra else []),
              new_markdown_cell("## The picture with the results, and the rules Docker writes"),
              new_code_cell("lab.draw(report=report)"),
              new_code_cell("print(lab.rules())" if not extra.startswith("print(lab.rules") else
                            "print(lab.rules(nft=True))")]
    for text, code in MORE.get(slug, []):
        cells += [new_markdown_cell(text), new_code_cell(code)]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3",
                                                            "display_name": "Python 3",
                                                            "language": "python"}})
    return nb


def answers(slug: str) -> dict[str, str]:
    """The right answers of a lesson (the tests fill them in), by answer variable."""
    for name, _title, _text, _scenario, exercises, _extra in LESSONS:
        if name == slug:
            return {var: right for var, _q, _about, _probe, right in exercises}
    raise KeyError(slug)


def main() -> None:
    for slug, title, text, scenario, exercises, extra in LESSONS:
        nb = notebook(slug, title, text, scenario, exercises, extra)
        nbformat.write(nb, HERE / f"{slug}.ipynb")
        print(f"notebooks/{slug}.ipynb")


if __name__ == "__main__":
    main()
