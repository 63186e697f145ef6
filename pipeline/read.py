"""Read articles: JSON Lines, CSV, TSV, Parquet and folders of .txt files -> Article or Reject.

Inputs are files, globs or folders on any Beam file system (local, ``gs://``, ``s3://``,
``hdfs://``). A folder stands for the input files directly inside it and, at any depth, in its
partition folders (``published_date=2025-08-19/part-0.parquet``, as Spark, Hive, pyarrow's
``write_to_dataset`` and DuckDB's ``COPY ... (PARTITION_BY ...)`` write a dataset, listed
folder by folder where the file system lists one folder at a time, as ``hdfs://``; not its
other subfolders, such as Spark's ``_temporary``, nor hidden files such as macOS's
``._a.jsonl`` or Hadoop's ``.part-0.parquet.crc``): ``*.jsonl``,
``*.ndjson``, ``*.json``, ``*.csv``, ``*.tsv``, ``*.tab`` (each optionally gzipped, ``*.jsonl.gz``,
``*.csv.gz``), ``*.parquet`` and ``*.txt``; one of these compressed otherwise
(``feed.jsonl.bz2``, ``a.txt.gz``) is an ``InputError``. A file
named without a suffix (Hive's ``000000_0``, Spark's ``part-00000-<uuid>-c000``; not a
"_"-prefixed one such as ``_SUCCESS``) is Parquet when its first four bytes are ``PAR1``, in a
folder or named on its own; other such files in a folder are passed over.

- JSON Lines and Parquet records have the fields ``id`` and ``text`` (required) and
  ``outlet``, ``title``, ``published_at``, ``url`` (optional); a Parquet string column stored
  as raw BINARY, without the UTF8 annotation (Impala, Hive, older Spark), is read as UTF-8.
  ``Article.record`` is the 1-based line or row number; a line ends with LF, CR LF or a lone
  CR (classic Mac OS), in any mix. A ``.json`` file may instead be one JSON array of such records
  (read whole; ``record`` is the element's number).
- A CSV (``.csv``) or TSV (``.tsv``, ``.tab``: tabs between cells) file has a header row that
  names the columns, and a record in each later row (RFC 4180: quoted cells may hold the
  delimiter, line breaks and doubled quotes; lines end with CR LF, LF or CR; UTF-8, a leading
  byte-order mark removed). The fields are those of JSON Lines, every value a string, an empty
  cell a missing value; ``Article.record`` is the line the row starts on (the header is line
  1); a blank line is no record, an empty file has none. Rows are read one at a time, a cell
  of any length (the csv module's 131,072-character limit is lifted: ``input.max_chars`` is
  the limit).
- ``columns`` (``columns.*``) names each field's JSON Lines key, Parquet or CSV column,
  partition folder and sidecar key where the inputs name it otherwise (``text = "content"``);
  by default each has its own name. A backfill's split (``PROVENANCE_KEY``) is read in the
  fields' own names, which it is written in.
- A ``.txt`` file is one article: its id is the file's stem, its text the file's contents.
  Metadata comes from an optional sidecar ``<stem>.json`` (or ``<stem>.JSON``: suffixes are
  matched ignoring case, the one in the case of the ``.txt`` suffix first) object in the
  same folder, which is not an input itself; without one, outlet and title are the stem.
  Whether a local .txt file has a sidecar is decided where the inputs are listed: a sidecar
  there that cannot be read (a link to nothing, or one the workers do not see) makes the
  article an ``unreadable_file`` reject, not an article named after its stem.
- ``published_at`` may be an ISO 8601 date or datetime (naive means UTC), an RFC 2822 date,
  a date written year first with dashes, slashes or dots (``2024/01/05 14:03``,
  ``2024.01.05``, ``2024-01-05 14:03:00 UTC``) or with its month's English name
  (``Jan 5, 2024``, ``Friday, January 5, 2024 2:03 PM``; ``_written_date``), an epoch number,
  or a Parquet timestamp (any unit, nanoseconds included) or date. A zone's name after a
  time is read as its fixed offset (``_ZONE_OFFSETS``) where news feeds write it for one
  zone only: RFC 822's (UTC, GMT, EST ... PDT; CST is US Central), WET, WEST, BST (British),
  CET, CEST, EET, EEST, MSK, JST, KST, HKT, SGT, AWST, ACST (+9:30), ACDT, AEST, AEDT, NZST,
  NZDT, HST, AKST, AKDT; also in the form Java and Unix ``date`` write (``Tue Aug 19
  12:00:00 CEST 2025``), which email.utils would read as UTC. An offset may follow GMT or
  UTC with its minutes (``GMT+0200``, JavaScript's ``Date.toString``), not hours alone
  (``GMT+1``: POSIX reads it as behind UTC). Any other name, one written for several zones
  (IST: India, Ireland, Israel; AST, ADT) or a rule (``EST5EDT``) included, makes the date
  unparseable. Day and month in digits
  before the year (``01/05/2024``, ``05.01.24 14:03``) are read in the order
  ``input.date_order`` names (``month_first``: January 5; ``day_first``: 1 May), a two-digit
  year as email.utils reads RFC 2822's (00-68 are 2000-2068, 69-99 1969-1999), and a date the
  order makes impossible (13/25/2024 month first) is unparseable; by default (``unknown``)
  none is read, not even one only valid in one order (25/12/2024): exports write either
  order. The order travels with the reader (``ReadArticles``, ``parse_file``), not in a
  global, so the workers of any runner read as the config says. An epoch
  number (a JSON or Parquet number, a Parquet decimal included, or a string of digits with an
  optional fraction that is not an ISO 8601 basic date such as ``20250819``) is read by its magnitude ``|n|``:
  seconds under 253,402,300,800 (10000-01-01 in seconds), milliseconds under 1,000 times
  that, microseconds under 10^6 times, nanoseconds under 10^9 times (so 1755597600,
  1755597600000, 1755597600000000 and 1755597600000000000 are one time). A number that
  reads as seconds keeps that reading: milliseconds (or finer) of a time within about 8
  years of 1970 (1962-1978) are taken as seconds; but a whole number 1900-2100 is a bare year
  (``is_bare_year``: a ``year`` column mapped to ``published_at``), not a time in the first
  hour of 1970. Anything else, a bare year, and any time before
  1900-01-01 or from 9999-01-01 on (UTC), is counted and read as unknown
  (``published_us = None``); the article is kept.
- A partition folder ``outlet=...``, ``title=...``, ``published_at=...`` or ``url=...`` above
  a file (its value percent-decoded, ``__HIVE_DEFAULT_PARTITION__`` null) gives that field to
  the file's records that lack it: the writer of a partitioned dataset leaves the column out.
- A file named more than once (by several arguments, or as ``in/a.jsonl``, ``./in/a.jsonl``,
  its absolute path or a symbolic link to it) is read once.

Every record that cannot be used becomes a ``Reject`` with one of these reasons, and a
counter ``read/rejected_<reason>``:

    invalid_utf8      the line or file is not valid UTF-8, or id, text, outlet, title or url
                      holds a lone surrogate (JSON ``"\\ud800"``), which UTF-8 cannot encode,
                      or a Parquet BINARY value or a CSV or TSV cell is not UTF-8
    malformed_csv     a CSV or TSV row has more or fewer cells than the header has columns, or
                      cannot be read: a quote inside a quoted cell that is not doubled, a
                      quoted cell still open at the end of the file (the row's line; the next
                      row is read from the next line)
    malformed_json    the line (or a .txt file's sidecar) is not valid JSON, nested too
                      deeply, or holds an integer of more than 4,300 digits; record 0 for a
                      .json file that starts an array it does not end
    not_an_object     the line (or sidecar, or array element) is JSON, but not an object
    misnamed_field    a key names a field in another case (``"Outlet"``, ``"ID"``) and the
                      field itself is absent: keys are case-sensitive, and the value would
                      otherwise be left out as an extra key (a Parquet column so named
                      refuses the file before the run)
    missing_id        id is absent, null, empty or not a string or an integer
    missing_text      text is absent or null (absent: the detail names the key looked for,
                      ``columns.text``, and the record's keys; so does missing_id's)
    text_not_string   text is not a string
    empty_text        text is empty or whitespace only
    too_long          text has more than ``input.max_chars`` characters
    field_not_string  outlet, title or url is neither a string nor a number (an array, an
                      object, a boolean, Parquet FIXED_LEN_BYTE_ARRAY bytes), which has no text to keep
    field_too_long    id, outlet, title or url (as kept: outer spaces stripped, except the
                      id's) has more than ``input.max_field_chars`` characters (default
                      8,192, about the longest URL web servers take): a whole text pasted
                      into the title would otherwise be in every table
    duplicate_id      an earlier record (by source, then record number) has the same id
    unreadable_file   the file could not be read (I/O error, corrupt or truncated gzip,
                      empty, cut short or corrupt Parquet); record 0, after the records read
                      before the error
    error_<Type>      parsing the record raised <Type>: a bug (record 0 if it happened outside
                      any one record), or a Parquet value Python cannot hold; kept, not fatal

Problems with the inputs as a whole (nothing matches, an unsupported file type, a Parquet
file or CSV header without ``id`` or ``text`` (their ``columns``), or with a field's column
named in another case, ``Outlet``, a CSV header that names a column read twice or cannot be
read, an optional field's ``columns`` setting naming a column that no CSV, TSV or Parquet input
has) raise ``InputError`` from ``resolve_inputs`` before the pipeline starts.

Example:
    >>> from pipeline.read import parse_file, parse_published
    >>> [a.id for a in parse_file("seeds/000_82247ac584becfb2.txt", max_chars=1_000_000)]
    ['000_82247ac584becfb2']
    >>> parse_published("Tue, 19 Aug 2025 10:00:00 +0000")
    1755597600000000

In a pipeline::

    read = pipeline | "ReadArticles" >> ReadArticles(resolve_inputs(["seeds/"]), max_chars=1_000_000)
    read["articles"], read["rejects"]
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import email.utils
import enum
import functools
import glob
import gzip
import io
import itertools
import json
import math
import os
import re
import urllib.parse
import warnings
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any, BinaryIO, NamedTuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes, FileMetadata, MatchResult
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.analyse import first_kept
from pipeline.config import DATE_ORDERS, ColumnConfig, InputConfig
from pipeline.errors import InputError
from pipeline.file_list import CreateStrings
from pipeline.records import Article, Reject
from pipeline.wording import noun

ARTICLES = "articles"
REJECTS = "rejects"
RAW_LIMIT = 1_000
REQUIRED_COLUMNS = ("id", "text")
FIELDS = ("id", "text", "outlet", "title", "published_at", "url")
_FIELD_NAMES = frozenset(FIELDS)
# Each field read from the column of its own name (the default of ``columns.*``).
_OWN_COLUMNS = {field: field for field in FIELDS}
# A Parquet file whose schema metadata has this key (the inputs ``backfill`` splits an archive
# into) gives each row's provenance in PROVENANCE_COLUMNS: the file and record it was first
# read from, which ``Article.source`` and ``record`` keep instead of this file's own.
PROVENANCE_KEY = b"storymatch.provenance"
PROVENANCE_COLUMNS = ("source_file", "source_record")

_SUFFIX_KINDS = {
    ".jsonl": "json_lines",
    ".ndjson": "json_lines",
    ".json": "json_lines",
    ".jsonl.gz": "json_lines",
    ".ndjson.gz": "json_lines",
    ".json.gz": "json_lines",
    ".parquet": "parquet",
    ".txt": "text",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".tsv.gz": "tsv",
    ".tab": "tsv",
    ".tab.gz": "tsv",
}
# The cell delimiter of each kind of delimited text: both quote cells as RFC 4180 does.
_DELIMITERS = {"csv": ",", "tsv": "\t"}
# An input file's name with a compression suffix after it (a folder's file that is no input).
_COMPRESSED_INPUT = re.compile(
    r"\.(jsonl|ndjson|json|parquet|txt|csv|tsv|tab)\.(gz|gzip|bz2|xz|zst|zstd|zip|lz4|lzma|br|7z)$",
    re.IGNORECASE,
)
# A partition folder of a dataset that Spark, Hive, pyarrow's write_to_dataset or DuckDB's
# COPY ... (PARTITION_BY ...) wrote: "<column>=<value>", the value percent-encoded. Not hidden
# or "_"-prefixed: Spark's "_temporary" holds the files of tasks that have not committed.
_PARTITION_FOLDER = re.compile(r"([^._=/][^=/]*)=([^/]*)")
# The partition value that stands for null.
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
# The fields a partition folder may give (the columns its writer leaves out of the files).
_PARTITION_FIELDS = ("outlet", "title", "published_at", "url")
# Errors that mean "this file cannot be read", as opposed to "this record is bad".
_FILE_ERRORS = (OSError, EOFError, zlib.error, pa.ArrowException)
# The first (and last) four bytes of a Parquet file.
_PARQUET_MAGIC = b"PAR1"
# The longest CSV cell read: past any text input.max_chars lets through (a C long on every platform).
_CSV_FIELD_LIMIT = 2**31 - 1
# The characters of a header an error message quotes.
_HEADER_SHOWN = 300
# Rows per Parquet batch: bounds memory per file whatever the row-group size.
_PARQUET_BATCH_ROWS = 1_024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Publication times outside [1900-01-01, 9999-01-01) UTC count as unparseable: such values are
# placeholders (0001-01-01 is Go's and .NET's zero time, 9999-12-31 a common "never"), and
# later steps need room around a time inside Python's datetime range (the report's time zone
# conversions, backfill's ranges of up to a year ending after the article's day).
_EARLIEST_US = (datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
_END_US = (datetime(9999, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(microseconds=1)
# An epoch number's unit, by magnitude: the first of seconds, milliseconds, microseconds and
# nanoseconds in which it lies before 10000-01-01 (|n| < 253,402,300,800 s). Every number read
# as seconds before keeps that reading, placeholders included (253402300799, 9999-12-31T23:59:59
# in seconds, is no date, not 1978 in milliseconds); the price is that milliseconds (and the
# finer units) of a time in 1962-1978, within ~8 years of 1970, are read as seconds.
_YEAR_10000_S = (datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH + timedelta(days=1)) // timedelta(seconds=1)
_EPOCH_UNITS: tuple[tuple[Fraction, int], ...] = tuple(
    (Fraction(1_000_000, 1_000**power), _YEAR_10000_S * 1_000**power) for power in range(4)
)
# An epoch number written as text ("1732600000", "1732600000123", "1732600000.5").
_EPOCH_DIGITS = re.compile(r"[+-]?\d+(?:\.\d+)?")
# Microseconds per tick of the numpy datetime64 units Parquet dates and timestamps read as.
_MICROSECONDS_PER_TICK = {
    "D": Fraction(86_400_000_000),
    "s": Fraction(1_000_000),
    "ms": Fraction(1_000),
    "us": Fraction(1),
    "ns": Fraction(1, 1_000),
}
# What separates an RFC 2822 date's day, month and year ("19 Aug 2025", "19-Aug-25"); not a
# zone's sign ("-0000"). Kept by split, which gives the tokens and what separates them.
_DATE_TOKEN = re.compile(r"([\s,]+|(?<=\d)-(?=[A-Za-z])|(?<=[A-Za-z])-(?=\d))")
# An RFC 2822 comment ("+0000 (UTC)", "(Central European Summer Time)"): no part of the date.
_DATE_COMMENT = re.compile(r"\([^()]*\)")
# Dates as exports write them that ISO 8601 and RFC 2822 do not cover: year first with
# dashes, slashes or dots ("2024/01/05 14:03", "2024.01.05", "2024-01-05 14:03:00 UTC"), or the
# month by its English name, the day before or after it ("05 Jan 2024", "Jan 5, 2024",
# "Friday, January 5, 2024 2:03 PM"). A year is four digits; day-month-year and
# month-day-year in digits ("01/05/2024") are read only in the order input.date_order names
# (_DIGITS_YEAR_LAST_DATE), since either order is common.
_YEAR_FIRST_DATE = re.compile(
    r"(?P<year>\d{4})(?P<separator>[-/.])(?P<month>\d{1,2})(?P=separator)(?P<day>\d{1,2})"
)
# Day and month in digits, then the year, four digits or two ("01/05/2024", "5.1.24",
# "05-01-2024 14:03"): which of the first two is the month, only input.date_order says.
_DIGITS_YEAR_LAST_DATE = re.compile(
    r"(?P<first>\d{1,2})(?P<separator>[-/.])(?P<second>\d{1,2})(?P=separator)(?P<year>\d{4}|\d{2})(?!\d)"
)
# A two-digit year below this is 20YY, from it 19YY: as email.utils reads RFC 2822's ("19 Aug 25
# 10:00" is 2025, "Tue, 19 Aug 99 10:00:00 GMT" 1999), which is POSIX strptime's %y.
_TWO_DIGIT_YEAR_PIVOT = 69
_NAMED_MONTH_DATE = re.compile(
    r"(?:(?P<weekday>[A-Za-z]+),?\s+)?"
    r"(?:(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\.?,?"
    r"|(?P<month_first>[A-Za-z]+)\.?\s+(?P<day_second>\d{1,2})(?:st|nd|rd|th)?,?)"
    r"\s+(?P<year>\d{4})"
)
# GMT or UTC before an offset with its minutes ("GMT+0200", JavaScript's Date.toString;
# "UTC+02:00"): not before hours alone ("GMT+1"), which POSIX (Etc/GMT+1) reads as behind UTC.
_UTC_NAME = r"(?i:GMT|UTC?)"
_NAMED_OFFSET = re.compile(
    rf"(?<![A-Za-z]){_UTC_NAME}(?P<sign>[+-])(?P<hours>\d{{2}}):?(?P<minutes>\d{{2}})(?!\d)"
)
# The time of day after such a date (24-hour or with AM/PM), and its zone.
_CLOCK = re.compile(
    r"(?:T|,?\s+(?:at\s+)?)(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?:\s*(?P<meridiem>[AaPp])\.?[Mm]\.?)?"
    r"(?:\s*(?:(?P<zone_name>[A-Za-z]+)"
    rf"|{_UTC_NAME}?(?P<offset_sign>[+-])(?P<offset_hours>\d{{2}}):?(?P<offset_minutes>\d{{2}})))?"
)
_MONTHS = {
    name: number
    for number, month in enumerate(
        "january february march april may june july august september october november december".split(), 1
    )
    for name in (month, month[:3])
} | {"sept": 9}
_WEEKDAYS = {
    name
    for day in "monday tuesday wednesday thursday friday saturday sunday".split()
    for name in (day, day[:3])
}
# A time with AM or PM ("2:03 PM", "2:03 p.m."), which email.utils would misread.
_MERIDIEM = re.compile(r"\d\s*[AaPp]\.?[Mm]\b")
# Zone names and their offsets from UTC: those with one meaning in news feeds, each a fixed
# offset (a summer time has its own name). RFC 822's, which email.utils reads: CST and MST
# are US Central and Mountain, as it reads them (not China's, nor Malaysia's).
_ZONE_HOURS: dict[str, float] = {"z": 0, "ut": 0, "utc": 0, "gmt": 0, "est": -5, "edt": -4}
_ZONE_HOURS |= {"cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7}
# Europe's. BST is British Summer Time, as feeds in English mean it (Bangladesh's, +6, is
# BST too). MSK is Moscow's +3 since 2014 (a date of 2011-2014, when it was +4, reads an hour
# late).
_ZONE_HOURS |= {"wet": 0, "west": 1, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "msk": 3}
# Asia's, Australia's (Adelaide's half hours), New Zealand's, Alaska's and Hawaii's.
_ZONE_HOURS |= {"jst": 9, "kst": 9, "hkt": 8, "sgt": 8, "awst": 8, "acst": 9.5, "acdt": 10.5}
_ZONE_HOURS |= {"aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13, "akst": -9, "akdt": -8, "hst": -10}
# Not read, since news feeds write them for more than one zone: IST (India +5:30, Ireland +1,
# Israel +2), AST and ADT (Atlantic -4/-3, Arabia +3; email.utils reads Atlantic's).
_ZONE_OFFSETS = {name: timedelta(hours=hours) for name, hours in _ZONE_HOURS.items()}
# The years a number that is no more than a year ("2016", 2016.0: Kaggle's "All the News" year
# column) may stand for: as epoch seconds it would be a time in the first hour of 1970.
_BARE_YEARS = range(1900, 2101)
# Fields kept as text, which must be writable as UTF-8.
_TEXT_FIELDS = ("id", "text", "outlet", "title", "url")
_COUNTER_NAMESPACE = "read"
# Local input files a worker did not find (``run`` compares with those missing on its machine).
LOCAL_FILES_NOT_FOUND = "local_files_not_found"
# The counter of the unparseable dates that are a bare year (2016.0): a year column mapped to
# published_at, which the run's summary names.
BARE_YEAR_DATES = "unparseable_published_at_bare_year"


# --- Resolving the command line's input arguments to files ---


def resolve_inputs(patterns: list[str], columns: ColumnConfig | None = None) -> list[str]:
    """Expands files, globs and folders to a sorted list of input files.

    A file matched under several spellings (``in/a.jsonl``, ``./in/a.jsonl``, its absolute
    path, a symbolic link) is listed once, under its shortest spelling. A glob that matches
    nothing but names a file or folder as spelled (``export[1].jsonl``) stands for it.

    Raises InputError when an argument matches nothing, a file's type is not supported (a
    folder's other files are passed over, unless they are compressed inputs), a file's name
    is not valid UTF-8, a file named without a suffix cannot be opened to tell whether it is
    Parquet, or a Parquet file or a CSV or TSV header lacks the ``id`` or ``text`` column, as
    ``columns`` names them, or no such file has an optional field's mapped column (only the
    schema or header is read; a file whose schema or header cannot be read is left to the
    reader, which rejects it as ``unreadable_file``).
    """
    spellings: dict[str, str] = {}  # a file's identity -> the path it is read under
    kinds: dict[str, str | None] = {}
    # A folder's real path is looked up once, not once for each of its files (and sidecars).
    identity = functools.partial(_identity, real_folder=functools.cache(os.path.realpath))
    for pattern in patterns:
        matched = _expand(pattern)
        if not matched:
            raise InputError(f"input {pattern!r} matches no files{_no_match_hint(pattern)}")
        kinds.update(matched)
        for path in matched:
            key = identity(path)
            spellings[key] = min(spellings.get(key, path), path, key=lambda p: (len(p), p))
    for path in spellings.values():
        if kinds[path] is None:
            raise _unsupported(path)
        try:
            path.encode("utf-8")  # it is written into every row as source_file
        except UnicodeEncodeError:
            shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise InputError(f"{shown}: the file name is not valid UTF-8; rename the file") from None
    sidecars = {
        identity(sidecar)
        for path in spellings.values()
        if _kind(path) == "text" and (sidecar := _listed_sidecar(path, spellings, identity)) is not None
    }
    inputs = sorted(path for identity, path in spellings.items() if identity not in sidecars)
    headers: dict[str, list[str] | None] = {}  # None: a file's names are known only as it is read
    for path in inputs:
        if kinds[path] == "parquet":
            headers[path] = _check_parquet_columns(path, columns)
        elif kinds[path] in _DELIMITERS:
            headers[path] = _check_csv_header(path, columns)
        else:
            headers[path] = None
    _check_mapped_columns(headers, columns)
    return inputs


def _no_match_hint(pattern: str) -> str:
    """Why a local folder, or a glob of folders, gave no input file: how to name its files."""
    if FileSystems.get_scheme(pattern) is not None:
        return ""
    if os.path.isdir(pattern):
        # The reader's own suffixes: .gz only after the JSON Lines ones (a.txt.gz is not read).
        return (
            f" (a folder stands for the input files directly inside it and in its partition folders "
            f"(name=value): {', '.join(_SUFFIX_KINDS)}, and Parquet files named without a suffix "
            f"(000000_0); give a glob such as "
            f"'{os.path.join(pattern, '*', '*.jsonl')}' for files in its other subfolders)"
        )
    # A glob stands for the files it matches (Beam matches no folder): 'in/2025-08-*' for day folders.
    folders = sorted(path for path in glob.glob(pattern) if os.path.isdir(path))
    if not folders:
        return ""
    more = f" and {len(folders) - 1} more" if len(folders) > 1 else ""
    return (
        f" (it matches only folders, {folders[0]}{more}: a glob stands for files; give one such as "
        f"'{os.path.join(pattern, '*' + _input_suffix(folders[0]))}', or name each folder)"
    )


def _input_suffix(folder: str) -> str:
    """The suffix of the input files in a local folder (``.txt`` before its sidecars' ``.json``)."""
    try:
        names = [name.lower() for name in os.listdir(folder)]
    except OSError:  # not ours to list: the hint still names the folder
        names = []
    suffixes = [suffix for suffix in _SUFFIX_KINDS for name in names if name.endswith(suffix)]
    return ".txt" if ".txt" in suffixes else min(suffixes, default=".jsonl", key=len)


def _expand(pattern: str) -> dict[str, str | None]:
    """The files a file, folder or glob stands for, each with its kind (None: no input)."""
    try:
        FileSystems.get_filesystem(pattern)
    except (OSError, ValueError) as error:  # hdfs:// without its package: a BeamIOError
        raise InputError(f"input {pattern!r} cannot be listed: {error}") from None
    if any(char in pattern for char in "*?["):
        matched = _match_metadata(pattern)
        if matched or not FileSystems.exists(pattern):
            return _kinds(matched)
        # A glob that matches nothing but names a file or folder as it is spelled
        # ("export[1].jsonl", which a shell passes on unexpanded when it matches nothing)
        # stands for that file or folder.
        return _expand_name(pattern, glob.escape(pattern))
    return _expand_name(pattern, pattern)


def _expand_name(name: str, pattern: str) -> dict[str, str | None]:
    """The input files a file or folder's ``name`` stands for, with their kinds; ``pattern``
    matches that name only."""
    listed = _kinds(_dataset_files(pattern))
    inside: dict[str, str | None] = {path: kind for path, kind in listed.items() if kind}
    # A name with entries below it is a folder, though it holds no input (a remote one).
    if listed or name.endswith("/") or os.path.isdir(name):
        # Other files are passed over, but not one that holds articles the reader cannot
        # unpack (feed.jsonl.bz2, a.txt.gz): its records would be lost without a trace.
        packed = sorted(path for path, kind in listed.items() if not kind and _COMPRESSED_INPUT.search(path))
        if packed:
            more = f" (and {len(packed) - 1} more)" if len(packed) > 1 else ""
            gzipped = ", ".join(suffix for suffix in _SUFFIX_KINDS if suffix.endswith(".gz"))
            raise InputError(
                f"{packed[0]}{more}: a compressed input the reader cannot read (only JSON Lines, "
                f"CSV and TSV may be compressed, with gzip: {gzipped}); unpack it, or move it out of {name}"
            )
        return inside
    return _kinds(_match_metadata(pattern))


def _dataset_files(folder: str) -> list[FileMetadata]:
    """What is listed directly inside a folder and, at any depth, in its partition folders
    (``name=value``), but not its hidden files; ``folder`` matches the folder's name only.

    A hidden file is no input: macOS leaves "._a.jsonl" (resource forks, not text) beside
    a.jsonl on other disks and in archives, which would read as a file of invalid_utf8 rejects.
    Beam lists a folder's whole tree for "*" and "**" alike on most file systems, but hdfs://
    one level at a time, folders included: there a partition folder is an entry of its own,
    of size 0, and is listed in turn.
    """
    depth = FileSystems.join(folder, "*").count("/")
    found = []
    for metadata in _match_metadata(FileSystems.join(folder, "**")):
        path = metadata.path
        if _hidden(path) or not all(map(_PARTITION_FOLDER.fullmatch, path.split("/")[depth:-1])):
            continue
        found.append(metadata)
        name = path.rsplit("/", 1)[-1]
        if metadata.size_in_bytes == 0 and _kind(path) is None and _PARTITION_FOLDER.fullmatch(name):
            found.extend(_dataset_files(glob.escape(path)))
    return found


def _hidden(path: str) -> bool:
    return path.rstrip("/").rsplit("/", 1)[-1].startswith(".")


def _kinds(files: Iterable[FileMetadata]) -> dict[str, str | None]:
    """Each listed file's kind, by its suffix; one named without a suffix (Hive's ``000000_0``,
    Spark's ``part-00000-<uuid>-c000``) is Parquet when its first bytes are Parquet's magic
    number. An empty one (``_SUCCESS``, or a folder where a listing gives folders too, as
    hdfs://'s) is not opened.

    Raises InputError when such a file cannot be opened: whether it holds articles is unknown.
    """
    kinds: dict[str, str | None] = {}
    for metadata in files:
        path = metadata.path
        kinds[path] = _kind(path)
        if metadata.size_in_bytes == 0 or not _unsuffixed(path):
            continue
        try:
            with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
                head = handle.read(len(_PARQUET_MAGIC))
        except _FILE_ERRORS as error:
            raise InputError(
                f"{path}: cannot read it to tell whether it is a Parquet file: {error}"
            ) from None
        if head == _PARQUET_MAGIC:
            kinds[path] = "parquet"
    return kinds


def _match_metadata(pattern: str) -> list[FileMetadata]:
    # Beam lists the folder in front of the first wildcard, and for a relative pattern with a
    # wildcard in its first component ("*.jsonl", "in*/a.jsonl") that folder is "", which
    # lists nothing: match "./<pattern>" and give the paths back as the pattern spells them.
    head = re.split(r"[*?[]", pattern, maxsplit=1)[0]
    from_here = head != pattern and "/" not in head and FileSystems.get_scheme(pattern) is None
    try:
        (result,) = match_patterns([f"./{pattern}" if from_here else pattern])
    except (OSError, ValueError) as error:  # unknown scheme, missing credentials, bad pattern
        raise InputError(f"input {pattern!r} cannot be listed: {error}") from None
    if not from_here:
        return result.metadata_list
    return [
        FileMetadata(
            metadata.path.removeprefix("./"), metadata.size_in_bytes, metadata.last_updated_in_seconds
        )
        for metadata in result.metadata_list
    ]


def match_patterns(patterns: list[str]) -> list[MatchResult]:
    """``FileSystems.match``, quiet about a "[" escaped by ``glob.escape``: Beam makes it the
    regular expression set "[[]", which Python warns a later version might read as a nested set."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Possible nested set", FutureWarning)
        return FileSystems.match(patterns)


def _identity(path: str, real_folder: Callable[[str], str] = os.path.realpath) -> str:
    """What names one file whatever its spelling: a local file's real path, a URL as given.

    ``real_folder``: a folder's real path (``os.path.realpath``, or a cache of it). A file that
    is not a link is its real folder and its name: one lstat, where ``os.path.realpath`` takes
    one for each folder of the path (listing 100,000 .txt files and 50,000 sidecars took 7.5 s
    with it, 3.7 s with a cache of the folders)."""
    if FileSystems.get_scheme(path):
        return path
    folder, name = os.path.split(path)
    if name in ("", os.curdir, os.pardir) or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(real_folder(folder or os.curdir), name)


def _check_parquet_columns(path: str, columns: ColumnConfig | None) -> list[str] | None:
    """Refuses a Parquet file as ``_check_columns`` does; its column names, or None for a file
    whose schema cannot be read or a backfill's split (written in the fields' own names)."""
    try:
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            schema = pq.read_schema(handle)
    except _FILE_ERRORS:
        # Empty, cut short or corrupt: one file the reader rejects (unreadable_file), as a
        # corrupt gzip file is, not a refusal of every input.
        return None
    if PROVENANCE_KEY in (schema.metadata or {}):  # a backfill's split: our own field names
        _check_columns(path, "Parquet", schema.names, None)
        return None
    _check_columns(path, "Parquet", schema.names, _field_columns(columns))
    return schema.names


def _check_mapped_columns(headers: Mapping[str, list[str] | None], columns: ColumnConfig | None) -> None:
    """Refuses a ``columns`` setting that maps an optional field to a column no input file has
    (``headers``: each file's column names): a typo, ``columns.outlet=publicaton``, would leave
    the field null in every row without a word. A partition folder named by the column gives it
    too. One file without it is no error (a feed that has no dates); where some file's names are
    known only as its records are read (JSON Lines, a sidecar), nothing is refused."""
    field_columns = _field_columns(columns)
    if field_columns is None or any(names is None for names in headers.values()):
        return
    known = {path: names for path, names in headers.items() if names}  # an empty file has no records
    absent = [
        f"{column} (columns.{field})"
        for field, column in field_columns.items()
        if column != field
        and not any(
            column in names or field in _partition_fields(path, field_columns)
            for path, names in known.items()
        )
    ]
    if absent and known:
        path, names = next(iter(known.items()))
        raise InputError(
            f"no input file has the mapped column(s) {', '.join(absent)}, which would leave the field "
            f"empty in every row ({path} has {', '.join(names)[:_HEADER_SHOWN]})"
        )


def _check_columns(path: str, kind: str, names: Sequence[str], columns: Mapping[str, str] | None) -> None:
    """Refuses a file whose ``names`` (its columns) lack a required field's column, or name a
    field's column in another case (``columns``: field -> column, None for the fields' own names)."""
    renames = _misnamed_fields(names, columns)
    if renames:
        raise InputError(f"{path}: {kind} column names are case-sensitive; rename {', '.join(renames)}")
    wanted = columns or _OWN_COLUMNS
    missing = [
        wanted[field] + ("" if wanted[field] == field else f" (columns.{field})")
        for field in REQUIRED_COLUMNS
        if wanted[field] not in names
    ]
    if missing:
        hint = _header_hint(kind, names, wanted)
        raise InputError(f"{path}: {kind} file lacks required column(s) {', '.join(missing)}{hint}")


def _header_hint(kind: str, names: Sequence[str], wanted: Mapping[str, str]) -> str:
    """Why a header lacks a column it seems to have, or else the columns it has.

    Example:
        >>> print(_header_hint("CSV", ["id;title;content"], _OWN_COLUMNS))  # doctest: +NORMALIZE_WHITESPACE
         (its header is one column, 'id;title;content': CSV cells are read as separated by ',',
         not ';': convert it, for instance to Parquet with DuckDB:
         COPY (FROM read_csv('in.csv', delim=';')) TO 'in.parquet')
        >>> print(_header_hint("CSV", ["id", "contnet"], _OWN_COLUMNS))
         (its columns: id, contnet)
    """
    # "id, text" as a header: the space is part of the name, as in pandas and DuckDB.
    padded = [repr(name) for name in names if name != name.strip() and name.strip() in wanted.values()]
    if padded:
        return f" (it has {', '.join(padded)}: spaces around a column name are part of it)"
    delimiter = _DELIMITERS.get(kind.lower())
    if delimiter is not None and len(names) == 1:  # European Excel's ";", a TSV saved as .csv
        others = [other for other in (";", "\t", ",", "|") if other != delimiter and other in names[0]]
        if others:
            other = others[0]
            return (
                f" (its header is one column, {names[0][:_HEADER_SHOWN]!r}: {kind} cells are read as "
                f"separated by {delimiter!r}, not {other!r}: convert it, for instance to Parquet with "
                f"DuckDB: COPY (FROM read_csv('in.csv', delim={other!r})) TO 'in.parquet')"
            )
    return f" (its columns: {', '.join(names)[:_HEADER_SHOWN]})"


def _field_columns(columns: ColumnConfig | None) -> dict[str, str] | None:
    """Field -> the inputs' column for it (``columns.*``), or None where every field has its own name."""
    if columns is None:
        return None
    mapping = {field: getattr(columns, field) for field in FIELDS}
    return None if mapping == _OWN_COLUMNS else mapping


