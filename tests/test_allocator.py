"""The allocator setting that keeps a long run's resident memory near what it holds."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys
import weakref
from collections.abc import Iterator

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam import coders
from apache_beam.coders.coder_impl import create_InputStream
from apache_beam.options.value_provider import RuntimeValueProvider
from apache_beam.portability.api import beam_fn_api_pb2
from apache_beam.runners.portability.fn_api_runner import execution, fn_runner
from apache_beam.runners.worker import bundle_processor, data_plane
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.core import Windowing
from apache_beam.transforms.window import GlobalWindows

from pipeline import allocator
from pipeline.config import Config
from pipeline.run import run_job

from .conftest import SEEDS, beam_test_pipeline

# Frees 300 MB of 2 MB buffers allocated between small live objects and prints the RSS it
# got back. By default, once one such buffer has been freed glibc serves the next ones from
# the heap, where the small objects after them pin them: they are returned only when each
# is its own mapping.
_PROBE = """
import sys
from pipeline.allocator import return_large_buffers
if sys.argv[1] == "set":
    assert return_large_buffers()
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
first = bytearray(2 << 20)
del first
big, small = [], []
for i in range(150):
    big.append(bytearray(2 << 20))
    small.append(bytearray(1000))
before = rss_mb()
del big
print(round(before - rss_mb()))
"""


def _released_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not allocator.available(), reason="needs glibc's mallopt")
def test_freed_large_buffers_go_back_to_the_system():
    assert _released_mb("set") >= 250
    assert _released_mb("default") < 100  # glibc's default keeps them in the heap


def test_arrow_allocates_through_the_c_library():
    probe = (
        "import pyarrow as pa; from pipeline.allocator import return_large_buffers; "
        "return_large_buffers(); print(pa.default_memory_pool().backend_name)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    expected = "system" if allocator.available() else pa.default_memory_pool().backend_name
    assert done.stdout.strip() == expected


def test_the_environment_setting_wins(monkeypatch):
    monkeypatch.setenv(allocator.ENVIRONMENT_SETTING, "65536")
    assert allocator.return_large_buffers() is False


def test_fewer_collections_raises_the_thresholds_and_puts_them_back():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), allocator.fewer_collections((5_000, 7, 9)):
        assert gc.get_threshold() == (5_000, 7, 9)
        raise RuntimeError("a failed run")
    assert gc.get_threshold() == before


def test_the_garbage_of_a_block_in_reference_cycles_is_freed_when_it_ends():
    """A backfill's runs follow each other in one process: one run's cyclic garbage must not
    wait for the interpreter's next full collection, many runs later."""

    class Node:
        pass

    with allocator.fewer_collections():
        cycle = Node()
        cycle.itself = cycle  # type: ignore[attr-defined]
        freed = weakref.ref(cycle)
        del cycle
        assert freed() is not None  # a cycle outlives its last name until a collection
    assert freed() is None


def test_a_run_collects_garbage_at_the_raised_thresholds(tmp_path):
    """The pipeline runs with ``RUN_GC_THRESHOLD``; the caller's thresholds are back after."""
    seen: set[tuple[int, int, int]] = set()

    def record(phase, _info):
        if phase == "start":
            seen.add(gc.get_threshold())

    before = gc.get_threshold()
    gc.callbacks.append(record)
    try:
        run_job([str(SEEDS)], str(tmp_path / "out"), Config(), run_date=dt.date(2025, 11, 23))
    finally:
        gc.callbacks.remove(record)
    assert allocator.RUN_GC_THRESHOLD in seen
    assert gc.get_threshold() == before


def _streams_kept(_element) -> int:
    """Output operations of this process's SDK worker that still hold an output stream."""
    return sum(
        1
        for item in gc.get_objects()
        if type(item) is bundle_processor.DataOutputOperation and item.output_stream is not None
    )


