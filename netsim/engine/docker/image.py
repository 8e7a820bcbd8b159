"""netsim's container image, built offline: a busybox-static root filesystem (ping, nc,
nslookup, ip, wget, sh) plus `netsim-echo`, a static echo service compiled here from echo.c,
imported with `docker import` (the Engine API's image create from a tarball)."""

from __future__ import annotations

import functools
import hashlib
import io
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

from netsim.errors import EnvironmentProblem

IMAGE = "netsim/echo"
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "ping", "nc", "nslookup", "ip", "wget", "cat", "echo", "hostname", "sleep",
           "ls", "ps", "arping", "traceroute")
SOURCE = Path(__file__).with_name("echo.c")
ECHO = "/usr/bin/netsim-echo"


@functools.cache
def tag() -> str:
    """The image's tag: a digest of what goes in it, so every daemon of a lab gets one image
    and a changed echo.c never meets an old image."""
    h = hashlib.sha256(SOURCE.read_bytes() + BUSYBOX.read_bytes() + " ".join(APPLETS).encode())
    return f"{IMAGE}:{h.hexdigest()[:12]}"


def _compile(out: Path) -> None:
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        raise EnvironmentProblem("building netsim's container image needs a C compiler",
                                 "apt-get install gcc libc6-dev")
    r = subprocess.run([cc, "-static", "-O2", "-o", str(out), str(SOURCE)],
                       capture_output=True, text=True)
    if r.returncode:
        raise EnvironmentProblem(f"compiling netsim-echo failed: {r.stderr.strip()[-400:]}",
                                 "apt-get install gcc libc6-dev (static libc)")


_BUILT: dict[str, bytes] = {}
_LOCK = threading.Lock()


def rootfs(workdir: Path) -> bytes:
    """The root filesystem as a tarball, built once per process (several daemons ask at
    once)."""
    with _LOCK:
        if tag() not in _BUILT:
            _BUILT[tag()] = _rootfs(workdir)
        return _BUILT[tag()]


def _rootfs(workdir: Path) -> bytes:
    """Busybox with its applets, netsim-echo, an /etc with root in it."""
    if not BUSYBOX.exists():
        raise EnvironmentProblem("building netsim's container image needs busybox-static",
                                 "apt-get install busybox-static")
    workdir.mkdir(parents=True, exist_ok=True)
    echo = workdir / "netsim-echo"
    _compile(echo)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "usr", "usr/bin", "etc", "tmp", "proc", "sys", "dev", "root"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        tar.add(BUSYBOX, "bin/busybox")
        tar.add(echo, ECHO.lstrip("/"))
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
        for name, text in (("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
                           ("etc/group", "root:x:0:\n")):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def ensure(client, workdir: Path) -> str:
    """The image on this engine (imported once per engine); its name."""
    import docker.errors

    if not BUSYBOX.is_file():
        raise EnvironmentProblem(f"netsim's container image is built from {BUSYBOX}, which "
                                 "this machine lacks", "apt-get install busybox-static")
    name = tag()
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        repo, t = name.split(":")
        client.api.import_image_from_data(rootfs(workdir), repository=repo, tag=t,
                                          changes=[f'CMD ["{ECHO}"]'])
    return name