def _misnamed_fields(names: Collection[str], columns: Mapping[str, str] | None = None) -> list[str]:
    """``"Name -> name"`` for each field's column absent from ``names`` but named there in
    another case (``columns``: field -> column, None for the fields' own names).

    A column or key named as a field in another case (ID, Text, Outlet: a pandas frame's
    headings) would be left out as an extra one, a required field's missing, an optional one
    losing its values without a word.

    Example:
        >>> _misnamed_fields(["ID", "text", "Outlet", "outlet", "Title"])
        ['ID -> id', 'Title -> title']
        >>> _misnamed_fields(["id", "Content", "text"], {**_OWN_COLUMNS, "text": "content"})
        ['Content -> content']
    """
    wanted = _FIELD_NAMES if columns is None else frozenset(columns.values())
    if wanted.issuperset(names):  # every record of a usual input: one set test
        return []
    cased = {name.lower(): name for name in sorted(names) if name not in wanted}
    return [
        f"{cased[column.lower()]} -> {column}"
        for column in (columns or _OWN_COLUMNS).values()
        if column not in names and column.lower() in cased
    ]


def _kind(path: str) -> str | None:
    name = path.lower()
    return next((kind for suffix, kind in _SUFFIX_KINDS.items() if name.endswith(suffix)), None)


