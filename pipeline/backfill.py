"""Backfill: an archive run as the daily runs a schedule would have made, oldest first.

A schedule runs ``storymatch run`` once a day on that day's articles, and the state carries
stories from one run to the next (``state``). ``backfill`` does the same for an archive in
one command: it splits the inputs by publication date (UTC) into ranges of
``days_per_run`` days and runs each range, oldest first, as the run dated its last day. A
range that has not ended by today (UTC) is run as today's run (its articles of tomorrow, which
a clock ahead of UTC may give, as tomorrow's): a run date in the future is refused
(``state.check_not_in_future``).
A run holds one range's articles (and the lookback's anchors), not the archive's, so
memory is bounded by the busiest range whatever the archive's length.

Ranges are aligned to 1970-01-01 (with 7 days a run, a range always starts on a
Thursday), so a day falls in the same range whatever else the archive holds.

Every record is accounted for, with its provenance:

- a range is a folder of Parquet files whose rows carry the file and record each article
  was read from (``read.PROVENANCE_KEY``), so ``articles`` and ``rejects`` name the
  original inputs;
- records that cannot be read, and every record after the first with the same id (by
  file, then record: ``duplicate_id``, as in one run), are rejected by the split and
  reported in the last run's ``rejects``;
- articles without a usable publication time are read by the last run. When no article
  has one (or there is none), the inputs give no date to run them under, and today's date
  would publish them again under a new date on every later try: such a backfill needs the
  date of its single run (``run_date``, ``--run-date``), and that date is refused when
  articles are dated, since their ranges date the runs.

A backfill that stops part way (a failed run, a killed process) leaves its earlier runs
published. ``resume`` (``--resume``) goes on from the first range not yet published by a
backfill of the same inputs (paths, sizes, modification times), days a run and config;
without it, or with other inputs, an output folder that already holds runs on or after
the first range (in its ``_runs``, or in the state folder, which ``--state`` may put
elsewhere) is refused. A backfill refused (or stopped) before its first run, or whose first
run its state refuses, leaves the output and state folders as they were: what taking their
locks created is removed.

The split is a Parquet copy of the inputs in ``<output>/_backfill/<id>/``, used only by the
backfill that made it, while it holds the output's lock (``publish.lock_output``); it is
removed when the backfill ends. ``--resume`` never reads an earlier split: it splits the
inputs again. So a split found by a run or backfill that has just taken the lock, other than
those of this process's own running backfill, is a leftover of a killed backfill, which no
run can use: ``remove_leftover_splits`` deletes it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import publish, state
from pipeline.config import DATE_ORDER_HINT, ColumnConfig, Config, InputConfig
from pipeline.errors import StateError
from pipeline.read import PROVENANCE_COLUMNS, PROVENANCE_KEY, RAW_LIMIT, match_patterns, parse_file
from pipeline.records import Article, Reject
from pipeline.wording import noun

SPLIT_FOLDER = "_backfill"
_EPOCH_DAY = dt.date(1970, 1, 1)
_DAY_US = 86_400_000_000
# Rows buffered over all ranges before the largest range is written out: bounds the split's
# memory when the inputs are not in date order.
_BUFFERED_ROWS = 5_000

SPLIT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("url", pa.string()),
        (PROVENANCE_COLUMNS[0], pa.string()),
        (PROVENANCE_COLUMNS[1], pa.int64()),
    ],
    metadata={PROVENANCE_KEY: b"source_file,source_record"},
)


# Splits of this process's running backfills: the runs they make must leave them alone.
_SPLITS_IN_USE: set[str] = set()


class BackfillError(ValueError):
    """The backfill cannot go ahead as asked: the output folder already holds runs it would
    have to come before, or its run date is missing (no dated article) or not wanted."""


@dataclass
class Split:
    """The archive split into ranges: (run date, folder of its articles), oldest first."""

    ranges: list[tuple[dt.date, str]]
    rejects: list[Reject]
    records: int = 0
    undated: int = 0
    unparseable_dates: int = 0
    articles_per_range: dict[dt.date, int] = field(default_factory=dict)


def range_end(published_us: int, days_per_run: int) -> dt.date:
    """The last day of the range of ``days_per_run`` days (aligned to 1970-01-01) that holds
    a publication time."""
    day = published_us // _DAY_US
    return _EPOCH_DAY + dt.timedelta(days=day - day % days_per_run + days_per_run - 1)


def _row(article: Article) -> dict:
    return {
        "id": article.id,
        "text": article.text,
        "outlet": article.outlet,
        "title": article.title,
        "published_at": article.published_us,
        "url": article.url,
        "source_file": article.source,
        "source_record": article.record,
    }


class _RangeWriter:
    """Buffers rows per range and writes them as numbered Parquet parts of its folder."""

    def __init__(self, folder: str) -> None:
        self._folder = folder
        self._buffers: dict[dt.date | None, list[dict]] = {}
        self._parts: dict[dt.date | None, int] = {}
        self._buffered = 0
        self.counts: dict[dt.date | None, int] = {}

    def add(self, key: dt.date | None, row: dict) -> None:
        self._buffers.setdefault(key, []).append(row)
        self.counts[key] = self.counts.get(key, 0) + 1
        self._buffered += 1
        if self._buffered >= _BUFFERED_ROWS:
            largest = max(self._buffers, key=lambda k: (len(self._buffers[k]), k is None, k or _EPOCH_DAY))
            self._write(largest)

    def _write(self, key: dt.date | None) -> None:
        rows = self._buffers.pop(key, [])
        if not rows:
            return
        part = self._parts.get(key, 0)
        self._parts[key] = part + 1
        folder = os.path.join(self._folder, "undated" if key is None else f"run_date={key.isoformat()}")
        os.makedirs(folder, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=SPLIT_SCHEMA)
        pq.write_table(table, os.path.join(folder, f"part-{part:05d}.parquet"), compression="zstd")
        self._buffered -= len(rows)

    def close(self) -> None:
        for key in sorted(self._buffers, key=lambda k: (k is None, k or _EPOCH_DAY)):
            self._write(key)


def _unread_dates_note(unparseable: int, date_order: str) -> str:
    """The dates a split could not read, where they may be why no article is dated."""
    if not unparseable:
        return ""
    hint = f": {DATE_ORDER_HINT}" if date_order == "unknown" else ""
    return f"; {unparseable} {noun(unparseable, 'date')} could not be read{hint}"


def run_date_of(published_us: int, days_per_run: int, today: dt.date) -> dt.date:
    """The date of the run that reads an article: its range's last day, or for a range that
    has not ended by ``today``, today (its own day, if that is later: tomorrow's)."""
    end = range_end(published_us, days_per_run)
    if end <= today:
        return end
    return max(today, _EPOCH_DAY + dt.timedelta(days=published_us // _DAY_US))


def split_by_date(
    files: Iterable[str],
    max_chars: int,
    days_per_run: int,
    folder: str,
    run_date: dt.date | None = None,
    today: dt.date | None = None,
    max_field_chars: int = InputConfig.max_field_chars,
    columns: ColumnConfig | None = None,
    date_order: str = InputConfig.date_order,
) -> Split:
    """Reads every input record once and writes each article into the folder of the run that
    reads it (``run_date_of``; ``today`` defaults to today, UTC). ``date_order``:
    ``input.date_order``, as the runs would read the dates.

    ``run_date`` dates the single run of inputs without a dated article, and is required
    then (BackfillError); with dated articles it is refused.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    if not 1 <= days_per_run <= 366:
        raise ValueError(f"days_per_run must be from 1 to 366, got {days_per_run}")
    writer = _RangeWriter(folder)
    first_read: dict[str, tuple[str, int]] = {}
    rejects: list[Reject] = []
    records = unparseable = 0

    def count_unparseable(value: object) -> None:
        nonlocal unparseable
        unparseable += 1

    # resolve_inputs sorts the files and parse_file keeps file order, so the first record
    # read with an id is the first by (file, record), the one a single run keeps.
    for path in files:
        read = parse_file(
            path,
            max_chars,
            count_unparseable,
            max_field_chars=max_field_chars,
            columns=columns,
            date_order=date_order,
        )
        for item in read:
            records += 1
            if isinstance(item, Reject):
                rejects.append(item)
                continue
            earlier = first_read.setdefault(item.id, (item.source, item.record))
            if earlier != (item.source, item.record):
                detail = f"id {item.id!r} was already read from {earlier[0]}:{earlier[1]}"
                rejects.append(
                    Reject(item.source, item.record, "duplicate_id", detail, item.text[:RAW_LIMIT])
                )
                continue
            key = None if item.published_us is None else run_date_of(item.published_us, days_per_run, today)
            writer.add(key, _row(item))
    writer.close()
    dated = sorted(key for key in writer.counts if key is not None)
    undated = writer.counts.get(None, 0)
    if dated:
        if run_date is not None:
            count = sum(writer.counts[d] for d in dated)
            raise BackfillError(
                f"--run-date is for inputs without a publication time; these have {count} "
                + noun(
                    count,
                    "dated article, whose range dates the run",
                    "dated articles, whose ranges date the runs",
                )
                + f" (from {dated[0]} to {dated[-1]}): leave it out"
            )
        last = dated[-1]
    elif run_date is None:
        raise BackfillError(
            noun(records, "the 1 record read has no", f"none of the {records} records read has a")
            + " publication time, so nothing dates the backfill's run: pass --run-date YYYY-MM-DD to date "
            "it (the same date on a later try, so that it replaces or resumes that run)"
            + _unread_dates_note(unparseable, date_order)
        )
    else:
        last = run_date
    if undated:
        target = os.path.join(folder, f"run_date={last.isoformat()}")
        os.makedirs(target, exist_ok=True)
        for name in sorted(os.listdir(os.path.join(folder, "undated"))):
            os.replace(os.path.join(folder, "undated", name), os.path.join(target, f"undated-{name}"))
        os.rmdir(os.path.join(folder, "undated"))
    run_dates = sorted(set(dated) | ({last} if undated or rejects or not dated else set()))
    ranges = [(day, os.path.join(folder, f"run_date={day.isoformat()}")) for day in run_dates]
    for _, range_folder in ranges:
        if not os.path.isdir(range_folder):  # only rejects to report: a run of no articles
            os.makedirs(range_folder)
            pq.write_table(SPLIT_SCHEMA.empty_table(), os.path.join(range_folder, "part-00000.parquet"))
    per_range = {day: writer.counts.get(day, 0) + (undated if day == last else 0) for day in run_dates}
    return Split(ranges, rejects, records, undated, unparseable, per_range)


def _check_not_in_future(split: Split) -> None:
    """``state.check_not_in_future`` for the newest run, naming its first dated articles (the
    undated ones go to the newest run too, whatever its date)."""
    newest, folder = split.ranges[-1]
    try:
        state.check_not_in_future(newest)
    except StateError as error:
        rows = pq.read_table(folder, columns=["id", "published_at", *PROVENANCE_COLUMNS])
        rows = rows.filter(rows["published_at"].is_valid()).slice(0, 3)
        named = "; ".join(
            f"id {row['id']!r} published {row['published_at']:%Y-%m-%d} "
            f"({row['source_file']}:{row['source_record']})"
            for row in rows.to_pylist()
        )
        count = split.articles_per_range[newest]
        more = f", such as {named}" if count > rows.num_rows else f": {named}"
        raise StateError(f"{error} That run would read {count} {noun(count, 'article')}{more}") from None


def fingerprint(files: list[str], days_per_run: int, config: Config) -> str:
    """What makes two backfills the same: the input files (path, size, modification time),
    the days a run and the config."""
    described = [days_per_run, config.to_dict()]
    # The files as named, not as globs: a name may hold a wildcard character ("export[1].jsonl").
    for result in match_patterns([glob.escape(path) for path in files]):
        for metadata in result.metadata_list:
            described.append([metadata.path, metadata.size_in_bytes, metadata.last_updated_in_seconds])
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _published_backfill_runs(output: str, ranges: list[tuple[dt.date, str]], identity: str) -> int:
    """How many of the first ranges were published by a backfill with this fingerprint."""
    from pipeline.run import RUNS_FOLDER, published_manifest

    done = 0
    for run_date, _ in ranges:
        day = run_date.isoformat()
        if not os.path.exists(os.path.join(output, RUNS_FOLDER, f"run_date={day}", "_SUCCESS")):
            break
        # A manifest that cannot be read ({}) has no fingerprint: the run is not this backfill's.
        described = published_manifest(output, day).get("backfill") or {}
        if described.get("fingerprint") != identity:
            break
        done += 1
    return done


def _backfill_runs_after(output: str, after: dt.date) -> bool:
    """Whether a run published in ``output`` after ``after`` was made by a backfill."""
    from pipeline.run import RUNS_FOLDER, published_manifest

    later = [day for day in state.partition_dates(os.path.join(output, RUNS_FOLDER)) if day > after]
    return any("backfill" in published_manifest(output, day.isoformat()) for day in later)


def _check_no_later_runs(
    folders: list[str], after: dt.date, published: int, runs: int, resuming: bool, other_backfill: bool
) -> None:
    """Refuses runs after ``after`` in any of ``folders`` (the state folder and the output's
    ``_runs``: with ``--state`` they are apart, and either holds runs a backfill would
    overwrite or come after); ``published`` of the backfill's ``runs`` are already published
    by a backfill of the same inputs (0: none, or resuming). ``resuming``: ``after`` is the
    last run the backfill published; ``other_backfill``: --resume was asked, and the runs
    there come from a backfill of other inputs, days a run or config."""
    hint = (
        f" They come from a backfill of the same inputs ({published} of its {runs} {noun(runs, 'run')} "
        "published): pass --resume to go on."
        if published
        else " Backfill into a new output folder (or remove those runs) and run again."
    )
    if other_backfill:
        # Why --resume did not apply: it goes on only with what the interrupted backfill had.
        hint = (
            " They come from a backfill of other input files, --days-per-run or config: --resume goes "
            "on only with the same ones (the files unchanged); give those, or backfill into a new output "
            "folder (or remove those runs) and run again."
        )
    since = (
        f"after the last run this backfill published ({after})"
        if resuming
        else f"on or after the backfill's first run ({after + dt.timedelta(days=1)})"
    )
    for folder in folders:
        later = [day for day in state.partition_dates(folder) if day > after]
        if later:
            raise BackfillError(
                f"{folder} already holds runs from {later[0]} to {later[-1]}, {since}: a backfill must "
                f"come before every run it continues into.{hint}"
            )


def remove_leftover_splits(output: str) -> list[str]:
    """Deletes the splits that killed backfills left in ``output`` (see the module's docstring)
    and returns them; the caller holds the output's lock."""
    root = os.path.join(output, SPLIT_FOLDER)
    if not os.path.isdir(root):
        return []
    removed = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if os.path.realpath(path) not in _SPLITS_IN_USE:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    with contextlib.suppress(OSError):  # a split in use stays
        os.rmdir(root)
    return removed


def backfill(
    inputs: list[str],
    output: str,
    config: Config,
    beam_args: list[str] | None = None,
    days_per_run: int = 1,
    state_dir: str | None = None,
    on_run=None,
    resume: bool = False,
    run_date: dt.date | None = None,
):
    """Splits ``inputs`` by publication date and runs each range with ``run_job``, oldest
    first; returns (Split, [JobResult] of the runs made). ``on_run(job)`` is called after
    each run. ``resume`` skips the first ranges already published by a backfill of the same
    inputs, days a run and config (one that was interrupted), and goes on from there.
    ``run_date`` dates the run of inputs without a dated article (``split_by_date``)."""
    from pipeline.run import (
        RUNS_FOLDER,
        STATE_FOLDER,
        JobResult,
        claimed_output,
        configure_file_systems,
        run_job,
    )

    state_dir = state_dir or os.path.join(output, STATE_FOLDER)
    configure_file_systems(beam_args)  # the inputs are split here, on this machine
    created = publish.created_by_locking([output, state_dir])
    # Held over all its runs (each run_job takes it again): no other run comes in between.
    with claimed_output(inputs, output, state_dir, config.columns) as files:
        folder = os.path.join(output, SPLIT_FOLDER, uuid.uuid4().hex[:12])
        os.makedirs(folder)
        _SPLITS_IN_USE.add(os.path.realpath(folder))
        runs_started = False
        try:
            split = split_by_date(
                files,
                config.input.max_chars,
                days_per_run,
                folder,
                run_date,
                max_field_chars=config.input.max_field_chars,
                columns=config.columns,
                date_order=config.input.date_order,
            )
            if split.ranges:  # before any run, not after the ranges before it are published
                _check_not_in_future(split)
            identity = fingerprint(files, days_per_run, config)
            done = _published_backfill_runs(output, split.ranges, identity)
            after = (
                split.ranges[done - 1][0] if resume and done else split.ranges[0][0] - dt.timedelta(days=1)
            )
            _check_no_later_runs(
                [state_dir, os.path.join(output, RUNS_FOLDER)],
                after,
                0 if resume else done,
                len(split.ranges),
                resuming=resume and done > 0,
                other_backfill=resume and not done and _backfill_runs_after(output, after),
            )
            skipped = done if resume else 0
            jobs: list[JobResult] = []
            runs_started = True
            for position, (run_date, range_folder) in enumerate(split.ranges):
                if position < skipped:
                    continue
                last = position == len(split.ranges) - 1
                described = {
                    "fingerprint": identity,
                    "inputs": files,
                    "days_per_run": days_per_run,
                    "run": position + 1,
                    "runs": len(split.ranges),
                    "range_articles": split.articles_per_range[run_date],
                    "records_rejected_by_the_split": len(split.rejects) if last else 0,
                    "undated_articles": split.undated if last else 0,
                }
                try:
                    job = run_job(
                        [range_folder],
                        output,
                        config,
                        beam_args,
                        run_date,
                        state_dir,
                        carried_rejects=split.rejects if last else (),
                        backfill=described,
                    )
                except StateError:
                    # Its first run refused by the state (its settings, a pruned date) started
                    # nothing: the backfill is refused before its first run.
                    runs_started = bool(jobs)
                    raise
                jobs.append(job)
                if on_run is not None:
                    on_run(job)
        finally:
            _SPLITS_IN_USE.discard(os.path.realpath(folder))
            shutil.rmtree(folder, ignore_errors=True)
            with contextlib.suppress(OSError):
                os.rmdir(os.path.join(output, SPLIT_FOLDER))
            if not runs_started:
                # Refused (or stopped) before its first run: the folders are left as they were,
                # not made or given lock files for nothing. Removed while the locks are held: a
                # process that opened a lock file meanwhile finds it taken.
                publish.remove_created(created)
    return split, jobs
