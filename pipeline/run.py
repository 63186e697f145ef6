"""Builds, runs and publishes one batch: files in, Parquet partitions and a manifest out.

The command line (``cli``) is a thin shell around ``run_job``; tests and the evaluation
command call it directly. Layout of an output folder::

    <output>/<table>/run_date=<date>/part-00000-of-00001.parquet   the tables (Hive partitions)
    <output>/_runs/run_date=<date>/manifest.json, _SUCCESS         what each run did (and
                                                                    report.html, replaced by a re-run)
    <output>/_state/run_date=<date>/part-....parquet                anchors for later runs
    <output>/_lock                                                  held by the run writing into it
    <output>/_backfill/<id>/                                        a running backfill's split

Tables are staged and published atomically (``publish``); the state lets stories continue
across days (``state``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import apache_beam as beam
import grpc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    PortableOptions,
    SetupOptions,
    StandardOptions,
)
from apache_beam.portability.api import beam_provision_api_pb2
from apache_beam.runners import create_runner
from apache_beam.runners.portability.fn_api_runner.fn_runner import ExtendedProvisionInfo, FnApiRunner
from apache_beam.runners.portability.portable_runner import JobServiceHandle, PortableRunner
from apache_beam.runners.runner import PipelineRunner

from pipeline import publish, state
from pipeline.allocator import (
    bundle_inputs_released,
    bundle_outputs_released,
    fewer_collections,
    groupings_in_pieces,
    last_elements_released,
    return_large_buffers,
)
from pipeline.backfill import remove_leftover_splits
from pipeline.config import ColumnConfig, Config
from pipeline.detect import DetectStories, reject_row
from pipeline.errors import StateError
from pipeline.read import LOCAL_FILES_NOT_FOUND, ReadArticles, files_read_for, resolve_inputs
from pipeline.records import Reject
from pipeline.remote import remote_staging, remote_temp_location
from pipeline.write import SPILL_FOLDER, WriteTables, shard_path
from schemas.tables import INTERNAL_TABLES, TABLES

_LOG = logging.getLogger(__name__)

# The in-process portable runner: no download, no network, honours --direct_num_workers
# and --direct_running_mode. Beam's DirectRunner would first try to fetch the Prism binary.
DEFAULT_RUNNER = "FnApiRunner"
STATE_FOLDER = "_state"
RUNS_FOLDER = "_runs"


class ReconciliationError(RuntimeError):
    """Input records do not equal articles + rejects: something was lost."""


class StagingError(RuntimeError):
    """The pipeline finished but its files are not in the staging folder this process sees
    (the workers wrote them to a disk of their own), or the workers did not find the input
    files this process sees."""


@dataclass
class JobResult:
    output: str
    run_id: str
    run_date: str
    input_files: list[str]
    row_counts: dict[str, int]
    counters: dict[str, int]
    bands: int
    rows: int
    seconds: float
    tables: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def replaced_run(self) -> dict[str, Any] | None:
        """The published run of the same date that this one replaced (a re-run), if any."""
        return self.manifest.get("replaced_run")

    @property
    def later_runs(self) -> list[str]:
        """Runs of later dates that did not read this date's state (a date filled in late)."""
        return list(self.manifest.get("later_runs_not_continued", []))


def pipeline_options(beam_args: list[str]) -> PipelineOptions:
    """Beam options from pass-through flags, with the in-process runner as the default."""
    options = PipelineOptions(beam_args)
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = DEFAULT_RUNNER
    return options


# Beam's s3:// file system is there without its client package, which it asserts only at
# the first access (a traceback from the first copy, after folders were made and locked).
# The scheme -> (package, apache-beam extra that installs it).
CLIENT_PACKAGES = {"s3": ("boto3", "aws")}


