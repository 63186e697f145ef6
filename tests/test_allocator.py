"""The allocator setting that keeps a long run's resident memory near what it holds."""

from __future__ import annotations

import datetime as dt
import gc
import subprocess
import sys

import pyarrow as pa
import pytest

from pipeline import allocator
from pipeline.config import Config
from pipeline.run import run_job

from .conftest import SEEDS

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
