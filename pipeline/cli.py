"""The ``storymatch`` command: argument parsing and printing only.

    storymatch run                      # the seeds in ./seeds -> tables in ./out
    storymatch backfill --input archive.jsonl --output out/   # one run per day of the archive
    storymatch run --input articles.jsonl --output out/ --set cluster.threshold=0.2
    storymatch run --input 's3://bucket/in/*.jsonl' --output /mnt/shared/out \\
        --runner FlinkRunner --flink_master host:8081 --extra_package dist/storymatch-0.1.0-py3-none-any.whl

Flags the command does not know are passed to Beam unchanged (``--runner``,
``--direct_num_workers``, Dataflow/Flink/Spark options), as in Beam's own examples; a flag
that Beam does not know either (a mistyped ``--inputs``) is an error, not silently dropped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import glob
import importlib
import importlib.metadata
import logging
import os
import signal
import sys
import threading
import warnings
from collections import defaultdict
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import config as config_module
from pipeline.errors import InputError
from pipeline.wording import noun

# Commands that read a finished output folder; each module has add_arguments(parser) and run(args).
VIEWER_COMMANDS = (
    ("query", "pipeline.query", "query the output tables with DuckDB"),
    ("report", "pipeline.report", "write a self-contained HTML report of a run"),
)

BEAM_FLAGS = (
    "Other flags are passed to Apache Beam (e.g. --runner, --direct_num_workers); "
    "a flag that neither knows is an error."
)

# The reader's file types (pipeline/read.py), without importing Beam for --help.
INPUT_HELP = (
    "input file, glob of files, or folder of them (and of its partition folders, name=value): "
    "JSON Lines (.jsonl, .ndjson, .json), CSV (.csv) or TSV (.tsv, .tab), each optionally .gz, "
    "Parquet (.parquet, or no suffix as Hive's 000000_0) or text (.txt, an article a file); "
    "--set columns.text=content and the like read fields from columns of other names"
)

# How a stopped backfill goes on: main adds it to the stop's line.
RESUME_HINT = "to go on, run the same command with --resume: it skips the runs this backfill published"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
# 128 + the signal's number, as a shell reports a process that the signal ended.
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(BaseException):
    """SIGTERM (a scheduler stopping the task, ``timeout``) as an exception in the main
    thread, as Ctrl-C is a KeyboardInterrupt: a BaseException, so no ``except Exception``
    holds it, and every ``finally`` and context manager on the way out runs (the remote
    staging folder is deleted, a backfill's split removed, the locks released)."""


# Set by a stop: what Beam's threads raise as the workers end is its consequence, not news.
_STOPPING = threading.Event()


def _terminate(signum, frame) -> None:
    # A second SIGTERM while the clean-up runs ends the process at once, as it used to.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _STOPPING.set()
    stop_worker_processes()
    raise Terminated


def _interrupt(signum, frame) -> None:
    _STOPPING.set()
    stop_worker_processes()
    raise KeyboardInterrupt


def stop_worker_processes() -> None:
    """Sends SIGTERM to this process's descendants: the SDK workers of Beam's multi_processing
    mode (each under a ``sh -c``). A stop signalled to this process alone (``kill PID``, a
    container's stop) reached them never: Beam's clean-up waits for each worker without a
    timeout, and one that connected after the stop was asked never hears it, so the command
    hung, holding the output's lock. Linux (/proc) only; elsewhere nothing is sent."""
    for pid in descendant_pids(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


def descendant_pids(ancestor: int) -> list[int]:
    """The processes below ``ancestor``, read from /proc (none where there is no /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as stat:
                        parent = int(stat.read().rsplit(b")", 1)[1].split()[1])  # "pid (name) state ppid"
                except (OSError, IndexError, ValueError):
                    continue  # ended meanwhile
                children[parent].append(int(entry))
    found, waiting = [], list(children[ancestor])
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children[pid])
    return found


@contextlib.contextmanager
def _stops_raise() -> Iterator[None]:
    """Turns SIGTERM into ``Terminated`` and Ctrl-C into KeyboardInterrupt, each after
    stopping the worker processes, while the command runs (main thread only, where Python
    runs signal handlers), then puts back the handlers there were. An ignored SIGINT (a
    shell's background job) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _terminate)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    previous_hook = threading.excepthook
    _STOPPING.clear()

    def quiet_after_a_stop(args: threading.ExceptHookArgs) -> None:
        # e.g. "Exception in thread run_worker: RuntimeError: Worker subprocess exited with
        # return code -15", once per worker, after the one line that says the run stopped.
        if not _STOPPING.is_set():
            previous_hook(args)

    threading.excepthook = quiet_after_a_stop
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
        threading.excepthook = previous_hook


def _add_config_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=None,
        type=_path,
        help="TOML config file (default: the repository's configs/default.toml; an installed wheel has no "
        "configs folder and uses the same values, built in)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config value, e.g. --set cluster.threshold=0.2 (repeatable, once per setting)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show Beam's own logs (and its local worker processes')"
    )


def _add_state_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        metavar="DIR",
        type=_path,
        help="folder of earlier runs' anchors and document frequencies, to continue their stories "
        "(default: <output>/_state)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storymatch",
        description="Find news articles that rewrite the same story, and what each outlet changed.",
        epilog="run, backfill and eval pass other flags to Apache Beam (e.g. --runner, "
        "--direct_num_workers); query and report take only their own.",
    )
    parser.add_argument("--version", action="version", version=f"storymatch {_installed_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "run",
        help="detect stories in articles and write Parquet tables",
        description="Read articles, group rewrites of the same story, write Parquet tables.",
        epilog=BEAM_FLAGS,
    )
    run.add_argument(
        "--input",
        dest="inputs",
        action="append",
        metavar="PATH",
        help=f"{INPUT_HELP} (repeatable; default: seeds)",
    )
    run.add_argument(
        "--output", default="out", type=_path, help="output folder for the tables (default: out)"
    )
    run.add_argument(
        "--run-date",
        "--run_date",
        dest="run_date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the batch's date: tables go to <output>/<table>/run_date=<date>/, replacing those of an "
        "earlier run of the date (default: today, UTC)",
    )
    _add_state_flag(run)
    _add_config_flags(run)

    backfill = commands.add_parser(
        "backfill",
        help="run an archive as the daily runs a schedule would have made, oldest first",
        description="Split the inputs by publication date (UTC) into ranges of --days-per-run days and "
        "run each range as the run dated its last day (one not ended yet as today's), oldest first, "
        "each continuing the stories of the "
        "runs before it. Memory is bounded by the busiest range, not the archive. Records that cannot be "
        "read and repeated ids are reported in the last run's rejects; articles without a publication "
        "time go to the last run (when no article has one, --run-date dates the single run).",
        epilog=BEAM_FLAGS,
    )
    backfill.add_argument(
        "--input",
        dest="inputs",
        action="append",
        required=True,
        metavar="PATH",
        help=f"{INPUT_HELP} (repeatable)",
    )
    backfill.add_argument(
        "--output", default="out", type=_path, help="output folder for the tables (default: out)"
    )
    backfill.add_argument(
        "--days-per-run",
        "--days_per_run",
        dest="days_per_run",
        type=_days_per_run,
        default=1,
        metavar="N",
        help="days of articles per run, 1 to 366 (default: 1, as a daily schedule); ranges are aligned to "
        "1970-01-01",
    )
    backfill.add_argument(
        "--resume",
        action="store_true",
        help="go on with an interrupted backfill of the same inputs: skip the runs it already published",
    )
    backfill.add_argument(
        "--run-date",
        "--run_date",
        dest="run_date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the date of the single run when no input article has a publication time (required then; "
        "refused otherwise: the articles' dates date the runs)",
    )
    _add_state_flag(backfill)
    _add_config_flags(backfill)

    evaluation = commands.add_parser(
        "eval",
        help="score the pipeline against a labelled corpus (a 'story' column)",
        description="Run the pipeline on labelled articles and print precision, recall, ARI, B-cubed and "
        "LSH figures beside two reference methods (verbatim MinHash, all-pairs TF-IDF).",
        epilog=BEAM_FLAGS,
    )
    evaluation.add_argument(
        "--input",
        dest="inputs",
        action="append",
        required=True,
        metavar="PATH",
        help=f"{INPUT_HELP}; the labels are a 'story' column (columns.story), the true story "
        "(not needed with --unique-gold) (repeatable)",
    )
    evaluation.add_argument(
        "--json",
        dest="json_path",
        metavar="FILE",
        help="also write the full report as JSON (figures to 4 decimals)",
    )
    evaluation.add_argument(
        "--all-pairs-limit",
        type=_article_count,
        default=3000,
        metavar="N",
        help="skip the quadratic all-pairs measurements above N articles (default: 3000)",
    )
    evaluation.add_argument(
        "--min-precision", type=_gate, metavar="P", help="exit 1 if pairwise precision < P"
    )
    evaluation.add_argument("--min-ari", type=_gate, metavar="A", help="exit 1 if ARI < A")
    evaluation.add_argument(
        "--unique-gold",
        metavar="FILE",
        help="hand-labelled unique-sentence gold (JSON Lines, e.g. tests/data/seeds_unique_gold.jsonl): "
        "report the unique_sentences table's precision and recall; inputs then need no 'story' column",
    )
    evaluation.add_argument(
        "--msrp",
        metavar="FILE",
        help="sentence pairs (JSON Lines with a, b, label, e.g. ../shared/eval/msrp_train.jsonl): report "
        "the sentence matcher's accuracy and F1 at sentences.match_threshold",
    )
    _add_config_flags(evaluation)

    for name, module_name, summary in VIEWER_COMMANDS:
        viewer = commands.add_parser(name, help=summary, description=summary)
        importlib.import_module(module_name).add_arguments(viewer)
    # An error about a command's flags shows that command's usage, not storymatch's.
    for command_parser in commands.choices.values():
        command_parser.set_defaults(command_parser=command_parser)
    return parser


def _installed_version() -> str:
    try:
        return importlib.metadata.version("storymatch")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "(not installed)"


def _path(text: str) -> str:
    # An empty value (`--config "$UNSET"`) would otherwise read as the flag not given, or fail
    # deep inside the run.
    if not text:
        raise argparse.ArgumentTypeError(f"expected a path, got {text!r}")
    return text


def _date(text: str):
    import datetime as dt

    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None
    # A run reads the state of up to state.frequency_days (3650) before its date, which must stay
    # a date; and no article is dated before 1900 (pipeline/read.py): such a year is a typo.
    if value.year < 1900:
        raise argparse.ArgumentTypeError(f"expected a date from 1900-01-01 on, got {text!r}")
    return value


def _bounded(convert, accepts, expected: str):
    """An argparse type: ``convert`` the text, and refuse it unless ``accepts`` the value."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accepts(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


# NaN would pass every gate (no figure is < NaN): a gate is a number from -1 to 1.
_gate = _bounded(float, lambda value: -1 <= value <= 1, "a number from -1 to 1")
# Up to a year: a range's last day must stay a date whatever the articles' dates.
_days_per_run = _bounded(int, lambda value: 1 <= value <= 366, "a whole number of days from 1 to 366")
_article_count = _bounded(int, lambda value: value >= 0, "a number of articles >= 0")


def _interruption(error: BaseException) -> BaseException | None:
    """The SIGTERM or Ctrl-C that ``error`` reports, if any. Beam re-raises what stops a DoFn
    (where the in-process runner spends the run) as a RuntimeError "Terminated [while running
    'step']", raised while handling the original, which is its ``__context__``."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, Terminated | KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _not_an_interruption(record: logging.LogRecord) -> bool:
    # Beam logs the traceback of whatever stops a DoFn: a stop is reported in one line instead.
    return not (record.exc_info and record.exc_info[1] is not None and _interruption(record.exc_info[1]))


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        if _not_an_interruption not in handler.filters:
            handler.addFilter(_not_an_interruption)
    if not verbose:
        logging.getLogger("apache_beam").setLevel(logging.ERROR)
        # This package's warnings are for the operator (a recovery, a lock that cannot be
        # taken, state written with other settings): only Beam's and other libraries' are hidden.
        logging.getLogger("pipeline").setLevel(logging.WARNING)
        warnings.filterwarnings("ignore")