def configure_file_systems(beam_args: list[str] | None) -> PipelineOptions:
    """Gives Beam's file systems the run's options, as building a pipeline would, and returns
    them: the inputs are listed (and a backfill's split read) before, and ``s3://`` or
    ``hdfs://`` cannot be reached without ``--s3_*`` or ``--hdfs_*`` flags. Raises ValueError
    for a ``--temp_location`` on a file system that Beam does not have installed."""
    options = pipeline_options(beam_args or [])
    FileSystems.set_options(options)
    temp_location = remote_temp_location(options)
    if temp_location:
        # Refused here, before a folder is made or locked, not by the run's first copy there.
        try:
            FileSystems.get_filesystem(temp_location)
        except (OSError, ValueError) as error:  # gs:// without apache-beam[gcp]; hdfs:// without hdfs
            raise ValueError(f"--temp_location {temp_location}: {error}") from None
        scheme = FileSystems.get_scheme(temp_location)
        package, extra = CLIENT_PACKAGES.get(scheme or "", (None, None))
        if package and importlib.util.find_spec(package) is None:
            raise ValueError(
                f"--temp_location {temp_location}: Beam's {scheme}:// file system needs the {package} "
                f"package, which is not installed (pip install 'apache-beam[{extra}]')"
            )
    return options


def _holds_files(folder: str) -> bool:
    return any(names for _, _, names in os.walk(folder))


def check_beam_values(beam_args: list[str]) -> None:
    """Raises ValueError for a pass-through value that Beam would take and then fail on with
    a traceback from inside the run (a negative ``--direct_num_workers``: an IndexError)."""
    workers = PipelineOptions(beam_args).view_as(DirectOptions).direct_num_workers
    if workers is not None and workers < 0:
        raise ValueError(f"--direct_num_workers must be 0 (a worker per core) or more, got {workers}")


def unknown_beam_args(beam_args: list[str]) -> list[str]:
    """The pass-through flags that no Beam option takes (a mistyped ``--inputs``), which
    Beam itself would drop with nothing but a log line ("Discarding unparseable args").

    The test is Beam's own: the parser that ``PipelineOptions.get_all_options`` builds from
    every options class, once the runner's module (which may add options of its own) is
    imported, as ``beam.Pipeline`` would.
    """
    # A value of the wrong type (--direct_num_workers=abc) stops Beam's parser, which prints
    # the usage of all of Beam's options first (130 lines): only its error line is kept.
    usage = io.StringIO()
    try:
        with contextlib.redirect_stderr(usage):
            options = PipelineOptions(beam_args)
            runner = options.view_as(StandardOptions).runner
            if runner:
                try:
                    create_runner(runner)
                except ImportError as error:
                    raise ValueError(f"--runner {runner}: {error}") from None
            parsers: list[argparse.ArgumentParser] = []
            options.get_all_options(add_extra_args_fn=parsers.append)
            _, unknown = parsers[0].parse_known_args(beam_args)
    except SystemExit:
        lines = usage.getvalue().strip().splitlines() or ["Apache Beam refused its options"]
        raise ValueError(lines[-1].split(": error: ", 1)[-1]) from None
    sys.stderr.write(usage.getvalue())  # whatever else was said there
    return unknown


def build_pipeline(
    pipeline: beam.Pipeline,
    files: list[str],
    config: Config,
    staging: str,
    run_date: dt.date,
    state_files: list[str],
    frequency_files: tuple[str, ...] | list[str] = (),
    carried_rejects: tuple[Reject, ...] | list[Reject] = (),
    input_copies: dict[str, str] | None = None,
    list_folder: str | None = None,
    sentence_files: tuple[str, ...] | list[str] = (),
    wait_on_disk: bool = False,
) -> DetectStories:
    """Read -> DetectStories -> WriteTables, all tables (and the state) into ``staging``.

    ``input_copies``: input file -> a copy the workers read instead (``remote``);
    ``list_folder``: where lists of files too long for the pipeline graph go (``file_list``;
    default: the pipeline's local temporary folder); ``wait_on_disk``: the analysed articles
    and their vectors wait for describing on disk, under ``staging`` (``spill``)."""
    read = pipeline | "Read" >> ReadArticles(
        files,
        config.input.max_chars,
        input_copies,
        config.input.max_field_chars,
        config.columns,
        list_folder,
        config.input.date_order,
        config.input.min_words,
    )
    prior = None
    if state_files:
        prior = pipeline | "Anchors" >> state.ReadPriorSketches(state_files, config.lsh.num_perm, list_folder)
    prior_frequencies = None
    if frequency_files:
        prior_frequencies = pipeline | "PriorFrequencies" >> state.ReadPriorFrequencies(
            frequency_files, config.features.df_buckets, list_folder
        )
    earlier = None
    if sentence_files:
        earlier = pipeline | "EarlierArticles" >> state.ReadEarlierArticles(list(sentence_files), list_folder)
    spill_dir = FileSystems.join(staging, SPILL_FOLDER, "describe") if wait_on_disk else None
    detect = DetectStories(config, run_date, prior, prior_frequencies, earlier, spill_dir)
    tables = read["articles"] | "Detect" >> detect
    rejects = [read["rejects"] | "ReadRejectRows" >> beam.Map(reject_row), tables["rejects"]]
    if carried_rejects:
        rejects.append(pipeline | "CarriedRejects" >> beam.Create([reject_row(r) for r in carried_rejects]))
    tables["rejects"] = rejects | "AllRejects" >> beam.Flatten()
    _ = tables | "Write" >> WriteTables(staging, config.output)
    return detect


