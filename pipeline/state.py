"""The state that lets stories continue across daily runs.

Each published run leaves, under the state folder, one Parquet partition
``run_date=<date>/`` with a row per canonical article of that run: its story id, the date
the story was first published, and what matching needs (MinHash signature, TF-IDF vector,
publication time, details). A later run reads the partitions of the ``lookback_days`` before its
run date and feeds those articles into LSH and verification as locked anchors (see
``stories``): a rewrite published today joins yesterday's story and keeps its id.

The partition also holds its articles' sentences (``sentences/``, a row per article, copies
included): a later run's articles that continue one of its stories are compared with them,
so that what an outlet added is judged against the whole story (``outlets``), not only the
articles of the day. They are read, and pruned, with the anchors.

The partition also holds the run's document frequencies (``frequencies/``, one row: the
non-zero buckets of its hashed table). A run adds those of the ``frequency_days`` before
it to its own, so its IDF weights and rare-term details come from months of news, as in
one run over the same days, not from one day's few hundred articles: counted over a small
run, too many shared terms look rare and two stories on one topic match.

Only dates strictly before the run date are read, so re-running an old date neither sees
later days nor matches its own earlier output; its own partition is replaced when it
publishes. The partition records the settings its rows were made with (``SETTINGS_FILE``),
and the output folder of its run (a state shared by output folders: ``published_by``);
a run with other values of those settings is refused before it starts (``check_settings``):
its signatures and vectors could not be compared with the anchors'. In a partition written
before they were recorded, anchors whose signatures have another length than this run's
``lsh.num_perm`` cannot be banded and are skipped.
Pruning counts back from ``rerun_days`` before the newest date: anchors older
than ``lookback_days`` before that are dropped, and whole partitions (frequencies too)
older than ``frequency_days``, so every date of the last ``rerun_days`` can be run again
and reads exactly what it read the first time. A run that would read pruned state fails
before it starts (``check_not_pruned``): it would publish different story ids.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.errors import StateError
from pipeline.features import TermVector
from pipeline.file_list import CreateStrings
from pipeline.outlets import PackedMember, unpack_sentences
from pipeline.records import AnalysedArticle, Article, ArticleSketch, Prior, StoryAssignment
from schemas.tables import INTERNAL_TABLES

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
SENTENCES_FOLDER = "sentences"


def _folders_before(state_dir: str, run_date: dt.date, days: int) -> list[str]:
    """Partitions of the ``days`` days before ``run_date`` (not including it)."""
    first = run_date - dt.timedelta(days=days)
    return [
        os.path.join(state_dir, f"run_date={day.isoformat()}")
        for day in partition_dates(state_dir)
        if first <= day < run_date
    ]


def _parquet_files(folder: str) -> list[str]:
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".parquet"))


def _files_before(state_dir: str, run_date: dt.date, days: int, sub: str = "") -> list[str]:
    """Parquet files in ``sub`` of the partitions of the ``days`` days before ``run_date``."""
    return [
        path
        for folder in _folders_before(state_dir, run_date, days)
        for path in _parquet_files(os.path.join(folder, sub))
    ]


def window_files(state_dir: str, run_date: dt.date, lookback_days: int) -> list[str]:
    """State files of the ``lookback_days`` days before ``run_date`` (not including it)."""
    return _files_before(state_dir, run_date, lookback_days)


def sentence_files(state_dir: str, run_date: dt.date, lookback_days: int) -> list[str]:
    """Sentence files of the ``lookback_days`` days before ``run_date`` (those of the
    anchors ``window_files`` gives; a partition written before they were kept has none)."""
    return _files_before(state_dir, run_date, lookback_days, SENTENCES_FOLDER)


def frequency_files(state_dir: str, run_date: dt.date, frequency_days: int) -> list[str]:
    """Document-frequency files of the ``frequency_days`` days before ``run_date``."""
    return _files_before(state_dir, run_date, frequency_days, FREQUENCIES_FOLDER)


def _sorted_rows(folder: str, key: str | None) -> pa.Table | None:
    files = _parquet_files(folder)
    if not files:
        return None
    table = pa.concat_tables([pq.read_table(path) for path in files])
    return table.sort_by(key) if key else table


def same_state(first: str, second: str) -> bool:
    """Whether two state partitions hold the same anchors, sentences and document
    frequencies, in whatever files (``output.num_shards``) they are."""
    return all(
        _sorted_rows(os.path.join(first, sub), key) == _sorted_rows(os.path.join(second, sub), key)
        for sub, key in (("", "article_id"), (SENTENCES_FOLDER, "article_id"), (FREQUENCIES_FOLDER, None))
    )


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
    """Yields (document count, bucket ids, counts) per row of one frequencies file: a run's
    non-zero buckets. A table of another size (``features.df_buckets`` changed since) cannot
    be added and is skipped."""
    with FileSystems.open(path) as handle:
        table = pq.read_table(handle)
    documents = table.column("num_documents").to_pylist()
    sizes = table.column("num_buckets").to_pylist()
    buckets = table.column("buckets").combine_chunks()
    counts = table.column("documents").combine_chunks()
    for row, size in enumerate(sizes):
        if size != num_buckets:
            Metrics.counter("state", "frequency_tables_skipped").inc()
            _LOG.warning(
                "%s: document frequencies over %d buckets, this run uses %d: not added",
                path,
                size,
                num_buckets,
            )
            continue
        # Straight from Arrow to numpy: a day's table has ~10^5 buckets, one Python int each
        # through to_pylist; 90 days of tables are read at every run.
        yield (
            documents[row],
            buckets[row].values.to_numpy(zero_copy_only=False).astype(np.int64),
            counts[row].values.to_numpy(zero_copy_only=False).astype(np.uint32),
        )


def sum_prior_frequencies(paths: Iterable[str], num_buckets: int):
    """Yields one (document count, df table): the earlier runs' frequencies added together,
    or nothing when no file holds a table of this size.

    The tables are added one file at a time into a single dense table, so 90 days of daily
    runs cost one table in memory, not one per run.
    """
    count, total = 0, None
    for path in sorted(paths):  # the files' warnings in one order, however they were gathered
        for documents, buckets, counts in read_prior_frequencies(path, num_buckets):
            if total is None:
                total = np.zeros(num_buckets, dtype=np.uint32)
            total[buckets] += counts
            count += documents
            Metrics.counter("state", "prior_documents").inc(documents)
            Metrics.counter("state", "frequency_tables_added").inc()
    if total is not None:
        yield count, total


class ReadPriorFrequencies(beam.PTransform):
    """Frequencies files -> at most one (document count, df table): the earlier runs' together.

    ``list_folder``: where the list of files goes when it is too long for the pipeline graph
    (``file_list``)."""

    def __init__(self, files: Iterable[str], num_buckets: int, list_folder: str | None = None) -> None:
        super().__init__()
        self._files = list(files)
        self._num_buckets = num_buckets
        self._list_folder = list_folder

    def expand(self, pbegin):
        return (
            pbegin
            | "FrequencyFiles" >> CreateStrings(self._files, self._list_folder)
            # Summed in one place: a sum is the same in any order, a table is in memory once.
            | "AllFrequencyFiles" >> beam.combiners.ToList()
            | "SumFrequencies" >> beam.FlatMap(sum_prior_frequencies, self._num_buckets)
        )


# What pruning removed, so that a later run that needs it fails instead of quietly reading less.
PRUNED_FILE = "_pruned.json"


def _pruned(state_dir: str) -> dict[str, str]:
    path = os.path.join(state_dir, PRUNED_FILE)
    try:
        with open(path, encoding="utf-8") as file:
            limits = json.load(file)
    except FileNotFoundError:
        return {}
    except ValueError as error:  # not JSON, or not UTF-8
        raise StateError(f"{path} cannot be read ({error}): restore it, or remove the state") from None
    if not isinstance(limits, dict):
        raise StateError(f"{path} is not a JSON object: restore it, or remove the state")
    return limits


def prune(
    state_dir: str, lookback_days: int, frequency_days: int | None = None, rerun_days: int = 0
) -> list[dt.date]:
    """Drops what no later run, nor a re-run of the last ``rerun_days``, reads: counting back
    from ``rerun_days`` before the newest partition, the anchors of partitions older than
    ``lookback_days``, and whole partitions older than ``frequency_days`` (default:
    ``lookback_days``). Records the limits in ``PRUNED_FILE``; returns the dates of removed
    partitions."""
    frequency_days = lookback_days if frequency_days is None else max(frequency_days, lookback_days)
    dates = partition_dates(state_dir)
    if not dates:
        return []
    end = dates[-1] - dt.timedelta(days=rerun_days)
    oldest_anchors = end - dt.timedelta(days=lookback_days)
    oldest_kept = end - dt.timedelta(days=frequency_days)
    if dates[0] < oldest_anchors:
        # Recorded before anything is removed, and replaced whole: a run that stops in between
        # leaves a record of more than was removed (a re-run is refused), never of less.
        limits = _pruned(state_dir)
        limits["anchors_before"] = max(limits.get("anchors_before", ""), oldest_anchors.isoformat())
        if dates[0] < oldest_kept:
            limits["partitions_before"] = max(limits.get("partitions_before", ""), oldest_kept.isoformat())
        record = os.path.join(state_dir, PRUNED_FILE)
        with open(record + ".partial", "w", encoding="utf-8") as file:
            json.dump(limits, file)
        os.replace(record + ".partial", record)
    removed = []
    for day in dates:
        folder = os.path.join(state_dir, f"run_date={day.isoformat()}")
        if day < oldest_kept:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(day)
        elif day < oldest_anchors:
            for path in _parquet_files(folder):
                os.remove(path)
            shutil.rmtree(os.path.join(folder, SENTENCES_FOLDER), ignore_errors=True)
    return removed


def check_not_in_future(run_date: dt.date, today: dt.date | None = None) -> None:
    """Raises StateError for a run date after tomorrow (UTC): pruning counts back from the
    newest run, so one mistyped future date (2205 for 2025) would drop every earlier run's
    state, and later runs would start their stories afresh."""
    today = today or dt.datetime.now(dt.UTC).date()
    if run_date > today + dt.timedelta(days=1):
        raise StateError(
            f"the run date {run_date.isoformat()} is in the future (today is {today.isoformat()} UTC): "
            "a run prunes the state counting back from its date, so it would drop the stories of "
            "every earlier run. Check --run-date (in a backfill: articles published in the future)."
        )


def check_not_pruned(state_dir: str, run_date: dt.date, lookback_days: int, frequency_days: int) -> None:
    """Raises StateError when a run of ``run_date`` would read state that pruning removed
    (a re-run of a date older than ``state.rerun_days`` before the newest run).

    A date after every run in the state is a new run, not a re-run: it has no published
    ids to differ from, so it reads what is left (after ``state.lookback_days`` or
    ``state.frequency_days`` were raised, the pruned days are simply gone) and is never
    refused; otherwise a larger setting would stop every daily run until its days passed.
    """
    dates = partition_dates(state_dir)
    if not dates or run_date > dates[-1]:
        return
    limits = _pruned(state_dir)
    needs = {
        "anchors_before": (run_date - dt.timedelta(days=lookback_days)).isoformat(),
        "partitions_before": (run_date - dt.timedelta(days=frequency_days)).isoformat(),
    }
    for key, first_needed in needs.items():
        if key in limits and first_needed < limits[key]:
            what = "anchors" if key == "anchors_before" else "document frequencies"
            # A date never run before has no published ids, but it would still be matched
            # without the stories of the days before it.
            consequence = (
                "it would publish different story ids"
                if run_date in dates
                else "it was never run, and would miss the stories of the days before it "
                f"(newest run: {dates[-1].isoformat()})"
            )
            raise StateError(
                f"a run dated {run_date.isoformat()} reads the {what} of the runs from {first_needed}, "
                f"but those before {limits[key]} were pruned from {state_dir} after later runs: "
                f"{consequence}. Dates can be run while they are within state.rerun_days of the newest "
                "run; keep more with a larger state.rerun_days."
            )


# The settings a partition's anchors and document frequencies were made with, which a run
# that reads them must share: other MinHash permutations (num_perm, seed) give signatures that
# never collide with this run's, other feature kinds give vectors and frequencies of other
# terms, and a table of another size cannot be added. Every other setting (thresholds,
# salient_terms, the lookback...) only changes how this run matches, and may change any day.
SETTINGS_FILE = "settings.json"
ANCHOR_SETTINGS = ("lsh.num_perm", "lsh.seed", "features.kinds")
FREQUENCY_SETTINGS = ("features.kinds", "features.df_buckets")


def matching_settings(config) -> dict[str, Any]:
    """The values of ``ANCHOR_SETTINGS`` and ``FREQUENCY_SETTINGS`` in ``config``, as JSON."""
    values = config.to_dict()
    settings: dict[str, Any] = {}
    for key in (*ANCHOR_SETTINGS, *FREQUENCY_SETTINGS):
        section, name = key.split(".")
        value = values[section][name]
        settings[key] = list(value) if isinstance(value, tuple) else value
    return settings


# Beside the settings: the output folder of the run that published the partition, for a
# state that several output folders share (--state).
OUTPUT_KEY = "output"


def write_settings(folder: str, config, output: str) -> None:
    """Records in a staged state partition the settings its rows were made with, and the
    output folder of its run."""
    recorded = {**matching_settings(config), OUTPUT_KEY: os.path.realpath(output)}
    with open(os.path.join(folder, SETTINGS_FILE), "w", encoding="utf-8") as file:
        json.dump(recorded, file, sort_keys=True)


def published_by(partition: str) -> str | None:
    """The output folder of the run that published a state partition; None when it has none,
    or was published before the folder was recorded."""
    output = (_recorded_settings(partition) or {}).get(OUTPUT_KEY) if os.path.isdir(partition) else None
    return output if isinstance(output, str) else None


def _recorded_settings(folder: str) -> dict[str, Any] | None:
    """A partition's recorded settings; None for one written before they were recorded."""
    path = os.path.join(folder, SETTINGS_FILE)
    try:
        with open(path, encoding="utf-8") as file:
            settings = json.load(file)
    except FileNotFoundError:
        return None
    except ValueError as error:  # not JSON, or not UTF-8
        raise StateError(f"{path} cannot be read ({error}): restore it, or remove the state") from None
    if not isinstance(settings, dict):
        raise StateError(f"{path} is not a JSON object: restore it, or remove the state")
    return settings