def _run_five_stages(streams_expected) -> None:
    """Runs four stages one after the other on the in-process runner; the fifth counts the
    output streams still held, its own included, and checks the count."""
    with beam_test_pipeline() as pipeline:
        values = pipeline | beam.Create(range(200))
        for stage in range(4):
            values = (
                values
                | f"Key{stage}" >> beam.Map(lambda value: (value % 5, value))
                | f"Group{stage}" >> beam.GroupByKey()
                | f"Spread{stage}" >> beam.FlatMap(lambda keyed: keyed[1])
            )
        checked = (
            values
            | beam.combiners.Count.Globally()
            | "CountStreams" >> beam.Map(lambda count: (count, streams_expected(_streams_kept(count))))
        )
        assert_that(checked, equal_to([(200, True)]))


def test_a_finished_bundle_keeps_no_output_stream():
    """Beam's worker keeps each finished stage's output stream (a buffer that is never
    shrunk) with the step it caches; inside ``bundle_outputs_released`` only the running
    stage holds any, and Beam's method is back after."""
    beam_finish = bundle_processor.DataOutputOperation.finish
    _run_five_stages(lambda kept: kept >= 4)
    with allocator.bundle_outputs_released():
        assert bundle_processor.DataOutputOperation.finish is not beam_finish
        with allocator.bundle_outputs_released():  # nested, as a backfill's runs
            pass
        assert bundle_processor.DataOutputOperation.finish is not beam_finish
        _run_five_stages(lambda kept: kept <= 2)
    assert bundle_processor.DataOutputOperation.finish is beam_finish


class _Given:
    """An element a test follows: each step given one keeps a weak reference to it."""

    def __init__(self, key: int) -> None:
        self.key = key


_GIVEN: list[weakref.ref] = []


def _remember(element: _Given, _side) -> Iterator[int]:
    _GIVEN.append(weakref.ref(element))
    yield element.key


def _still_alive(_element) -> int:
    gc.collect()
    return sum(ref() is not None for ref in _GIVEN)


def _alive_after_their_step(alive_expected: int) -> None:
    """A step with a side input is given three elements; a later stage counts how many of
    them are still alive, and checks the count."""
    _GIVEN.clear()
    with beam_test_pipeline() as pipeline:
        side = pipeline | "Side" >> beam.Create([0])
        keys = (
            pipeline
            | beam.Create([0, 1, 2])
            | beam.Map(_Given)
            | "Remember" >> beam.FlatMap(_remember, beam.pvalue.AsList(side))
        )
        alive = keys | beam.Map(lambda key: (0, key)) | beam.GroupByKey() | beam.Map(_still_alive)
        assert_that(alive, equal_to([alive_expected]))
    assert len(_GIVEN) == 3


def test_a_step_with_side_inputs_keeps_no_element_after_its_bundle():
    """Beam's worker keeps the last element a step with side inputs was given, in the
    arguments it reuses, for as long as it caches the step; inside
    ``last_elements_released`` none is kept, and Beam's method is back after."""
    beam_set = vars(RuntimeValueProvider)["set_runtime_options"]
    _alive_after_their_step(1)
    with allocator.last_elements_released():
        with allocator.last_elements_released():  # nested, as a backfill's runs
            pass
        assert vars(RuntimeValueProvider)["set_runtime_options"] is not beam_set
        _alive_after_their_step(0)
        assert allocator.ARGUMENTS_PER_ELEMENT in RuntimeValueProvider.experiments
    assert vars(RuntimeValueProvider)["set_runtime_options"] is beam_set
    RuntimeValueProvider.set_runtime_options({})
    assert allocator.ARGUMENTS_PER_ELEMENT not in RuntimeValueProvider.experiments


def _runner_methods() -> tuple:
    return (
        bundle_processor.DataOutputOperation.finish,
        execution.GroupingBuffer.partition,
        data_plane.InMemoryDataChannel.input_elements,
        fn_runner.BundleManager._send_input_to_worker,
        vars(RuntimeValueProvider)["set_runtime_options"],
    )