def _counters(result) -> dict[str, int]:
    counters: dict[str, int] = {}
    for counter in result.metrics().query()["counters"]:
        name = f"{counter.key.metric.namespace}/{counter.key.metric.name}"
        value = counter.committed if counter.committed is not None else counter.attempted
        counters[name] = counters.get(name, 0) + int(value or 0)
    return dict(sorted(counters.items()))


def count_rows(directory: str, tables) -> dict[str, int]:
    counts = {}
    for table in tables:
        folder = os.path.join(directory, table)
        files = (
            sorted(f for f in os.listdir(folder) if f.endswith(".parquet")) if os.path.isdir(folder) else []
        )
        counts[table] = sum(pq.ParquetFile(os.path.join(folder, f)).metadata.num_rows for f in files)
    return counts


def missing_shards(directory: str, tables, num_shards: int) -> list[str]:
    """The shard files of ``tables`` that are not in ``directory``: every shard is written,
    even an empty one, so any missing file was written where this process cannot see it."""
    return [
        path
        for table in tables
        for shard in range(num_shards)
        if not os.path.isfile(path := shard_path(directory, table, shard, num_shards))
    ]


def inputs_hidden_from_workers(files: list[str], counters: dict[str, int]) -> int:
    """How many local input files the workers did not find that this machine has: those
    they missed less those missing here too (deleted while the run read them, each an
    ``unreadable_file`` reject as in any run)."""
    local = [path for path in files if FileSystems.get_scheme(path) is None]
    missing_here = sum(not os.path.isfile(path) for path in local)
    return max(0, counters.get(f"read/{LOCAL_FILES_NOT_FOUND}", 0) - missing_here)


