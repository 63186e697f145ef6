"""The README's test command: `-n auto` starts no more workers than the memory holds."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, WORKER_MEMORY_BYTES, available_memory_bytes, workers_memory_allows

# The README's command with one small module, in a pytest whose memory reading is replaced.
WITH_MEMORY = """
import sys, pytest, tests.conftest
tests.conftest.available_memory_bytes = lambda: int(sys.argv[1])
sys.exit(pytest.main(["-n", "auto", "--dist", "loadscope", "-o", "addopts=", "-p", "no:cacheprovider",
                      "tests/test_schemas.py"]))
"""


def test_workers_are_capped_by_memory_not_cores():
    assert workers_memory_allows(16, 64 * 2**30) == 16
    assert workers_memory_allows(16, 9 * 2**30) == 4
    assert workers_memory_allows(16, 2**30) == 1  # always one, however little memory
    assert workers_memory_allows(16, None) == 16  # unknown memory: a worker per core


def test_the_memory_available_is_read():
    memory = available_memory_bytes()
    assert memory is not None and memory > WORKER_MEMORY_BYTES


def test_auto_starts_one_worker_where_memory_holds_one():
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    done = subprocess.run(
        [sys.executable, "-c", WITH_MEMORY, str(3 * 2**30)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "created: 1/1 worker" in done.stdout
