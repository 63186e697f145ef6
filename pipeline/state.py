"""The state that lets stories continue across daily runs.

Each published run leaves, under the state folder, one Parquet partition
``run_date=<date>/`` with a row per canonical article of that run: its story id, the date
the story was first published, and what matching needs (MinHash signature, TF-IDF vector,
publication time, details). A later run reads the partitions of the ``lookback_days`` before its
run date and feeds those articles into LSH and verification as locked anchors (see
``stories``): a rewrite published today joins yesterday's story and keeps its id.

The partition also holds the run's document frequencies (``frequencies/``, one row: the
non-zero buckets of its hashed table). A run adds those of the same lookback days to its
own, so its IDF weights and rare-term details come from days of news, not from one day's
few hundred articles: counted over a small run, too many shared terms look rare and two
stories on one topic match.

Only dates strictly before the run date are read, so re-running an old date neither sees
later days nor matches its own earlier output; its own partition is replaced when it
publishes. Partitions older than ``lookback_days`` before the newest date are pruned.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
from collections.abc import Iterable

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.features import TermVector
from pipeline.records import ArticleSketch, Prior, StoryAssignment

_LOG = logging.getLogger(__name__)
_PARTITION = re.compile(r"^run_date=(\d{4}-\d{2}-\d{2})$")


def partition_dates(state_dir: str) -> list[dt.date]:
    """Dates of the state partitions present (local folders)."""
    if not os.path.isdir(state_dir):
        return []
    dates = []
    for name in os.listdir(state_dir):
        match = _PARTITION.match(name)
        if match:
            dates.append(dt.date.fromisoformat(match.group(1)))
    return sorted(dates)


FREQUENCIES_FOLDER = "frequencies"


def _lookback_folders(state_dir: str, run_date: dt.date, lookback_days: int) -> list[str]:
    """Partitions of the ``lookback_days`` days before ``run_date`` (not including it)."""
    first = run_date - dt.timedelta(days=lookback_days)
    return [
        os.path.join(state_dir, f"run_date={day.isoformat()}")
        for day in partition_dates(state_dir)
        if first <= day < run_date
    ]


def _parquet_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".parquet"))


def window_files(state_dir: str, run_date: dt.date, lookback_days: int) -> list[str]:
    """State files of the ``lookback_days`` days before ``run_date`` (not including it)."""
    return [
        path
        for folder in _lookback_folders(state_dir, run_date, lookback_days)
        for path in _parquet_files(folder)
    ]


def frequency_files(state_dir: str, run_date: dt.date, lookback_days: int) -> list[str]:
    """Document-frequency files of the same days."""
    return [
        path
        for folder in _lookback_folders(state_dir, run_date, lookback_days)
        for path in _parquet_files(os.path.join(folder, FREQUENCIES_FOLDER))
    ]


def frequency_row(frequencies: tuple[int, np.ndarray]) -> dict:
    """A run's (document count, df table) as a ``state_frequencies`` row (non-zero buckets)."""
    num_documents, table = frequencies
    buckets = np.flatnonzero(table).astype(np.uint32)
    return {
        "num_documents": num_documents,
        "num_buckets": len(table),
        "buckets": buckets,
        "documents": table[buckets].astype(np.uint32),
    }


def read_prior_frequencies(path: str, num_buckets: int):
    """Yields (document count, df table) per row of one frequencies file; a table of another
    size (``features.df_buckets`` changed since) cannot be added and is skipped."""
    with FileSystems.open(path) as handle:
        table = pq.read_table(handle)
    for row in table.to_pylist():
        if row["num_buckets"] != num_buckets:
            Metrics.counter("state", "frequency_tables_skipped").inc()
            _LOG.warning(
                "%s: document frequencies over %d buckets, this run uses %d: not added",
                path,
                row["num_buckets"],
                num_buckets,
            )
            continue
        counts = np.zeros(num_buckets, dtype=np.uint32)
        counts[np.asarray(row["buckets"], dtype=np.int64)] = np.asarray(row["documents"], dtype=np.uint32)
        Metrics.counter("state", "prior_documents").inc(row["num_documents"])
        yield row["num_documents"], counts


class ReadPriorFrequencies(beam.PTransform):
    """Frequencies files -> (document count, df table) of each earlier run."""

    def __init__(self, files: Iterable[str], num_buckets: int) -> None:
        super().__init__()
        self._files = list(files)
        self._num_buckets = num_buckets

    def expand(self, pbegin):
        return (
            pbegin
            | "FrequencyFiles" >> beam.Create(self._files)
            | "ReadFrequencies" >> beam.FlatMap(read_prior_frequencies, self._num_buckets)
        )


def prune(state_dir: str, lookback_days: int) -> list[dt.date]:
    """Removes partitions older than the lookback before the newest partition."""
    dates = partition_dates(state_dir)
    if not dates:
        return []
    oldest_kept = dates[-1] - dt.timedelta(days=lookback_days)
    removed = [day for day in dates if day < oldest_kept]
    for day in removed:
        shutil.rmtree(os.path.join(state_dir, f"run_date={day.isoformat()}"), ignore_errors=True)
    return removed


def state_row(sketch: ArticleSketch, assignment: StoryAssignment, run_date: dt.date) -> dict:
    first_seen = assignment.first_seen_run_date
    return {
        "article_id": sketch.id,
        "cluster_id": assignment.cluster_id,
        "first_seen_run_date": dt.date.fromisoformat(first_seen) if first_seen else run_date,
        "published_at": sketch.published_us,
        "outlet": sketch.outlet,
        "signature": np.asarray(sketch.signature, dtype=np.uint32),
        "term_ids": sketch.vector.ids,
        "term_weights": sketch.vector.weights,
        "detail_ids": sketch.details,
    }


def read_prior_sketches(path: str):
    """Yields the anchor sketches stored in one state file."""
    with FileSystems.open(path) as handle:
        table = pq.read_table(handle)
    columns = {name: table.column(name).to_pylist() for name in ("article_id", "cluster_id", "outlet")}
    first_seen = table.column("first_seen_run_date").to_pylist()
    published = table.column("published_at").cast("int64").to_pylist()
    signatures = table.column("signature").to_pylist()
    term_ids = table.column("term_ids").to_pylist()
    term_weights = table.column("term_weights").to_pylist()
    # A state written before details existed has no such column: its anchors skip that check.
    details = (
        table.column("detail_ids").to_pylist() if "detail_ids" in table.column_names else [None] * len(table)
    )
    for i, article_id in enumerate(columns["article_id"]):
        yield ArticleSketch(
            id=article_id,
            outlet=columns["outlet"][i],
            published_us=published[i],
            vector=TermVector(np.asarray(term_ids[i], np.uint32), np.asarray(term_weights[i], np.float32)),
            signature=np.asarray(signatures[i], np.uint32),
            prior=Prior(columns["cluster_id"][i], first_seen[i].isoformat()),
            details=None if details[i] is None else np.asarray(details[i], np.uint32),
        )


class _ReadStateFn(beam.DoFn):
    def __init__(self) -> None:
        self._anchors = Metrics.counter("state", "prior_articles")

    def process(self, path: str):
        for sketch in read_prior_sketches(path):
            self._anchors.inc()
            yield sketch


class ReadPriorSketches(beam.PTransform):
    """State files -> ArticleSketch anchors (with ``prior`` set)."""

    def __init__(self, files: list[str]) -> None:
        super().__init__()
        self._files = files

    def expand(self, pbegin):
        return pbegin | "StateFiles" >> beam.Create(self._files) | "ReadState" >> beam.ParDo(_ReadStateFn())
