"""Freed large buffers go back to the operating system; the in-process runner holds fewer copies.

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
its output buffers; ``bundle_inputs_released`` keeps one copy of a stage's input, not two;
``groupings_in_pieces`` has the runner hand a grouping to its consumer in pieces, not as one
byte string; ``last_elements_released`` has a step with side inputs keep no element after
its bundle (see each; docs/BENCHMARKS.md has the figures).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import gc
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import pyarrow as pa
from apache_beam.options import value_provider
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.portability.fn_api_runner import execution, fn_runner
from apache_beam.runners.worker import bundle_processor, data_plane

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

    The block's garbage in reference cycles (Beam's graph and runner, bundles they hold) is
    collected when it ends. Left to the interpreter, the next full collection came only
    every 20 or so runs of a backfill, one process: its RSS between runs grew by about
    70 MB a run, to a 2.84 GB peak for weekly runs of 100,000 articles.
    """
    previous = gc.get_threshold()
    gc.set_threshold(*threshold)
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.collect()


_PATCH_LOCK = threading.Lock()
# (class, attribute) -> (blocks inside, the class's own attribute or None) while a block has it
# wrapped.
_patched: dict[tuple[type, str], tuple[int, Any]] = {}


@contextlib.contextmanager
def _wrapped(
    module: Any, owner_name: str, name: str, wrap: Callable[[Any], Any], holds: str = ""
) -> Iterator[None]:
    """``module.owner_name.name`` replaced by ``wrap(<Beam's own>)`` while the block runs.
    Nested and concurrent blocks (a backfill's runs, tests) are counted: the last one out
    puts Beam's own back. A Beam without that method (or whose instances lack the attribute
    ``holds``) is left alone."""
    owner = getattr(module, owner_name, None)
    if owner is None or not callable(getattr(owner, name, None)) or (holds and not hasattr(owner(), holds)):
        _LOG.debug("Beam's %s.%s is not as expected: left as it is", owner_name, name)
        yield
        return
    key = (owner, name)
    with _PATCH_LOCK:
        # Beam's attribute as the class holds it (a classmethod is put back as one).
        depth, own = _patched.get(key, (0, vars(owner).get(name)))
        if depth == 0:
            wrapper = wrap(getattr(owner, name))
            setattr(owner, name, staticmethod(wrapper) if isinstance(own, classmethod) else wrapper)
        _patched[key] = (depth + 1, own)
    try:
        yield
    finally:
        with _PATCH_LOCK:
            depth, own = _patched.pop(key)
            if depth > 1:
                _patched[key] = (depth - 1, own)
            elif own is None:  # inherited: the class's own attribute was the wrapper only
                delattr(owner, name)
            else:
                setattr(owner, name, own)


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
    Beam's ``DataOutputOperation.finish`` is wrapped for the block; a Beam without it is
    left alone.
    """
    with _wrapped(bundle_processor, "DataOutputOperation", "finish", _releasing):
        yield


# Beam's experiment that has a step with side inputs fill in its arguments for each element
# instead of keeping them, the element included, from one element to the next.
ARGUMENTS_PER_ELEMENT = "disable_global_windowed_args_caching"


def _keeping_experiment(set_runtime_options: Callable[[Any], None]) -> Callable[[Any], None]:
    """``set_runtime_options``, then ``ARGUMENTS_PER_ELEMENT`` added to the experiments."""

    def set_runtime_options_keeping_experiment(options) -> None:
        set_runtime_options(options)
        value_provider.RuntimeValueProvider.experiments = {
            *value_provider.RuntimeValueProvider.experiments,
            ARGUMENTS_PER_ELEMENT,
        }

    return set_runtime_options_keeping_experiment


@contextlib.contextmanager
def last_elements_released() -> Iterator[None]:
    """While the block runs, a step with side inputs does not keep the last element it was
    given after its bundle.

    Beam's SDK worker calls such a step (``PerWindowInvoker``) with an argument list it keeps
    and fills in again for each element, so the step's last element stays referenced for as
    long as the worker caches the step (until it has been idle for 60 s). The in-process
    runner runs every stage once, so each of those steps pinned its last element through
    the rest of the run: a window's whole group of sketches at each of the eight LSH
    steps, the list of every verified pair at the component step. Beam's own experiment
    ``disable_global_windowed_args_caching`` has the arguments made for each element
    instead; the in-process runner clears the experiments a pipeline sets
    (``RuntimeValueProvider.set_runtime_options({})``), so it is added back each time they
    are set while the block runs. Measured on the synthetic corpus, with the same tables: a
    run's peak at 30,000 articles 1.45 -> 1.34 GB, at 100,000 3.51 -> 3.16 GB (2.70 GB once
    clustering's list of edges no longer waited in the side-input cache; docs/BENCHMARKS.md).

    Only this process's SDK workers are affected. Beam's
    ``RuntimeValueProvider.set_runtime_options`` is wrapped for the block; a Beam without it
    is left alone.
    """
    with _wrapped(value_provider, "RuntimeValueProvider", "set_runtime_options", _keeping_experiment):
        yield


# A grouping is handed to its consumer in pieces of about this many encoded bytes.
GROUPING_PIECE_BYTES = 16 << 20
# What a value that is not a byte string (a non-global window's) counts for in a piece.
_UNSIZED_VALUE_BYTES = 1024


def _in_pieces(partition: Callable[[Any, int], list[list[bytes]]]) -> Callable[[Any, int], list[list[bytes]]]:
    """Beam's ``GroupingBuffer.partition``, run on one piece of the keys at a time."""

    def partition_in_pieces(buffer, parts: int) -> list[list[bytes]]:
        table = buffer._table
        if buffer._grouped_output or not table:
            return partition(buffer, parts)
        pieces: list[list[bytes]] = [[] for _ in range(parts)]
        keys = list(table)
        start = 0
        while start < len(keys):
            piece: collections.defaultdict[bytes, list[Any]] = collections.defaultdict(list)
            size = 0
            while start < len(keys) and (not piece or size < GROUPING_PIECE_BYTES):
                key = keys[start]
                start += 1
                piece[key] = values = table.pop(key)
                size += len(key) + sum(
                    len(value) if isinstance(value, bytes) else _UNSIZED_VALUE_BYTES for value in values
                )
            # Beam's method encodes the piece, keeps it as its output and empties the table.
            buffer._table, buffer._grouped_output = piece, None
            for part, encoded in zip(pieces, partition(buffer, parts), strict=True):
                part.extend(encoded)
        buffer._table, buffer._grouped_output = table, pieces
        return pieces

    return partition_in_pieces


