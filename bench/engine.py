"""What a container costs on a real engine against netsim's namespaces, in the same run:
N containers on the default bridge, each publishing a port, built (up) by `--engine netns`
and by `--engine docker` (a managed dockerd), both at N and at N/5, so the per-container cost
is the slope between the two sizes and the daemon's start-up drops out.

    sudo python bench/engine.py [N] [--dockerd PATH]
"""

from __future__ import annotations

import sys
import time

import yaml

from netsim.engine import registry as engines
from netsim.lab import Lab, up_lab
from netsim.realize import lifecycle


def scenario(n: int) -> str:
    return yaml.safe_dump({"name": "benchengine", "containers": {
        f"c{i}": {"ports": [f"{8000 + i}:80"], "listen": ["80/tcp"]} for i in range(n)}})


def up_seconds(n: int, engine: str, options: dict) -> float:
    lab = Lab.from_yaml(scenario(n), "bench.yml", engine, **options)
    lab.model  # noqa: B018 - the prediction is not what is timed
    t0 = time.perf_counter()
    up_lab(lab)
    took = time.perf_counter() - t0
    engines.down(lab.name)
    return took


def main() -> None:
    lifecycle.require_root("bench")
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 50
    options = {"dockerd": sys.argv[sys.argv.index("--dockerd") + 1]} \
        if "--dockerd" in sys.argv else {}
    small = max(1, n // 5)
    got = {(e, k): up_seconds(k, e, options if e == "docker" else {})
           for e in ("netns", "docker") for k in (small, n)}
    per = {e: (got[e, n] - got[e, small]) / (n - small) for e in ("netns", "docker")}
    start = got["docker", small] - per["docker"] * small
    print(f"up, {small} and {n} containers: netns {got['netns', small]:.2f} s / "
          f"{got['netns', n]:.2f} s, docker {got['docker', small]:.2f} s / "
          f"{got['docker', n]:.2f} s")
    print(f"per container: netns {per['netns'] * 1000:.1f} ms, docker {per['docker'] * 1000:.0f}"
          f" ms (ratio {per['docker'] / per['netns']:.0f}x); the daemon's own start "
          f"~{start:.2f} s")


if __name__ == "__main__":
    main()