def test_a_run_runs_with_the_runner_patched(tmp_path):
    """``run_job`` runs the pipeline inside ``bundle_outputs_released``,
    ``bundle_inputs_released``, ``groupings_in_pieces`` and ``last_elements_released``, and
    puts Beam's methods back."""
    seen: set[tuple[bool, ...]] = set()

    def record(phase, _info):
        if phase == "start":
            seen.add(
                tuple(now is not beams for now, beams in zip(_runner_methods(), beam_methods, strict=True))
            )

    beam_methods = _runner_methods()
    gc.callbacks.append(record)
    try:
        run_job([str(SEEDS)], str(tmp_path / "out"), Config(), run_date=dt.date(2025, 11, 23))
    finally:
        gc.callbacks.remove(record)
    assert (True, True, True, True, True) in seen
    assert _runner_methods() == beam_methods


def _grouping(keys: int, values: int, size: int) -> execution.GroupingBuffer:
    """Beam's grouping buffer of ``keys`` keys with ``values`` values of ``size`` bytes each,
    as the in-process runner fills it from a stage's output."""
    pair = coders.TupleCoder([coders.StrUtf8Coder(), coders.BytesCoder()])
    grouped = coders.TupleCoder([coders.StrUtf8Coder(), coders.IterableCoder(coders.BytesCoder())])
    window = coders.coders.GlobalWindowCoder()
    buffer = execution.GroupingBuffer(
        coders.WindowedValueCoder(pair, window),
        coders.WindowedValueCoder(grouped, window),
        Windowing(GlobalWindows()),
    )
    impl = coders.WindowedValueCoder(pair, window).get_impl()
    for _ in range(values):
        buffer.append(
            b"".join(
                impl.encode_nested(GlobalWindows.windowed_value((f"k{key:03d}", bytes([key % 251]) * size)))
                for key in range(keys)
            )
        )
    return buffer


def _decoded(buffer: execution.GroupingBuffer, encoded: list[bytes]) -> list:
    impl = buffer._post_grouped_coder.get_impl()
    stream = create_InputStream(b"".join(encoded))
    decoded = []
    while stream.size() > 0:
        key, values = impl.decode_from_stream(stream, True).value
        decoded.append((key, list(values)))
    return decoded


def test_a_grouping_is_handed_over_in_pieces(monkeypatch):
    """Inside ``groupings_in_pieces`` Beam's grouping buffer encodes its keys a piece at a
    time: the same elements in the same order as Beam's one byte string, in pieces of about
    ``GROUPING_PIECE_BYTES`` that never split a key's values, and the table emptied."""
    monkeypatch.setattr(allocator, "GROUPING_PIECE_BYTES", 20_000)
    whole_buffer = _grouping(keys=60, values=4, size=1000)
    (whole,) = whole_buffer.partition(1)
    assert len(whole) == 1
    with allocator.groupings_in_pieces():
        buffer = _grouping(keys=60, values=4, size=1000)
        (pieces,) = buffer.partition(1)
        assert buffer.partition(1) == [pieces]  # a second read gets the same pieces
    assert 10 <= len(pieces) <= 15  # 60 keys of 4 KB in pieces of 5 keys (20 KB)
    assert max(len(piece) for piece in pieces) < 25_000
    assert _decoded(buffer, pieces) == _decoded(whole_buffer, whole)
    assert [key for key, _ in _decoded(buffer, pieces)] == [f"k{key:03d}" for key in range(60)]
    assert not buffer._table


def test_a_grouping_for_several_workers_keeps_every_key_once(monkeypatch):
    monkeypatch.setattr(allocator, "GROUPING_PIECE_BYTES", 20_000)
    with allocator.groupings_in_pieces():
        buffer = _grouping(keys=60, values=2, size=1000)
        parts = buffer.partition(3)
    keys = [key for part in parts for key, _ in _decoded(buffer, part)]
    assert sorted(keys) == [f"k{key:03d}" for key in range(60)]
    assert all(part for part in parts)