def _versions() -> dict[str, str]:
    versions = {}
    for package in (
        "storymatch",
        "apache-beam",
        "datasketch",
        "pyarrow",
        "numpy",
        "duckdb",
        "snowballstemmer",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _check_state_outside_the_tables(output: str, state_dir: str) -> None:
    """The only state folder inside the output folder is its own ``_state`` (the default):
    anywhere else there (a table's folder, ``_staging``, ``_runs``) a run published its state
    over a table's partition, or the next run's recovery removed it as a leftover."""
    relative = os.path.relpath(os.path.realpath(state_dir), os.path.realpath(output))
    if relative.split(os.sep)[0] != os.pardir and relative != STATE_FOLDER:
        where = "is the output folder" if relative == os.curdir else f"is inside the output folder {output}"
        raise publish.OutputError(
            f"the state folder {state_dir} {where}, where runs write their tables: leave --state out "
            f"(the state is then {os.path.join(output, STATE_FOLDER)}), or name a folder outside it"
        )


def _check_date_not_published_elsewhere(output: str, state_dir: str, run_date: dt.date) -> None:
    """Output folders that share a state (--state) each run their own dates: a run of a date
    another folder published would replace that folder's state of the date without a word, and
    its later runs would no longer continue the date's stories. Not when that folder no longer
    has the date's run (moved, or removed), nor for the output's own ``_state``, which no other
    folder writes (a copy of an output folder records the original's path)."""
    if os.path.realpath(state_dir) == os.path.realpath(os.path.join(output, STATE_FOLDER)):
        return
    day = run_date.isoformat()
    other = state.published_by(os.path.join(state_dir, f"run_date={day}"))
    if other is None or other == os.path.realpath(output):
        return
    if os.path.isdir(os.path.join(other, RUNS_FOLDER, f"run_date={day}")):
        raise StateError(
            f"the state in {state_dir} holds the run of {day} into {other}: a run of that date into "
            f"{output} would replace it, and the stories of {other} would stop continuing. Run the date "
            "into that folder, or give this output folder a --state of its own"
        )


@contextlib.contextmanager
def claimed_output(
    inputs: list[str], output: str, state_dir: str, columns: ColumnConfig | None = None
) -> Iterator[list[str]]:
    """Checks the output and state folders and resolves the inputs (their fields' ``columns``
    checked), then holds the output's
    and the state folder's locks (``publish.lock_output``) with what crashed runs and
    backfills left cleaned up; yields the input files."""
    publish.check_folder(output, "output")
    publish.check_folder(state_dir, "state")
    _check_state_outside_the_tables(output, state_dir)
    files = resolve_inputs(inputs, columns)
    made_for_the_output_lock = publish.created_by_locking([output])
    # The state's too: runs into other output folders may share it (--state), and each one
    # publishes and prunes partitions there.
    with contextlib.ExitStack() as locks:
        locks.enter_context(publish.lock_output(output))
        try:
            locks.enter_context(publish.lock_output(state_dir))
        except publish.OutputBusyError:
            # Refused: the output folder is left as it was, removed while its lock is held.
            # Not the state's: the process that holds it may have just made it.
            publish.remove_created(made_for_the_output_lock)
            raise
        for action in publish.recover(output):
            _LOG.warning("recovery: %s", action)
        for leftover in remove_leftover_splits(output):
            _LOG.warning("recovery: removed the split of a backfill that did not finish, %s", leftover)
        yield files


def run_job(
    inputs: list[str],
    output: str,
    config: Config,
    beam_args: list[str] | None = None,
    run_date: dt.date | None = None,
    state_dir: str | None = None,
    carried_rejects: tuple[Reject, ...] | list[Reject] = (),
    backfill: dict[str, Any] | None = None,
) -> JobResult:
    """Runs one batch and publishes its partitions; raises InputError/ReconciliationError.

    ``run_date`` defaults to today (UTC); ``state_dir`` to ``<output>/_state``.
    ``carried_rejects`` are input records rejected before the run (by ``backfill``'s split):
    they are written to ``rejects`` and count as input records. ``backfill`` describes the
    backfill the run is part of, for the manifest (its inputs are the split's, removed after).
    """
    started = time.time()
    started_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    run_date = run_date or dt.datetime.now(dt.UTC).date()
    state.check_not_in_future(run_date)
    day = run_date.isoformat()
    state_dir = state_dir or os.path.join(output, STATE_FOLDER)
    options = configure_file_systems(beam_args)
    created = publish.created_by_locking([output, state_dir])
    # Held until the run has published: a second run into the folder fails at once, rather
    # than its recovery taking this run's staging folder for an abandoned one.
    with claimed_output(inputs, output, state_dir, config.columns) as files:
        lookback, horizon = config.state.lookback_days, config.state.frequency_horizon
        try:
            state.check_not_pruned(state_dir, run_date, lookback, horizon)
            state_files = state.window_files(state_dir, run_date, lookback)
            sentence_files = state.sentence_files(state_dir, run_date, lookback)
            frequency_files = state.frequency_files(state_dir, run_date, horizon)
            state.check_settings(state_dir, state_files, frequency_files, config)
            state.check_readable(state_files, frequency_files, sentence_files)
            _check_date_not_published_elsewhere(output, state_dir, run_date)
        except BaseException:
            # Refused (or stopped) before it starts: the folders are left as they were, not
            # made or given lock files for nothing (as a refused backfill leaves them).
            publish.remove_created(created)
            raise

        run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
        staging = os.path.join(output, publish.STAGING, run_id)
        os.makedirs(staging, exist_ok=True)
        # The in-process runner's bundles are byte strings of megabytes: give them back when freed.
        return_large_buffers()
        try:
            with (
                fewer_collections(),
                bundle_outputs_released(),
                bundle_inputs_released(),
                groupings_in_pieces(),
                last_elements_released(),
            ):
                result, detect, remote_root = _execute(
                    options,
                    run_id,
                    files,
                    config,
                    staging,
                    run_date,
                    state_files,
                    frequency_files,
                    carried_rejects,
                    sentence_files,
                )
        except BaseException:
            # A runner that could not start (Dataflow without --project, Flink without its job
            # server) staged nothing: the folders are left as they were, as a refused run
            # leaves them, not with a staging folder that the next run reports as a crash.
            if not _holds_files(staging):
                shutil.rmtree(staging, ignore_errors=True)
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(staging))  # _staging, when no other run's is there
                publish.remove_created(created)
            raise
        missing = missing_shards(staging, [*TABLES, *INTERNAL_TABLES], config.output.num_shards)
        if missing:
            raise StagingError(
                f"the pipeline finished, but {len(missing)} of its files are not in {staging} "
                f"(first: {missing[0]}): its workers wrote them to a disk this machine does not see. "
                "On a distributed runner give a --temp_location the workers can reach (gs://, s3://, "
                "hdfs://), or use an output folder that this machine and every worker share under "
                "the same path; the run was not published"
            )
        counters = _counters(result)
        hidden = inputs_hidden_from_workers(files, counters)
        if hidden:
            raise StagingError(
                f"the workers did not find {hidden} of the input files that this machine reads: "
                "they do not see its disk. On a distributed runner give a "
                "--temp_location the workers can reach (gs://, s3://, hdfs://), or put the inputs on a "
                "file system that this machine and every worker share under the same path; the run "
                "was not published"
            )
        row_counts = count_rows(staging, TABLES)
        records = counters.get("read/records", 0) + len(carried_rejects)
        accounted = row_counts["articles"] + row_counts["rejects"]
        reconciliation = {
            "input_records": records,
            "rejected_before_the_run": len(carried_rejects),
            "articles": row_counts["articles"],
            "rejects": row_counts["rejects"],
            "balanced": records == accounted,
        }
        if records != accounted:
            raise ReconciliationError(
                f"input records ({records}) != articles ({row_counts['articles']}) + rejects "
                f"({row_counts['rejects']}); the run was not published (staging kept in {staging})"
            )
        # The run's document frequencies and sentences travel inside its state partition.
        for table, folder in (
            ("state_frequencies", state.FREQUENCIES_FOLDER),
            ("state_sentences", state.SENTENCES_FOLDER),
        ):
            os.replace(os.path.join(staging, table), os.path.join(staging, "state", folder))
        state.write_settings(os.path.join(staging, "state"), config, output)
        replaced = published_manifest(output, day)
        later_runs = _later_runs_not_continued(
            output, state_dir, run_date, os.path.join(staging, "state"), replaced
        )
        seconds = time.time() - started
        manifest = {
            "run_id": run_id,
            "run_date": day,
            "started_at": started_at,
            "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(seconds, 3),
            "input_files": files,
            # Input paths are kept as given (tables' source_file too): relative ones are
            # relative to this folder, where a report re-reads them from.
            "working_directory": os.getcwd(),
            "state_files_read": state_files,
            "state_frequency_files_read": frequency_files,
            "state_sentence_files_read": sentence_files,
            "config": config.to_dict(),
            "lsh": {"bands": detect.bands, "rows": detect.rows},
            "row_counts": row_counts,
            "reconciliation": reconciliation,
            "counters": counters,
            "versions": _versions(),
            "runner": options.view_as(StandardOptions).runner,
        }
        if remote_root:
            manifest["remote_staging"] = remote_root
        if backfill is not None:
            manifest["backfill"] = backfill
        if replaced:
            # A re-run replaces the date's partitions without asking: say which run went.
            manifest["replaced_run"] = {
                "run_id": replaced.get("run_id"),
                "finished_at": replaced.get("finished_at"),
                "articles": replaced.get("row_counts", {}).get("articles"),
            }
        if later_runs:
            manifest["later_runs_not_continued"] = later_runs
            _LOG.warning(
                "runs of later dates (%s) did not read this run's state: re-run them in order to "
                "continue its stories into them",
                ", ".join(later_runs),
            )
        runs = os.path.join(output, RUNS_FOLDER, f"run_date={day}")
        # The date's _runs folder is replaced whole, like its partitions: a re-run must not
        # leave the replaced run's report.html beside its own manifest.
        os.makedirs(os.path.join(staging, RUNS_FOLDER))
        moves = [(os.path.join(staging, RUNS_FOLDER), runs)]
        moves += [
            (os.path.join(staging, table), publish.partition_path(output, table, day)) for table in TABLES
        ]
        moves.append((os.path.join(staging, "state"), os.path.join(state_dir, f"run_date={day}")))
        publish.commit(
            staging,
            moves,
            markers=[
                (os.path.join(runs, "manifest.json"), json.dumps(manifest, indent=2, sort_keys=True)),
                (os.path.join(runs, "_SUCCESS"), ""),
            ],
        )
        publish.remove_empty_staging(output)
        state.prune(state_dir, lookback, horizon, config.state.rerun_days)
    tables = {table: publish.partition_path(output, table, day) for table in TABLES}
    return JobResult(
        output, run_id, day, files, row_counts, counters, detect.bands, detect.rows, seconds, tables, manifest
    )


