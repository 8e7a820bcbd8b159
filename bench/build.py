"""Build N containers on one bridge with netsim, and the same topology with raw `ip -batch`.

Prints both build times, their ratio (target at N=200: <= 1.5) and netsim's teardown time
(target < 0.5 s). The baseline runs in the same process, right after, on the same machine.

    sudo python bench/build.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import time

import yaml

from netsim.lab import Lab
from netsim.realize import lifecycle, netlink, sandbox


def scenario(n: int) -> str:
    return yaml.safe_dump({"name": "benchbuild",
                           "containers": {f"c{i}": {} for i in range(n)}})


def netsim_build(n: int) -> tuple[float, float, int]:
    lab = Lab.from_yaml(scenario(n), "bench.yml")
    model = lab.model  # modelling is not part of the kernel work being compared
    sandbox.write_journal(lab.name, {"lab": lab.name, "namespaces": []})
    t0 = time.perf_counter()
    built = netlink.build(model, lab.name)
    t_build = time.perf_counter() - t0
    built.close()
    count = len(built.names)
    t1 = time.perf_counter()
    lifecycle.down(lab.name)
    return t_build, time.perf_counter() - t1, count


def iproute2_build(n: int) -> tuple[float, float]:
    """The same host/bridge/veth/address/route work with one `ip -batch` per namespace."""
    host = "nsim-benchip-host"
    ctrs = [f"nsim-benchip-c{i}" for i in range(n)]
    t0 = time.perf_counter()
    run = ["ip", "-batch", "-"]
    subprocess.run(run, input="".join(f"netns add {x}\n" for x in [host, *ctrs]), check=True,
                   text=True)
    lines = ["link add docker0 type bridge", "link set docker0 up", "link set lo up",
             "addr add 172.17.0.1/16 dev docker0"]
    for i, c in enumerate(ctrs):
        lines += [f"link add veth{i} type veth peer name eth0 netns {c}",
                  f"link set veth{i} master docker0 up"]
    subprocess.run(["ip", "-n", host, "-batch", "-"], input="\n".join(lines) + "\n", check=True,
                   text=True)
    for i, c in enumerate(ctrs):
        ip = f"172.17.{(i + 2) // 256}.{(i + 2) % 256}"
        cmds = f"link set lo up\naddr add {ip}/16 dev eth0\nlink set eth0 up\n" \
               "route add default via 172.17.0.1\n"
        subprocess.run(["ip", "-n", c, "-batch", "-"], input=cmds, check=True, text=True)
    t_build = time.perf_counter() - t0
    t1 = time.perf_counter()
    subprocess.run(run, input="".join(f"netns del {x}\n" for x in [host, *ctrs]), check=True,
                   text=True)
    return t_build, time.perf_counter() - t1


def main() -> None:
    lifecycle.require_root("bench")
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    ns_build, ns_down, count = netsim_build(n)
    ip_build, ip_down = iproute2_build(n)
    print(f"N={n} containers on one bridge ({count} namespaces with netsim's LAN, router, host)")
    print(f"netsim   build {ns_build:6.3f} s ({ns_build / n * 1000:.1f} ms/container)"
          f"   teardown {ns_down:.3f} s")
    print(f"ip-batch build {ip_build:6.3f} s ({ip_build / n * 1000:.1f} ms/container)"
          f"   teardown {ip_down:.3f} s")
    ratio = ns_build / ip_build
    print(f"ratio netsim / ip -batch = {ratio:.2f}  (target <= 1.5: "
          f"{'met' if ratio <= 1.5 else 'NOT met'}); teardown < 0.5 s: "
          f"{'met' if ns_down < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
