"""Shared test helpers: an in-process Beam test pipeline and the repository's paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_pipeline

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"


def beam_test_pipeline() -> test_pipeline.TestPipeline:
    """A TestPipeline on the in-process runner (the default DirectRunner tries a download)."""
    return test_pipeline.TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"]))


def environment_with_temp_in(folder: Path) -> dict[str, str]:
    """This environment, the temporary folder moved into ``folder``: for a command the test
    kills with SIGKILL, whose pipeline's beam-pipeline-temp* folder stays behind."""
    return dict(os.environ, TMPDIR=str(folder))


# Run as `python -c SIGNAL_IN_A_STAGE SIGNAL_NAME COMMAND ARGS...`: the command, with a stage
# that signals its own process while it runs.
SIGNAL_IN_A_STAGE = """
import os, signal, sys, time
from pipeline import cli, windows
# Ctrl-C as at a terminal: a shell's background job (`nohup .ci/run &`) starts with SIGINT
# ignored, and Python then keeps it ignored, so the stop would never come.
signal.signal(signal.SIGINT, signal.default_int_handler)
score_pairs = windows.score_pairs
def score_and_signal(*args, **kwargs):
    os.kill(os.getpid(), getattr(signal, sys.argv[1]))
    time.sleep(5)  # the handler runs before this ends
    return score_pairs(*args, **kwargs)
windows.score_pairs = score_and_signal
sys.exit(cli.main(sys.argv[2:]))
"""


# The largest test worker peaks at about 1.8 GB (`/usr/bin/time -v`, 2026-11-27): `-n auto` starts
# no more workers than the memory available holds at 2 GiB each, whatever the core count.
WORKER_MEMORY_BYTES = 2 * 2**30


def available_memory_bytes() -> int | None:
    """The memory the system can give without swapping (Linux's MemAvailable), else its total."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def workers_memory_allows(cores: int, memory: int | None) -> int:
    """``cores`` workers, fewer where ``memory`` would not hold them (at least one)."""
    if memory is None:
        return cores
    return max(1, min(cores, memory // WORKER_MEMORY_BYTES))


@pytest.hookimpl(wrapper=True, optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto`: pytest-xdist's count (a worker per core), capped by the memory available;
    PYTEST_XDIST_AUTO_NUM_WORKERS, when set, is taken as it is."""
    cores = yield
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return cores
    return workers_memory_allows(cores, available_memory_bytes())


@pytest.fixture
def pipeline():
    test_pipeline = beam_test_pipeline()
    yield test_pipeline
    # Running a pipeline removes its beam-pipeline-temp* folder; one only built, or whose
    # test failed before running it, would leave the folder in the system's temporary folder.
    shutil.rmtree(test_pipeline.local_tempdir, ignore_errors=True)


def mis_decoded(text: str, encoding: str = "cp1252") -> str:
    """``text`` as a scraper that ignores the page's charset reads it: its UTF-8 bytes decoded
    as ``encoding``, cp1252's five undefined bytes passed on as C1 controls (as browsers do)."""
    return "".join(bytes([byte]).decode(encoding, errors="ignore") or chr(byte) for byte in text.encode())