def _execute(
    options: PipelineOptions,
    run_id: str,
    files: list[str],
    config: Config,
    staging: str,
    run_date: dt.date,
    state_files: list[str],
    frequency_files: list[str],
    carried_rejects: tuple[Reject, ...] | list[Reject],
    sentence_files: list[str],
) -> tuple[Any, DetectStories, str | None]:
    """Builds and runs the pipeline; its tables end up in the local ``staging`` folder.

    Workers run in folders of their own, so the local paths they get are absolute. With a
    remote ``--temp_location`` they get none: the local files they read are copied there
    first and the tables come back from there (``remote``). Returns the result, the
    DetectStories transform and the remote folder (None without one).
    """
    temp_location = remote_temp_location(options)
    with contextlib.ExitStack() as stack:
        pipeline = beam.Pipeline(runner=_runner_for(options), options=options)
        # Beam removes the pipeline's local temporary folder when it runs the pipeline, not
        # when building it or staging the inputs fails first.
        stack.callback(shutil.rmtree, pipeline.local_tempdir, ignore_errors=True)
        copies: dict[str, str] = {}
        target = os.path.abspath(staging)
        remote = None
        if temp_location:
            remote = stack.enter_context(remote_staging(temp_location, run_id))
            copies = remote.upload(path for name in files for path in files_read_for(name))
            copies.update(remote.upload([*state_files, *frequency_files, *sentence_files]))
            target = remote.tables

        def located(paths: list[str]) -> list[str]:
            return [copies.get(path) or os.path.abspath(path) for path in paths]

        detect = build_pipeline(
            pipeline,
            files,
            config,
            target,
            run_date,
            located(state_files),
            located(frequency_files),
            carried_rejects,
            input_copies=copies,
            # Where the workers read and the run removes: the staging folder goes when the run
            # publishes (or the next run cleans up), the remote one however the run ends.
            list_folder=remote.root if remote is not None else target,
            sentence_files=located(sentence_files),
            # Only the in-process runner holds what waits between stages in memory; what waits
            # for describing goes where its workers share a disk with this machine.
            wait_on_disk=remote is None and isinstance(pipeline.runner, FnApiRunner),
        )
        with _temporary_folders_removed(pipeline):
            try:
                result = pipeline.run()
            except grpc.FutureTimeoutError:  # a bare traceback, naming neither what nor where
                portable = options.view_as(PortableOptions)
                raise RuntimeError(
                    f"cannot reach the job service at {portable.job_endpoint} within "
                    f"{portable.job_server_timeout} s (--job_server_timeout): is it running there?"
                ) from None
            result.wait_until_finish()
        if remote is not None:
            remote.download_tables(staging, [*TABLES, *INTERNAL_TABLES])
    return result, detect, remote.root if remote is not None else None


