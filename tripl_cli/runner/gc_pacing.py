"""Fewer cyclic-GC passes while a run turns query rows into stored values.

CPython's collector runs whenever 700 container objects were allocated since its last pass, and
every so often re-scans every live object. Collecting 2M values makes tens of millions of
tuples (rows, values, insert parameters) and keeps millions alive, none of them in a
reference cycle: with the default threshold about 40% of assembling went to the collector
(bench/scale's results, assembled alone: 4.4–4.9 s, 2.7–3.6 s with this pacing, 2.4–2.8 s
with the collector off). Cycles made meanwhile are still collected, only later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young-generation passes (CPython's default: 700).
YOUNG_THRESHOLD = 50_000


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Raise the young generation's threshold for the block; restore it afterwards. A host
    that switched automatic collection off (threshold 0) keeps it off."""
    before = gc.get_threshold()
    if before[0] == 0:
        yield
        return
    gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
