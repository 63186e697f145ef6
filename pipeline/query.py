"""The ``query`` command: SQL over an output folder with DuckDB, in-process.

Opens an in-memory DuckDB, creates one view per output table over every run date (from
``schemas/views.sql``, the same file DuckDB's own command-line client can load), runs the
SQL and prints the last statement's result as an aligned table::

    storymatch query                                  # list the views and their columns
    storymatch query "SELECT cluster_id, size, num_outlets FROM clusters ORDER BY size DESC LIMIT 5"
    storymatch query --output /data/storymatch --file stories.sql
    storymatch query "SELECT * FROM unique_sentences" --format csv --to unique.csv
    storymatch query "SELECT * FROM story_outlets" --format parquet --to story_outlets.parquet

Parquet output holds an INTERVAL column (``story_outlets.behind_first``) as a duration in
microseconds (pyarrow ``duration[us]``, pandas ``timedelta64``; DuckDB reads a BIGINT), not
as DuckDB's Parquet INTERVAL, which other readers see as raw bytes.

Each table view has the table's columns (``schemas/tables.py``) plus ``run_date`` from the
partition folders. A table with no files yet gets an empty view with the right columns, so
queries still run. Errors (no output folder, bad SQL, unknown format) are one line on
stderr with exit status 2. The cookbook of tested queries is ``docs/cookbook.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.wording import noun
from schemas.tables import TABLES

EXIT_OK = 0
EXIT_USAGE = 2

PLACEHOLDER = "${output}"
FORMATS = ("table", "csv", "json", "jsonl", "parquet")
RUN_DATE_DOC = "Run date of the batch (from the partition folder run_date=YYYY-MM-DD)."
# COPY options per written format; json is one JSON array, jsonl one object per line.
_COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "jsonl": "FORMAT json",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
}
_RESULT_VIEW = "storymatch_query_result"
_PARQUET_BATCH_ROWS = 100_000
# What ends a line or moves the cursor (str.splitlines' breaks and the tab), and the other
# control characters (C0, DEL, C1), which article data can hold: titles and outlets are kept as given.
_LINE_BREAKS = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SHARD_FILE = re.compile(r"part-\d+-of-(\d+)\.parquet")  # as pipeline.write names them
_JOURNALS = "_staging/*/_COMMIT"  # as pipeline.publish names them (not imported: it loads Beam)
_JOURNAL_DATE = re.compile(r"^run_date=(\d{4}-\d{2}-\d{2})$")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")  # a scheme, as in gs://bucket/out
_VIEW_NAME = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)", re.IGNORECASE | re.MULTILINE)


class QueryError(ValueError):
    """A problem the user can fix: shown as one line, exit status 2."""


@dataclass(frozen=True)
class Statement:
    """One statement of ``views.sql``: the view it creates (if any), its comment, its SQL."""

    sql: str
    view: str | None = None
    description: str = ""


@dataclass
class Session:
    """A DuckDB connection with the views of one output folder."""

    connection: duckdb.DuckDBPyConnection
    output: str
    views: list[Statement]
    empty_tables: list[str]
    # Partition folders without every file a run writes there: "articles/run_date=... lacks ...".
    incomplete: list[str] = field(default_factory=list)
    # Run dates whose publish was stopped part way: some of their tables are not in place yet.
    unfinished: list[str] = field(default_factory=list)


def views_sql() -> str:
    """The text of ``schemas/views.sql`` (shipped as package data)."""
    return resources.files("schemas").joinpath("views.sql").read_text(encoding="utf-8")


def parse_views(text: str) -> list[Statement]:
    """Splits ``views.sql`` into statements; the comment block just above one describes it.

    The file's format is simple on purpose: a statement ends with ``;`` at the end of a line.
    """
    statements: list[Statement] = []
    comment: list[str] = []
    lines: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not lines:
            if stripped.startswith("--"):
                comment.append(stripped[2:].strip())
                continue
            if not stripped:
                comment = []
                continue
        lines.append(line)
        if stripped.endswith(";") and not stripped.startswith("--"):
            sql = "\n".join(lines)
            match = _VIEW_NAME.search(sql)
            statements.append(Statement(sql, match.group(1) if match else None, " ".join(comment)))
            comment, lines = [], []
    if lines:
        raise ValueError(f"views.sql: statement without a closing ';': {lines[0].strip()}")
    return statements


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_line(error: Exception) -> str:
    """DuckDB's message without the SQL excerpt that follows it, on one line."""
    message = str(error).split("\n\nLINE ", 1)[0]
    return " ".join(message.split())


