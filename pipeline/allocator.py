"""Freed large buffers go back to the operating system (glibc's allocator only).

Beam's in-process runner hands each bundle from stage to stage as pickled byte strings of
megabytes. glibc serves allocations that large from mmap at first, but every such block
freed raises its dynamic mmap threshold (up to 32 MB), so the later ones come from the
heap, and a freed block below live ones is never returned: the process keeps the
high-water mark of every stage. A fixed threshold of 1 MB gives each allocation that
large its own mapping, unmapped as soon as it is freed. Arrow's buffers (record batches of
alignments and pairs) are allocated by the same C library then, not by Arrow's bundled
mimalloc, which keeps freed memory for reuse.

Measured on the 10,000-article synthetic corpus (one run, this 2-core machine): peak RSS
1.62 GB -> 1.31 GB with the threshold, 1.23 GB with Arrow's buffers too, and no more time
than the run-to-run noise (about 5%). ``MALLOC_MMAP_THRESHOLD_`` and
``ARROW_DEFAULT_MEMORY_POOL`` in the environment override each.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import sys
from collections.abc import Iterator

import pyarrow as pa

_LOG = logging.getLogger(__name__)

# Collections of the youngest generation every 20,000 net allocations of container objects
# instead of 700, and of the older ones as rarely: see ``fewer_collections``.
RUN_GC_THRESHOLD = (20_000, 20, 20)
M_MMAP_THRESHOLD = -3  # <malloc.h>
LARGE_BUFFER_BYTES = 1 << 20
ENVIRONMENT_SETTING = "MALLOC_MMAP_THRESHOLD_"
ARROW_ENVIRONMENT_SETTING = "ARROW_DEFAULT_MEMORY_POOL"


def _mallopt():
    """glibc's ``mallopt`` in the C library the process runs on, or None (not Linux, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return None


def available() -> bool:
    return _mallopt() is not None


def return_large_buffers(threshold: int = LARGE_BUFFER_BYTES) -> bool:
    """Makes allocations of ``threshold`` bytes or more separate mappings, returned to the
    system when freed, and Arrow allocate through the C library. Returns whether the
    threshold was set: not without glibc's ``mallopt``, nor when the environment already
    sets it (Arrow's pool is then left alone too)."""
    mallopt = _mallopt()
    if mallopt is None or ENVIRONMENT_SETTING in os.environ:
        return False
    done = bool(mallopt(M_MMAP_THRESHOLD, threshold))
    _LOG.debug("malloc mmap threshold %d bytes: %s", threshold, "set" if done else "refused")
    if done and ARROW_ENVIRONMENT_SETTING not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())
    return done


@contextlib.contextmanager
def fewer_collections(threshold: tuple[int, int, int] = RUN_GC_THRESHOLD) -> Iterator[None]:
    """Runs the block with the cyclic garbage collector's thresholds raised, then puts
    back the process's own.

    A run makes and frees millions of tuples, lists and records, nearly all freed by
    their reference counts; at the interpreter's thresholds the collector still scans the
    young objects every 700 allocations and the whole heap (gigabytes of held bundles and
    records) every few seconds. On 3,000 synthetic articles collections took 0.74 s of a
    run (1.5 s at 10,000, 1.2 s of it the full ones); with ``RUN_GC_THRESHOLD`` 0.21 s,
    with no full collection, and the run's CPU time fell 4-5% at the same peak RSS
    (docs/BENCHMARKS.md).
    """
    previous = gc.get_threshold()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
