"""What the kernel refuses when a link is made, as the errno text a tool passes on: a name
(dev_valid_name: at most 15 bytes, not "." or "..", no '/', ':' or white space) and an MTU
(68 to 65535 for a bridge or a veth; 0 or less is "not set"); IPv6 on a device needs 1280
(measured here: `ip addr add fd00::1/64` on an MTU-1200 veth is "Invalid argument", and
lowering an MTU under 1280 takes the device's IPv6 addresses away)."""

from __future__ import annotations

IFNAMSIZ = 16
MTU_RANGE = (68, 65535)  # the IPv4 minimum, ETH_MAX_MTU
IPV6_MIN_MTU = 1280  # RFC 8200: below it the kernel gives a device no IPv6 (adding one: EINVAL)


def name_errno(name: str) -> str | None:
    if len(name.encode()) >= IFNAMSIZ:
        return "numerical result out of range"
    if not name or name in (".", "..") or any(c in "/:" or c.isspace() for c in name):
        return "invalid argument"
    return None


def mtu_errno(mtu: int) -> str | None:
    lo, hi = MTU_RANGE
    return None if mtu <= 0 or lo <= mtu <= hi else "invalid argument"