def _say(*lines: str) -> None:
    """Prints to stdout. A reader that went away (`storymatch run | head`) is no error and
    does not stop the work: the rest of the output goes nowhere, as with any Unix tool."""
    try:
        print(*lines, sep="\n", flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# The most reject reasons the summary names (the rejects table has them all).
_SUMMARY_REASONS = 3


def _run_column(job, table: str, column: str, type_: pa.DataType) -> pa.ChunkedArray:
    """One column of a table as this run wrote it (all its files)."""
    files = sorted(glob.glob(os.path.join(job.tables[table], "*.parquet")))
    return pa.chunked_array([pq.read_table(f, columns=[column]).column(column) for f in files], type_)


# Reasons a record gets after the reader has counted its date: the dedupe and the analysis.
_LATE_REJECTS = ("duplicate_id", "empty_text", "too_short")


def _late_rejects_note(reasons: pa.ChunkedArray) -> str:
    """Dates are counted as records are read: say so when some of those were rejected later
    (``reasons``: the run's rejects' reasons)."""
    late = int(pc.sum(pc.is_in(reasons, pa.array(_LATE_REJECTS))).as_py() or 0)
    if not late:
        return ""
    return f"; counted as read: the {late} {noun(late, 'record')} rejected after reading may be among them"


def _reject_reasons(reasons: pa.ChunkedArray) -> str:
    """ " (missing_text 150)": the rejects by reason (``reasons``: the run's rejects'),
    commonest first, so that a run that kept nothing says why without a query (a misspelt
    ``columns`` setting rejects every record of a JSON Lines file)."""
    counts = sorted(
        ((row["values"], row["counts"]) for row in pc.value_counts(reasons).to_pylist()),
        key=lambda item: (-item[1], item[0]),
    )
    if not counts:
        return ""
    named = [f"{reason} {count}" for reason, count in counts[:_SUMMARY_REASONS]]
    others = len(counts) - _SUMMARY_REASONS
    if others > 0:
        named.append(f"{others} other {noun(others, 'reason')}")
    return f" ({', '.join(named)}; the rejects table says why each)"


def _print_summary(job) -> None:
    sizes = _run_column(job, "clusters", "size", pa.int32())
    multi = int(pc.sum(pc.greater(sizes, 1)).as_py() or 0)
    largest = int(pc.max(sizes).as_py() or 0)
    first_seen = _run_column(job, "clusters", "first_seen_run_date", pa.date32())
    continued = int(pc.sum(pc.less(first_seen, pa.scalar(dt.date.fromisoformat(job.run_date)))).as_py() or 0)
    # Their articles were compared with the story's earlier ones (README: "Stories continue").
    continued_note = (
        f"; {continued} {noun(continued, 'continues a story', 'continue stories')} of earlier runs"
        if continued
        else ""
    )
    rows = job.row_counts
    reasons = _run_column(job, "rejects", "reason", pa.string())
    failed = job.counters.get("outlets/stories_failed", 0)
    candidates = job.counters.get("lsh/candidates", 0)
    years = job.counters.get("read/unparseable_published_at_bare_year", 0)
    years_note = f"{years} a bare year such as 2016, not a time; " if years else ""
    # Day and month in digits (01/05/2017) are read only in an order the user names.
    date_order = job.manifest.get("config", {}).get("input", {}).get("date_order")
    order_note = f"; {config_module.DATE_ORDER_HINT}" if date_order == "unknown" else ""
    _say(
        f"storymatch: run {job.run_id} for {job.run_date} finished in {job.seconds:.1f}s",
        f"  records read       {job.counters.get('read/records', 0)}",  # malformed ones too
        f"  articles kept      {rows['articles']}",
        f"  rejected           {rows['rejects']}{_reject_reasons(reasons)}",
        # A date column in a format not read (01/05/2017) would otherwise show only in the
        # manifest: every such article is kept undated, matched with articles of any date. A
        # year column mapped to published_at (2016.0) is named, as it reads as no date at all.
        *(
            [
                (
                    f"  unparseable dates  {undated} ({years_note}"
                    "published_at left null; README's Inputs lists the formats read"
                    f"{order_note}{_late_rejects_note(reasons)})"
                )
            ]
            if (undated := job.counters.get("read/unparseable_published_at", 0))
            else []
        ),
        f"  clusters           {rows['clusters']} ({multi} with more than one article, largest {largest}"
        f"{continued_note})",
        # The pairs table holds more than LSH's candidates: the pairs scored inside linked groups
        # and the exact copies.
        f"  scored pairs       {rows['pairs']} ({candidates} LSH {noun(candidates, 'candidate')}, "
        f"{job.bands} bands x {job.rows} {noun(job.rows, 'row')}; "
        "the rest inside linked groups or exact copies)",
        f"  unique sentences   {rows['unique_sentences']}",
        *(
            [
                (
                    f"  NOT DESCRIBED      {failed} {noun(failed, 'story', 'stories')} "
                    "(errors in the log; no alignment or unique sentences)"
                )
            ]
            if failed
            else []
        ),
        "tables:",
        *(
            f"  {table:<20} {path}/*.parquet ({rows[table]} {noun(rows[table], 'row')})"
            for table, path in sorted(job.tables.items())
        ),
        f"manifest: {job.output}/_runs/run_date={job.run_date}/manifest.json",
        *([_replaced_note(job.run_date, job.replaced_run)] if job.replaced_run else []),
        *([_later_runs_note(job.later_runs)] if job.later_runs else []),
    )


def _replaced_note(run_date: str, replaced: dict) -> str:
    articles = replaced.get("articles")
    return (
        f"replaced: the run {replaced.get('run_id')} of {run_date} (finished {replaced.get('finished_at')}, "
        f"{articles} {noun(articles or 0, 'article')}): its partitions, state and report are gone"
    )


def _later_runs_note(later_runs: list[str]) -> str:
    count = len(later_runs)
    return (
        f"NOTE: {count} later {noun(count, 'run')} ({', '.join(later_runs)}) ran without this date's state: "
        "its stories continue into them only once they are re-run, oldest first "
        f"(storymatch run ... --run-date {later_runs[0]}, then the next)"
    )


def _run(args, beam_args: list[str]) -> int:
    from pipeline.run import run_job  # imports Beam: keep --help fast

    if not args.inputs and not os.path.isdir("seeds"):
        # The default input is relative: run elsewhere than the repository root, it is not there.
        raise InputError(
            "no --input given and no seeds folder here (the default input, in the repository root): "
            "pass --input FILE, GLOB or FOLDER"
        )
    config = config_module.load(args.config, args.overrides)
    job = run_job(args.inputs or ["seeds"], args.output, config, beam_args, args.run_date, args.state)
    _print_summary(job)
    return EXIT_OK


def _backfill(args, beam_args: list[str]) -> int:
    from pipeline.backfill import backfill  # imports Beam: keep --help fast

    config = config_module.load(args.config, args.overrides)

    def report(job) -> None:
        rows = job.row_counts
        articles, clusters, rejects = rows["articles"], rows["clusters"], rows["rejects"]
        # Padded to the plural's width: the runs' lines stay in columns.
        _say(
            f"  {job.run_date}  {articles:>7} {noun(articles, 'article'):<8}  "
            f"{clusters:>7} {noun(clusters, 'cluster'):<8}  {rejects:>5} {noun(rejects, 'reject'):<7}  "
            f"{job.seconds:7.1f}s"
        )

    days = args.days_per_run
    _say(f"storymatch: backfill into {args.output}, {days} {noun(days, 'day')} a run")
    try:
        split, jobs = backfill(
            args.inputs,
            args.output,
            config,
            beam_args,
            args.days_per_run,
            args.state,
            on_run=report,
            resume=args.resume,
            run_date=args.run_date,
        )
    except (Terminated, KeyboardInterrupt, RuntimeError) as error:
        stop = _interruption(error)
        if stop is not None:  # main says it stopped; without --resume the next try is refused
            stop.add_note(RESUME_HINT)
        raise
    runs = len(split.ranges)
    if not jobs:
        _say(
            "storymatch: nothing to do: "
            + noun(runs, "the 1 run of this backfill is", f"all {runs} runs of this backfill are")
            + " already published"
        )
        return EXIT_OK
    skipped = runs - len(jobs)
    read = f"{split.records} {noun(split.records, 'record')} read"
    if skipped:
        _say(
            f"storymatch: resumed: {skipped} "
            f"{noun(skipped, 'run already published was', 'runs already published were')} skipped"
        )
        # The split reads every record, the runs made only theirs: say where the rest are.
        earlier = sum(split.articles_per_range[day] for day, _ in split.ranges[:skipped])
        read += f" ({earlier} of them in the {skipped} {noun(skipped, 'run')} published before)"
    articles = sum(job.row_counts["articles"] for job in jobs)
    rejects = sum(job.row_counts["rejects"] for job in jobs)
    # The split counts records: one that the last run rejects (an empty text) is no article.
    undated = _run_column(jobs[-1], "articles", "published_at", pa.timestamp("us", tz="UTC")).null_count
    _say(
        f"storymatch: {len(jobs)} {noun(len(jobs), 'run')} from {jobs[0].run_date} to {jobs[-1].run_date}: "
        f"{read}, {articles} {noun(articles, 'article')}, {rejects} {noun(rejects, 'reject')} "
        f"({len(split.rejects)} at the split, in the last run), {undated} "
        f"{noun(undated, 'article')} without a publication time (in the last run), "
        f"{sum(job.seconds for job in jobs):.1f}s",
        f"tables: {args.output}/<table>/run_date=<date>/*.parquet",
    )
    return EXIT_OK


def _check_writable_file(path: str, flag: str) -> None:
    """Raises ValueError when ``path`` cannot be a file written later: a folder, or in a
    folder that does not exist."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise ValueError(f"{flag}: cannot write {path}: it is a folder")
    if not os.path.isdir(folder):
        raise ValueError(f"{flag}: cannot write {path}: no folder {folder}")


def _evaluate(args, beam_args: list[str]) -> int:
    import json

    from pipeline.evaluate import evaluate, format_report, rounded

    config = config_module.load(args.config, args.overrides)
    if args.json_path:  # a path that cannot be written fails now, not after the whole evaluation
        _check_writable_file(args.json_path, "--json")
    report = evaluate(
        args.inputs,
        config,
        beam_args,
        args.all_pairs_limit,
        log=lambda message: print(message, file=sys.stderr),
        unique_gold=args.unique_gold,
        msrp=args.msrp,
        gates=[
            flag
            for flag, value in (("--min-precision", args.min_precision), ("--min-ari", args.min_ari))
            if value is not None
        ],
    )
    _say(format_report(report))
    if args.json_path:
        try:
            with open(args.json_path, "w", encoding="utf-8") as handle:
                json.dump(rounded(report), handle, indent=2, sort_keys=True)
        except OSError as error:
            raise ValueError(f"--json: cannot write {args.json_path}: {error.strerror or error}") from None
        _say(f"report: {args.json_path}")
    failures = []
    pipeline = report["pipeline"]
    if args.min_precision is not None and pipeline["pairwise"]["precision"] < args.min_precision:
        failures.append(f"pairwise precision {pipeline['pairwise']['precision']:.6f} < {args.min_precision}")
    if args.min_ari is not None and pipeline["ari"] < args.min_ari:
        failures.append(f"ARI {pipeline['ari']:.6f} < {args.min_ari}")
    if failures:
        print("storymatch: quality gate failed: " + "; ".join(failures), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


COMMANDS = ("run", "backfill", "eval", *(name for name, _, _ in VIEWER_COMMANDS))


def main(argv: list[str] | None = None) -> int:
    stopped = (
        "; what it had not published stays unpublished, and the next run into its output folder "
        "removes the rest"
    )
    try:
        with _stops_raise():
            return _main(argv)
    except Terminated as stop:
        print(f"storymatch: stopped by SIGTERM{stopped}{_notes(stop)}", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt as stop:
        print(f"storymatch: interrupted{stopped}{_notes(stop)}", file=sys.stderr)
        return EXIT_INTERRUPTED


def _notes(stop: BaseException) -> str:
    """What the command added to a stop (``RESUME_HINT``), for its line."""
    return "".join(f"; {note}" for note in getattr(stop, "__notes__", ()))


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # `storymatch --input x` means `storymatch run --input x` (and schedulers need it); a first
    # word that is no flag is a command, so argparse names a mistyped one (`qurey`) as such.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "run")
    args, beam_args = parser.parse_known_args(argv)
    _configure_logging(getattr(args, "verbose", False))
    try:
        if args.command in ("run", "backfill", "eval") and beam_args:
            from pipeline.run import check_beam_values, unknown_beam_args  # imports Beam: keep --help fast

            unknown = unknown_beam_args(beam_args)
            if unknown:
                # `--set output.compression= zstd`: the shell made the value a word of its own.
                split_off = [item for item in args.overrides if item.endswith("=")]
                hint = (
                    f"; --set {split_off[0]} has no value: write it after '=' without a space, "
                    f"--set {split_off[0]}VALUE"
                    if split_off
                    else ""
                )
                args.command_parser.error(
                    f"unrecognized arguments: {' '.join(unknown)} (neither storymatch {args.command} "
                    f"nor Apache Beam knows them; see storymatch {args.command} --help){hint}"
                )
            check_beam_values(beam_args)
        if args.command == "run":
            return _run(args, beam_args)
        if args.command == "backfill":
            return _backfill(args, beam_args)
        if args.command == "eval":
            return _evaluate(args, beam_args)
        for name, module_name, _ in VIEWER_COMMANDS:
            if args.command == name:
                if beam_args:
                    args.command_parser.error(
                        f"unrecognized arguments: {' '.join(beam_args)} (see storymatch {name} --help)"
                    )
                return importlib.import_module(module_name).run(args)
    except (config_module.ConfigError, InputError, ValueError) as error:
        print(f"storymatch: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except RuntimeError as error:
        interruption = _interruption(error)
        if interruption is not None:  # a stop, not a failure: main reports it
            raise interruption from None
        print(f"storymatch: failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
