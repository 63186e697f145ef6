"""Time and memory of each fused stage of one in-process run, as a Markdown table.

    python benchmarks/stage_profile.py --input corpus.jsonl
    python benchmarks/stage_profile.py --input corpus.jsonl --min-seconds 5 --set cluster.threshold=0.2

Beam reports no time per stage. This runs ``run_job`` on the in-process runner
(FnApiRunner) with its bundle execution wrapped: for each fused stage (one bundle each
here), the wall seconds, the process's RSS at the start, the highest RSS sampled while it
ran (every 0.1 s) and at its end, and the bytes the runner held in its buffers when it
started (every PCollection that crosses a shuffle or waits for a side input, encoded).
The peaks of docs/BENCHMARKS.md ("What blocks the targets") were found this way.

It patches two private parts of Beam's runner (``FnApiRunner._execute_bundle`` and the
buffer classes of ``fn_api_runner.execution``), so it is a measuring tool tied to the Beam
version in ``pyproject.toml``, not part of the pipeline. Sampling RSS costs about 1% of
the time; counting held bytes walks every buffer once per stage.
"""

from __future__ import annotations

import argparse
import logging
import re
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from apache_beam.runners.portability.fn_api_runner import execution, fn_runner

from pipeline import config as config_module
from pipeline.errors import exit_on_user_error
from pipeline.run import run_job

_PAGE = 4096
_TRANSFORM = re.compile(r"ref_AppliedPTransform_([^)]+?)_\d+\)|([A-Za-z][\w ]*(?:/[\w ]+)+)/Read\)")


@dataclass
class StageRecord:
    name: str
    seconds: float
    rss_start: int
    rss_peak: int
    rss_end: int
    held_bytes: int


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * _PAGE


def short_name(stage: str, parts: int = 2) -> str:
    """The pipeline steps a fused stage runs, by their first ``parts`` path components.

    Example:
        >>> short_name("((Read/GroupById/Read)+(ref_AppliedPTransform_Detect-Analyse-Analyse_42))")
        'Read/GroupById + Detect/Analyse'
    """
    steps: list[str] = []
    for match in _TRANSFORM.finditer(stage):
        path = match.group(2) or match.group(1).replace("-", "/")
        step = "/".join(path.split("/")[:parts])
        if step not in steps:
            steps.append(step)
    return " + ".join(steps) if steps else stage[:80]


def held_bytes(buffers) -> int:
    """Bytes held by the runner's buffers: encoded elements, waiting for their consumer."""
    total = 0
    for buffer in list(buffers):
        if isinstance(buffer, execution.ListBuffer):
            total += sum(len(chunk) for chunk in buffer._inputs)
        elif isinstance(buffer, execution.GroupingBuffer):
            for key, values in list(buffer._table.items()):
                total += len(key) + sum(len(value) for value in values if isinstance(value, bytes))
            for part in buffer._grouped_output or []:
                total += sum(len(chunk) for chunk in part)
    return total


class StageProfiler:
    """Wraps the in-process runner; ``records`` gets one StageRecord per executed bundle."""

    def __init__(self, interval: float = 0.1) -> None:
        self.records: list[StageRecord] = []
        self._interval = interval
        self._peak = 0
        self._buffers: weakref.WeakSet[Any] = weakref.WeakSet()
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval):
            self._peak = max(self._peak, rss_bytes())

    def __enter__(self) -> StageProfiler:
        buffers = self._buffers
        self._originals = {cls: cls.__init__ for cls in (execution.ListBuffer, execution.GroupingBuffer)}
        for cls, init in self._originals.items():

            def tracked(self_, *args, _init=init, **kwargs):
                _init(self_, *args, **kwargs)
                buffers.add(self_)

            cls.__init__ = tracked  # type: ignore[method-assign]
        self._execute = fn_runner.FnApiRunner._execute_bundle
        profiler = self

        def timed(runner, context, bundle_context_manager, bundle_input):
            held = held_bytes(profiler._buffers)
            start = rss_bytes()
            profiler._peak = start
            began = time.perf_counter()
            result = profiler._execute(runner, context, bundle_context_manager, bundle_input)
            seconds = time.perf_counter() - began
            end = rss_bytes()
            profiler.records.append(
                StageRecord(
                    bundle_context_manager.stage.name, seconds, start, max(profiler._peak, end), end, held
                )
            )
            return result

        fn_runner.FnApiRunner._execute_bundle = timed  # type: ignore[method-assign]
        threading.Thread(target=self._sample, daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        fn_runner.FnApiRunner._execute_bundle = self._execute  # type: ignore[method-assign]
        for cls, init in self._originals.items():
            cls.__init__ = init  # type: ignore[method-assign]


def table(records: list[StageRecord], min_seconds: float, min_rise_mb: float) -> str:
    gb = 1e9
    lines = [
        "| stage (steps it fuses) | seconds | RSS start -> highest -> end (GB) | held at start (MB) |",
        "|---|---:|---|---:|",
    ]
    for record in records:
        if record.seconds < min_seconds and (record.rss_peak - record.rss_start) / 1e6 < min_rise_mb:
            continue
        lines.append(
            f"| {short_name(record.name)} | {record.seconds:.1f} | {record.rss_start / gb:.2f} -> "
            f"{record.rss_peak / gb:.2f} -> {record.rss_end / gb:.2f} | {record.held_bytes / 1e6:,.0f} |"
        )
    total = sum(record.seconds for record in records)
    peak = max((record.rss_peak for record in records), default=0)
    lines.append(
        f"\n{len(records)} stages, {total:.1f} s in stages, highest RSS sampled {peak / gb:.2f} GB; "
        f"{len(lines) - 2} shown (at least {min_seconds} s or {min_rise_mb} MB of RSS rise)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", dest="inputs", action="append", required=True, help="as storymatch run")
    parser.add_argument("--output", help="output folder (default: a temporary folder, removed)")
    parser.add_argument("--config", help="TOML config (default: configs/default.toml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--min-seconds", type=float, default=0.5, help="hide faster stages (default 0.5)")
    parser.add_argument(
        "--min-rise-mb", type=float, default=50, help="... unless RSS rose this much (default 50)"
    )
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    config = config_module.load(args.config, overrides=args.overrides)
    with tempfile.TemporaryDirectory(prefix="stage_profile_") as scratch, StageProfiler() as profiler:
        result = run_job(args.inputs, args.output or scratch, config)
    print(table(profiler.records, args.min_seconds, args.min_rise_mb))
    print(f"run: {result.seconds:.1f} s, {result.row_counts['articles']:,} articles")
    return 0


if __name__ == "__main__":
    exit_on_user_error(main, "stage_profile.py")
