"""The Docker runtime's own scenario keys: which dockerd (`docker:`), and each host's dockerd
configuration: daemon.json as it is (`daemon:`), with `userland_proxy`, `icc` and `dns` kept
as shorthands for its keys. netsim.runtime.schema composes them into the format."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from netsim.scenario.schema import FieldProblem, IPv4, Strict, Subnet6


def _version(v: Any) -> str:
    """YAML reads 20.10 as the float 20.1; the daemon checks the version itself (profiles)."""
    if isinstance(v, (dict, list)) or v is None:
        raise FieldProblem("expected a Docker version such as \"28\"")
    return "20.10" if v == 20.1 else str(v)


class Keys(Strict):
    docker: Annotated[str, BeforeValidator(_version)] | None = None  # default: the newest


# dockerd's daemon.json keys that change nothing netsim models (logging, storage, TLS ...):
# accepted as they are, so a real daemon.json loads
QUIET = frozenset((
    "allow-nondistributable-artifacts", "api-cors-header", "authorization-plugins", "builder",
    "cgroup-parent", "containerd", "containerd-namespace", "containerd-plugins-namespace",
    "cri-containerd", "data-root", "debug", "default-cgroupns-mode", "default-ipc-mode",
    "default-runtime", "default-shm-size", "default-ulimits", "exec-opts", "exec-root",
    "features", "group", "hosts", "init", "init-path", "insecure-registries", "labels",
    "live-restore", "log-driver", "log-format", "log-level", "log-opts",
    "max-concurrent-downloads", "max-concurrent-uploads", "max-download-attempts",
    "metrics-addr", "no-new-privileges", "node-generic-resources", "oom-score-adjust",
    "pidfile", "proxies", "raw-logs", "registry-mirrors", "runtimes", "seccomp-profile",
    "selinux-enabled", "shutdown-timeout", "storage-driver", "storage-opts",
    "swarm-default-advertise-addr", "tls", "tlscacert", "tlscert", "tlskey", "tlsverify",
    "userland-proxy-path", "userns-remap"))
# dockerd's networking keys netsim does not reproduce yet: refused, never silently ignored
UNMODELLED = frozenset((
    "allow-direct-routing", "bip", "bip6", "bridge", "bridge-accept-fwmark",
    "default-address-pools", "default-gateway", "default-gateway-v6", "default-network-opts",
    "dns-opts", "dns-search", "firewall-backend", "fixed-cidr", "host-gateway-ip", "ip",
    "ip-forward", "ip-forward-no-drop", "ip-masq", "iptables", "mtu"))
SHORTHANDS = {"userland-proxy": "userland_proxy", "icc": "icc", "dns": "dns"}


class DaemonJson(BaseModel):
    """daemon.json's keys netsim reproduces (`docker: 20.10` needs `experimental` for
    `ip6tables`: the runtime checks that, per version)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=False)
    ipv6: bool = False
    fixed_cidr_v6: Subnet6 | None = Field(None, alias="fixed-cidr-v6")
    ip6tables: bool | None = None  # default: the version's (20.10 off, 27+ on)
    experimental: bool = False
    userland_proxy: bool | None = Field(None, alias="userland-proxy")
    icc: bool | None = None
    dns: list[IPv4] | None = None

    @model_validator(mode="before")
    @classmethod
    def _dockerd_keys(cls, data: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise FieldProblem("expected daemon.json's mapping of key: value")
        mine = {f.alias or n for n, f in cls.model_fields.items()}
        for key in data:
            if key in UNMODELLED:
                raise FieldProblem(f"netsim does not reproduce dockerd's \"{key}\" yet",
                                   ", ".join(sorted(mine)), (key,), at_key=True)
            if key not in mine and key not in QUIET:
                raise FieldProblem("the following directives don't match any configuration "
                                   f"option: {key}", ", ".join(sorted(mine)), (key,),
                                   at_key=True)
        return data


class HostKeys(Strict):
    userland_proxy: bool = True  # dockerd --userland-proxy
    icc: bool = True  # dockerd --icc, for the default bridge
    # dockerd --dns: the containers' (and the embedded DNS's) servers
    dns: list[IPv4] = Field(default_factory=list)
    daemon: DaemonJson | None = None  # /etc/docker/daemon.json, as it is

    @model_validator(mode="after")
    def _daemon_json(self) -> HostKeys:
        """daemon.json's userland-proxy / icc / dns are the shorthands' values; both given is
        dockerd's own refusal."""
        if self.daemon is None:
            return self
        for key, short in SHORTHANDS.items():
            value = getattr(self.daemon, short)
            if value is None:
                continue
            if short in self.model_fields_set:
                raise FieldProblem("the following directives are specified both as a flag "
                                   f"and in the configuration file: {key}",
                                   f"{short} or daemon.{key}", (short,), at_key=True)
            object.__setattr__(self, short, value)
        return self
