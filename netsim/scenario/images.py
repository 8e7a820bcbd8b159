"""What common official images listen on and EXPOSE, so a tutorial's `docker run -d --name
some-redis redis` is reachable on 6379 without a hand-written `listen:` (and `-P` publishes
what the image exposes, as Docker does). A table of data; a scenario's `images:` extends or
overrides it, and a container's own `listen:` always wins."""

from __future__ import annotations

from netsim.scenario.portspec import PortProto, parse_port_proto

# image (Docker Hub library name) -> its Dockerfile's EXPOSE, which is what the server listens on
IMAGES: dict[str, tuple[str, ...]] = {
    "nginx": ("80/tcp",), "httpd": ("80/tcp",), "caddy": ("80/tcp", "443/tcp"),
    "traefik": ("80/tcp",), "haproxy": (), "wordpress": ("80/tcp",), "ghost": ("2368/tcp",),
    "redis": ("6379/tcp",), "memcached": ("11211/tcp",), "postgres": ("5432/tcp",),
    "mysql": ("3306/tcp", "33060/tcp"), "mariadb": ("3306/tcp",), "mongo": ("27017/tcp",),
    "rabbitmq": ("4369/tcp", "5671/tcp", "5672/tcp", "15691/tcp", "15692/tcp", "25672/tcp"),
    "elasticsearch": ("9200/tcp", "9300/tcp"), "registry": ("5000/tcp",),
    "busybox": (), "alpine": (), "debian": (), "ubuntu": (), "centos": (), "fedora": (),
    "python": (), "node": (), "golang": (), "openjdk": (), "hello-world": (),
    "nicolaka/netshoot": (),
}


def library_name(image: str) -> str:
    """docker.io/library/nginx:1.27@sha256:... -> nginx; user/app:tag -> user/app."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    for prefix in ("docker.io/library/", "docker.io/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    return name


def ports_of(image: str | None, extra: dict[str, list[PortProto]]) -> list[PortProto] | None:
    """The image's ports, or None when netsim does not know the image."""
    if image is None:
        return []
    name = library_name(image)
    if name in extra:
        return list(extra[name])
    if name in IMAGES:
        return [parse_port_proto(p) for p in IMAGES[name]]
    return None
