"""All-pairs ICMP + TCP among N containers on one bridge (N=50: 4,900 probes; target < 1 s).

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

from netsim.lab import Lab, up_lab
from netsim.probe.engine import Prober, neigh_stats
from netsim.probe.plan import Probe
from netsim.realize import lifecycle, sandbox


def main() -> None:
    lifecycle.require_root("bench")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
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
    print(f"netsim engine:        {t_engine:6.3f} s  ({len(probes) / t_engine:,.0f} probes/s)"
          f"  target < 1 s: {'met' if t_engine < 1 else 'NOT met'}")
    print(f"sequential baseline:  {t_seq:6.3f} s  for {len(tcp)} TCP probes ({ok} answered)")
    per_engine, per_seq = t_engine / len(probes), t_seq / len(tcp)
    print(f"ratio per probe, engine / sequential = {per_engine / per_seq:.2f}")
    print(f"ARP table: entries {before['entries']} -> {after['entries']}, table_fulls "
          f"{before['table_fulls']} -> {after['table_fulls']} (gc_thresh3 {after['gc_thresh3']})")


if __name__ == "__main__":
    main()