@contextlib.contextmanager
def _temporary_folders_removed(pipeline: beam.Pipeline) -> Iterator[None]:
    """Has a portable runner (``PortableRunner``, ``FlinkRunner``, ``SparkRunner``) make its
    temporary folders in one of the run's, removed when the pipeline has finished.

    Beam makes them with ``tempfile.mkdtemp()`` and never removes them: the folders its
    environment stages the SDK's dependencies in (twice, one holding
    ``submission_environment_dependencies.txt``), and with ``--job_endpoint=embed`` the
    embedded job service's artifact folder, which only its ``stop()`` removes and nothing
    calls; three ``tmp*`` folders in the system's temporary folder a run. Its pip download
    cache (``--requirements_cache``, by default ``beam-requirements-cache`` there) is kept
    where it was, to serve the next runs.
    """
    if not isinstance(pipeline.runner, PortableRunner):
        yield
        return
    setup = pipeline.options.view_as(SetupOptions)  # a copy of the options it was given
    if setup.requirements_cache is None:
        setup.requirements_cache = os.path.join(tempfile.gettempdir(), "beam-requirements-cache")
    folder = tempfile.mkdtemp(prefix="storymatch-beam-")
    system_temp = tempfile.tempdir
    tempfile.tempdir = folder  # where tempfile.mkdtemp() makes folders without a dir
    try:
        yield
    finally:
        tempfile.tempdir = system_temp
        shutil.rmtree(folder, ignore_errors=True)


