"""`-o com.docker.network.driver.mtu`, parsed as the drivers parse it (strconv.Atoi: ASCII
digits with an optional sign, nothing else), each driver with its own words for a wrong one;
0 or none is the default, 1500."""

from __future__ import annotations

from netsim.runtime.docker.context import Docker

OPTION = "com.docker.network.driver.mtu"


def parse(dk: Docker, options: dict, path: tuple, bad: str, negative: str) -> int:
    """`bad` and `negative`: the driver's message templates ({text}, {mtu}, {option})."""
    text = options.get(OPTION) or "0"
    where = (*path, "options", OPTION)
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise dk.error(where, "Error response from daemon: " + bad.format(text=text,
                                                                          option=OPTION))
    mtu = int(text)
    if mtu < 0:
        raise dk.error(where, "Error response from daemon: " + negative.format(mtu=mtu))
    return mtu or 1500
