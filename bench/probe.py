"""All-pairs ICMP + TCP among N containers on one bridge (N=50: 4,900 probes; target < 1 s,
and >= 20,000 probes/s for issue 15). Then (issue 15) 150 containers on two bridges, the full
matrix through `Lab.run` (46,056 probes, half of them blocked between the bridges): target
under 15 s, every observation equal to the prediction, 0 inconclusive, ARP table_fulls
unchanged; `--no-two` skips it.

The baseline, run in the same process on the same lab: TCP probes of the first ten sources
made one after the other with blocking sockets (what a straightforward prober does), with the
neighbour caches flushed after each source so the shared ARP table does not overflow.
Prints both and the per-probe ratio.
Also prints the machine-wide ARP table before and after: all-pairs at N=50 needs ~2,450
neighbour entries against a shared limit of gc_thresh3 (1,024 here).

    sudo python bench/probe.py [N]
"""

from __future__ import annotations

import socket
import sys
import time

import yaml

from netsim.answer.probe import Probe
from netsim.lab import Lab, up_lab
from netsim.probe.engine import Prober, neigh_stats
from netsim.realize import lifecycle, sandbox


def two_bridges(n: int = 150) -> None:
    doc = {"name": "benchtwo", "networks": {"aa": {}, "bb": {}},
           "containers": {f"c{i}": {"network": "aa" if i % 2 else "bb", "listen": ["80/tcp"]}
                          for i in range(n)}}
    lab = Lab.from_yaml(yaml.safe_dump(doc), "two.yml")
    before = neigh_stats()
    t0 = time.perf_counter()
    report = lab.run(full_matrix=True)
    took = time.perf_counter() - t0
    after = neigh_stats()
    rows = report.rows
    differ = sum(r.mismatch for r in rows)
    unsure = sum(r.observed == "inconclusive" for r in rows)
    blocked = sum(r.observed == "blocked" for r in rows)
    counted = sum(bool(r.seen and r.seen.counted) for r in rows)
    ok = took < 15 and not differ and not unsure and after["table_fulls"] == before["table_fulls"]
    print(f"two bridges, {n} containers: {len(rows)} probes ({blocked} blocked, {counted} of "
          f"them proven by a counter) in {took:.1f} s (up {report.timings['up']:.2f}, probe "
          f"{report.timings['probe']:.2f}, down {report.timings['down']:.2f}); {differ} differ, "
          f"{unsure} inconclusive; table_fulls {before['table_fulls']} -> "
          f"{after['table_fulls']}   target < 15 s, all equal: {'met' if ok else 'NOT met'}")


def main() -> None:
    lifecycle.require_root("bench")
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 50
    text = yaml.safe_dump({"name": "benchprobe",
                           "containers": {f"c{i}": {"listen": ["80/tcp"]} for i in range(n)}})
    lab = Lab.from_yaml(text, "bench.yml")
    names = up_lab(lab).names
    try:
        eps = [lab.model.endpoints[f"c{i}"] for i in range(n)]
        probes = [Probe(s.name, s.ns, t.name, t.primary, proto, port, None, None, None,
                        frozenset(), "bench")
                  for proto, port in (("icmp", None), ("tcp", 80))
                  for s in eps for t in eps if s is not t]
        before = neigh_stats()
        prober = Prober(names, lifecycle.flush_targets(lab.model, names))
        t0 = time.perf_counter()
        seen = prober.run(probes)
        t_engine = time.perf_counter() - t0
        after = neigh_stats()
        verdicts: dict[str, int] = {}
        for obs in seen:
            verdicts[obs.result] = verdicts.get(obs.result, 0) + 1
        sample = {e.name for e in eps[:10]}
        tcp = [p for p in probes if p.proto == "tcp" and p.src in sample]
        t1 = time.perf_counter()
        ok = 0
        last = None
        for p in tcp:
            if last is not None and p.src != last:
                prober.flusher.flush()
            last = p.src
            with sandbox.in_netns(names[p.src_ns]):
                s = socket.socket()
            with s:
                s.settimeout(1.0)
                try:
                    s.connect((str(p.dst), p.port))
                    ok += bool(s.recv(64))
                except OSError:
                    pass
        t_seq = time.perf_counter() - t1
        prober.close()
    finally:
        lifecycle.down(lab.name)
    print(f"N={n}: {len(probes)} probes (ICMP + TCP, all pairs): {verdicts}")
    rate = len(probes) / t_engine
    print(f"netsim engine:        {t_engine:6.3f} s  ({rate:,.0f} probes/s)"
          f"  target < 1 s: {'met' if t_engine < 1 else 'NOT met'}; >= 20,000 probes/s: "
          f"{'met' if rate >= 20_000 else 'NOT met'}")
    print(f"sequential baseline:  {t_seq:6.3f} s  for {len(tcp)} TCP probes ({ok} answered)")
    per_engine, per_seq = t_engine / len(probes), t_seq / len(tcp)
    print(f"ratio per probe, engine / sequential = {per_engine / per_seq:.2f}")
    print(f"ARP table: entries {before['entries']} -> {after['entries']}, table_fulls "
          f"{before['table_fulls']} -> {after['table_fulls']} (gc_thresh3 {after['gc_thresh3']})")


if __name__ == "__main__":
    main()
    if "--no-two" not in sys.argv:
        two_bridges()
