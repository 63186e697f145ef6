"""Builds, runs and publishes one batch: files in, Parquet tables and a manifest out.

The command line (``cli``) is a thin shell around ``run_job``; tests and the evaluation
command call it directly. Tables are written to a staging folder first and moved into
place only when the whole pipeline has succeeded and the counts reconcile, so a failed
run never leaves half-written tables where readers look.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipeline.config import Config
from pipeline.detect import DetectStories, reject_row
from pipeline.read import ReadArticles, resolve_inputs
from pipeline.write import WriteTables
from schemas.tables import TABLES

_LOG = logging.getLogger(__name__)

# The in-process portable runner: no download, no network, honours --direct_num_workers
# and --direct_running_mode. Beam's DirectRunner would first try to fetch the Prism binary.
DEFAULT_RUNNER = "FnApiRunner"


class ReconciliationError(RuntimeError):
    """Input records do not equal articles + rejects: something was lost."""


@dataclass
class JobResult:
    output: str
    run_id: str
    input_files: list[str]
    row_counts: dict[str, int]
    counters: dict[str, int]
    bands: int
    rows: int
    seconds: float
    tables: dict[str, str] = field(default_factory=dict)


def pipeline_options(beam_args: list[str]) -> PipelineOptions:
    """Beam options from pass-through flags, with the in-process runner as the default."""
    options = PipelineOptions(beam_args)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = DEFAULT_RUNNER
    return options


def build_pipeline(
    pipeline: beam.Pipeline, files: list[str], config: Config, directory: str
) -> DetectStories:
    read = pipeline | "Read" >> ReadArticles(files, config.input.max_chars)
    detect = DetectStories(config)
    tables = read["articles"] | "Detect" >> detect
    tables["rejects"] = (
        read["rejects"] | "ReadRejectRows" >> beam.Map(reject_row),
        tables["rejects"],
    ) | "AllRejects" >> beam.Flatten()
    _ = tables | "Write" >> WriteTables(directory, config.output)
    return detect


def _counters(result: beam.runners.runner.PipelineResult) -> dict[str, int]:
    counters: dict[str, int] = {}
    for counter in result.metrics().query()["counters"]:
        name = f"{counter.key.metric.namespace}/{counter.key.metric.name}"
        value = counter.committed if counter.committed is not None else counter.attempted
        counters[name] = counters.get(name, 0) + int(value or 0)
    return dict(sorted(counters.items()))


def count_rows(directory: str) -> dict[str, int]:
    counts = {}
    for table in TABLES:
        files = sorted(Path(directory, table).glob("*.parquet"))
        counts[table] = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return counts


def _versions() -> dict[str, str]:
    versions = {}
    for package in ("storymatch", "apache-beam", "datasketch", "pyarrow", "numpy", "duckdb"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def publish(staging: str, output: str) -> dict[str, str]:
    """Replaces each table folder under ``output`` with the staged one."""
    published = {}
    for table in TABLES:
        target = os.path.join(output, table)
        if os.path.exists(target):
            shutil.rmtree(target)
        os.replace(os.path.join(staging, table), target)
        published[table] = target
    shutil.rmtree(staging, ignore_errors=True)
    return published


def run_job(
    inputs: list[str], output: str, config: Config, beam_args: list[str] | None = None
) -> JobResult:
    """Runs the whole job and publishes its tables; raises InputError/ReconciliationError."""
    started = time.time()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    files = resolve_inputs(inputs)
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    staging = os.path.join(output, "_staging", run_id)
    os.makedirs(staging, exist_ok=True)
    try:
        pipeline = beam.Pipeline(options=pipeline_options(beam_args or []))
        detect = build_pipeline(pipeline, files, config, staging)
        result = pipeline.run()
        result.wait_until_finish()
        counters = _counters(result)
        row_counts = count_rows(staging)
        records = counters.get("read/records", 0)
        accounted = row_counts["articles"] + row_counts["rejects"]
        if records != accounted:
            raise ReconciliationError(
                f"input records ({records}) != articles ({row_counts['articles']}) + rejects "
                f"({row_counts['rejects']}); the run was not published"
            )
        tables = publish(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_if_empty(os.path.join(output, "_staging"))
    seconds = time.time() - started
    job = JobResult(output, run_id, files, row_counts, counters, detect.bands, detect.rows, seconds, tables)
    manifest = {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
        "input_files": files,
        "config": config.to_dict(),
        "lsh": {"bands": detect.bands, "rows": detect.rows},
        "row_counts": row_counts,
        "reconciliation": {"input_records": records, "articles": row_counts["articles"], "rejects": row_counts["rejects"]},
        "counters": counters,
        "versions": _versions(),
    }
    with open(os.path.join(output, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
    Path(output, "_SUCCESS").touch()
    return job


def _remove_if_empty(directory: str) -> None:
    try:
        os.rmdir(directory)
    except OSError:
        pass


def manifest_of(output: str) -> dict[str, Any]:
    with open(os.path.join(output, "manifest.json"), encoding="utf-8") as handle:
        return json.load(handle)