def _unsuffixed(path: str) -> bool:
    """A name without a suffix that may be a data file: not a marker or summary file such as
    ``_SUCCESS`` or ``_common_metadata`` (Hadoop passes over "_"-prefixed names too)."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return bool(name) and "." not in name and not name.startswith("_")


def _read_kind(path: str) -> str | None:
    """How ``parse_file`` reads a file: by its suffix; one without (its first bytes checked by
    ``resolve_inputs``) as Parquet."""
    return _kind(path) or ("parquet" if _unsuffixed(path) else None)


def _unsupported(path: str) -> InputError:
    return InputError(f"{path}: unsupported file type; expected one of {', '.join(_SUFFIX_KINDS)}")


def _partition_fields(path: str, columns: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """The fields a file's partition folders give its records (``outlet=Reuters/part-0.parquet``):
    outlet, title, published_at or url, percent-decoded; a deeper folder's value wins. A folder
    is named by the field's column (``columns``: field -> column, None for the fields' own names).

    Example:
        >>> _partition_fields("in/outlet=AP%2FWire/published_at=2025-08-19%2010%3A00%3A00/part-0.parquet")
        {'outlet': 'AP/Wire', 'published_at': '2025-08-19 10:00:00'}
    """
    wanted = columns or _OWN_COLUMNS
    partitioned = {wanted[field]: field for field in _PARTITION_FIELDS}
    fields: dict[str, str | None] = {}
    for folder in path.split("/")[:-1]:
        match = _PARTITION_FOLDER.fullmatch(folder)
        if match and match[1] in partitioned:
            value = None if match[2] == _NULL_PARTITION else urllib.parse.unquote(match[2])
            fields[partitioned[match[1]]] = value
    return fields


def _sidecar_paths(text_path: str) -> tuple[str, str]:
    """Where a .txt file's sidecar may be, in the order looked for: ``.json`` in the case of the
    ``.txt`` suffix (``.JSON`` beside ``.TXT``) first, then in the other case."""
    stem, suffix = text_path[: -len(".txt")], text_path[-len(".txt") :]
    upper, lower = stem + ".JSON", stem + ".json"
    return (upper, lower) if suffix.isupper() else (lower, upper)


def _sidecar(text_path: str) -> str | None:
    """The sidecar ``parse_file`` reads for a .txt file, or None. A local one that is there
    but cannot be read (a link to nothing) is still the sidecar: reading it fails, and the
    article is rejected rather than given its stem as outlet and title."""
    local = FileSystems.get_scheme(text_path) is None
    exists = os.path.lexists if local else FileSystems.exists
    return next((path for path in _sidecar_paths(text_path) if exists(path)), None)


def local_sidecars(files: Iterable[str]) -> dict[str, str | None]:
    """Each local .txt input -> its sidecar as this machine sees it (None: none). Decided
    where the inputs are listed, so that a worker that does not see a sidecar fails to read
    it, rather than taking it for missing."""
    return {
        path: _sidecar(path)
        for path in files
        if _kind(path) == "text" and FileSystems.get_scheme(path) is None
    }


def files_read_for(path: str) -> list[str]:
    """The files ``parse_file`` reads for an input: the file, and a .txt file's sidecar."""
    sidecar = _sidecar(path) if _kind(path) == "text" else None
    return [path, sidecar] if sidecar else [path]


