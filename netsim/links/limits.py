"""What the kernel refuses when a link is made, as the errno text a tool passes on: a name
(dev_valid_name: at most 15 bytes, not "." or "..", no '/', ':' or white space) and an MTU
(68 to 65535 for a bridge or a veth; 0 or less is "not set")."""

from __future__ import annotations

IFNAMSIZ = 16
MTU_RANGE = (68, 65535)  # the IPv4 minimum, ETH_MAX_MTU


def name_errno(name: str) -> str | None:
    if len(name.encode()) >= IFNAMSIZ:
        return "numerical result out of range"
    if not name or name in (".", "..") or any(c in "/:" or c.isspace() for c in name):
        return "invalid argument"
    return None


def mtu_errno(mtu: int) -> str | None:
    lo, hi = MTU_RANGE
    return None if mtu <= 0 or lo <= mtu <= hi else "invalid argument"