def missing_files(folder: str | os.PathLike[str]) -> str | None:
    """What a partition folder lacks of the files a run writes there (every one, empty ones
    too: ``part-SSSSS-of-NNNNN.parquet``), as "holds no Parquet file" or "lacks part-...";
    None when it has them all. A partial copy of an output would otherwise read as a whole one."""
    files = {name for name in os.listdir(folder) if name.endswith(".parquet")}
    shards = [match for match in map(_SHARD_FILE.fullmatch, files) if match]
    expected = {f"part-{n:05d}-of-{m.group(1)}.parquet" for m in shards for n in range(int(m.group(1)))}
    missing = sorted(expected - files)
    if missing:
        return f"lacks {missing[0]}"
    return None if files else "holds no Parquet file"


def unfinished_publishes(output: str | os.PathLike[str]) -> list[str]:
    """The run dates of runs stopped while they moved their partitions into place: their
    journal (``_staging/<run id>/_COMMIT``, as ``pipeline.publish`` writes it) is still there,
    and until the next run into the folder replays it, some of the date's tables are the new
    run's and the others the replaced run's, or missing."""
    dates: set[str] = set()
    for journal in Path(output).glob(_JOURNALS):
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
        except (OSError, ValueError):  # finished and removed meanwhile
            continue
        dates.update(day for _, target in moves for day in _JOURNAL_DATE.findall(os.path.basename(target)))
    return sorted(dates)


def check_local_output(output: str | os.PathLike[str]) -> None:
    """Raises QueryError for an output on an object store (``gs://b/out``), which no run writes
    (runs publish into local folders): without this, the message would be to write one there."""
    if _URL.match(os.fspath(output)):
        raise QueryError(
            f"{output} is not a local folder: storymatch runs publish into local (or mounted) folders, "
            "and query and report read them there: copy or mount the output here"
        )