def test_groupings_in_pieces_in_a_pipeline(monkeypatch):
    """A pipeline's groupings are read whole from pieces of a few keys; Beam's method is back
    after, also when blocks are nested."""
    monkeypatch.setattr(allocator, "GROUPING_PIECE_BYTES", 2_000)
    beam_partition = execution.GroupingBuffer.partition
    with allocator.groupings_in_pieces():
        with allocator.groupings_in_pieces():
            pass
        assert execution.GroupingBuffer.partition is not beam_partition
        with beam_test_pipeline() as pipeline:
            sums = (
                pipeline
                | beam.Create([(f"k{value % 40}", "x" * 100 + str(value)) for value in range(400)])
                | beam.GroupByKey()
                | beam.MapTuple(lambda key, values: (key, len(list(values))))
            )
            assert_that(sums, equal_to([(f"k{key}", 10) for key in range(40)]))
    assert execution.GroupingBuffer.partition is beam_partition


def _channel(messages: list) -> data_plane.InMemoryDataChannel:
    channel = data_plane.InMemoryDataChannel()
    channel._inputs = list(messages)
    return channel


def test_a_bundle_input_is_let_go_once_read():
    """Inside ``bundle_inputs_released`` the worker's side of the in-memory channel hands out
    the messages Beam's would, in the same order, and holds none it has handed out; the
    messages of other bundles stay."""
    data = beam_fn_api_pb2.Elements.Data
    timers = beam_fn_api_pb2.Elements.Timers
    messages = [
        data(instruction_id="a", transform_id="t", data=b"1"),
        data(instruction_id="b", transform_id="t", data=b"other"),
        data(instruction_id="a", transform_id="t", data=b""),  # empty: skipped
        timers(instruction_id="a", transform_id="t", timers=b"x"),
        data(instruction_id="a", transform_id="t", data=b"2"),
        timers(instruction_id="a", transform_id="t", is_last=True),  # closing marker: skipped
        data(instruction_id="a", transform_id="t", is_last=True),
    ]
    beam_read = data_plane.InMemoryDataChannel.input_elements
    expected = list(_channel(messages).input_elements("a", None))
    assert len(expected) == 4
    with allocator.bundle_inputs_released():
        channel = _channel(messages)
        read = []
        for message in channel.input_elements("a", None):
            read.append(message)
            held = [kept for kept in channel._inputs if kept is not None]
            assert not any(kept is message for kept in held)
            assert len(held) == len(messages) - messages.index(message) - 1
    assert read == expected
    assert channel._inputs == [messages[1]]
    assert data_plane.InMemoryDataChannel.input_elements is beam_read


def _pending_in_channels(_element) -> int:
    """Inputs of bundles waiting in this process's in-memory channels as the runner held them."""
    return sum(
        1
        for channel in gc.get_objects()
        if type(channel) is data_plane.InMemoryDataChannel
        for message in channel._inputs
        if type(message) is allocator._Pending
    )


def test_bundle_inputs_released_in_a_pipeline(monkeypatch):
    """Inside ``bundle_inputs_released`` a stage's input waits in the worker's channel as the
    runner holds it (here a grouping's pieces), not as messages; the stage reads all of it,
    and Beam's methods are back after."""
    monkeypatch.setattr(allocator, "GROUPING_PIECE_BYTES", 2_000)
    beam_read = data_plane.InMemoryDataChannel.input_elements
    with (
        allocator.bundle_inputs_released(),
        allocator.groupings_in_pieces(),
        beam_test_pipeline() as pipeline,
    ):
        assert data_plane.InMemoryDataChannel.input_elements is not beam_read
        grouped = (
            pipeline
            | beam.Create(range(3000))
            | beam.Map(lambda value: (value % 7, "x" * 2000))
            | beam.GroupByKey()
        )
        counts = grouped | beam.MapTuple(lambda key, values: (key, len(list(values))))
        assert_that(counts, equal_to([(key, len(range(key, 3000, 7))) for key in range(7)]))
        waiting = grouped | beam.Map(_pending_in_channels) | beam.CombineGlobally(max)
        assert_that(waiting | beam.Map(lambda most: most > 0), equal_to([True]), label="pieces waited")
    assert data_plane.InMemoryDataChannel.input_elements is beam_read
