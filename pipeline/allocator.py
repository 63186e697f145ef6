"""Freed large buffers go back to the operating system, and finished bundles free theirs.

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

``bundle_outputs_released`` frees what Beam's SDK worker would keep of each finished bundle:
its output buffers (see there).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
from apache_beam.runners.worker import bundle_processor

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


_RELEASE_LOCK = threading.Lock()
_release_depth = 0
_beam_finish: Callable[[Any], None] | None = None


def _releasing(finish: Callable[[Any], None]) -> Callable[[Any], None]:
    """``finish``, then the finished stream let go (the next bundle of the step is given a
    new one before it starts)."""

    def finish_and_release(operation) -> None:
        finish(operation)
        operation.output_stream = None

    return finish_and_release


@contextlib.contextmanager
def bundle_outputs_released() -> Iterator[None]:
    """While the block runs, a bundle's output buffers are freed when the bundle finishes.

    Beam's SDK worker keeps a finished bundle's operations for reuse (until the step has
    been idle for 60 s), and each operation that sends a step's output to the runner keeps
    its output stream: a C buffer that grew to the largest flush (10 MB, so 16 MiB) or the
    largest element, and is never shrunk. The in-process runner runs each of a run's
    ~60 fused stages once, one after the other, so every stage of the last minute pinned
    16 MiB or more per output, none of it data. Measured on the 10,000-article synthetic
    corpus: resident memory after the describe stage 0.97 -> 0.62 GB, at the end of the
    run 1.04 -> 0.58 GB, with the same bytes held by the runner; a run's peak at 30,000
    articles 2.03 -> 1.81 GB (at 100,000 the peak is the windows' grouping: 5.26 -> 5.17
    GB). Figures in docs/BENCHMARKS.md.

    Only this process's SDK workers are affected (the in-process runner's; the worker
    processes of ``multi_processing`` mode and a distributed runner's run Beam as it is).
    Beam's ``DataOutputOperation.finish`` is wrapped for the block, and put back after
    it (the last of nested or concurrent blocks puts it back); a Beam without it is left
    alone.
    """
    global _release_depth, _beam_finish
    operation = getattr(bundle_processor, "DataOutputOperation", None)
    if operation is None or not callable(getattr(operation, "finish", None)):
        _LOG.debug("Beam has no DataOutputOperation.finish: bundle outputs kept as Beam keeps them")
        yield
        return
    with _RELEASE_LOCK:
        if _release_depth == 0:
            _beam_finish = operation.finish
            operation.finish = _releasing(operation.finish)
        _release_depth += 1
    try:
        yield
    finally:
        with _RELEASE_LOCK:
            _release_depth -= 1
            if _release_depth == 0:
                operation.finish = _beam_finish
                _beam_finish = None
