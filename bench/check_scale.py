"""Model a 1,000-container, 30-network scenario and predict 10,000 probes.

Prints the time to build the model and predict, and its ratio to merely parsing the same
file in the same process (the baseline), so the figure means something on a noisy machine.
Target (issue 2): model + predict under 1 s on the 2-core machine.

    python bench/check_scale.py [CONTAINERS] [NETWORKS] [PROBES]
"""

from __future__ import annotations

import random
import sys
import time

import yaml

from netsim.model.predict import Predictor
from netsim.runtime.registry import build
from netsim.scenario.load import from_text


def scenario(containers: int, networks: int) -> str:
    doc = {
        "name": "scale",
        "hosts": {"docker1": {"address": "192.168.1.10"}, "docker2": {"address": "192.168.1.11"}},
        "networks": {f"net{i}": {"driver": "bridge", "host": f"docker{1 + i % 2}",
                                 "subnet": f"10.{100 + i}.0.0/16"} for i in range(networks)},
        "containers": {},
    }
    for c in range(containers):
        i = c % networks
        spec = {"network": f"net{i}", "listen": ["80/tcp"]}
        if c % 10 == 0:
            spec["ports"] = [f"{20000 + c}:80"]
        if c % 7 == 0:  # some on two networks of the same host
            spec = {"networks": {f"net{i}": {}, f"net{(i + 2) % networks}": {}},
                    "listen": ["80/tcp"]}
        doc["containers"][f"c{c}"] = spec
    return yaml.safe_dump(doc, sort_keys=False)


def main() -> None:
    n_ctr = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    n_net = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    n_probe = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    text = scenario(n_ctr, n_net)

    t0 = time.perf_counter()
    loaded = from_text(text, "scale.yml")
    t_parse = time.perf_counter() - t0

    t1 = time.perf_counter()
    model = build(loaded)
    t_model = time.perf_counter() - t1

    rng = random.Random(7)
    names = [f"c{i}" for i in range(n_ctr)]
    outside = model.endpoints["outside"].primary
    host_addr = {h: model.endpoints[h].primary for h in ("docker1", "docker2")}
    probes = []
    for i in range(n_probe):
        src = rng.choice(names)
        kind = i % 10
        if kind < 6:
            dst = model.endpoints[rng.choice(names)].primary
            probes.append((model.endpoints[src].ns, dst, "tcp", 80))
        elif kind < 8:
            probes.append((model.endpoints[src].ns, model.endpoints[rng.choice(names)].primary,
                           "icmp", None))
        elif kind == 8:
            probes.append((model.endpoints[src].ns, outside, "tcp", 80))
        else:
            c = rng.randrange(0, n_ctr, 10)
            host = model.containers[f"c{c}"].host
            probes.append(("lan", host_addr[host], "tcp", 20000 + c))

    t2 = time.perf_counter()
    predictor = Predictor(model)
    results = [predictor.probe(*p) for p in probes]
    t_predict = time.perf_counter() - t2

    total = t_model + t_predict
    verdicts = {}
    for r in results:
        verdicts[r.result] = verdicts.get(r.result, 0) + 1
    print(f"scenario: {n_ctr} containers, {n_net} networks, {len(text) // 1024} KiB of YAML")
    print(f"parse (baseline): {t_parse * 1000:8.1f} ms")
    print(f"model:            {t_model * 1000:8.1f} ms")
    print(f"predict {len(probes)}:  {t_predict * 1000:8.1f} ms "
          f"({t_predict / len(probes) * 1e6:.0f} us/probe)  {verdicts}")
    print(f"model+predict:    {total * 1000:8.1f} ms  = {total / t_parse:.2f} x parse"
          f"   target < 1000 ms: {'met' if total < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
