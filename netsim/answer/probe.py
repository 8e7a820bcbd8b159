"""A probe: one question to the model and the kernel alike (who asks, what, how)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address

from netsim.scenario.shell import Typed


@dataclass(frozen=True)
class Probe:
    src: str  # endpoint name
    src_ns: str
    to: str  # as written
    dst: IPv4Address | IPv6Address | None
    proto: str  # icmp | tcp | udp
    port: int | None
    size: int | None
    expected: str | None
    source_expected: str | None
    source_ips: frozenset[IPv4Address | IPv6Address]
    origin: str  # "expect[3]" or "matrix"
    name: str | None = None  # resolve this first (proto "dns": only resolve it)
    cold: bool = False  # the verdict hangs on ARP: nothing may warm the caches it relies on
    error: str | None = None  # proto "run": the words the failing `docker run` must say
    # the rule the model says drops it, as (kernel namespace, table, chain, index, "rule 3" or
    # "policy"): where the prober looks for evidence (its counter) instead of waiting out a
    # timeout; never a verdict
    drop: tuple[str, str, str, int, str] | None = None
    typed: Typed | None = None  # the command a tutorial typed for it (commands:)
    # the IP version probed (a name stands for its address in that family); 0: a name looked
    # up as a client does (getaddrinfo AF_UNSPEC), probed in the family of the first answer
    family: int = 4
    any: bool = False  # the expectation holds when one of the predicted ways holds
    ask: str | None = None  # a question (`ask: result|source`): no expected answer is shown

    @property
    def label(self) -> str:
        if self.typed is not None:
            return f"{self.src}$ {self.typed.text}"
        if self.proto == "run":
            return f"docker run {self.src}"
        if self.proto == "dns":
            return f"{self.src} resolves {self.name}" + (" (AAAA)" if self.family == 6 else "")
        if self.port and self.name:
            how = "by name" + (f", IPv{self.family}" if self.family else "")
            return f"{self.src} -> {self.name} ({how}):{self.port}/{self.proto}"
        port = f":{self.port}/{self.proto}" if self.port else (
            f" icmp {self.size}B DF" if self.size is not None else " icmp")
        # a name's IPv6 address says so; a literal shows its family itself
        six = " (IPv6)" if self.family == 6 and ":" not in self.to else ""
        to = f"[{self.to}]" if ":" in self.to and self.port else self.to
        return f"{self.src} -> {to}{six}{port}"