def _listed_sidecar(
    text_path: str, identities: Collection[str], identity: Callable[[str], str] = _identity
) -> str | None:
    """The sidecar ``parse_file`` reads for a .txt file if it is one of the listed files
    (``identities``, as ``identity`` names them).

    Only the listed files are looked at, not the file system, except in the rare case where
    the second name is listed: then the first name must not exist.
    """
    first, second = _sidecar_paths(text_path)
    if identity(first) in identities:
        return first
    if identity(second) in identities and not FileSystems.exists(first):
        return second
    return None


# --- Parsing one file (pure apart from reading it) ---


class _Sidecar(enum.Enum):
    LOOK_BESIDE = "look beside the file"


class _Reading(NamedTuple):
    """How a file's records are read: the most characters of a record's text, and of its id,
    outlet, title and url; the fields its partition folders give the records that lack them;
    each field's column (``_field_columns``: None where every field has its own name); the
    order of a date's day and month in digits (``input.date_order``)."""

    max_chars: int
    max_field_chars: int
    partition: Mapping[str, str | None]
    columns: Mapping[str, str] | None = None
    date_order: str = InputConfig.date_order


def parse_file(
    path: str,
    max_chars: int,
    on_unparseable_date: Callable[[Any], Any] | None = None,
    sidecar: str | None | _Sidecar = _Sidecar.LOOK_BESIDE,
    max_field_chars: int = InputConfig.max_field_chars,
    columns: ColumnConfig | None = None,
    date_order: str = InputConfig.date_order,
) -> Iterator[Article | Reject]:
    """Yields one Article or Reject per record of ``path``, in file order.

    ``sidecar``: a .txt file's sidecar path, or None for none; by default it is looked for
    beside the file. ``max_chars``, ``max_field_chars`` and ``date_order``: ``input.max_chars``,
    ``input.max_field_chars`` and ``input.date_order``; ``columns``: the inputs' name for each
    field (``columns.*``; None: the fields' own names).

    ``on_unparseable_date`` is called with the value once for each article kept with a
    ``published_at`` that could not be parsed (the pipeline counts them). A file that cannot
    be read (or a gzip stream cut short) yields the records read before the error, then one
    ``unreadable_file`` reject with record 0 for the rest; any other exception outside a
    record does the same with reason ``error_<Type>``, so every caller gets a reject to
    count, never a traceback.
    """
    if isinstance(sidecar, _Sidecar):
        sidecar = _sidecar(path) if _kind(path) == "text" else None
    readers: dict[str, Callable[[str, _Reading, Callable[[Any], Any]], Iterator[Article | Reject]]] = {
        "json_lines": _read_json_lines,
        "parquet": _read_parquet,
        "text": functools.partial(_read_text_file, sidecar_path=sidecar),
        "csv": _read_delimited,
        "tsv": _read_delimited,
    }
    kind = _read_kind(path)
    if kind is None:
        raise _unsupported(path)
    _check_date_order(date_order)  # a bad one is the caller's, not a reject of every dated record
    on_bad_date = on_unparseable_date or (lambda value: None)
    read = 0
    try:
        field_columns = _field_columns(columns)
        partition = _partition_fields(path, field_columns)
        reading = _Reading(max_chars, max_field_chars, partition, field_columns, date_order)
        for item in readers[kind](path, reading, on_bad_date):
            read += 1
            yield item
    except _FILE_ERRORS as error:
        yield Reject(path, 0, "unreadable_file", f"cannot read {path}{_after(read)}: {error}", "")
    except Exception as error:  # a bug at file level costs the rest of that file, not the run
        reason = f"error_{type(error).__name__}"
        yield Reject(path, 0, reason, f"while reading {path}{_after(read)}: {error}", "")


def _after(records: int) -> str:
    return f" after its first {records:,} record(s)" if records else ""


