"""Python's cycle collector paused while a large structure is built.

Building a model (or a scenario's data from YAML) allocates hundreds of thousands of objects
that all stay alive; each full collection on the way walks every one of them again, and for a
1,000-container scenario those passes cost as much as the building itself. Paused, the
collector runs once when the phase ends, over what is then garbage."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block; nesting leaves the outermost to turn it back on."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
