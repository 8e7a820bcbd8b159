"""Names resolved for real: libc's resolver inside the container, reading the container's files.

For each container that resolves something, one child process joins the container's network
namespace, makes itself a private mount namespace, bind-mounts the container's `hosts`,
`resolv.conf` and `nsswitch.conf` (written by `netsim up` as Docker writes them) over /etc,
and asks getaddrinfo() — so a `--link` entry is read by libc from a file, and a wrong file
makes the probe fail. A failed lookup is then asked once more with a plain DNS query to the
resolv.conf nameserver, to tell SERVFAIL, REFUSED, a timeout and no route apart (getaddrinfo
says EAI_AGAIN for all of them). RES_OPTIONS bounds libc's wait without changing the files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from netsim.answer.outcome import Outcome
from netsim.answer.probe import Probe
from netsim.answer.verdict import Verdict

RES_OPTIONS = "timeout:1 attempts:1"  # libc waits 1 s per lookup, as the other probes do


def run(probes: list[Probe], names: dict[str, str], files: Path) -> list[Outcome]:
    """Resolve each probe's name inside its source container; one child per container."""
    groups: dict[str, list[int]] = {}
    for k, p in enumerate(probes):
        groups.setdefault(p.src, []).append(k)
    out = [Outcome(Verdict.TIMEOUT, dst=p.dst) for p in probes]
    children = []
    for src, idx in groups.items():
        ns = names[probes[idx[0]].src_ns]
        argv = [sys.executable, "-m", "netsim.probe.libc_resolver", ns, str(files / src),
                json.dumps([[probes[k].name, probes[k].family] for k in idx])]
        env = {**os.environ, "RES_OPTIONS": RES_OPTIONS}
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
        children.append((child, idx))
    for child, idx in children:
        try:
            text, err = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            text, err = "", "the resolver process did not finish in 30 s"
        answers = json.loads(text) if child.returncode == 0 and text else None
        for j, k in enumerate(idx):
            if answers is None:
                out[k] = Outcome(Verdict.INCONCLUSIVE, dst=probes[k].dst,
                                 evidence=[f"resolver process failed: {err.strip()[-300:]}"])
            else:
                out[k] = Outcome(Verdict.of(answers[j]["result"]), dst=probes[k].dst,
                                 evidence=answers[j]["evidence"])
    return out