def _empty_table(schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([], schema=schema.append(pa.field("run_date", pa.date32())))


def connect(output: str | os.PathLike[str]) -> Session:
    """An in-memory DuckDB with the views of ``schemas/views.sql`` over ``output``.

    Raises:
        QueryError: the folder does not exist or holds none of the tables.
    """
    check_local_output(output)
    root = Path(output)
    if not root.exists():
        raise QueryError(f"no output folder at {output} (write one with: storymatch run --output {output})")
    if not root.is_dir():
        raise QueryError(f"{output} is not a folder")
    present = {table for table in TABLES if next(root.glob(f"{table}/*/*.parquet"), None) is not None}
    if not present:
        raise QueryError(f"{output} holds no storymatch tables (no <table>/run_date=*/*.parquet files)")

    connection = duckdb.connect(":memory:")
    statements = parse_views(views_sql())
    # The folder's own name is no pattern: "out[1]" would match nothing, "out?" its siblings too.
    path = re.sub(r"([\[*?])", r"[\1]", os.path.abspath(root))
    path = path.replace("'", "''")  # goes inside the SQL string quotes
    empty = []
    for statement in statements:
        if statement.view in TABLES and statement.view not in present:
            # No files yet (e.g. a table added after the last run): an empty view, right columns.
            connection.register(statement.view, _empty_table(TABLES[statement.view]))
            empty.append(statement.view)
            continue
        try:
            connection.execute(statement.sql.replace(PLACEHOLDER, path))
        except duckdb.Error as error:
            connection.close()
            raise QueryError(f"cannot create view {statement.view}: {_one_line(error)}") from None
    views = [statement for statement in statements if statement.view]
    incomplete = [
        f"{table}/{partition.name} {gap}"
        for table in sorted(present)
        for partition in sorted(root.glob(f"{table}/*/"))
        if (gap := missing_files(partition))
    ]
    return Session(connection, str(output), views, empty, incomplete, unfinished_publishes(root))


def execute(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation:
    """Runs every statement of ``sql``; returns the last one's result.

    Raises:
        QueryError: no statement, or DuckDB refused one (its message, on one line).
    """
    try:
        statements = connection.extract_statements(sql)
        if not statements:
            raise QueryError("no SQL statement given")
        for statement in statements[:-1]:
            connection.execute(statement.query)
            # DuckDB 2 keeps a SELECT's result open until it is read, and refuses the next
            # statement meanwhile: run it to its end, unread (only the last one is shown).
            complete = getattr(connection, "complete", None)
            if complete is not None:
                complete()
        return connection.sql(statements[-1].query)
    except duckdb.Error as error:
        raise QueryError(_one_line(error)) from None


def format_cell(value: Any, max_width: int) -> str:
    """One value as DuckDB's shell would show it, on one line, cut to ``max_width``."""
    text = _LINE_BREAKS.sub(" ", _plain(value))
    # Other control characters (ESC starts a terminal's escape sequences) are shown, not sent.
    text = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
    if max_width > 0 and display_width(text) > max_width:
        kept, used = [], 0
        for char in text:
            used += display_width(char)
            if used > max(max_width - 1, 1):
                break
            kept.append(char)
        text = "".join(kept).rstrip() + "…"
    return text


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide characters (CJK, most emoji) take two, combining
    marks and format characters (accents, variation selectors, joiners) none."""
    return sum(
        0
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(char) in ("W", "F")
        else 1
        for char in text
    )


def _plain(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_plain(item)}" for key, item in value.items()) + "}"
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal | dt.timedelta) and not isinstance(value, bool)


def format_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], total: int, max_width: int = 40
) -> str:
    """An aligned text table of ``rows`` (numbers to the right) and a row count line.

    Example:
        >>> print(format_table(["outlet", "n"], [("Metro Wire", 2), ("Atlas", 10)], total=2))
        outlet       n
        ----------  --
        Metro Wire   2
        Atlas       10
        2 rows
    """
    cells = [[format_cell(value, max_width) for value in row] for row in rows]
    right = [
        all(_is_number(row[i]) for row in rows if row[i] is not None)
        and any(row[i] is not None for row in rows)
        for i in range(len(columns))
    ]
    headers = [format_cell(name, max_width) for name in columns]
    widths = [
        max([display_width(headers[i]), *(display_width(row[i]) for row in cells)])
        for i in range(len(columns))
    ]

    def line(values: Iterable[str]) -> str:
        parts = [
            " " * (w - display_width(v)) + v if r else v + " " * (w - display_width(v))
            for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    count = f"{total:,} {noun(total, 'row')}"
    if total > len(rows):
        count += f" ({len(rows):,} shown; --max-rows N shows more, --format csv writes all)"
    out.append(count)
    return "\n".join(out)


def render_table(relation: duckdb.DuckDBPyRelation, max_rows: int, max_width: int) -> str:
    """The relation's first ``max_rows`` rows as a table, counting the rest without keeping them."""
    rows = []
    total = 0
    for row in relation.iter_rows():
        if max_rows <= 0 or total < max_rows:
            rows.append(row)
        total += 1
    return format_table(relation.columns, rows, total, max_width)


def _holds_interval(data_type: pa.DataType) -> bool:
    return pa.types.is_interval(data_type) or any(
        _holds_interval(data_type.field(i).type) for i in range(data_type.num_fields)
    )


def _write_parquet_with_durations(connection: duckdb.DuckDBPyConnection, path: str) -> bool:
    """Writes the result view to ``path`` with its INTERVAL columns as Arrow durations in
    microseconds; False (nothing written) when it has none.

    DuckDB's Parquet writer stores an INTERVAL as Parquet's 12-byte INTERVAL, which pyarrow
    and pandas read as raw bytes. Parquet has no duration type: pyarrow stores one as int64
    with the Arrow schema beside it, so pyarrow reads a duration back (pandas a timedelta64)
    and DuckDB the number of microseconds. A month counts 30 days and a day 24 hours, as
    DuckDB's epoch_us and its Python values take them.

    Raises:
        QueryError: an INTERVAL inside a LIST, STRUCT or MAP, which cannot be converted here.
    """
    schema = connection.sql(f"SELECT * FROM {_RESULT_VIEW} LIMIT 0").arrow().schema
    intervals = [f.name for f in schema if pa.types.is_interval(f.type)]
    positions = {i for i, f in enumerate(schema) if pa.types.is_interval(f.type)}
    nested = [f.name for f in schema if not pa.types.is_interval(f.type) and _holds_interval(f.type)]
    if nested:
        raise QueryError(
            f"column {nested[0]} holds INTERVAL values inside a list or struct, which Parquet readers "
            "other than DuckDB cannot read: convert them in the query (epoch_us(x) gives microseconds)"
        )
    if not intervals:
        return False
    microseconds = ", ".join(
        f"epoch_us({_sql_identifier(name)}) AS {_sql_identifier(name)}" for name in intervals
    )
    converted = connection.sql(f"SELECT * REPLACE ({microseconds}) FROM {_RESULT_VIEW}")
    # to_arrow_reader is DuckDB 2's name; fetch_record_batch that of the 1.x releases.
    to_reader = getattr(converted, "to_arrow_reader", None) or converted.fetch_record_batch
    reader = to_reader(_PARQUET_BATCH_ROWS)
    target = pa.schema(
        [f.with_type(pa.duration("us")) if i in positions else f for i, f in enumerate(reader.schema)]
    )
    with pq.ParquetWriter(path, target, compression="zstd") as writer:
        for batch in reader:
            writer.write_table(pa.Table.from_batches([batch]).cast(target))
    return True


def write_result(
    connection: duckdb.DuckDBPyConnection, relation: duckdb.DuckDBPyRelation, file_format: str, to: str | None
) -> None:
    """Writes the relation as csv, json, jsonl or parquet to ``to``, or to stdout."""
    relation.create_view(_RESULT_VIEW, replace=True)
    options = _COPY_OPTIONS[file_format]
    if file_format == "parquet" and to and _write_parquet_with_durations(connection, os.path.abspath(to)):
        return
    if to:
        connection.execute(f"COPY {_RESULT_VIEW} TO {_sql_string(os.path.abspath(to))} ({options})")
        return
    with tempfile.TemporaryDirectory(prefix="storymatch-query-") as folder:
        path = os.path.join(folder, f"result.{file_format}")
        connection.execute(f"COPY {_RESULT_VIEW} TO {_sql_string(path)} ({options})")
        sys.stdout.flush()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()


def describe_views(session: Session) -> str:
    """Every view with its rows (tables only) and columns, with each table column's doc."""
    connection = session.connection
    out = [f'views over {session.output} (storymatch query --output {session.output} "SELECT ..."):']
    for view in session.views:
        out.append("")
        columns = connection.execute(f"DESCRIBE {view.view}").fetchall()
        if view.view in TABLES:
            rows, first, last, days = connection.execute(
                f"SELECT count(*), min(run_date), max(run_date), count(DISTINCT run_date) FROM {view.view}"
            ).fetchall()[0]
            if view.view in session.empty_tables:
                summary = "no files yet: empty"
            elif not rows:
                # No row to take run dates from: the partitions' folders say which runs wrote it.
                written = sorted(
                    {
                        p.parent.name.removeprefix("run_date=")
                        for p in Path(session.output).glob(f"{view.view}/run_date=*/*.parquet")
                    }
                )
                where = (
                    f"run date {written[0]}"
                    if len(written) == 1
                    else f"all {len(written)} run dates, {written[0]} .. {written[-1]}"
                )
                summary = f"0 rows: empty in {where}"
            else:
                span = f"{first}" if days == 1 else f"{days} run dates, {first} .. {last}"
                summary = f"{rows:,} {noun(rows, 'row')}, {span}"
            docs = {
                field.name: (field.metadata or {}).get(b"doc", b"").decode() for field in TABLES[view.view]
            }
            docs["run_date"] = RUN_DATE_DOC
        else:
            summary, docs = "derived view", {}
        out.append(f"{view.view} ({summary})")
        if view.description:
            out.append(f"  {view.description}")
        name_width = max(len(name) for name, *_ in columns)
        for name, column_type, *_ in columns:
            shown_type = format_cell(column_type, 28)
            out.append(f"    {name:<{name_width}}  {shown_type:<28}  {docs.get(name, '')}".rstrip())
    return "\n".join(out)


def non_negative(what: str):
    """An argparse type: a whole number >= 0 (0 means no limit), ``what`` it counts in the message."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"expected a number of {what} >= 0, got {text!r}")
        return value

    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run SQL on the output tables with DuckDB (in-process). One view per table over every "
        "run date, plus story_outlets; with no SQL, list the views and their columns."
    )
    parser.epilog = (
        'Example: storymatch query "SELECT run_date, cluster_id, size FROM clusters '
        'ORDER BY size DESC LIMIT 5" (clusters has a row per story and run date). '
        "Tested example queries: docs/cookbook.md. The same views for DuckDB's own client: schemas/views.sql."
    )
    parser.add_argument(
        "sql", nargs="?", metavar="SQL", help="SQL to run; the last statement's result is shown"
    )
    parser.add_argument(
        "--output", default="out", help="output folder written by storymatch run (default: out)"
    )
    parser.add_argument("--file", "-f", metavar="FILE", help="read the SQL from a file instead")
    parser.add_argument(
        "--format",
        default="table",
        metavar="FORMAT",
        help="table (default: aligned text), csv, json (an array), jsonl (one object a line) or parquet "
        "(an INTERVAL column as a duration in microseconds, a month as 30 days)",
    )
    parser.add_argument(
        "--to", metavar="FILE", help="write the result to FILE (required for parquet; default: stdout)"
    )
    parser.add_argument(
        "--max-rows",
        type=non_negative("rows"),
        default=50,
        metavar="N",
        help="rows to print in table format (0: all; default: 50)",
    )
    parser.add_argument(
        "--max-width",
        type=non_negative("characters"),
        default=40,
        metavar="N",
        help="cut table cells to N characters (0: never; default: 40)",
    )
    # The shared command line configures logging from --verbose; this command has nothing to log.
    parser.set_defaults(verbose=False)


def _read_sql(args: argparse.Namespace) -> str | None:
    if args.sql is not None and args.file:
        raise QueryError("give the SQL on the command line or with --file, not both")
    if args.file:
        try:
            return Path(args.file).read_text(encoding="utf-8")
        except OSError as error:
            raise QueryError(f"cannot read --file {args.file}: {error.strerror}") from None
        except UnicodeDecodeError as error:  # e.g. saved as UTF-16
            raise QueryError(f"cannot read --file {args.file}: not UTF-8 text ({error.reason})") from None
    return args.sql


def run(args: argparse.Namespace) -> int:
    """The ``query`` command; returns the exit status."""
    try:
        if args.format not in FORMATS:
            raise QueryError(f"unknown --format {args.format!r}: use one of {', '.join(FORMATS)}")
        if args.format == "parquet" and not args.to:
            raise QueryError("--format parquet needs --to FILE")
        sql = _read_sql(args)
        session = connect(args.output)
        for table in session.empty_tables:
            print(f"storymatch: note: no files for table {table} yet; its view is empty", file=sys.stderr)
        for partition in session.incomplete:
            print(
                f"storymatch: note: {partition}: its view misses rows (a partial copy of {session.output}?)",
                file=sys.stderr,
            )
        for day in session.unfinished:
            print(
                f"storymatch: note: the run of {day} was stopped while publishing: its tables are partly "
                f"in place until the next run into {session.output} finishes it",
                file=sys.stderr,
            )
        if sql is None:
            print(describe_views(session))
            return EXIT_OK
        relation = execute(session.connection, sql)
        try:
            if args.format == "table":
                text = render_table(relation, args.max_rows, args.max_width)
                if args.to:
                    Path(args.to).write_text(text + "\n", encoding="utf-8")
                else:
                    print(text)
            else:
                write_result(session.connection, relation, args.format, args.to)
        except duckdb.Error as error:
            raise QueryError(_one_line(error)) from None
        except BrokenPipeError:
            raise
        except OSError as error:
            raise QueryError(f"cannot write {args.to}: {error.strerror}") from None
    except QueryError as error:
        print(f"storymatch: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (`storymatch query ... | head`): not an error. Python would
        # complain again while flushing stdout at exit, so point stdout at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK
