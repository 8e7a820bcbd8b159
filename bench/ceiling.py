"""How large a lab `netsim run` builds and probes on this machine: N containers on user
networks of 500 each (a Linux bridge takes 1,024 ports at most), every container probing its
neighbour by ICMP and TCP as expectations (the full matrix of 5,000 would be 50M probes), then
torn down. Prints, per N, the time to check, build, probe and tear down, the kernel memory
the lab held (Slab + Percpu + PageTables, /proc/meminfo, before and after up) and this
process's peak RSS, so the ceiling and what limits it are numbers. Issue 34 aims at 5,000.

    sudo python bench/ceiling.py [N ...]     (default: 1000 2500 5000)
"""

from __future__ import annotations

import resource
import sys
import time

import yaml

from netsim.lab import Lab
from netsim.realize import lifecycle

PER_NETWORK = 500
KERNEL = ("Slab", "Percpu", "PageTables")


def scenario(n: int) -> str:
    nets = (n + PER_NETWORK - 1) // PER_NETWORK
    doc: dict = {"name": "benchceiling", "networks": {f"n{k}": {} for k in range(nets)},
                 "containers": {f"c{i}": {"network": f"n{i // PER_NETWORK}",
                                          "listen": ["80/tcp"]} for i in range(n)},
                 "expect": []}
    for i in range(n):
        j = i + 1 if (i + 1) % PER_NETWORK and i + 1 < n else i - 1
        doc["expect"] += [{"from": f"c{i}", "to": f"c{j}", "result": "reach"},
                          {"from": f"c{i}", "to": f"c{j}", "port": "80/tcp", "result": "open"}]
    return yaml.safe_dump(doc, sort_keys=False)


def kernel_kib() -> int:
    fields = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0])
    return sum(fields.get(k, 0) for k in KERNEL)


def one(n: int) -> None:
    lab = Lab.from_yaml(scenario(n), "ceiling.yml")
    t0 = time.perf_counter()
    check = lab.check(full_matrix=False)
    t_check = time.perf_counter() - t0
    before = kernel_kib()
    held = 0

    def progress(done: int, total: int) -> None:  # called while the lab is up
        nonlocal held
        held = max(held, kernel_kib() - before)

    report = lab.run(full_matrix=False, progress=progress)
    rows = report.rows
    met = sum(bool(r.expected_met) for r in rows)
    differ = sum(r.mismatch for r in rows)
    unsure = sum(r.observed == "inconclusive" for r in rows)
    t = report.timings
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:5d} containers: check {t_check:.1f} s ({len(check.rows)} probes), up "
          f"{t['up']:.1f} s, probe {t['probe']:.1f} s, down {t['down']:.1f} s; {met}/{len(rows)} "
          f"met, {differ} differ, {unsure} inconclusive; kernel +{held / 1024:.0f} MiB, "
          f"peak RSS {rss:.0f} MiB")


def main() -> None:
    lifecycle.require_root("bench")
    for n in [int(a) for a in sys.argv[1:]] or [1000, 2500, 5000]:
        one(n)


if __name__ == "__main__":
    main()