class _Rejected(Exception):
    """Raised while building a record to reject it with a reason code."""

    def __init__(self, reason: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field  # the field it is about, if one


def _read_json_lines(
    path: str, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Iterator[Article | Reject]:
    with contextlib.ExitStack() as stack:
        lines: Iterable[bytes] = _lines(_opened(path, stack))
        if _is_json_file(path):
            lines, array, problem = _json_array(lines)
            if problem:  # one reject for the file, not one per line of a pretty-printed array
                yield Reject(path, 0, "malformed_json", f"{path} {problem}", "")
                return
            if array is not None:
                yield from _array_records(array, path, reading, on_bad_date)
                return
        for number, line_with_end in enumerate(lines, start=1):
            line = line_with_end.rstrip(b"\r\n")  # error columns and raw text are the record's own
            # A byte-order mark is legal at the start of a UTF-8 file, and is no content: a file
            # of only a mark (and blank lines) has no records. Files joined end to end (cat
            # a.jsonl b.jsonl) carry the marks of the later ones at the start of a line, where
            # JSON cannot have one either.
            line = line.removeprefix(codecs.BOM_UTF8)
            if line.strip():
                yield _guarded(
                    path,
                    number,
                    f"line {number}",
                    line,
                    _json_line_article,
                    path,
                    number,
                    reading,
                    on_bad_date,
                )


def _opened(path: str, stack: contextlib.ExitStack) -> BinaryIO | gzip.GzipFile:
    """A JSON Lines, CSV or TSV file open for reading in ``stack``, unpacked if gzipped."""
    handle: BinaryIO | gzip.GzipFile = stack.enter_context(
        FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    )
    if path.lower().endswith(".gz"):
        # Python's gzip, not Beam's: Beam reads a stream cut short as if it were complete,
        # Python's raises EOFError at the cut.
        handle = stack.enter_context(gzip.GzipFile(fileobj=handle, mode="rb"))
    return handle


def _lines(handle: BinaryIO | gzip.GzipFile) -> Iterator[bytes]:
    """A file's lines with their endings: LF, CR LF, or a lone CR (classic Mac OS, some
    exports, and files joined from such ones). JSON has no raw CR inside a string, so a lone
    one ends a line (or separates a record's tokens, where no JSON writer puts one); U+2028
    and the other Unicode line breaks, legal inside a JSON string, end none."""
    for line in iter(handle.readline, b""):
        if b"\r" in line.rstrip(b"\r\n"):
            yield from line.splitlines(keepends=True)
        else:
            yield line


def _is_json_file(path: str) -> bool:
    return path.lower().removesuffix(".gz").endswith(".json")


def _json_array(lines: Iterable[bytes]) -> tuple[Iterable[bytes], list[Any] | None, str]:
    """A ``.json`` file that is one JSON array of records (as ``pandas.DataFrame.to_json(
    orient="records")`` and ``jq -s`` write it), or JSON Lines: the file's lines, its array when
    it is one, and what is wrong with it when it starts an array that is not valid JSON. Only a
    file whose first non-blank line starts with "[" is read whole."""
    lines = iter(lines)
    head: list[bytes] = []
    first = b""
    for line in lines:
        head.append(line)
        first = line.strip().removeprefix(codecs.BOM_UTF8).strip()
        if first:
            break
    if not first.startswith(b"["):
        return itertools.chain(head, lines), None, ""
    head.extend(lines)
    try:
        value = json.loads(b"".join(head).decode("utf-8").removeprefix("\ufeff"))
    except json.JSONDecodeError as error:
        try:
            json.loads(first)
        except (ValueError, RecursionError):  # one line of a broken array, not a record of its own
            problem = f"{error.msg.lower()} at line {error.lineno} column {error.colno}"
            return head, None, f"starts a JSON array but is not valid JSON: {problem}"
        value = None  # JSON Lines whose first record is an array: rejected with the others
    except (ValueError, RecursionError):  # bad UTF-8, a number too long, nesting too deep
        value = None  # its lines are rejected one by one, with their reasons
    return head, value if isinstance(value, list) else None, ""


def _array_records(
    array: list[Any], path: str, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Iterator[Article | Reject]:
    """A JSON array's records; ``Article.record`` is the 1-based element number."""
    for number, value in enumerate(array, start=1):
        yield _guarded(
            path,
            number,
            f"element {number}",
            value,
            _array_element_article,
            path,
            number,
            reading,
            on_bad_date,
        )


def _array_element_article(
    value: Any, source: str, number: int, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Article:
    if not isinstance(value, dict):
        raise _Rejected("not_an_object", f"expected a JSON object, got {_type_name(value)}")
    return _article(value, source, number, reading, on_bad_date)


def _json_line_article(
    line: bytes, source: str, number: int, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Article:
    fields = _json_object(line, "utf-8")
    return _article(fields, source, number, reading, on_bad_date)


def _read_parquet(
    path: str, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Iterator[Article | Reject]:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        parquet = pq.ParquetFile(handle)
        carried = PROVENANCE_KEY in (parquet.schema_arrow.metadata or {})
        if carried:  # a backfill's split, written with the fields' own names
            reading = reading._replace(columns=None)
        # Absent required columns are left to the per-row checks (resolve_inputs refuses them earlier).
        names = parquet.schema_arrow.names
        columns = [column for column in (reading.columns or _OWN_COLUMNS).values() if column in names]
        if carried:
            columns += list(PROVENANCE_COLUMNS)
        number = 0
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=columns):
            for row in _python_rows(batch):
                number += 1
                source, record = (
                    (row.pop("source_file"), row.pop("source_record")) if carried else (path, number)
                )
                yield _guarded(
                    source, record, f"row {record}", row, _row_article, source, record, reading, on_bad_date
                )


def _python_rows(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    columns = {name: _python_values(batch.column(name)) for name in batch.schema.names}
    return [{name: values[index] for name, values in columns.items()} for index in range(batch.num_rows)]


def _python_values(column: pa.Array) -> list[Any]:
    """A column's values as Python objects; a value that has none is the exception it raised.

    Dates and timestamps become numpy datetime64 (the column's own ticks and unit): a Python
    datetime holds neither nanoseconds (pandas writes them by default) nor years past 9999.
    """
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        moments = column.to_numpy(zero_copy_only=False)
        nulls = column.is_null().to_pylist()
        return [None if null else moment for moment, null in zip(moments, nulls, strict=True)]
    if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
        # Impala, Hive and old Spark write strings as BINARY without the UTF8 annotation: read
        # them as text, as Spark's spark.sql.parquet.binaryAsString does.
        return [None if value is None else _utf8_or_error(value) for value in column.to_pylist()]
    try:
        return column.to_pylist()
    except (ValueError, OverflowError, pa.ArrowException):
        # One value no Python object holds (a nanosecond duration, say) costs only its row.
        return [_python_value(column, index) for index in range(len(column))]


def _utf8_or_error(value: bytes) -> str | UnicodeDecodeError:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as error:
        return error


def _python_value(column: pa.Array, index: int) -> Any:
    try:
        return column[index].as_py()
    except (ValueError, OverflowError, pa.ArrowException) as error:
        return error


def _row_article(
    row: Mapping[str, Any], source: str, record: int, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Article:
    for name, value in row.items():
        if isinstance(value, UnicodeDecodeError):  # a BINARY column's value
            raise _Rejected("invalid_utf8", f"{name} is not valid UTF-8 at byte {value.start}")
        if isinstance(value, Exception):
            raise _Rejected(f"error_{type(value).__name__}", f"{name}: {value}")
    return _article(row, source, record, reading, on_bad_date)


class _DelimitedRow(NamedTuple):
    """A row of a CSV or TSV file: the line it starts on (the header's is 1), its cells, or
    None and why it cannot be read, and its text as written (up to ``RAW_LIMIT`` characters)."""

    line: int
    cells: list[str] | None
    problem: str
    text: str


class _RecordedLines:
    """A text file's lines, remembering the start of those read since ``take``: the text of
    the row the csv module has just read, for its reject."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self._taken: list[str] = []
        self._size = 0

    def __iter__(self) -> _RecordedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        if self._size < RAW_LIMIT:
            self._taken.append(line)
            self._size += len(line)
        return line

    def take(self) -> str:
        text = "".join(self._taken)[:RAW_LIMIT]
        self._taken, self._size = [], 0
        return text


def _delimited_rows(path: str) -> Iterator[_DelimitedRow]:
    """The rows of a CSV (or TSV: ``_DELIMITERS``) file, header first, read one at a time.

    RFC 4180: a cell may be quoted, and a quoted cell may hold the delimiter, line breaks and
    doubled quotes; lines end with CR LF, LF or CR. UTF-8, a leading byte-order mark (Excel
    writes one) removed; a byte that is not UTF-8 is kept as a lone surrogate (Python's
    ``surrogateescape``), for its row alone to be rejected; in the header, where a column's name
    is only ever printed, such a byte is written as an escape ("cat\\xe9gorie"). A row the csv
    module cannot read (a quote inside a quoted cell that is not doubled, a quoted cell still
    open at the end of the file) has cells None and the module's reason; the next row is read
    from the next line.
    """
    # The csv module's limit on a cell (131,072 characters by default) would refuse a long
    # article: input.max_chars is the limit, and a cell is held in memory once either way.
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    with contextlib.ExitStack() as stack:
        handle = _opened(path, stack)
        text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="surrogateescape", newline="")
        lines = _RecordedLines(iter(text))
        rows = csv.reader(lines, delimiter=_DELIMITERS[_kind(path) or "csv"], strict=True)
        while True:
            start = rows.line_num + 1
            try:
                cells = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                yield _DelimitedRow(start, None, _csv_problem(error), lines.take())
                continue
            if start == 1:  # the header: a name with a lone surrogate could not be printed
                cells = [_as_read(cell).decode("utf-8", "backslashreplace") for cell in cells]
            yield _DelimitedRow(start, cells, "", lines.take())


def _csv_problem(error: csv.Error) -> str:
    """What is wrong with a row the csv module cannot read, in the terms of RFC 4180."""
    message = str(error)
    if message == "unexpected end of data":
        return "a quoted cell is still open at the end of the file (its closing quote is missing)"
    if "expected after" in message:
        return f"a quote inside a quoted cell is not doubled ({message})"
    return message


def _read_delimited(
    path: str, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Iterator[Article | Reject]:
    """A CSV or TSV file's articles: a header row names the columns, each later row is one
    record (``Article.record``: the line it starts on), an empty cell a missing value."""
    rows = _delimited_rows(path)
    header = next(rows, None)
    if header is None:  # an empty file has no records
        return
    if header.cells is None:  # resolve_inputs refuses it: a file changed since, or read alone
        yield Reject(path, 0, "malformed_csv", f"{path}: the header row cannot be read: {header.problem}", "")
        return
    names = header.cells
    for row in rows:
        if row.cells == []:  # a blank line, as in JSON Lines, is no record
            continue
        where = f"line {row.line}"
        if row.cells is None or len(row.cells) != len(names):
            cells = len(row.cells or ())
            problem = (
                row.problem or f"{cells} {noun(cells, 'cell')} where the header names {len(names)} columns"
            )
            yield Reject(
                path, row.line, "malformed_csv", f"{where}: {problem}", _raw_preview(_as_read(row.text))
            )
            continue
        record = {name: cell or None for name, cell in zip(names, row.cells, strict=True)}
        raw = _as_read(row.text)  # a reject's raw is the row as written, as a JSON line's is
        yield _guarded(
            path, row.line, where, raw, _delimited_article, record, path, row.line, reading, on_bad_date
        )


def _as_read(text: str) -> bytes:
    """Text decoded with ``surrogateescape`` as the bytes it was read from."""
    return text.encode("utf-8", "surrogateescape")


def _delimited_article(
    raw: bytes,
    record: Mapping[str, str | None],
    source: str,
    line: int,
    reading: _Reading,
    on_bad_date: Callable[[Any], Any],
) -> Article:
    """``raw``: the row as written, for its reject only."""
    for name, value in record.items():
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as error:  # a byte decoding kept as a lone surrogate
                message = f"{name} is not valid UTF-8 at character {error.start}"
                raise _Rejected("invalid_utf8", message + _encoding_hint(value, error.start)) from None
    return _article(record, source, line, reading, on_bad_date)


def _encoding_hint(cell: str, start: int) -> str:
    """The byte a cell decoded with ``surrogateescape`` has at ``start`` and, where the cell
    reads as Windows-1252 (Excel's "CSV" on Windows, older exports; Latin-1 too), what to do.

    Example:
        >>> print(_encoding_hint("caf\\udce9", 3))  # doctest: +NORMALIZE_WHITESPACE
         (byte 0xE9, 'é' in Windows-1252: a file in that encoding or Latin-1 is read as UTF-8;
        convert it, e.g. iconv -f cp1252 -t utf-8)
    """
    byte = ord(cell[start]) - 0xDC00
    try:
        as_cp1252 = bytes([byte]).decode("cp1252")
        cell.encode("utf-8", "surrogateescape").decode("cp1252")
    except UnicodeDecodeError:
        return f" (byte 0x{byte:02X})"
    return (
        f" (byte 0x{byte:02X}, {as_cp1252!r} in Windows-1252: a file in that encoding or Latin-1 is "
        "read as UTF-8; convert it, e.g. iconv -f cp1252 -t utf-8)"
    )


def _check_csv_header(path: str, columns: ColumnConfig | None) -> list[str] | None:
    """Refuses a CSV or TSV file whose header lacks a required column, names a field's column
    in another case, or names a column read twice; one that cannot be read is the reader's.
    Its column names ([] for an empty file, None for one that cannot be read)."""
    try:
        header = next(_delimited_rows(path), None)
    except _FILE_ERRORS:
        return None
    if header is None:  # an empty file: no records
        return []
    kind = (_kind(path) or "csv").upper()
    if header.cells is None:
        raise InputError(f"{path}: the {kind} header row cannot be read: {header.problem}")
    field_columns = _field_columns(columns)
    read = set((field_columns or _OWN_COLUMNS).values())
    twice = sorted({name for name in header.cells if name in read and header.cells.count(name) > 1})
    if twice:
        raise InputError(f"{path}: the {kind} header names column(s) {', '.join(twice)} more than once")
    _check_columns(path, kind, header.cells, field_columns)
    return header.cells


def _read_text_file(
    path: str, reading: _Reading, on_bad_date: Callable[[Any], Any], sidecar_path: str | None
) -> Iterator[Article | Reject]:
    stem = FileSystems.split(path)[1][: -len(".txt")]
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        contents = handle.read()
    sidecar = None
    if sidecar_path is not None:
        with FileSystems.open(sidecar_path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
            sidecar = (sidecar_path, handle.read())
    yield _guarded(
        path, 1, "text file", contents, _text_file_article, stem, sidecar, path, reading, on_bad_date
    )


def _text_file_article(
    contents: bytes,
    stem: str,
    sidecar: tuple[str, bytes] | None,
    source: str,
    reading: _Reading,
    on_bad_date: Callable[[Any], Any],
) -> Article:
    """``sidecar``: the sidecar's path and contents."""
    try:
        text = contents.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _Rejected("invalid_utf8", f"not valid UTF-8 at byte {error.start}") from None
    # Keyed by the inputs' names for the fields, as _article reads a record.
    column = reading.columns or _OWN_COLUMNS
    fields: dict[str, Any] = {column["outlet"]: stem, column["title"]: stem}
    from_sidecar: set[str] = set()
    if sidecar is not None:
        sidecar_path, sidecar_contents = sidecar
        try:
            metadata = _json_object(sidecar_contents, "utf-8-sig")
        except _Rejected as rejected:
            raise _Rejected(rejected.reason, f"sidecar {sidecar_path}: {rejected.message}") from None
        # The id and text are the file's stem and contents.
        renames = _misnamed_fields([*metadata, column["id"], column["text"]], reading.columns)
        if renames:
            message = f"sidecar {sidecar_path}: field names are case-sensitive; rename {', '.join(renames)}"
            raise _Rejected("misnamed_field", message)
        from_sidecar = {
            name for name in ("outlet", "title", "published_at", "url") if column[name] in metadata
        }
        fields.update({column[name]: metadata[column[name]] for name in from_sidecar})
    fields.update({column["id"]: stem, column["text"]: text})
    try:
        return _article(fields, source, 1, reading, on_bad_date)
    except _Rejected as rejected:
        if sidecar is None or rejected.field not in from_sidecar:
            raise
        # The value is the sidecar's: say so.
        raise _Rejected(
            rejected.reason, f"sidecar {sidecar[0]}: {rejected.message}", rejected.field
        ) from None


def _json_object(data: bytes, encoding: str) -> dict[str, Any]:
    try:
        decoded = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise _Rejected("invalid_utf8", f"not valid UTF-8 at byte {error.start}") from None
    try:
        value = json.loads(decoded)
    except json.JSONDecodeError as error:
        raise _Rejected("malformed_json", f"{error.msg.lower()} at column {error.colno}") from None
    except RecursionError:
        raise _Rejected("malformed_json", "nested too deeply to parse") from None
    except ValueError:  # valid JSON, but Python refuses integers of more than 4,300 digits
        raise _Rejected("malformed_json", "holds a number too long to parse") from None
    if not isinstance(value, dict):
        raise _Rejected("not_an_object", f"expected a JSON object, got {_type_name(value)}")
    return value


# The most of a record's field names a reject's detail lists.
_LISTED_FIELDS = 12


def _absent(field: str, record_fields: Mapping[str, Any], reading: _Reading) -> str:
    """Why a record has no ``field``: null ("no text"), or, where its key is absent (a JSON
    Lines record), which key was looked for and which the record has: a misspelt
    ``columns`` setting, or an export that names the field otherwise, shows in the reject."""
    column = (reading.columns or _OWN_COLUMNS).get(field, field)
    if column in record_fields:
        return f"no {field}"
    setting = f" (columns.{field})" if column != field else f" (set columns.{field} to read another)"
    names = [repr(name) for name in list(record_fields)[:_LISTED_FIELDS]]
    if len(record_fields) > _LISTED_FIELDS:
        names.append(f"and {len(record_fields) - _LISTED_FIELDS:,} more")
    return f"no {column!r} field{setting}; the record has " + (", ".join(names) or "no fields")


def _article(
    fields: Mapping[str, Any], source: str, record: int, reading: _Reading, on_bad_date: Callable[[Any], Any]
) -> Article:
    """Checks one record's fields (keyed by the inputs' names for them, ``reading.columns``) in
    the order of the reason codes and builds its Article."""
    renames = _misnamed_fields(fields.keys(), reading.columns)
    if renames:
        raise _Rejected("misnamed_field", f"field names are case-sensitive; rename {', '.join(renames)}")
    record_fields = fields
    if reading.columns is not None:
        fields = {field: fields[column] for field, column in reading.columns.items() if column in fields}
    if reading.partition:  # a field the record has, null included, is its own
        fields = {**reading.partition, **fields}
    for name in _TEXT_FIELDS:
        value = fields.get(name)
        if isinstance(value, str):
            try:
                value.encode("utf-8")  # a lone surrogate, legal in a JSON string ("\ud800"), fails
            except UnicodeEncodeError as error:
                code = f"U+{ord(value[error.start]):04X}"
                message = f"{name} has a lone surrogate {code} at character {error.start}"
                raise _Rejected("invalid_utf8", message) from None
    article_id = fields.get("id")
    if article_id is None or isinstance(article_id, bool):
        raise _Rejected(
            "missing_id", _absent("id", record_fields, reading) if article_id is None else "id is a boolean"
        )
    if isinstance(article_id, int):
        article_id = str(article_id)
    if isinstance(article_id, float):
        # pandas writes an integer column with a missing value as floats (12 -> 12.0): a
        # float is no id to guess from (large ones have lost digits), so say where it comes from.
        raise _Rejected(
            "missing_id",
            f"id must be a string or an integer, got the float {article_id!r} (an integer column "
            "with missing values is stored as floats by pandas: write ids as strings)",
        )
    if not isinstance(article_id, str):
        raise _Rejected("missing_id", f"id must be a string or an integer, got {_type_name(article_id)}")
    if not article_id.strip():
        raise _Rejected("missing_id", "id is empty")
    text = fields.get("text")
    if text is None:
        raise _Rejected("missing_text", _absent("text", record_fields, reading))
    if not isinstance(text, str):
        raise _Rejected("text_not_string", f"text must be a string, got {_type_name(text)}")
    if not text.strip():
        raise _Rejected("empty_text", "text is empty or whitespace only")
    if len(text) > reading.max_chars:
        raise _Rejected(
            "too_long", f"text has {len(text):,} characters, more than input.max_chars={reading.max_chars:,}"
        )
    for name in ("outlet", "title", "url"):
        value = fields.get(name)
        if not (value is None or isinstance(value, str) or _is_number(value)):
            got = repr(value) if isinstance(value, float) else _type_name(value)  # nan, inf
            message = f"{name} must be a string or a number, got {got}"
            raise _Rejected("field_not_string", message, name)
    kept = {name: _optional_text(fields.get(name)) for name in ("outlet", "title", "url")}
    for name, value in (("id", article_id), *kept.items()):
        if value is not None and len(value) > reading.max_field_chars:
            limit = reading.max_field_chars
            message = f"{name} has {len(value):,} characters, more than input.max_field_chars={limit:,}"
            raise _Rejected("field_too_long", message, name)
    published = fields.get("published_at")
    published_us = parse_published(published, reading.date_order)
    if published_us is None and not _is_blank(published):
        on_bad_date(published)
    return Article(
        id=article_id,
        text=text,
        outlet=kept["outlet"],
        title=kept["title"],
        published_us=published_us,
        url=kept["url"],
        source=source,
        record=record,
    )


def _guarded(
    source: str,
    record: int,
    where: str,
    raw: Any,
    build: Callable[..., Article],
    *args: Any,
) -> Article | Reject:
    """``build(raw, *args)``, or the Reject it raised; any other exception rejects this record only."""
    try:
        return build(raw, *args)
    except _Rejected as rejected:
        reason, message = rejected.reason, rejected.message
    except Exception as error:  # a record that breaks the parser must not lose the rest of the file
        reason, message = f"error_{type(error).__name__}", str(error)
    return Reject(source, record, reason, f"{where}: {message}", _raw_preview(raw))


def _raw_preview(raw: Any) -> str:
    if isinstance(raw, bytes):
        # A UTF-8 character is at most 4 bytes, so this never decodes more than needed.
        return raw[: 4 * RAW_LIMIT].decode("utf-8", errors="replace")[:RAW_LIMIT]
    if not isinstance(raw, Mapping):  # a JSON array's element that is no object
        return json.dumps(raw, ensure_ascii=False, default=str)[:RAW_LIMIT]
    # Truncate values first so a huge text is not serialised only to be cut.
    shortened = {key: _shortened(value) for key, value in raw.items()}
    return json.dumps(shortened, ensure_ascii=False, default=str)[:RAW_LIMIT]


def _shortened(value: Any) -> Any:
    if isinstance(value, UnicodeDecodeError):  # a Parquet BINARY value that is not UTF-8
        return _raw_preview(value.object)
    return value[:RAW_LIMIT] if isinstance(value, str) else value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text.strip() or None


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _type_name(value: Any) -> str:
    json_names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return json_names.get(type(value), "a boolean" if isinstance(value, bool) else type(value).__name__)


def parse_published(value: Any, date_order: str = InputConfig.date_order) -> int | None:
    """Microseconds since the Unix epoch (UTC) of a publication date, or None if unparseable.

    Accepts ISO 8601 dates and datetimes (naive means UTC), RFC 2822 dates, dates written
    year first or with the month's name, or with day and month in digits before the year in
    the order ``date_order`` names (``input.date_order``; ``_written_date``), a zone's name
    after their time read as ``_ZONE_OFFSETS`` gives it (ambiguous ones, IST, not), epoch numbers
    (numbers, or digit strings that are no ISO date, in seconds, or in milliseconds,
    microseconds or nanoseconds when too large for seconds, never a bare year: see the module
    docstring), dates and datetimes, and the numpy datetime64 values Parquet timestamp and
    date columns read as.
    A time before 1900-01-01 or from 9999-01-01 on (UTC) is a placeholder, not a publication
    date: None.

    Example:
        >>> parse_published("2010-07-02"), parse_published("2025-08-19T10:00:00+02:00")
        (1278028800000000, 1755590400000000)
        >>> parse_published(1755597600), parse_published(1755597600000), parse_published("1755597600")
        (1755597600000000, 1755597600000000, 1755597600000000)
        >>> parse_published("Jan 5, 2024 2:03 PM"), parse_published("2024/01/05 14:03")
        (1704463380000000, 1704463380000000)
        >>> parse_published("Fri, 05 Jan 2024 15:03:00 CET"), parse_published("Jan 5, 2024 11:33 PM ACST")
        (1704463380000000, 1704463380000000)
        >>> parse_published("Fri, 05 Jan 2024 19:33:00 IST")  # India's, Ireland's or Israel's
        >>> parse_published("0001-01-01T00:00:00Z"), parse_published("01/05/2024"), parse_published(2016.0)
        (None, None, None)
        >>> parse_published("01/05/2024", "month_first"), parse_published("01/05/2024", "day_first")
        (1704412800000000, 1714521600000000)
    """
    _check_date_order(date_order)
    microseconds = _microseconds(value, date_order)
    if microseconds is None or not _EARLIEST_US <= microseconds < _END_US:
        return None
    return microseconds


def _check_date_order(date_order: str) -> None:
    if date_order not in DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(DATE_ORDERS)}, got {date_order!r}")


def _microseconds(value: Any, date_order: str) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _epoch_microseconds(value)
    if isinstance(value, Decimal):  # a Parquet DECIMAL column (Spark, Snowflake, DuckDB's 1755597600.5)
        return _epoch_microseconds(Fraction(value)) if value.is_finite() else None
    if isinstance(value, np.datetime64):
        unit, count = np.datetime_data(value.dtype)
        if np.isnat(value) or unit not in _MICROSECONDS_PER_TICK:
            return None
        return math.floor(int(value.astype(np.int64)) * count * _MICROSECONDS_PER_TICK[unit])
    if isinstance(value, datetime):
        moment: datetime | None = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str):
        text = value.strip()
        moment = _parse_date_text(text, date_order)
        # After ISO 8601, which reads eight digits as a basic date (20250819).
        if moment is None and _EPOCH_DIGITS.fullmatch(text):
            return _epoch_microseconds(Fraction(text))
    else:
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _epoch_microseconds(number: int | float | Fraction) -> int | None:
    """An epoch number in the unit its magnitude gives (``_EPOCH_UNITS``) as microseconds."""
    if isinstance(number, float) and not math.isfinite(number):
        return None
    if is_bare_year(number):  # not a time in the first hour of 1970
        return None
    for microseconds_per_unit, year_10000 in _EPOCH_UNITS:
        if -year_10000 < number < year_10000:
            microseconds = number * microseconds_per_unit
            # An exact number is cut to the microsecond, as an ISO string or a Parquet
            # timestamp of the same instant is (it was rounded: 1 µs apart); a float, whose
            # product may fall a hair below the whole microsecond it means, is rounded.
            return math.floor(microseconds) if isinstance(microseconds, Fraction) else round(microseconds)
    return None


def _parse_date_text(text: str, date_order: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    if (written := _written_date(text, date_order)) is not None:
        return written
    # email.utils reads AM/PM as an unknown zone, 2:03 PM as 02:03 (_written_date reads those
    # it can).
    if _MERIDIEM.search(text):
        return None
    text = _NAMED_OFFSET.sub(r"\g<sign>\g<hours>\g<minutes>", _DATE_COMMENT.sub(" ", text))
    pieces = _DATE_TOKEN.split(text)  # tokens, with separators between
    tokens = pieces[::2]
    # email.utils reads any year under 100 as two digits (0001 -> 2001): a year written with
    # more digits is a placeholder before 1900 ("Mon, 01 Jan 0001 00:00:00 GMT", the zero
    # time of Go and .NET in RFC 1123 form), not a date of this century.
    if any(len(token) > 2 and token.isdigit() and int(token) < 100 for token in tokens):
        return None
    # email.utils reads a zone name it does not know (CET, IST, EST5EDT, GMT+1), wherever it
    # stands ("Tue Aug 19 10:00:00 CET 2025", as Java and Unix date write it), as UTC: it is
    # given the offset of a name read (+0100), and a date with any other word is not one it
    # read, nor one with hours after a name ("GMT-1", split as 19-Aug is).
    for index, token in enumerate(tokens):
        word = token.lower()
        if not any(character.isalpha() for character in word) or word in _MONTHS or word in _WEEKDAYS:
            continue
        offset = _ZONE_OFFSETS.get(word)
        if offset is None or pieces[2 * index + 1 : 2 * index + 2] == ["-"]:
            return None
        pieces[2 * index] = _numeric_offset(offset)
        if index:  # "10:00:00-CET": the offset has its own sign
            pieces[2 * index - 1] = " "
    try:
        return email.utils.parsedate_to_datetime("".join(pieces))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _numeric_offset(offset: timedelta) -> str:
    """An offset from UTC as RFC 2822 writes it.

    Example:
        >>> _numeric_offset(timedelta(hours=9.5)), _numeric_offset(timedelta(hours=-10))
        ('+0930', '-1000')
    """
    minutes = offset // timedelta(minutes=1)
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02}{abs(minutes) % 60:02}"


def _written_date(text: str, date_order: str = InputConfig.date_order) -> datetime | None:
    """A date written year first (``_YEAR_FIRST_DATE``), with its month's name
    (``_NAMED_MONTH_DATE``), or, unless ``date_order`` is unknown, with day and month in
    digits before the year in that order (``_DIGITS_YEAR_LAST_DATE``), with an optional time
    of day and zone (``_CLOCK``); None for any other text, a name that is no month, weekday
    or zone, or a day the order makes impossible (13/25/2024 month first).

    Example:
        >>> _written_date("Friday, January 5, 2024 2:03 PM")
        datetime.datetime(2024, 1, 5, 14, 3)
        >>> _written_date("2024/01/05 14:03 UTC")
        datetime.datetime(2024, 1, 5, 14, 3, tzinfo=datetime.timezone.utc)
        >>> _written_date("Soon 5, 2024") is None, _written_date("01/05/2024") is None
        (True, True)
        >>> _written_date("05/01/24 2:03 PM", "month_first"), _written_date("05.01.2024", "day_first")
        (datetime.datetime(2024, 5, 1, 14, 3), datetime.datetime(2024, 1, 5, 0, 0))
    """
    if match := _YEAR_FIRST_DATE.match(text):
        month: int | None = int(match["month"])
        day = int(match["day"])
        year = int(match["year"])
    elif match := _NAMED_MONTH_DATE.match(text):
        weekday = match["weekday"]
        if weekday is not None and weekday.lower() not in _WEEKDAYS:
            return None
        month = _MONTHS.get((match["month"] or match["month_first"]).lower())
        day = int(match["day"] or match["day_second"])
        year = int(match["year"])
    elif date_order != "unknown" and (match := _DIGITS_YEAR_LAST_DATE.match(text)):
        month, day = int(match["first"]), int(match["second"])
        if date_order == "day_first":
            month, day = day, month
        year = int(match["year"])
        if len(match["year"]) == 2:
            year += 1900 if year >= _TWO_DIGIT_YEAR_PIVOT else 2000
    else:
        return None
    rest = text[match.end() :]
    clock = _CLOCK.fullmatch(rest) if rest else None
    if month is None or (rest and clock is None):
        return None
    try:
        moment = datetime(year, month, day)
    except ValueError:  # 2024/02/30, 13/25/2024 month first
        return None
    if clock is None:
        return moment
    hour = int(clock["hour"])
    if clock["meridiem"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if clock["meridiem"] in "Pp" else 0)
    if clock["zone_name"]:
        offset: timedelta | None = _ZONE_OFFSETS.get(clock["zone_name"].lower())
        if offset is None:
            return None
    elif clock["offset_sign"]:
        offset = timedelta(hours=int(clock["offset_hours"]), minutes=int(clock["offset_minutes"]))
        offset = -offset if clock["offset_sign"] == "-" else offset
    else:
        offset = None
    fraction = (clock["fraction"] or "").ljust(6, "0")[:6]  # nanoseconds: their microsecond
    try:
        return moment.replace(
            hour=hour,
            minute=int(clock["minute"]),
            second=int(clock["second"] or 0),
            microsecond=int(fraction),
            tzinfo=None if offset is None else timezone(offset),
        )
    except ValueError:  # 24:00, 14:60, an offset of a day or more
        return None


def is_bare_year(value: Any) -> bool:
    """Whether ``value`` is a number, or a string of one, that can only be a year (1900-2100,
    whole: 2016, "2016", 2016.0, Kaggle's "All the News" ``year`` column), which
    ``parse_published`` does not read as epoch seconds.

    Example:
        >>> is_bare_year(2016.0), is_bare_year("2016"), is_bare_year(1755597600), is_bare_year("2016-01-05")
        (True, True, False, False)
    """
    if isinstance(value, str) and _EPOCH_DIGITS.fullmatch(text := value.strip()):
        value = Fraction(text)
    elif isinstance(value, Decimal) and value.is_finite():
        value = Fraction(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction):
        return False
    return math.isfinite(value) and value == int(value) and int(value) in _BARE_YEARS


# --- The Beam transform ---


def _count_reject(reason: str) -> None:
    Metrics.counter(_COUNTER_NAMESPACE, f"rejected_{reason}").inc()


def _located(path: str, base: str | None) -> str:
    """A local path relative to ``base`` (the folder the pipeline was built in) made absolute:
    a worker of a distributed runner runs in a folder of its own."""
    if base is None or FileSystems.get_scheme(path) is not None or os.path.isabs(path):
        return path
    return os.path.join(base, path)


def _named(item: Article | Reject, located: str, path: str) -> Article | Reject:
    """An item read from ``located`` (the path made absolute, or a copy of the file) as if
    read from ``path``, as the inputs spell it."""
    if item.source != located:  # a backfill split's row keeps its own provenance
        return item
    if isinstance(item, Reject):
        # A .txt file's reject may name its sidecar, read from beside ``located``: named beside
        # ``path`` too, a row does not depend on the folder the run was started in.
        detail = item.detail
        if _kind(path) == "text":
            for read, named in zip(_sidecar_paths(located), _sidecar_paths(path), strict=True):
                detail = detail.replace(read, named)
        return item._replace(source=path, detail=detail.replace(located, path))
    return item._replace(source=path)


class InputFile(NamedTuple):
    """One input file as the workers read it.

    ``path``: as listed (rows name it); ``copies``: the file and its sidecar -> the remote
    copies the worker reads instead (``remote``; empty: read in place); ``sidecar``: a local
    .txt file's sidecar as listed where the inputs are listed, None for none (``local_sidecars``);
    by default it is looked for beside the file."""

    path: str
    copies: Mapping[str, str] = {}
    sidecar: str | None | _Sidecar = _Sidecar.LOOK_BESIDE

    def to_line(self) -> str:
        """The file as one line of JSON, for ``from_line`` (a list file's line, or a graph's element)."""
        fields: dict[str, Any] = {"path": self.path}
        if self.copies:
            fields["copies"] = dict(self.copies)
        if not isinstance(self.sidecar, _Sidecar):
            fields["sidecar"] = self.sidecar
        return json.dumps(fields, sort_keys=True)

    @classmethod
    def from_line(cls, line: str) -> InputFile:
        fields = json.loads(line)
        return cls(fields["path"], fields.get("copies", {}), fields.get("sidecar", _Sidecar.LOOK_BESIDE))


def input_files(files: Collection[str], copies: Mapping[str, str] | None = None) -> list[InputFile]:
    """Each input with its own remote copies (``copies``: every file read -> its copy) and,
    for a local .txt file, its sidecar as listed on this machine (``local_sidecars``)."""
    copies = copies or {}
    sidecars = local_sidecars(files)
    listed = []
    for path in files:
        sidecar = sidecars.get(path, _Sidecar.LOOK_BESIDE)
        read = [path] if sidecar is None or isinstance(sidecar, _Sidecar) else [path, sidecar]
        listed.append(InputFile(path, {name: copies[name] for name in read if name in copies}, sidecar))
    return listed


@beam.typehints.with_input_types(InputFile)
@beam.typehints.with_output_types(Article)
class _ParseFileFn(beam.DoFn):
    """An input file -> its Articles (main output) and Rejects (output ``rejects``)."""

    def __init__(
        self,
        max_chars: int,
        base: str | None = None,
        max_field_chars: int = InputConfig.max_field_chars,
        columns: ColumnConfig | None = None,
        date_order: str = InputConfig.date_order,
    ) -> None:
        self._max_chars = max_chars
        self._max_field_chars = max_field_chars
        self._columns = columns
        self._date_order = date_order
        self._base = base
        self._records = Metrics.counter(_COUNTER_NAMESPACE, "records")
        self._unparseable_dates = Metrics.counter(_COUNTER_NAMESPACE, "unparseable_published_at")
        self._bare_years = Metrics.counter(_COUNTER_NAMESPACE, BARE_YEAR_DATES)
        self._not_found = Metrics.counter(_COUNTER_NAMESPACE, LOCAL_FILES_NOT_FOUND)

    def process(self, file: InputFile) -> Iterator[Article | beam.pvalue.TaggedOutput]:
        path, copies = file.path, file.copies
        try:
            located = copies.get(path) or _located(path, self._base)
            if FileSystems.get_scheme(located) is None and not os.path.isfile(located):
                # Rejected below as unreadable_file; the run checks that this machine lacks it too.
                self._not_found.inc()
            sidecar = file.sidecar
            if isinstance(sidecar, str):  # a local .txt file's sidecar, as listed
                sidecar = copies.get(sidecar) or _located(sidecar, self._base)
            read = parse_file(
                located,
                self._max_chars,
                self._count_unparseable_date,
                sidecar,
                self._max_field_chars,
                self._columns,
                self._date_order,
            )
            for item in read:
                if located != path:
                    item = _named(item, located, path)
                self._records.inc()
                if isinstance(item, Reject):
                    _count_reject(item.reason)
                    yield beam.pvalue.TaggedOutput(
                        REJECTS, item._replace(detail=self._uncopied(item.detail, located, copies))
                    )
                else:
                    yield item
        except Exception as error:  # a bug at file level costs that file, not the job
            detail = self._uncopied(f"while reading {path}: {error}", copies.get(path, path), copies)
            reason = f"error_{type(error).__name__}"
            self._records.inc()  # the reject stands for the file's unread records: count it as one
            _count_reject(reason)
            yield beam.pvalue.TaggedOutput(REJECTS, Reject(path, 0, reason, detail, ""))

    def _count_unparseable_date(self, value: Any) -> None:
        self._unparseable_dates.inc()
        if is_bare_year(value):
            self._bare_years.inc()

    def _uncopied(self, detail: str, located: str, copies: Mapping[str, str]) -> str:
        """A reject's detail naming the files read from ``located`` (a remote copy) as
        they are here: the file, and a .txt file's sidecar, read from its copy too."""
        # A copy -> the file it copies, as read without copies.
        originals = {copy: _located(path, self._base) for path, copy in copies.items()}
        if located not in originals:
            return detail
        read = [located, *(_sidecar_paths(located) if _kind(located) == "text" else ())]
        for copy in read:
            if copy in originals and copy in detail:
                detail = detail.replace(copy, originals[copy])
        return detail


@beam.typehints.with_output_types(Article)
class _KeepFirstPerIdFn(beam.DoFn):
    """(id, articles) -> the first article by (source, record) that the analysis keeps, else
    the first (``analyse.first_kept``); the others become duplicate_id rejects."""

    def __init__(self, min_words: int) -> None:
        self._min_words = min_words

    def process(self, element: tuple[str, Iterable[Article]]) -> Iterator[Article | beam.pvalue.TaggedOutput]:
        article_id, articles = element
        ordered = sorted(articles, key=lambda article: (article.source, article.record))
        first = first_kept(ordered, self._min_words)
        yield first
        later = f"{first.source}:{first.record}, a later record whose text the analysis keeps"
        for duplicate in (article for article in ordered if article is not first):
            _count_reject("duplicate_id")
            detail = (
                f"id {article_id!r} was already read from {first.source}:{first.record}"
                if (duplicate.source, duplicate.record) > (first.source, first.record)
                else f"id {article_id!r} is read from {later}"
            )
            reject = Reject(
                duplicate.source, duplicate.record, "duplicate_id", detail, duplicate.text[:RAW_LIMIT]
            )
            yield beam.pvalue.TaggedOutput(REJECTS, reject)


def _keyed_by_id(article: Article) -> tuple[str, Article]:
    return article.id, article


class ReadArticles(beam.PTransform):
    """Input files -> ``{"articles": PCollection[Article], "rejects": PCollection[Reject]}``.

    Ids are unique in ``articles``: of several records with one id, the first by (source,
    record) that the analysis keeps (else the first) is kept, whatever order the runner
    reads files in.

    Example:
        read = pipeline | "Read" >> ReadArticles(resolve_inputs(["seeds/"]), max_chars=1_000_000)
    """

    def __init__(
        self,
        files: list[str],
        max_chars: int,
        copies: dict[str, str] | None = None,
        max_field_chars: int = InputConfig.max_field_chars,
        columns: ColumnConfig | None = None,
        list_folder: str | None = None,
        date_order: str = InputConfig.date_order,
        min_words: int = InputConfig.min_words,
    ) -> None:
        """``copies``: input path -> a copy the workers read instead (``remote``); rows still
        name the path. ``max_chars``, ``max_field_chars``, ``date_order``, ``min_words``:
        ``input.max_chars``, ``input.max_field_chars``, ``input.date_order``,
        ``input.min_words`` (of one id's records, the first the analysis keeps is the
        article: ``analyse.first_kept``); ``columns``: the inputs' name for each
        field (``columns.*``); ``list_folder``: where the list of input files goes when it is
        too long for the pipeline graph (``file_list``)."""
        super().__init__()
        for name, limit in (("max_chars", max_chars), ("max_field_chars", max_field_chars)):
            if limit <= 0:
                raise ValueError(f"{name} must be a positive number of characters, got {limit}")
        _check_date_order(date_order)
        self._date_order = date_order
        self._files = input_files(list(files), copies)
        self._max_chars = max_chars
        self._max_field_chars = max_field_chars
        self._columns = columns
        # Relative local paths are relative to this folder, not to a worker's.
        self._base = os.getcwd()
        self._list_folder = list_folder
        self._min_words = min_words

    def expand(self, pbegin: beam.pvalue.PBegin) -> dict[str, beam.PCollection]:
        parsed = (
            pbegin
            | "ListFiles" >> CreateStrings([file.to_line() for file in self._files], self._list_folder)
            # Without this break in fusion, one worker would parse every file.
            | "SpreadFiles" >> beam.Reshuffle()
            | "DecodeFiles" >> beam.Map(InputFile.from_line)
            | "ParseFiles"
            >> beam.ParDo(
                _ParseFileFn(
                    self._max_chars, self._base, self._max_field_chars, self._columns, self._date_order
                )
            ).with_outputs(REJECTS, main=ARTICLES)
        )
        unique = (
            parsed[ARTICLES]
            | "KeyById" >> beam.Map(_keyed_by_id)
            | "GroupById" >> beam.GroupByKey()
            | "KeepFirstPerId"
            >> beam.ParDo(_KeepFirstPerIdFn(self._min_words)).with_outputs(REJECTS, main=ARTICLES)
        )
        rejects = (parsed[REJECTS], unique[REJECTS]) | "MergeRejects" >> beam.Flatten()
        return {ARTICLES: unique[ARTICLES], REJECTS: rejects}