@contextlib.contextmanager
def groupings_in_pieces() -> Iterator[None]:
    """While the block runs, the in-process runner hands a grouping to its consumer in
    pieces of about ``GROUPING_PIECE_BYTES``, not as one byte string.

    When a stage that reads a grouping starts, Beam's runner (``GroupingBuffer.partition``)
    encodes every key with its values into one C buffer that grows by doubling, copies it
    into one byte string, and its in-memory data channel copies that through one more
    buffer and into the message the worker reads: about four times the grouping at once,
    on top of the grouping itself, for as long as the copying lasts. Encoded a piece of
    keys at a time, and each piece sent on its own, what is held is the encoded pieces and
    the messages. The worker reads the same elements in the same order; a key's values
    are never split.

    Only this process's runner is affected (other runners shuffle as they do). Beam's
    ``GroupingBuffer.partition`` is wrapped for the block; a Beam without it is left alone.
    """
    with _wrapped(execution, "GroupingBuffer", "partition", _in_pieces):
        yield


class _Pending(NamedTuple):
    """Input of a bundle put into the in-process worker's channel as the runner holds it: the
    message is made when the worker reads it."""

    instruction_id: str
    transform_id: str
    data: bytes


def _sending_as_held(send: Callable[..., None]) -> Callable[..., None]:
    """Beam's ``BundleManager._send_input_to_worker``; to an in-process worker, the runner's
    encoded input is put into the channel as it is (``_Pending``), not copied into messages."""

    def send_input(manager, process_bundle_id: str, read_transform_id: str, byte_streams) -> None:
        channel = manager._worker_handler.data_conn
        if type(channel) is not data_plane.InMemoryDataChannel:
            send(manager, process_bundle_id, read_transform_id, byte_streams)
            return
        inputs: list[Any] = channel.inverse()._inputs
        for data in byte_streams or []:
            if data:
                inputs.append(_Pending(process_bundle_id, read_transform_id, data))

    return send_input


def _handed_to_worker(element) -> bool:
    """Whether Beam's channel hands a message to the worker: not empty data, nor the
    timers' closing marker."""
    if isinstance(element, beam_fn_api_pb2.Elements.Timers):
        return not element.is_last
    return isinstance(element, beam_fn_api_pb2.Elements.Data) and bool(element.data or element.is_last)


def _releasing_read(input_elements: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """Beam's ``InMemoryDataChannel.input_elements``, with each message let go once read."""

    def input_elements_released(channel, instruction_id, *args, **kwargs) -> Iterator[Any]:
        inputs = channel._inputs
        other_inputs = []
        index = 0
        while index < len(inputs):  # a message added while reading is read too, as by Beam's
            element, inputs[index] = inputs[index], None
            index += 1
            if element.instruction_id != instruction_id:
                other_inputs.append(element)
                continue
            if isinstance(element, _Pending):
                element = beam_fn_api_pb2.Elements.Data(**element._asdict())
            if _handed_to_worker(element):
                yield element
            del element
        channel._inputs = other_inputs

    return input_elements_released


@contextlib.contextmanager
def bundle_inputs_released() -> Iterator[None]:
    """While the block runs, the in-process runner puts a stage's input into the worker's
    channel without copying it, and the worker lets each message go once it has read it.

    Beam's runner copies a stage's whole input into messages of about 10 MB before the
    bundle starts (``BundleManager._send_input_to_worker``), and Beam's in-memory channel
    (``InMemoryDataChannel.input_elements``) holds every message until the bundle has read
    the last: a second copy of the stage's input beside the runner's own, for as long as
    the stage runs. Here the runner's encoded input goes into the channel as it is held
    (``_Pending``), each message is made when the worker reads it and let go after. The
    worker reads the same elements in the same order.

    Only this process's runner is affected: input sent to a worker over gRPC (the worker
    processes of ``multi_processing`` mode) goes as Beam sends it. Beam's channel method is
    replaced for the block (it only frees its list at the end), its runner's wrapped; a Beam
    without them, or whose channel keeps its messages elsewhere than in ``_inputs``, is left
    alone.
    """
    with (
        _wrapped(data_plane, "InMemoryDataChannel", "input_elements", _releasing_read, holds="_inputs"),
        _wrapped(fn_runner, "BundleManager", "_send_input_to_worker", _sending_as_held),
    ):
        yield
