"""The allocator setting that keeps a long run's resident memory near what it holds."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys

import apache_beam as beam
import pyarrow as pa
import pytest
from apache_beam.runners.worker import bundle_processor
from apache_beam.testing.util import assert_that, equal_to

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


def test_a_run_releases_its_bundle_outputs(tmp_path):
    """``run_job`` runs the pipeline inside ``bundle_outputs_released``."""
    seen: list[bool] = []

    def record(phase, _info):
        if phase == "start":
            seen.append(bundle_processor.DataOutputOperation.finish is not beam_finish)

    beam_finish = bundle_processor.DataOutputOperation.finish
    gc.callbacks.append(record)
    try:
        run_job([str(SEEDS)], str(tmp_path / "out"), Config(), run_date=dt.date(2025, 11, 23))
    finally:
        gc.callbacks.remove(record)
    assert any(seen)
    assert bundle_processor.DataOutputOperation.finish is beam_finish