def _runner_for(options: PipelineOptions) -> PipelineRunner:
    """The runner that ``--runner`` names.

    Beam's FnApiRunner, made by name, gives the worker processes of
    ``--direct_running_mode=multi_processing`` no pipeline options (Beam's DirectRunner
    does): they logged at INFO onto this process's stderr, whatever ``--verbose`` or
    ``--default_sdk_harness_log_level`` said. They get the options here, and log at this
    process's levels (Beam's loggers, and this package's) unless those flags say otherwise.
    """
    runner = create_runner(options.view_as(StandardOptions).runner)
    if not isinstance(runner, FnApiRunner):
        return runner  # a distributed runner's workers log where that runner keeps logs
    worker_options = options.get_all_options()
    if worker_options.get("default_sdk_harness_log_level") is None:
        beam_level = logging.getLogger("apache_beam").getEffectiveLevel()
        worker_options["default_sdk_harness_log_level"] = logging.getLevelName(beam_level)
    own_level = logging.getLevelName(logging.getLogger("pipeline").getEffectiveLevel())
    worker_options["sdk_harness_log_level_overrides"] = {
        "pipeline": own_level,
        **(worker_options.get("sdk_harness_log_level_overrides") or {}),
    }
    encoded = JobServiceHandle.encode_pipeline_options(worker_options)
    return FnApiRunner(
        provision_info=ExtendedProvisionInfo(beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded))
    )


def _later_runs_not_continued(
    output: str, state_dir: str, run_date: dt.date, staged_state: str, earlier: dict[str, Any]
) -> list[str]:
    """The dates of runs after ``run_date`` when this is the date's first run (a day filled
    in late): they ran without its state, so its stories do not continue into them until
    they are re-run, in order. A re-run whose state (``staged_state``) is not the published
    one (other articles) names, as well, the later runs that read the published one. A
    re-run with the same state changes no later run's input, but the runs its earlier run
    named stay named until each has been re-run after it (read its state): the re-run's
    manifest replaces the one that named them. ``earlier``: the manifest of the date's
    published run ({} if none)."""
    runs = os.path.join(output, RUNS_FOLDER)
    dates = set(state.partition_dates(runs)) | set(state.partition_dates(state_dir))
    later = [day.isoformat() for day in sorted(dates) if day > run_date]
    if run_date not in dates:
        return later
    named = earlier.get("later_runs_not_continued", [])
    published = os.path.join(state_dir, f"run_date={run_date.isoformat()}")
    if not state.same_state(staged_state, published):
        return [day for day in later if day in named or _read_state_of(output, day, run_date)]
    since = earlier.get("finished_at", "")
    return [day for day in named if not _read_state_of(output, day, run_date, since)]


def _read_state_of(output: str, later: str, run_date: dt.date, since: str = "") -> bool:
    """Whether the published run of ``later`` read the state partition of ``run_date`` (its
    anchors or its document frequencies), in a run started at ``since`` or after."""
    try:
        manifest = manifest_of(output, later)
    except (OSError, ValueError):
        return False
    if manifest.get("started_at", "") < since:
        return False
    folder = f"run_date={run_date.isoformat()}"
    anchors = manifest.get("state_files_read", [])
    frequencies = manifest.get("state_frequency_files_read", [])
    return any(os.path.basename(os.path.dirname(path)) == folder for path in anchors) or any(
        os.path.basename(os.path.dirname(os.path.dirname(path))) == folder for path in frequencies
    )


def published_manifest(output: str, run_date: str) -> dict[str, Any]:
    """The manifest of the published run of ``run_date``; {} when there is none (or it
    cannot be read)."""
    try:
        return manifest_of(output, run_date)
    except (OSError, ValueError):
        return {}


def manifest_of(output: str, run_date: str) -> dict[str, Any]:
    path = os.path.join(output, RUNS_FOLDER, f"run_date={run_date}", "manifest.json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)