def _as_set_value(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _comparable(value: Any) -> Any:
    """A recorded setting as it matters: a list of kinds is a set (features are built from
    ``set(features.kinds)``: "pair,name,word" makes what "word,name,pair" made)."""
    return sorted(value) if isinstance(value, list) else value


def check_settings(state_dir: str, anchor_files: list[str], frequency_files: list[str], config) -> None:
    """Raises StateError when the state a run reads (``anchor_files`` and ``frequency_files``,
    as ``window_files`` and ``frequency_files`` list them) was made with other
    ``ANCHOR_SETTINGS`` or ``FREQUENCY_SETTINGS`` than ``config``'s: the run would compare
    what cannot be compared, and its stories would stop continuing without a word.
    Partitions written before settings were recorded are not checked (their anchors of
    another ``lsh.num_perm`` and frequency tables of another size are skipped and counted
    as they are read)."""
    ours = matching_settings(config)
    anchors = {os.path.dirname(path) for path in anchor_files}
    frequencies = {os.path.dirname(os.path.dirname(path)) for path in frequency_files}
    differences: dict[str, tuple[Any, list[str]]] = {}
    for folder in sorted(anchors | frequencies):
        keys = [
            *(ANCHOR_SETTINGS if folder in anchors else ()),
            *(FREQUENCY_SETTINGS if folder in frequencies else ()),
        ]
        recorded = _recorded_settings(folder) or {}
        day = os.path.basename(folder).removeprefix("run_date=")
        for key in dict.fromkeys(keys):
            if key in recorded and _comparable(recorded[key]) != _comparable(ours[key]):
                differences.setdefault(key, (recorded[key], []))[1].append(day)
    if not differences:
        return
    changes = "; ".join(
        f"{key} is {_as_set_value(ours[key])} in this run but {_as_set_value(theirs)} in the runs of "
        f"{days[0]}{f' to {days[-1]}' if len(days) > 1 else ''}"
        for key, (theirs, days) in differences.items()
    )
    back = " ".join(f"--set {key}={_as_set_value(theirs)}" for key, (theirs, _) in differences.items())
    raise StateError(
        f"the state in {state_dir} was made with other matching settings than this run's ({changes}): "
        "its anchors and document frequencies cannot be compared with this run's, so no story would "
        f"continue. Run with the state's values ({back}), or start the stories afresh with a new state "
        "folder (--state NEW_FOLDER); the published tables stay as they are."
    )


# Columns a state file must have to be read (a state written before details existed has no
# detail_ids: its anchors skip that check).
_ANCHOR_COLUMNS = tuple(name for name in INTERNAL_TABLES["state"].names if name != "detail_ids")
_FREQUENCY_COLUMNS = tuple(INTERNAL_TABLES["state_frequencies"].names)
_SENTENCE_COLUMNS = tuple(INTERNAL_TABLES["state_sentences"].names)


def check_readable(
    anchor_files: Iterable[str], frequency_files: Iterable[str], sentence_files: Iterable[str] = ()
) -> None:
    """Raises StateError naming the first state file a run would read that is no Parquet file
    (cut short by a full disk, say) or lacks a column the run reads: checked here, before the
    pipeline, whose workers would fail with neither the file's name nor what to do."""
    for columns, paths in (
        (_ANCHOR_COLUMNS, anchor_files),
        (_FREQUENCY_COLUMNS, frequency_files),
        (_SENTENCE_COLUMNS, sentence_files),
    ):
        for path in paths:
            try:
                names = pq.ParquetFile(path).schema_arrow.names
            except (OSError, pa.ArrowException) as error:
                problem = f"cannot be read ({error})"
            else:
                missing = [name for name in columns if name not in names]
                if not missing:
                    continue
                problem = f"has no column {', '.join(missing)}"
            partition = os.path.dirname(path if columns is _ANCHOR_COLUMNS else os.path.dirname(path))
            raise StateError(
                f"the state file {path} {problem}: restore it, or remove its partition {partition} "
                "(its stories then do not continue), or start the stories afresh with a new state "
                "folder (--state NEW_FOLDER)"
            )


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
    def __init__(self, num_perm: int | None) -> None:
        self._num_perm = num_perm
        self._anchors = Metrics.counter("state", "prior_articles")
        self._skipped = Metrics.counter("state", "anchors_skipped")

    def process(self, path: str):
        skipped = 0
        for sketch in read_prior_sketches(path):
            if self._num_perm is not None and len(sketch.signature) != self._num_perm:
                skipped += 1
                continue
            self._anchors.inc()
            yield sketch
        if skipped:
            # Written with another lsh.num_perm: its signatures cannot be banded with this run's.
            self._skipped.inc(skipped)
            _LOG.warning(
                "%s: %d anchors with signatures of another length than lsh.num_perm (%d): not matched",
                path,
                skipped,
                self._num_perm,
            )


class ReadPriorSketches(beam.PTransform):
    """State files -> ArticleSketch anchors (with ``prior`` set).

    ``num_perm``: this run's ``lsh.num_perm``; anchors of runs with another (their
    signatures cannot be banded with this run's) are skipped and counted. ``list_folder``:
    where the list of files goes when it is too long for the pipeline graph (``file_list``)."""

    def __init__(self, files: list[str], num_perm: int | None = None, list_folder: str | None = None) -> None:
        super().__init__()
        self._files = files
        self._num_perm = num_perm
        self._list_folder = list_folder

    def expand(self, pbegin):
        return (
            pbegin
            | "StateFiles" >> CreateStrings(self._files, self._list_folder)
            | "ReadState" >> beam.ParDo(_ReadStateFn(self._num_perm))
        )


def read_earlier_articles(path: str):
    """Yields (article id, (story id, PackedMember)) per row of one sentences file: an
    article of an earlier run as describing its story needs it (no text or term counts)."""
    with FileSystems.open(path) as handle:
        table = pq.read_table(handle, columns=list(_SENTENCE_COLUMNS))
    published = table.column("published_at").cast("int64").to_pylist()
    columns = {name: table.column(name).to_pylist() for name in _SENTENCE_COLUMNS if name != "published_at"}
    sizes = columns["sentences_size"]
    for i, article_id in enumerate(columns["article_id"]):
        article = Article(
            id=article_id,
            text="",
            outlet=columns["outlet"][i],
            title=columns["title"][i],
            published_us=published[i],
        )
        sentences = unpack_sentences(columns["sentences"][i], sizes[i])
        analysed = AnalysedArticle(article, sentences, (), {}, columns["content_hash"][i])
        yield article_id, (columns["cluster_id"][i], PackedMember.of(analysed))


class _ReadEarlierFn(beam.DoFn):
    def __init__(self) -> None:
        self._read = Metrics.counter("state", "earlier_articles")

    def process(self, path: str):
        for keyed in read_earlier_articles(path):
            self._read.inc()
            yield keyed


class ReadEarlierArticles(beam.PTransform):
    """Sentence files -> (article id, (story id, PackedMember)) of earlier runs' articles.

    ``list_folder``: where the list of files goes when it is too long for the pipeline graph
    (``file_list``)."""

    def __init__(self, files: list[str], list_folder: str | None = None) -> None:
        super().__init__()
        self._files = files
        self._list_folder = list_folder

    def expand(self, pbegin):
        return (
            pbegin
            | "SentenceFiles" >> CreateStrings(self._files, self._list_folder)
            | "ReadSentences" >> beam.ParDo(_ReadEarlierFn())
        )
