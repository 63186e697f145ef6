"""Tests of pipeline.read: date parsing, every reject reason, input resolution and ReadArticles."""

from __future__ import annotations

import gzip
import json
import os
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import apache_beam as beam
import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import (
    test_pipeline,
)  # imported as a module: pytest would try to collect TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from pipeline import read
from pipeline.config import ColumnConfig
from pipeline.read import InputError, ReadArticles, _ParseFileFn, parse_file, parse_published, resolve_inputs
from pipeline.records import Article, Reject

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
MAX_CHARS = 100
AUG_19_10H_UTC = 1_755_597_600_000_000  # 2025-08-19T10:00:00Z in microseconds
JAN_1_1900_UTC = -2_208_988_800_000_000  # the earliest publication time read


def write_lines(path: Path, *lines: str | bytes) -> str:
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines))
    return str(path)


def parse(path: str | Path, max_chars: int = MAX_CHARS) -> list[Article | Reject]:
    return list(parse_file(str(path), max_chars))


def outcomes(items: list[Article | Reject]) -> list[tuple[int, str]]:
    """(record, reason) per item; an Article's reason is "ok"."""
    return [(item.record, item.reason if isinstance(item, Reject) else "ok") for item in items]


# --- parse_published ---


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2010-07-02", 1_278_028_800_000_000),
        ("2025-08-19T10:00:00Z", AUG_19_10H_UTC),
        ("2025-08-19T12:00:00+02:00", AUG_19_10H_UTC),
        ("2025-08-19T10:00:00", AUG_19_10H_UTC),  # naive means UTC
        ("2025-08-19 10:00:00.5", AUG_19_10H_UTC + 500_000),
        (" Tue, 19 Aug 2025 10:00:00 +0000 ", AUG_19_10H_UTC),
        ("Tue, 19 Aug 25 10:00:00 -0000", AUG_19_10H_UTC),  # a two-digit year is this century's
        ("Tuesday, 19-Aug-25 10:00:00 GMT", AUG_19_10H_UTC),
        ("Tue, 19 Aug 2025 12:00:00 +0200", AUG_19_10H_UTC),
        (1_755_597_600, AUG_19_10H_UTC),
        (1_755_597_600.25, AUG_19_10H_UTC + 250_000),
        (0, 0),
        (datetime(2025, 8, 19, 10, tzinfo=UTC), AUG_19_10H_UTC),
        (date(2010, 7, 2), 1_278_028_800_000_000),
        (np.datetime64(1_755_597_600_123_456_789, "ns"), AUG_19_10H_UTC + 123_456),
        (np.datetime64(1_755_597_600, "s"), AUG_19_10H_UTC),
        (np.datetime64("2010-07-02"), 1_278_028_800_000_000),
        ("1900-01-01T00:00:00Z", JAN_1_1900_UTC),
        (-2_208_988_800, JAN_1_1900_UTC),
        ("9998-12-31T23:59:59.999999Z", 253_370_764_799_999_999),
        # Epoch numbers in the unit their magnitude gives, numbers or digit strings alike.
        (1_755_597_600_123, AUG_19_10H_UTC + 123_000),  # milliseconds (JavaScript, Kafka)
        (1.7555976e12, AUG_19_10H_UTC),
        (1_755_597_600_123_456, AUG_19_10H_UTC + 123_456),  # microseconds
        (1_755_597_600_123_456_789, AUG_19_10H_UTC + 123_456),  # nanoseconds, cut as the datetime64 above
        ("1755597600", AUG_19_10H_UTC),
        (" 1755597600.25 ", AUG_19_10H_UTC + 250_000),
        ("1755597600123", AUG_19_10H_UTC + 123_000),
        ("1755597600123456789", AUG_19_10H_UTC + 123_456),
        ("-2208988800", JAN_1_1900_UTC),
        ("20250819", 1_755_561_600_000_000),  # eight digits: an ISO 8601 basic date, not seconds
        # The boundaries: the first number of each unit past seconds is 1978-01-11T21:31:40Z.
        (253_402_300_800, 253_402_300_800_000),
        (253_402_300_800_000, 253_402_300_800_000),
        (253_402_300_800_000_000, 253_402_300_800_000),
        (-253_402_300_800, -253_402_300_800_000),  # milliseconds: 1961-12-20
        (-2_208_988_800_000, JAN_1_1900_UTC),
    ],
)
def test_parse_published_accepts(value, expected):
    assert parse_published(value) == expected


JAN_5_14H03_UTC = 1_704_463_380_000_000  # 2024-01-05T14:03:00Z in microseconds
JAN_5_UTC = 1_704_412_800_000_000


@pytest.mark.parametrize(
    "value, expected",
    [
        # ISO 8601 with or without T, seconds, zone; nanoseconds keep their microseconds.
        ("2024-01-05T14:03", JAN_5_14H03_UTC),
        ("2024-01-05 14:03", JAN_5_14H03_UTC),
        ("2024-01-05T14:03:00.123456789Z", JAN_5_14H03_UTC + 123_456),
        ("20240105T140300Z", JAN_5_14H03_UTC),
        # A zone's name after an ISO date and time (PostgreSQL, MySQL, pandas' str of a time).
        ("2024-01-05 14:03:00 UTC", JAN_5_14H03_UTC),
        ("2024-01-05 14:03:00.5 GMT", JAN_5_14H03_UTC + 500_000),
        ("2024-01-05 09:03 EST", JAN_5_14H03_UTC),
        # Year first with slashes or dots: one order only.
        ("2024/01/05 14:03", JAN_5_14H03_UTC),
        ("2024/1/5 14:03:00+00:00", JAN_5_14H03_UTC),
        ("2024/01/05 16:03 +0200", JAN_5_14H03_UTC),
        ("2024/01/05", JAN_5_UTC),
        ("2024.01.05", JAN_5_UTC),
        # The month by name, before or after the day; a weekday; AM/PM.
        ("05 Jan 2024", JAN_5_UTC),
        ("5 Jan. 2024", JAN_5_UTC),
        ("Jan 5, 2024", JAN_5_UTC),
        ("Sept 5, 2024", 1_725_494_400_000_000),
        ("January 5th, 2024", JAN_5_UTC),
        ("January 5, 2024 2:03 PM", JAN_5_14H03_UTC),  # email.utils read 02:03
        ("Jan 5, 2024, 2:03 p.m.", JAN_5_14H03_UTC),
        ("January 5, 2024 at 2:03 pm", JAN_5_14H03_UTC),
        ("Jan 5, 2024 12:00 AM", JAN_5_UTC),
        ("Jan 5, 2024 9:03 AM EST", JAN_5_14H03_UTC),
        ("Friday, January 5, 2024", JAN_5_UTC),
        ("Fri, Jan 5, 2024 14:03:00", JAN_5_14H03_UTC),
        ("5 January 2024 14:03 GMT", JAN_5_14H03_UTC),
        # RFC 2822 with and without its weekday; epoch seconds and milliseconds.
        ("Fri, 05 Jan 2024 14:03:00 +0000", JAN_5_14H03_UTC),
        ("05 Jan 2024 14:03:00 +0000", JAN_5_14H03_UTC),
        ("Fri, 05 Jan 2024 09:03:00 EST", JAN_5_14H03_UTC),
        ("1704463380", JAN_5_14H03_UTC),
        ("1704463380000", JAN_5_14H03_UTC),
        (1_704_463_380, JAN_5_14H03_UTC),
        (1_704_463_380_000, JAN_5_14H03_UTC),
    ],
)
def test_parse_published_accepts_dates_as_exports_write_them(value, expected):
    assert parse_published(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        # Day and month in digits, year last: either order is common, and no value says which.
        *("01/05/2024", "05/01/2024", "5/1/24", "01-05-2024", "05.01.2024", "01/05/2024 14:03"),
        # A bare year (Kaggle's "All the News" year column) is no time, not 1970-01-01 00:33:36.
        *(2016, 2016.0, "2016", "2016.0", " 2016 ", Decimal("2016"), 1900, 2100),
        # Names that are no month, weekday or zone; an hour AM/PM cannot have; no such day.
        *("Soon 5, 2024", "Someday, January 5, 2024", "Jan 5, 2024 14:03 XYZ", "2024-01-05 14:03:00 XYZ"),
        *("Fri, 05 Jan 2024 14:03:00 XYZ", "Fri, 05 Jan 2024 02:03:00 PM +0100x", "2024-01-05 14:03 PM"),
        *("2024/02/30", "2024/01/05 24:00", "2024/01/05 14:03 +2400", "Jan 2024", "2024/01/05 and later"),
    ],
)
def test_parse_published_leaves_ambiguous_and_bare_year_values_unread(value):
    assert parse_published(value) is None


# The zone names read besides RFC 822's, and their hours from UTC (half an hour: ACST, ACDT).
ZONES_READ = {
    **{"CET": 1, "CEST": 2, "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "BST": 1, "MSK": 3},
    **{"JST": 9, "KST": 9, "HKT": 8, "SGT": 8, "AWST": 8, "ACST": 9.5, "ACDT": 10.5},
    **{"AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13, "HST": -10, "AKST": -9, "AKDT": -8},
}


@pytest.mark.parametrize("zone, hours", ZONES_READ.items())
def test_a_zone_name_read_gives_the_utc_instant_in_every_form(zone, hours):
    # 2025-08-19 10:00 UTC written in the zone's local time, in the forms feeds write it in:
    # RFC 2822 (four- and two-digit year), Java's Date.toString and Unix date, year first,
    # the month by name with a 24-hour or AM/PM clock.
    local = datetime(2025, 8, 19, 10, tzinfo=UTC) + timedelta(hours=hours)
    forms = [
        local.strftime(f"%a, %d %b %Y %H:%M:%S {zone}"),
        local.strftime(f"%A, %d-%b-%y %H:%M:%S {zone}"),
        local.strftime(f"%a %b %d %H:%M:%S {zone} %Y"),
        local.strftime(f"%Y/%m/%d %H:%M {zone}"),
        local.strftime(f"%Y-%m-%d %H:%M:%S {zone.lower()}"),
        local.strftime(f"%b %d, %Y %I:%M %p {zone}"),
        local.strftime(f"%d %B %Y %H:%M {zone}"),
    ]
    assert {form: parse_published(form) for form in forms} == dict.fromkeys(forms, AUG_19_10H_UTC)
    day_first = local.strftime(f"%d/%m/%Y %H:%M {zone}")  # and with input.date_order
    assert parse_published(day_first, "day_first") == AUG_19_10H_UTC


@pytest.mark.parametrize(
    "value, expected",
    [
        # CST and MST are US Central and Mountain, as RFC 822 and email.utils read them.
        ("Tue, 19 Aug 2025 04:00:00 CST", AUG_19_10H_UTC),
        ("Tue Aug 19 03:00:00 MST 2025", AUG_19_10H_UTC),
        ("2025/08/19 06:00 EDT", AUG_19_10H_UTC),
        # Half an hour: Adelaide.
        ("Tue, 19 Aug 2025 19:30:00 ACST", AUG_19_10H_UTC),
        ("Aug 19, 2025 7:30 PM ACST", AUG_19_10H_UTC),
        # An RFC 2822 comment is no part of the date.
        ("Tue, 19 Aug 2025 12:00:00 CEST (Central European Summer Time)", AUG_19_10H_UTC),
        ("Tue, 19 Aug 2025 10:00:00 +0000 (Coordinated Universal Time)", AUG_19_10H_UTC),
    ],
)
def test_zone_names_keep_their_one_reading(value, expected):
    assert parse_published(value) == expected


@pytest.mark.parametrize(
    "zone",
    [
        # IST is India's (+5:30), Ireland's (+1) and Israel's (+2); AST and ADT Atlantic (-4,
        # -3) and Arabia (+3); an unknown name. email.utils would read them as UTC (AST
        # Atlantic), so the date is left unread and counted, in every form.
        *("IST", "AST", "ADT", "XYZ"),
    ],
)
def test_an_ambiguous_or_unknown_zone_name_leaves_the_date_unread(zone):
    forms = [
        f"Tue, 19 Aug 2025 10:00:00 {zone}",
        f"Tuesday, 19-Aug-25 10:00:00 {zone}",
        f"Tue Aug 19 10:00:00 {zone} 2025",  # email.utils read the zone in the middle as UTC
        f"Tue, 19 Aug 2025 10:00:00-{zone}",
        f"2025/08/19 10:00 {zone}",
        f"Aug 19, 2025 10:00 AM {zone}",
        f"19/08/2025 10:00 {zone}",
    ]
    assert [parse_published(form, "day_first") for form in forms] == [None] * len(forms)


@pytest.mark.parametrize(
    "value",
    [
        # JavaScript's Date.toString, and an offset after GMT or UTC with its minutes.
        "Tue Aug 19 2025 12:00:00 GMT+0200 (Central European Summer Time)",
        "Tue, 19 Aug 2025 05:00:00 GMT-0500",
        "Tuesday, 19-Aug-25 12:00:00 UTC+02:00",
        "2025/08/19 12:00 GMT+02:00",
        "Aug 19, 2025 5:00 AM UTC-0500",
    ],
)
def test_an_offset_after_gmt_or_utc_is_read(value):
    assert parse_published(value) == AUG_19_10H_UTC


@pytest.mark.parametrize(
    "value",
    [
        # Hours alone after GMT: POSIX's Etc/GMT+1 is an hour behind UTC, people mean ahead.
        *("Tue, 19 Aug 2025 11:00:00 GMT+1", "Tue, 19 Aug 2025 09:00:00 GMT-1", "2025/08/19 11:00 GMT+1"),
        # A POSIX TZ rule, a name with an offset after it, a word that is no month or zone.
        *("Tue Aug 19 06:00:00 EST5EDT 2025", "Tue, 19 Aug 2025 11:00:00 CET+1"),
        "Tue, 19th Aug 2025 10:00 GMT",
    ],
)
def test_a_word_with_digits_in_an_rfc_2822_date_leaves_it_unread(value):
    # email.utils read each as UTC, the first as 11:00 UTC.
    assert parse_published(value) is None


MAY_1_UTC = 1_714_521_600_000_000  # 2024-05-01T00:00:00Z
MAY_1_14H03_UTC = MAY_1_UTC + 50_580_000_000


@pytest.mark.parametrize(
    "value, month_first, day_first",
    [
        # Slashes, dots or dashes; one-digit day and month; the year in four digits or two.
        ("05/01/2024", MAY_1_UTC, JAN_5_UTC),
        ("05.01.2024", MAY_1_UTC, JAN_5_UTC),
        ("05-01-2024", MAY_1_UTC, JAN_5_UTC),
        ("5/1/2024", MAY_1_UTC, JAN_5_UTC),
        ("5/1/24", MAY_1_UTC, JAN_5_UTC),
        # After it a time (24-hour or AM/PM, seconds, a fraction) and a zone, as after other dates.
        ("05/01/2024 14:03", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        ("05/01/2024 14:03:00", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        ("05/01/2024 2:03 PM", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        ("5/1/24, 2:03 p.m.", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        ("05.01.2024 14:03:00.5 UTC", MAY_1_14H03_UTC + 500_000, JAN_5_14H03_UTC + 500_000),
        ("05-01-2024T16:03+0200", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        ("05/01/2024 09:03 EST", MAY_1_14H03_UTC, JAN_5_14H03_UTC),
        # A date valid in one order only is read in that order, never guessed in the other.
        ("12/25/2024", 1_735_084_800_000_000, None),
        ("25/12/2024", None, 1_735_084_800_000_000),
        # Two-digit years as email.utils reads RFC 2822's: 00-68 are 2000-2068, 69-99 1969-1999.
        ("01/01/68", 3_092_601_600_000_000, 3_092_601_600_000_000),
        ("01/01/69", -31_536_000_000_000, -31_536_000_000_000),
        ("01/01/99", 915_148_800_000_000, 915_148_800_000_000),
        ("01/01/00", 946_684_800_000_000, 946_684_800_000_000),
        # Other forms read as before, whatever the order.
        ("2024/01/05", JAN_5_UTC, JAN_5_UTC),
        ("Jan 5, 2024", JAN_5_UTC, JAN_5_UTC),
        ("2024-01-05T14:03:00Z", JAN_5_14H03_UTC, JAN_5_14H03_UTC),
    ],
)
def test_a_date_order_reads_day_and_month_in_digits_in_that_order(value, month_first, day_first):
    assert parse_published(value, "month_first") == month_first
    assert parse_published(value, "day_first") == day_first
    if value[0].isdigit() and not value[:4].isdigit():  # left unread without an order
        assert parse_published(value) is parse_published(value, "unknown") is None


@pytest.mark.parametrize(
    "value",
    [
        # No such month or day in either order, or no such day in the year.
        *("13/25/2024", "32/01/2024", "00/05/2024", "05/00/2024", "02/30/2024", "30/02/2024", "29/02/2023"),
        # A year of three, one or five digits, a mix of separators, an hour or zone not read.
        *("01/05/202", "01/05/2", "01/05/20245", "01/05-2024", "01/05/2024 24:00", "01/05/2024 14:03 IST"),
        *("01/05/2024 and later", "01/05", "1/5/2024 14:03 PM", "01/05/2024 1403"),
    ],
)
def test_a_date_impossible_in_the_order_set_is_left_unread(value):
    assert parse_published(value, "month_first") is parse_published(value, "day_first") is None


def test_an_unknown_date_order_is_refused_not_read_as_unknown(tmp_path):
    path = write_lines(
        tmp_path / "a.jsonl", json.dumps({"id": "a", "text": "x", "published_at": "01/05/2024"})
    )
    with pytest.raises(ValueError, match="date_order must be one of unknown, month_first, day_first"):
        parse_published("01/05/2024", "dmy")
    with pytest.raises(ValueError, match="got 'dmy'"):
        next(parse_file(path, MAX_CHARS, date_order="dmy"))
    with pytest.raises(ValueError, match="got 'dmy'"):
        ReadArticles([path], MAX_CHARS, date_order="dmy")


def test_a_number_past_the_years_is_still_epoch_seconds():
    """Only a whole number 1900-2100 is a bare year: the seconds next to them keep their reading."""
    assert [parse_published(value) for value in (1899, 2101, 2016.5, "2016.5")] == [
        1_899_000_000,
        2_101_000_000,
        2_016_500_000,
        2_016_500_000,
    ]


@pytest.mark.parametrize(
    "value",
    [
        *(None, "", "   ", "yesterday", "2025-13-01", "19/08/2025", True, float("nan"), 1e300, [2025], {}),
        # Outside [1900-01-01, 9999-01-01) UTC: placeholders that later steps cannot handle.
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "Fri, 31 Dec 9999 23:59:59 -0100",
        # Go's and .NET's zero time in RFC 1123 form: not 2001 (email.utils's two-digit years).
        "Mon, 01 Jan 0001 00:00:00 GMT",
        "Monday, 01-Jan-0001 00:00:00 GMT",
        "Mon Jan  1 00:00:00 0001",
        "1899-12-31T23:59:59Z",
        "9999-01-01",
        -2_208_988_801,
        253_402_300_799,
        1e303,
        np.datetime64(2**62, "s"),
        np.datetime64("NaT", "ns"),
        # The last number of each unit: 9999-12-31T23:59:59(.999...), no date in the next unit.
        253_402_300_799_999,
        253_402_300_799_999_999,
        253_402_300_799_999_999_999,
        253_402_300_800_000_000_000,  # past nanoseconds
        -2_208_988_800_001,  # milliseconds before 1900
        "253402300799",
        *("1755597600x", "1.7e12", "--1755597600", "1755597600."),
    ],
)
def test_parse_published_rejects(value):
    assert parse_published(value) is None


# --- parse_file: JSON Lines ---


def test_json_lines_every_reason(tmp_path):
    path = write_lines(
        tmp_path / "mixed.jsonl",
        '{"id": "a", "text": "Hello", "outlet": " Wire ", "title": "", "url": 5, '
        '"published_at": "2025-08-19T10:00:00Z"}',
        "",
        b'{"id": "b", "text": "caf\xe9"}',
        '{"id": "c", "text": ',
        '["id", "text"]',
        '{"text": "no id"}',
        '{"id": null, "text": "x"}',
        '{"id": "", "text": "x"}',
        '{"id": true, "text": "x"}',
        '{"id": 7, "text": "seven"}',
        '{"id": "d"}',
        '{"id": "d", "text": null}',
        '{"id": "e", "text": 5}',
        '{"id": "f", "text": " \\n\\t "}',
        json.dumps({"id": "g", "text": "x" * (MAX_CHARS + 1)}),
        json.dumps({"id": "h", "text": "x" * MAX_CHARS}),
        "   ",
    )
    items = parse(path)
    assert outcomes(items) == [
        (1, "ok"),
        (3, "invalid_utf8"),
        (4, "malformed_json"),
        (5, "not_an_object"),
        (6, "missing_id"),
        (7, "missing_id"),
        (8, "missing_id"),
        (9, "missing_id"),
        (10, "ok"),
        (11, "missing_text"),
        (12, "missing_text"),
        (13, "text_not_string"),
        (14, "empty_text"),
        (15, "too_long"),
        (16, "ok"),
    ]
    assert items[0] == Article(
        id="a",
        text="Hello",
        outlet="Wire",
        title=None,
        published_us=AUG_19_10H_UTC,
        url="5",
        source=path,
        record=1,
    )
    assert items[8].id == "7"
    invalid, malformed = items[1], items[2]
    assert invalid.raw == '{"id": "b", "text": "caf\ufffd"}'
    assert malformed.detail == "line 4: expecting value at column 21"
    assert malformed.raw == '{"id": "c", "text": '
    # An absent key says which key was looked for and which the record has; a null says no more.
    assert items[4].detail == "line 6: no 'id' field (set columns.id to read another); the record has 'text'"
    assert items[5].detail == "line 7: no id"
    no_text = "line 11: no 'text' field (set columns.text to read another); the record has 'id'"
    assert items[9].detail == no_text
    assert items[10].detail == "line 12: no text"
    assert all(reject.source == path for reject in items if isinstance(reject, Reject))


def test_a_misspelt_column_setting_is_named_in_each_reject(tmp_path):
    """A JSON Lines file has no header to check a ``columns`` setting against before the run
    (a CSV's is checked), so every record is rejected: each reject names the key looked for,
    the setting, and the keys the record has."""
    fields = {f"field{number}": "x" for number in range(12)}
    path = write_lines(
        tmp_path / "export.jsonl",
        json.dumps({"id": "a", "body": "The council met.", "outlet": "Gazette"}),
        json.dumps({"id": "b", **fields}),
    )
    first, second = parse_file(str(path), MAX_CHARS, columns=ColumnConfig(text="content"))
    assert (first.reason, second.reason) == ("missing_text", "missing_text")
    assert first.detail == (
        "line 1: no 'content' field (columns.text); the record has 'id', 'body', 'outlet'"
    )
    assert second.detail.endswith("'field10', and 1 more")  # 13 keys: 12 named
    assert parse(path)[0].detail.startswith("line 1: no 'text' field (set columns.text to read another)")


def test_outlet_title_and_url_that_are_not_text_are_rejected(tmp_path):
    # Stringified, they were Python's spellings ("['AP', 'Reuters']", "True", "nan") kept as
    # the article's outlet, title or url; numbers are still kept as text.
    path = write_lines(
        tmp_path / "fields.jsonl",
        '{"id": "a", "text": "x", "outlet": ["AP", "Reuters"]}',
        '{"id": "b", "text": "x", "outlet": {"name": "AP"}}',
        '{"id": "c", "text": "x", "title": true}',
        '{"id": "d", "text": "x", "url": NaN}',
        '{"id": "e", "text": "x", "outlet": 7, "title": 2.5, "url": null}',
    )
    items = parse(path)
    assert [(item.reason, item.detail) for item in items[:4]] == [
        ("field_not_string", "line 1: outlet must be a string or a number, got an array"),
        ("field_not_string", "line 2: outlet must be a string or a number, got an object"),
        ("field_not_string", "line 3: title must be a string or a number, got a boolean"),
        ("field_not_string", "line 4: url must be a string or a number, got nan"),
    ]
    assert items[4][2:4] == ("7", "2.5")

    table = pa.table(
        {
            "id": ["p", "q", "r"],
            "text": ["x", "y", "z"],
            "outlet": pa.array([{"name": "AP"}, None, None]),
            "title": pa.array([None, [b"t"], None], pa.list_(pa.binary())),
            # Fixed-size bytes: no string column a writer stores as BINARY (those read as text).
            "url": pa.array([None, None, b"http"], pa.binary(4)),
        }
    )
    pq.write_table(table, tmp_path / "fields.parquet")
    assert outcomes(parse(tmp_path / "fields.parquet")) == [
        (1, "field_not_string"),
        (2, "field_not_string"),
        (3, "field_not_string"),
    ]

    (tmp_path / "story.txt").write_text("Kyiv agreed.")
    (tmp_path / "story.json").write_text('{"outlet": ["AP"]}')
    (reject,) = parse(tmp_path / "story.txt")
    assert (reject.reason, reject.detail) == (
        "field_not_string",
        f"text file: sidecar {tmp_path / 'story.json'}: outlet must be a string or a number, got an array",
    )


def test_raw_is_cut_to_1000_characters(tmp_path):
    path = write_lines(tmp_path / "long.jsonl", json.dumps({"id": "g", "text": "x" * 5_000}))
    (reject,) = parse(path)
    assert reject.reason == "too_long"
    assert len(reject.raw) == 1_000
    assert reject.detail == "line 1: text has 5,000 characters, more than input.max_chars=100"


def test_byte_order_mark_and_crlf_are_tolerated(tmp_path):
    path = write_lines(
        tmp_path / "bom.jsonl", b'\xef\xbb\xbf{"id": "a", "text": "x"}\r', b'{"id": "b", "text": "y"}\r'
    )
    assert [article.id for article in parse(path)] == ["a", "b"]


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".json"])
def test_lines_may_end_in_a_lone_carriage_return_in_any_mix(tmp_path, suffix):
    # Classic Mac OS files and some exports end lines in "\r"; files joined from several mix them.
    data = (
        b'\xef\xbb\xbf{"id": "a", "text": "One.\\rTwo.\u2028Three."}\r'
        b'{"id": "b", "text": "y"}\r\r'
        b'{"id": "c", "text": "z"}\r\n'
        b"{not json}\n"
        b'{"id": "d", "text": "w"}\r'
    )
    path = tmp_path / f"cr{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    items = parse(path)
    assert outcomes(items) == [(1, "ok"), (2, "ok"), (4, "ok"), (5, "malformed_json"), (6, "ok")]
    assert items[0].text == "One.\rTwo.\u2028Three."  # line breaks inside a string end no line
    assert items[3].raw == "{not json}"


def test_a_json_array_with_lines_ending_in_a_lone_carriage_return_is_read_whole(tmp_path):
    (tmp_path / "array.json").write_bytes(b'[\r{"id": "a", "text": "x"},\r{"id": "b", "text": "y"}\r]\r')
    assert [(item.id, item.record) for item in parse(tmp_path / "array.json")] == [("a", 1), ("b", 2)]


def test_a_byte_order_mark_alone_is_no_record(tmp_path):
    # What an editor or PowerShell writes for an empty UTF-8 file, or before a blank line.
    (tmp_path / "empty.jsonl").write_bytes(b"\xef\xbb\xbf")
    assert parse(tmp_path / "empty.jsonl") == []
    path = write_lines(tmp_path / "blank.jsonl", b"\xef\xbb\xbf\r", b'{"id": "a", "text": "x"}')
    assert outcomes(parse(path)) == [(2, "ok")]


def test_files_with_byte_order_marks_joined_end_to_end_are_read_whole(tmp_path):
    # cat a.jsonl b.jsonl > all.jsonl: b's mark starts a line inside the file, and its first
    # record was a malformed_json reject ("unexpected utf-8 bom").
    bom = b"\xef\xbb\xbf"
    path = write_lines(
        tmp_path / "all.jsonl", bom + b'{"id": "a", "text": "x"}', bom + b'{"id": "b", "text": "y"}', bom
    )
    assert outcomes(parse(path)) == [(1, "ok"), (2, "ok")]


def dates_read(tmp_path, dates: dict[str, object]) -> tuple[list[tuple[str, int | None]], int]:
    """(id, published_us) of one article per ``id: published_at``, and how many dates were
    reported unparseable."""
    lines = (json.dumps({"id": key, "text": "x", "published_at": value}) for key, value in dates.items())
    path = write_lines(tmp_path / "dates.jsonl", *lines)
    unparseable = []
    articles = list(parse_file(path, MAX_CHARS, on_unparseable_date=unparseable.append))
    return [(article.id, article.published_us) for article in articles], len(unparseable)


def test_unparseable_date_keeps_the_article_and_is_reported(tmp_path):
    published, unparseable = dates_read(tmp_path, {"a": "someday", "b": "", "c": 1755597600})
    assert published == [("a", None), ("b", None), ("c", AUG_19_10H_UTC)]
    assert unparseable == 1  # a blank date is absent, not unparseable


def test_epoch_numbers_are_read_in_the_unit_their_magnitude_gives(tmp_path):
    dates = {"s": 1755597600, "ms": 1755597600000, "us": "1755597600000000", "ns": 1755597600000000000}
    published, unparseable = dates_read(tmp_path, dates)
    assert published == [(key, AUG_19_10H_UTC) for key in dates]
    assert unparseable == 0
    # Below the microsecond, cut as an ISO string of the same instant is (it was rounded up).
    instant = {"ns": 1755597600000000999, "iso": "2025-08-19T10:00:00.000000999Z"}
    (tmp_path / "fine").mkdir()
    assert dates_read(tmp_path / "fine", instant)[0] == [(key, AUG_19_10H_UTC) for key in instant]
    milliseconds = pa.array([1_755_597_600_000, None], pa.int64())  # a Parquet column of them
    assert [
        (item.id, item.published_us) for item in parse(write_parquet(tmp_path / "ms.parquet", milliseconds))
    ] == [
        ("p1", AUG_19_10H_UTC),
        ("p2", None),
    ]


def test_every_input_format_reads_dates_in_the_date_order(tmp_path):
    # input.date_order reached only parse_published's callers that were given it: each reader
    # (JSON Lines, CSV, TSV, a Parquet string column, a .txt file's sidecar, a partition
    # folder's value) must read 05/01/2024 as the order says, or leave it unread and counted.
    inputs = tmp_path / "in"
    (inputs / "published_at=05%2F01%2F2024 14%3A03").mkdir(parents=True)
    write_lines(
        inputs / "a.jsonl", json.dumps({"id": "jsonl", "text": "x", "published_at": "05/01/2024 14:03"})
    )
    (inputs / "b.csv").write_text('id,text,published_at\ncsv,x,"05/01/2024 14:03"\n', encoding="utf-8")
    (inputs / "c.tsv").write_text("id\ttext\tpublished_at\ntsv\tx\t05.01.2024 2:03 PM\n", encoding="utf-8")
    write_parquet(inputs / "d.parquet", pa.array(["05-01-2024 14:03:00"]), id=pa.array(["parquet"]))
    (inputs / "txt.txt").write_text("x", encoding="utf-8")
    (inputs / "txt.json").write_text(json.dumps({"published_at": "5/1/24 14:03"}), encoding="utf-8")
    pq.write_table(
        pa.table({"id": ["partition"], "text": ["x"]}),
        inputs / "published_at=05%2F01%2F2024 14%3A03" / "e.parquet",
    )
    expected = {"month_first": MAY_1_14H03_UTC, "day_first": JAN_5_14H03_UTC, "unknown": None}
    for order, published_us in expected.items():
        unparseable: list[object] = []
        articles = [
            item
            for path in resolve_inputs([str(inputs)])
            for item in parse_file(path, MAX_CHARS, unparseable.append, date_order=order)
        ]
        assert sorted((a.id, a.published_us) for a in articles) == [
            (name, published_us) for name in ("csv", "jsonl", "parquet", "partition", "tsv", "txt")
        ], order
        assert len(unparseable) == (6 if order == "unknown" else 0), order


def test_dates_out_of_range_are_unparseable_like_any_other(tmp_path):
    dates = {
        "zero": "0001-01-01T00:00:00Z",
        "rfc-zero": "Mon, 01 Jan 0001 00:00:00 +0000",
        "never": "9999-12-31T23:59:59-01:00",
        "old": -4000000000,
    }
    published, unparseable = dates_read(tmp_path, dates)
    assert published == [("zero", None), ("rfc-zero", None), ("never", None), ("old", None)]
    assert unparseable == 4


@pytest.mark.parametrize("field", ["id", "outlet", "title", "url"])
def test_an_id_outlet_title_or_url_over_max_field_chars_is_rejected(tmp_path, field):
    records = [
        {"id": "a", "text": "x", field: "w" * 100},
        {"id": "b", "text": "x", field: " " + "w" * 100 + " "},  # outer spaces are not kept
        {"id": "c", "text": "x", field: "w" * 101},
        {"id": "d", "text": "x", field: "w" * 8_193},
    ]
    path = write_lines(tmp_path / "long.jsonl", *(json.dumps(record) for record in records))
    items = list(parse_file(path, MAX_CHARS, max_field_chars=100))
    expected = [(1, "ok"), (2, "field_too_long" if field == "id" else "ok"), (3, "field_too_long")]
    assert outcomes(items[:3]) == expected
    assert items[2].detail == f"line 3: {field} has 101 characters, more than input.max_field_chars=100"
    # The default limit: 8,192 characters, about the longest URL web servers take.
    assert outcomes(parse(path)) == [(1, "ok"), (2, "ok"), (3, "ok"), (4, "field_too_long")]
    assert parse(path)[3].detail.endswith(
        f"{field} has 8,193 characters, more than input.max_field_chars=8,192"
    )


def test_a_sidecar_field_over_max_field_chars_is_named_as_the_sidecar_s(tmp_path):
    (tmp_path / "story-one.txt").write_text("A short article.", encoding="utf-8")
    (tmp_path / "story-one.json").write_text(json.dumps({"title": "t" * 20}), encoding="utf-8")
    (reject,) = parse_file(str(tmp_path / "story-one.txt"), MAX_CHARS, max_field_chars=10)
    sidecar = tmp_path / "story-one.json"
    assert (reject.reason, reject.detail) == (
        "field_too_long",
        f"text file: sidecar {sidecar}: title has 20 characters, more than input.max_field_chars=10",
    )
    sidecar.unlink()  # the id (and outlet and title) is then the file's stem, no sidecar's
    (reject,) = parse_file(str(tmp_path / "story-one.txt"), MAX_CHARS, max_field_chars=5)
    assert reject.detail == "text file: id has 9 characters, more than input.max_field_chars=5"


def test_a_record_naming_a_field_in_another_case_is_rejected_not_stripped_of_it(tmp_path):
    """Keys are case-sensitive: "Outlet" would be an extra key, the outlet lost without a word."""
    path = write_lines(
        tmp_path / "cased.jsonl",
        json.dumps({"id": "a", "text": "Talks resumed.", "Outlet": "Wire"}),
        json.dumps({"ID": "b", "Text": "Talks resumed."}),
        json.dumps({"id": "c", "text": "Talks resumed.", "outlet": "Wire", "Outlet": "Other", "story": "s1"}),
    )
    items = parse(path)
    assert outcomes(items) == [(1, "misnamed_field"), (2, "misnamed_field"), (3, "ok")]
    assert [item.detail for item in items[:2]] == [
        "line 1: field names are case-sensitive; rename Outlet -> outlet",
        "line 2: field names are case-sensitive; rename ID -> id, Text -> text",
    ]
    assert items[2].outlet == "Wire"  # beside the field itself, another case is an extra key


def test_a_sidecar_naming_a_field_in_another_case_rejects_its_article(tmp_path):
    (tmp_path / "story-one.txt").write_text("A short article.", encoding="utf-8")
    sidecar = tmp_path / "story-one.json"
    sidecar.write_text(json.dumps({"Outlet": "Wire", "Text": "not the text"}), encoding="utf-8")
    (reject,) = parse_file(str(tmp_path / "story-one.txt"), MAX_CHARS)
    assert (reject.reason, reject.detail) == (
        "misnamed_field",
        f"text file: sidecar {sidecar}: field names are case-sensitive; rename Outlet -> outlet",
    )


@pytest.mark.parametrize("field", ["id", "text", "outlet", "title", "url"])
def test_lone_surrogate_is_invalid_utf8(tmp_path, field):
    record = {"id": "s1", "text": "Lone surrogate here.", field: "Lone \ud800 surrogate"}
    path = write_lines(
        tmp_path / "surrogate.jsonl",
        json.dumps(record, ensure_ascii=True),  # valid JSON: "\ud800" escaped
        json.dumps({"id": "pair", "text": "An emoji \U0001f600 is a valid surrogate pair."}),
    )
    items = parse(path)
    assert outcomes(items) == [(1, "invalid_utf8"), (2, "ok")]
    assert items[0].detail == f"line 1: {field} has a lone surrogate U+D800 at character 5"
    assert items[0].raw.encode("utf-8")  # the reject itself can be written


def test_exception_in_one_record_rejects_only_that_record(tmp_path, monkeypatch):
    def explode(value, date_order):
        raise RuntimeError(f"cannot handle {value}")

    monkeypatch.setattr(read, "parse_published", explode)
    path = write_lines(tmp_path / "boom.jsonl", '{"id": "a", "text": "x"}', '{"id": "b", "text": "y"}')
    items = parse(path)
    assert outcomes(items) == [(1, "error_RuntimeError"), (2, "error_RuntimeError")]
    assert items[0].detail == "line 1: cannot handle None"


def test_empty_file_yields_nothing(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert parse(tmp_path / "empty.jsonl") == []


def test_gzip_json_lines(tmp_path):
    path = tmp_path / "wire.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": "a", "text": "x"}\n\n{"id": "b", "text": "y"}\n'))
    assert [(article.id, article.record) for article in parse(path)] == [("a", 1), ("b", 3)]


def test_json_file_of_one_array(tmp_path):
    # pandas' to_json(orient="records") and jq -s write one array, pretty-printed or not.
    records = [{"id": "a", "text": "x"}, 5, {"id": "b"}, {"id": "c", "text": "z"}]
    pretty = tmp_path / "export.json"
    pretty.write_text("\n" + json.dumps(records, indent=2))
    zipped = tmp_path / "export.json.gz"
    zipped.write_bytes(gzip.compress(b"\xef\xbb\xbf" + json.dumps(records).encode()))
    for path in (pretty, zipped):
        items = parse(path)
        assert outcomes(items) == [(1, "ok"), (2, "not_an_object"), (3, "missing_text"), (4, "ok")]
        assert items[1].detail == "element 2: expected a JSON object, got a number"
        assert items[1].raw == "5"


def test_json_file_that_breaks_its_array_is_one_reject(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": "a", "text": "x"}, {"id": "b", "text": "y"}], indent=2)[:-3])
    (reject,) = parse(path)
    assert (reject.record, reject.reason) == (0, "malformed_json")
    assert (
        reject.detail
        == f"{path} starts a JSON array but is not valid JSON: expecting ',' delimiter at line 9 column 3"
    )


def test_json_lines_whose_first_record_is_an_array_stay_lines(tmp_path):
    # Only a .json file may be one array; a .jsonl file's "[" line is a record (rejected).
    lines = ("[1, 2]", '{"id": "a", "text": "x"}', "[{")
    for name in ("lines.json", "lines.jsonl"):
        items = parse(write_lines(tmp_path / name, *lines))
        assert outcomes(items) == [(1, "not_an_object"), (2, "ok"), (3, "malformed_json")]


def test_a_null_record_is_named_as_json_names_it(tmp_path):
    (reject,) = parse(write_lines(tmp_path / "nulls.jsonl", "null"))
    assert (reject.reason, reject.detail) == ("not_an_object", "line 1: expected a JSON object, got null")


def test_json_nested_too_deeply_is_malformed(tmp_path):
    items = parse(write_lines(tmp_path / "deep.jsonl", "[" * 100_000, '{"id": "a", "text": "x"}'))
    assert outcomes(items) == [(1, "malformed_json"), (2, "ok")]
    assert items[0].detail == "line 1: nested too deeply to parse"


@pytest.mark.parametrize("name", ["huge.jsonl", "huge.json"])
def test_a_number_too_long_for_python_is_malformed_not_a_bug(tmp_path, name):
    """Valid JSON, but Python refuses to convert integers of more than 4,300 digits."""
    huge = '{"id": "a", "text": "x", "published_at": ' + "9" * 5_000 + "}"
    items = parse(write_lines(tmp_path / name, huge, '{"id": "b", "text": "y"}'))
    assert outcomes(items) == [(1, "malformed_json"), (2, "ok")]
    assert items[0].detail == "line 1: holds a number too long to parse"


def test_gzip_cut_short_keeps_the_records_before_the_cut(tmp_path):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    data = b'{"id": "a", "text": "first"}\n{"id": "b", "text": "sec'
    flushed = compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)  # no end of stream
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(flushed)
    items = parse(path)
    assert outcomes(items) == [(1, "ok"), (0, "unreadable_file")]
    assert items[1].detail == (
        f"cannot read {path} after its first 1 record(s): "
        "Compressed file ended before the end-of-stream marker was reached"
    )


def test_unreadable_file_is_one_reject(tmp_path):
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(b"not gzip at all")
    for path in (corrupt, tmp_path / "missing.ndjson", tmp_path / "corrupt.parquet"):
        if path.suffix == ".parquet":
            path.write_bytes(b"not parquet")
        (reject,) = parse(path)
        assert (reject.source, reject.record, reject.reason) == (str(path), 0, "unreadable_file")


# --- parse_file: Parquet ---


def test_parquet_rows_are_checked_and_numbered(tmp_path):
    path = tmp_path / "articles.parquet"
    ids = [f"p{number}" for number in range(1, 1_201)]
    texts = ["text"] * 1_200
    ids[1], texts[2] = None, None
    table = pa.table(
        {
            "id": ids,
            "text": texts,
            "outlet": ["Wire"] * 1_200,
            "published_at": pa.array([datetime(2025, 8, 19, 10)] * 1_200, pa.timestamp("us", tz="UTC")),
            "ignored": list(range(1_200)),
        }
    )
    # Small row groups: numbering must run on across row groups and batches.
    pq.write_table(table, path, row_group_size=500)
    items = parse(path)
    assert outcomes(items)[:4] == [(1, "ok"), (2, "missing_id"), (3, "missing_text"), (4, "ok")]
    assert (items[-1].id, items[-1].record) == ("p1200", 1_200)
    assert items[0] == Article(
        id="p1", text="text", outlet="Wire", published_us=AUG_19_10H_UTC, source=str(path), record=1
    )
    assert json.loads(items[1].raw)["text"] == "text"


def test_float_ids_as_pandas_writes_them_say_so(tmp_path):
    # An integer id column with a missing value is float64 once pandas has read it.
    path = tmp_path / "pandas.parquet"
    pq.write_table(pa.table({"id": pa.array([12.0, None], pa.float64()), "text": ["a b", "c d"]}), path)
    first, second = parse(path)
    assert (first.reason, second.reason) == ("missing_id", "missing_id")
    assert first.detail.startswith("row 1: id must be a string or an integer, got the float 12.0 (")
    assert "pandas" in first.detail
    assert second.detail == "row 2: no id"


def write_parquet(path: Path, published_at: pa.Array, **columns: pa.Array) -> Path:
    count = len(published_at)
    ids = [f"p{number}" for number in range(1, count + 1)]
    pq.write_table(
        pa.table({"id": ids, "text": ["text"] * count, "published_at": published_at, **columns}), path
    )
    return path


def test_parquet_nanosecond_timestamps_are_read(tmp_path):
    # What pandas writes by default: nanoseconds, which a Python datetime cannot hold.
    nanoseconds = pa.array([1_755_597_600_123_456_789, None], pa.timestamp("ns", tz="UTC"))
    path = write_parquet(tmp_path / "pandas.parquet", nanoseconds)
    assert [(item.id, item.published_us) for item in parse(path)] == [
        ("p1", AUG_19_10H_UTC + 123_456),
        ("p2", None),
    ]


@pytest.mark.parametrize(
    "published_at",
    [
        pa.array([2**40, -(2**40), 1_755_597_600], pa.timestamp("s")),  # years 36812 and -32873
        pa.array([2**31 - 1, -(2**31), 20_319], pa.date32()),
        pa.array([-(2**62), -(2**62), 1_755_597_600_000_000_000], pa.timestamp("ns", tz="UTC")),  # 1823
    ],
)
def test_parquet_times_out_of_range_are_unparseable(tmp_path, published_at):
    path = write_parquet(tmp_path / "far.parquet", published_at)
    unparseable = []
    articles = list(parse_file(str(path), MAX_CHARS, on_unparseable_date=unparseable.append))
    assert [(article.record, article.published_us is None) for article in articles] == [
        (1, True),
        (2, True),
        (3, False),
    ]
    assert len(unparseable) == 2


def test_parquet_decimal_epoch_numbers_are_read(tmp_path):
    # Spark and Snowflake export numbers as DECIMAL, which reads as Python's Decimal.
    seconds = pa.array([1_755_597_600, None], pa.decimal128(12, 0))
    milliseconds = pa.array([Decimal("1755597600000.5"), None], pa.decimal128(16, 1))
    for published_at in (seconds, milliseconds):
        items = parse(write_parquet(tmp_path / "decimal.parquet", published_at))
        assert [(item.id, item.published_us) for item in items] == [
            ("p1", AUG_19_10H_UTC + (500 if published_at is milliseconds else 0)),
            ("p2", None),
        ]


def test_parquet_value_python_cannot_hold_costs_only_its_row(tmp_path):
    durations = pa.array([0, 1_500, 2_000], pa.duration("ns"))  # no date, but a Python value or not
    items = parse(write_parquet(tmp_path / "odd.parquet", durations))
    assert outcomes(items) == [(1, "ok"), (2, "error_ValueError"), (3, "ok")]
    assert items[1].detail.startswith(
        "row 2: published_at: Nanosecond duration 1500 is not safely convertible"
    )


def test_parquet_integer_ids_become_strings(tmp_path):
    path = tmp_path / "ints.parquet"
    pq.write_table(pa.table({"id": [10, 11], "text": ["a", "b"]}), path)
    assert [article.id for article in parse(path)] == ["10", "11"]


@pytest.mark.parametrize("binary", [pa.binary(), pa.large_binary()], ids=["binary", "large_binary"])
def test_parquet_strings_stored_as_raw_binary_are_read_as_utf8(tmp_path, binary):
    # Impala, Hive and old Spark write strings as BINARY without the UTF8 annotation (Spark's
    # spark.sql.parquet.binaryAsString): each row was a "got bytes" reject. A value that is
    # not UTF-8 rejects its row only.
    path = tmp_path / "impala.parquet"
    columns = {
        "id": [b"b1", b"b2", b"b3", b"b4"],
        "text": [b"Kyiv agreed to talks.", b"caf\xe9 latin-1", b"ok", "Zoë".encode()],
        "outlet": [b"Wire", b"Wire", b"\xffWire", None],
        "title": [b"Talks", None, None, b"T"],
        "url": [b"https://example.com/a", None, None, None],
        "published_at": [b"1755597600", None, None, b"2025-08-19T10:00:00Z"],
    }
    pq.write_table(pa.table({name: pa.array(values, binary) for name, values in columns.items()}), path)
    assert resolve_inputs([str(path)]) == [str(path)]
    first, bad_text, bad_outlet, last = parse(path)
    assert first == Article(
        id="b1",
        text="Kyiv agreed to talks.",
        outlet="Wire",
        title="Talks",
        published_us=AUG_19_10H_UTC,
        url="https://example.com/a",
        source=str(path),
        record=1,
    )
    assert (last.id, last.text, last.published_us) == ("b4", "Zoë", AUG_19_10H_UTC)
    assert (bad_text.record, bad_text.reason) == (2, "invalid_utf8")
    assert bad_text.detail == "row 2: text is not valid UTF-8 at byte 3"
    assert json.loads(bad_text.raw)["text"] == "caf\ufffd latin-1"
    assert (bad_outlet.record, bad_outlet.reason, bad_outlet.detail) == (
        3,
        "invalid_utf8",
        "row 3: outlet is not valid UTF-8 at byte 0",
    )


# --- parse_file: .txt ---


def test_text_file_without_sidecar(tmp_path):
    (tmp_path / "story.txt").write_text("Body of the story.\n", encoding="utf-8")
    assert parse(tmp_path / "story.txt") == [
        Article(
            id="story",
            text="Body of the story.\n",
            outlet="story",
            title="story",
            source=str(tmp_path / "story.txt"),
            record=1,
        )
    ]


def test_text_file_with_sidecar(tmp_path):
    (tmp_path / "story.txt").write_text("Body.", encoding="utf-8")
    sidecar = {
        "id": "ignored",
        "outlet": "Daily",
        "title": "Headline",
        "published_at": "2010-07-02",
        "url": "https://x",
    }
    (tmp_path / "story.json").write_text(json.dumps(sidecar, indent=2), encoding="utf-8")
    (article,) = parse(tmp_path / "story.txt")
    assert (article.id, article.outlet, article.title, article.url) == (
        "story",
        "Daily",
        "Headline",
        "https://x",
    )
    assert article.published_us == 1_278_028_800_000_000


def test_text_file_sidecar_suffix_ignores_case(tmp_path):
    (tmp_path / "UPPER.TXT").write_text("Body.", encoding="utf-8")
    (tmp_path / "UPPER.JSON").write_text(
        '{"outlet": "Daily", "published_at": "0001-01-01"}', encoding="utf-8"
    )
    (tmp_path / "mixed.txt").write_text("Body.", encoding="utf-8")
    (tmp_path / "mixed.JSON").write_text('{"outlet": "Weekly"}', encoding="utf-8")
    inputs = resolve_inputs([str(tmp_path)])
    assert inputs == [str(tmp_path / "UPPER.TXT"), str(tmp_path / "mixed.txt")]  # sidecars are not inputs
    unparseable = []
    articles = [item for path in inputs for item in parse_file(path, MAX_CHARS, unparseable.append)]
    assert [(article.id, article.outlet, article.published_us) for article in articles] == [
        ("UPPER", "Daily", None),
        ("mixed", "Weekly", None),
    ]
    assert len(unparseable) == 1  # a sidecar's date out of range is unparseable too


def test_text_file_rejects(tmp_path):
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9")
    (tmp_path / "blank.txt").write_text(" \n", encoding="utf-8")
    (tmp_path / "meta.txt").write_text("Body.", encoding="utf-8")
    (tmp_path / "meta.json").write_text("{outlet: Daily}", encoding="utf-8")
    assert outcomes(parse(tmp_path / "latin1.txt")) == [(1, "invalid_utf8")]
    assert outcomes(parse(tmp_path / "blank.txt")) == [(1, "empty_text")]
    (bad_sidecar,) = parse(tmp_path / "meta.txt")
    assert bad_sidecar.reason == "malformed_json"
    assert str(tmp_path / "meta.json") in bad_sidecar.detail


def test_a_sidecar_reject_names_the_sidecar_as_the_inputs_spell_its_text_file(tmp_path):
    # The run reads a relative input from the folder it was started in, made absolute: the
    # sidecar's reject named that folder, so the same run started elsewhere gave other rows.
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Kyiv agreed to talks on Tuesday.", encoding="utf-8")
    (tmp_path / "in" / "a.json").write_text("{not json", encoding="utf-8")
    fn = _ParseFileFn(1000, str(tmp_path))
    (reject,) = [output.value for output in fn.process(read.InputFile("in/a.txt"))]
    assert (reject.source, reject.reason) == ("in/a.txt", "malformed_json")
    assert reject.detail.startswith("text file: sidecar in/a.json: ")


def test_a_sidecar_that_is_there_but_cannot_be_read_is_a_reject_not_the_stem(tmp_path):
    """A sidecar that is a link to nothing (a mount gone, a file moved) was taken for a
    missing one: the article was kept with its stem as outlet and title, without a word.
    Only a sidecar that is not there at all gives the stem."""
    for name in ("linked", "plain"):
        (tmp_path / f"{name}.txt").write_text("Kyiv agreed to talks on Tuesday.", encoding="utf-8")
    (tmp_path / "linked.json").symlink_to(tmp_path / "moved-away.json")
    (unreadable,) = parse(tmp_path / "linked.txt")
    assert isinstance(unreadable, Reject) and unreadable.reason == "unreadable_file"
    assert str(tmp_path / "linked.json") in unreadable.detail
    (article,) = parse(tmp_path / "plain.txt")
    assert isinstance(article, Article) and article.outlet == article.title == "plain"
    assert resolve_inputs([str(tmp_path)]) == [str(tmp_path / "linked.txt"), str(tmp_path / "plain.txt")]


def test_seed_articles_read_with_their_stems_as_ids():
    files = resolve_inputs([str(SEEDS)])
    articles = [item for path in files for item in parse_file(path, max_chars=1_000_000)]
    assert [article.id for article in articles] == sorted(path.stem for path in SEEDS.glob("*.txt"))
    assert len(articles) == 5
    assert all(isinstance(article, Article) and article.outlet == article.id for article in articles)


# --- resolve_inputs ---


@pytest.fixture
def input_folder(tmp_path):
    for name in ("a.jsonl", "b.ndjson", "c.json", "c.txt", "d.jsonl.gz", "notes.md", "sub/f.jsonl"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    pq.write_table(pa.table({"id": ["x"], "text": ["y"]}), tmp_path / "e.parquet")
    return tmp_path


def test_folder_means_its_input_files(input_folder):
    expected = [
        str(input_folder / name) for name in ("a.jsonl", "b.ndjson", "c.txt", "d.jsonl.gz", "e.parquet")
    ]
    assert resolve_inputs([str(input_folder)]) == expected
    # Naming a file as well as its folder does not read it twice.
    assert resolve_inputs([str(input_folder / "a.jsonl"), str(input_folder) + "/"]) == expected


def test_a_folder_passes_over_its_hidden_files(input_folder):
    # macOS writes "._<name>" resource forks (binary) beside the files it copies to other disks.
    (input_folder / "._a.jsonl").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    (input_folder / ".c.txt").write_bytes(b"")
    assert resolve_inputs([str(input_folder)])[:3] == [
        str(input_folder / n) for n in ("a.jsonl", "b.ndjson", "c.txt")
    ]
    assert len(resolve_inputs([str(input_folder)])) == 5
    # Named on its own, a hidden file is read.
    assert resolve_inputs([str(input_folder / "._a.jsonl")]) == [str(input_folder / "._a.jsonl")]


def test_a_folder_with_an_input_compressed_as_the_reader_cannot_read_is_an_error(input_folder):
    # Passed over like notes.md, its articles were lost without a reject or a word.
    (input_folder / "g.jsonl.tmp").write_bytes(b"")  # not compressed: passed over as before
    assert resolve_inputs([str(input_folder)])[0] == str(input_folder / "a.jsonl")
    for name in ("feed.jsonl.bz2", "h.TXT.GZ"):
        (input_folder / name).write_bytes(b"")
    expected = f"{input_folder / 'feed.jsonl.bz2'} (and 1 more): a compressed input the reader cannot"
    with pytest.raises(InputError, match=re.escape(expected)):
        resolve_inputs([str(input_folder)])


def test_glob_is_matched_as_is_and_skips_sidecars(input_folder):
    assert resolve_inputs([str(input_folder / "[ab].*")]) == [
        str(input_folder / n) for n in ("a.jsonl", "b.ndjson")
    ]
    assert resolve_inputs([str(input_folder / "c.*")]) == [str(input_folder / "c.txt")]


def test_no_match_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    for pattern in (str(tmp_path / "*.jsonl"), str(tmp_path / "missing.jsonl"), str(tmp_path / "empty")):
        with pytest.raises(InputError, match=re.escape(f"input '{pattern}' matches no files")):
            resolve_inputs([pattern])


def test_a_name_with_wildcard_characters_is_read_as_named_when_its_glob_matches_nothing(tmp_path):
    # A shell passes a glob that matches nothing on unexpanded: "export[1].jsonl" named a file
    # that exists, and was refused as matching no files.
    folder = tmp_path / "day[1]"
    folder.mkdir()
    for name in ("export[1].jsonl", "b.jsonl"):
        (folder / name).write_bytes(b"")
    named = str(folder / "export[1].jsonl")
    assert resolve_inputs([named]) == [named]
    assert resolve_inputs([str(folder)]) == [str(folder / "b.jsonl"), named]
    # A glob that matches is read as a glob, and one that names nothing is still an error.
    for name in ("x1.jsonl", "x2.jsonl"):
        (tmp_path / name).write_bytes(b"")
    assert resolve_inputs([str(tmp_path / "x[12].jsonl")]) == [
        str(tmp_path / "x1.jsonl"),
        str(tmp_path / "x2.jsonl"),
    ]
    missing = str(tmp_path / "x[3].jsonl")
    with pytest.raises(InputError, match=re.escape(f"input '{missing}' matches no files")):
        resolve_inputs([missing])


def test_a_file_name_that_is_not_utf8_is_refused_by_name(tmp_path):
    # Every row names its source file, in UTF-8: such a name would fail the run at writing.
    folder = bytes(tmp_path)
    with open(folder + b"/caf\xe9.txt", "w", encoding="utf-8") as file:
        file.write("A cafe opened on the corner of Main Street on Monday, the owner said.")
    with pytest.raises(InputError, match=r"caf\\xe9\.txt: the file name is not valid UTF-8"):
        resolve_inputs([str(tmp_path)])


def test_relative_globs_match_from_the_working_folder(input_folder, monkeypatch):
    monkeypatch.chdir(input_folder)
    assert resolve_inputs(["*.jsonl"]) == ["a.jsonl"]
    assert resolve_inputs(["[ab].*"]) == ["a.jsonl", "b.ndjson"]
    assert resolve_inputs(["s*/f.jsonl"]) == ["sub/f.jsonl"]
    assert resolve_inputs(["./*.jsonl", "sub/*.jsonl"]) == ["./a.jsonl", "sub/f.jsonl"]


def test_a_file_spelled_several_ways_is_read_once(input_folder, monkeypatch):
    monkeypatch.chdir(input_folder)
    (input_folder / "link.jsonl").symlink_to(input_folder / "a.jsonl")
    spellings = ["./a.jsonl", str(input_folder / "a.jsonl"), "sub/../a.jsonl", "link.jsonl", "a.jsonl"]
    assert resolve_inputs(spellings) == ["a.jsonl"]
    # A sidecar named another way is still a sidecar.
    assert resolve_inputs(["c.txt", str(input_folder / "c.json")]) == ["c.txt"]
    # Of several spellings, the shortest is kept.
    assert resolve_inputs([str(input_folder / "d.jsonl.gz"), "./d.jsonl.gz"]) == ["./d.jsonl.gz"]


def test_listing_a_folder_of_many_files_looks_up_its_folders_once(tmp_path, monkeypatch):
    """Telling the spellings of a file apart took os.path.realpath, one lstat for each folder
    of each path, several times a .txt file (for its sidecar too): 7.5 s of listing 100,000
    .txt files and 50,000 sidecars. Each folder is now looked up once, and files in a folder
    reached through a link are still read once."""
    folder = tmp_path.joinpath(*"abcdefgh") / "in"
    folder.mkdir(parents=True)
    for n in range(100):
        (folder / f"{n}.txt").write_text("Kyiv agreed to talks.", encoding="utf-8")
        if n % 2:
            (folder / f"{n}.json").write_text("{}", encoding="utf-8")
    (tmp_path / "linked").symlink_to(folder)
    lookups = 0
    lstat = os.lstat

    def counted_lstat(*args, **kwargs):
        nonlocal lookups
        lookups += 1
        return lstat(*args, **kwargs)

    monkeypatch.setattr(os, "lstat", counted_lstat)
    listed = resolve_inputs([str(folder), str(tmp_path / "linked")])
    # Once each, under the shorter spelling: the link's.
    assert listed == sorted(str(tmp_path / "linked" / f"{n}.txt") for n in range(100))
    assert lookups <= 4 * 150, lookups


def test_unsupported_file_type_is_an_error(input_folder):
    with pytest.raises(InputError, match="notes.md: unsupported file type"):
        resolve_inputs([str(input_folder / "notes.md")])


def test_parquet_file_that_cannot_be_read_is_left_to_the_reader(tmp_path):
    # An empty or cut-short Parquet file (a writer that crashed, an upload in progress) is
    # one unreadable_file reject, as a corrupt gzip file is: it does not stop every input.
    good = write_lines(tmp_path / "a.jsonl", '{"id": "a", "text": "x"}')
    pq.write_table(pa.table({"id": ["b"], "text": ["y"]}), tmp_path / "whole.parquet")
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "cut.parquet").write_bytes((tmp_path / "whole.parquet").read_bytes()[:-20])
    unreadable = [str(tmp_path / "cut.parquet"), str(tmp_path / "empty.parquet")]
    assert resolve_inputs([str(tmp_path)]) == [good, *unreadable, str(tmp_path / "whole.parquet")]
    for path in unreadable:
        (reject,) = parse(path)
        assert (reject.record, reject.reason) == (0, "unreadable_file")


def test_parquet_without_required_columns_is_an_error(tmp_path):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"id": ["x"], "body": ["y"]}), path)
    with pytest.raises(InputError, match=re.escape(f"{path}: Parquet file lacks required column(s) text")):
        resolve_inputs([str(path)])


def test_partitioned_datasets_are_read_with_their_partition_fields(tmp_path):
    # A partitioned dataset's files are in name=value folders, and its writer leaves the
    # partition columns out of them: a folder gave "matches no files", a glob over its files
    # articles without their outlet.
    rows = pa.table(
        {
            "id": ["a", "b", "c"],
            "text": ["one", "two", "three"],
            "outlet": ["AP/Wire", None, "AP/Wire"],
            "published_date": ["2025-08-19", "2025-08-19", "2025-08-20"],
        }
    )
    pq.write_to_dataset(rows, tmp_path / "pyarrow", partition_cols=["published_date", "outlet"])
    connection = duckdb.connect()
    connection.register("articles", rows)
    connection.execute(
        f"COPY articles TO '{tmp_path / 'duckdb'}' (FORMAT parquet, PARTITION_BY (published_date, outlet))"
    )
    spark = tmp_path / "spark"  # Spark's markers and checksums, and a task not yet committed
    partition = spark / "outlet=AP%2FWire"
    partition.mkdir(parents=True)
    pq.write_table(rows.select(["id", "text"]).slice(0, 1), partition / "part-00000-1f0c-c000.snappy.parquet")
    for name in ("_SUCCESS", "._SUCCESS.crc", "outlet=AP%2FWire/.part-00000-1f0c-c000.snappy.parquet.crc"):
        (spark / name).write_bytes(b"")
    (spark / "_temporary" / "0").mkdir(parents=True)
    pq.write_table(rows.select(["id", "text"]), spark / "_temporary" / "0" / "part-00001.parquet")
    expected = {("a", "AP/Wire"), ("b", None), ("c", "AP/Wire")}
    for folder in (tmp_path / "pyarrow", tmp_path / "duckdb"):
        files = resolve_inputs([str(folder)])
        assert len(files) == 3 and all(Path(path).parent.name.startswith("outlet=") for path in files)
        assert {(article.id, article.outlet) for path in files for article in parse(path)} == expected
    (spark_file,) = resolve_inputs([f"{spark}/"])
    assert [(article.id, article.outlet) for article in parse(spark_file)] == [("a", "AP/Wire")]


def test_parquet_part_files_without_a_suffix_are_read_from_a_folder_or_by_name(tmp_path):
    # Hive writes 000000_0, some Spark jobs part-00000-<uuid>-c000: a folder of them "matched
    # no files", and beside other inputs they were passed over without a word.
    hive = tmp_path / "hive"
    partition = hive / "outlet=Wire"
    partition.mkdir(parents=True)
    pq.write_table(pa.table({"id": ["a"], "text": ["one"]}), partition / "000000_0")
    spark_part = hive / "part-00000-1f0c4b2e-9d1a-4c8e-b1f2-0a1b2c3d4e5f-c000"
    pq.write_table(pa.table({"id": ["b"], "text": ["two"]}), spark_part)
    write_lines(hive / "c.jsonl", '{"id": "c", "text": "three"}')
    # Passed over as before: no Parquet (or too short to tell), a marker or summary file
    # ("_"-prefixed, as Hadoop passes them over), a file with another suffix.
    (hive / "_SUCCESS").write_bytes(b"")
    (hive / "_committed_1234").write_text('{"added": []}')
    pq.write_table(pa.table({"id": ["x"], "text": ["summary"]}), hive / "_common_metadata")
    (hive / "LICENSE").write_text("not Parquet")
    (hive / "PAR").write_bytes(b"PA")
    pq.write_table(pa.table({"id": ["y"], "text": ["not named as Parquet"]}), hive / "export.orc")
    files = resolve_inputs([str(hive)])
    assert files == [str(hive / "c.jsonl"), str(partition / "000000_0"), str(spark_part)]
    assert [(article.id, article.outlet) for path in files for article in parse(path)] == [
        ("c", None),
        ("a", "Wire"),
        ("b", None),
    ]
    assert resolve_inputs([str(partition)]) == [str(partition / "000000_0")]
    # Named on its own: read if it is Parquet; another suffix is never taken for Parquet.
    assert resolve_inputs([str(partition / "000000_0")]) == [str(partition / "000000_0")]
    for name in ("LICENSE", "export.orc"):
        with pytest.raises(InputError, match=f"{name}: unsupported file type"):
            resolve_inputs([str(hive / name)])
    pq.write_table(pa.table({"id": ["x"]}), hive / "000001_0")
    with pytest.raises(InputError, match="000001_0: Parquet file lacks required column"):
        resolve_inputs([str(hive)])


def test_partition_fields_fill_only_what_a_record_lacks(tmp_path):
    folder = tmp_path / "published_at=2025-08-19%2010%3A00%3A00" / "outlet=__HIVE_DEFAULT_PARTITION__"
    folder.mkdir(parents=True)
    path = write_lines(
        folder / "a.jsonl",
        '{"id": "a", "text": "x"}',
        '{"id": "b", "text": "y", "outlet": "Own", "published_at": null}',
    )
    assert [(article.outlet, article.published_us) for article in parse(path)] == [
        (None, AUG_19_10H_UTC),
        ("Own", None),
    ]


@pytest.mark.parametrize(
    "columns, renames",
    [
        ({"ID": ["x"], "Text": ["y"]}, "ID -> id, Text -> text"),
        # Optional columns were left out as extra ones: articles without outlet or date.
        (
            {"id": ["x"], "text": ["y"], "Outlet": ["AP"], "PUBLISHED_AT": ["2025-08-19"]},
            "Outlet -> outlet, PUBLISHED_AT -> published_at",
        ),
    ],
)
def test_parquet_column_named_in_another_case_is_an_error(tmp_path, columns, renames):
    path = tmp_path / "cased.parquet"
    pq.write_table(pa.table(columns), path)
    message = f"{path}: Parquet column names are case-sensitive; rename {renames}"
    with pytest.raises(InputError, match=re.escape(message)):
        resolve_inputs([str(path)])
    # Beside the field itself, another case is just an extra column.
    pq.write_table(pa.table({"id": ["x"], "text": ["y"], "Id": ["z"], "Text": ["w"]}), path)
    assert [article.id for article in parse(path)] == ["x"] and resolve_inputs([str(path)]) == [str(path)]


# --- ReadArticles ---


# Sources are file names, so the expected values do not depend on tmp_path.
EXPECTED_ARTICLES = [("x", "a.jsonl", 1), ("y", "a.jsonl", 3), ("z", "b.jsonl", 2)]
EXPECTED_REJECTS = [
    ("malformed_json", "a.jsonl", 2),
    ("duplicate_id", "b.jsonl", 1),
    ("duplicate_id", "b.jsonl", 3),
]


def test_read_articles_keeps_the_first_of_duplicate_ids(tmp_path):
    files = [
        write_lines(
            tmp_path / "a.jsonl", '{"id": "x", "text": "first"}', "{oops", '{"id": "y", "text": "y"}'
        ),
        write_lines(
            tmp_path / "b.jsonl",
            '{"id": "x", "text": "second"}',
            '{"id": "z", "text": "z", "published_at": "soon"}',
            '{"id": "y", "text": "again"}',
        ),
    ]
    pipeline = test_pipeline.TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    output = pipeline | "Read" >> ReadArticles(files, max_chars=MAX_CHARS)
    articles = output["articles"] | "ArticleKeys" >> beam.Map(lambda a: (a.id, Path(a.source).name, a.record))
    rejects = output["rejects"] | "RejectKeys" >> beam.Map(
        lambda r: (r.reason, Path(r.source).name, r.record)
    )
    assert_that(articles, equal_to(EXPECTED_ARTICLES), label="CheckArticles")
    assert_that(rejects, equal_to(EXPECTED_REJECTS), label="CheckRejects")
    result = pipeline.run()
    result.wait_until_finish()

    def counter(name):
        (metric,) = result.metrics().query(MetricsFilter().with_namespace("read").with_name(name))["counters"]
        return metric.committed

    assert counter("records") == 6
    assert counter("rejected_malformed_json") == 1
    assert counter("rejected_duplicate_id") == 2
    assert counter("unparseable_published_at") == 1


@pytest.mark.parametrize("order", ["shell first", "shell last"])
def test_a_record_with_no_text_left_once_cleaned_does_not_take_the_id_of_a_full_one(tmp_path, order):
    # A page scraped before its story loaded, then sent again in full under the same id: the
    # shell took the id (the analysis rejected it later) and the full text was a duplicate_id
    # reject pointing at it; in the other order the article was kept.
    shell = '{"id": "x", "outlet": "A", "text": "<p>&nbsp;</p> Read more"}'
    full = (
        '{"id": "x", "outlet": "A", "text": "The mayor of Springfield resigned on Monday over the budget."}'
    )
    lines = [shell, full] if order == "shell first" else [full, shell]
    path = write_lines(tmp_path / "a.jsonl", *lines)
    kept, rejected = (1, 2) if order == "shell last" else (2, 1)
    pipeline = test_pipeline.TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    output = pipeline | "Read" >> ReadArticles([path], max_chars=MAX_CHARS)
    articles = output["articles"] | "ArticleKeys" >> beam.Map(lambda a: (a.id, a.record, a.text[:10]))
    rejects = output["rejects"] | "RejectKeys" >> beam.Map(lambda r: (r.reason, r.record, r.detail))
    assert_that(articles, equal_to([("x", kept, "The mayor ")]), label="CheckArticles")
    detail = (
        f"id 'x' was already read from {path}:1"
        if order == "shell last"
        else f"id 'x' is read from {path}:2, a later record whose text the analysis keeps"
    )
    assert_that(rejects, equal_to([("duplicate_id", rejected, detail)]), label="CheckRejects")
    pipeline.run().wait_until_finish()


def test_errors_outside_any_record_are_counted_rejects(tmp_path):
    # A Parquet file that claims backfill provenance without its columns breaks the reader
    # outside any one record; a file of no known type is refused by parse_file itself.
    foreign = tmp_path / "foreign.parquet"
    table = pa.table({"id": ["a"], "text": ["x"]})
    pq.write_table(table.replace_schema_metadata({read.PROVENANCE_KEY: b"yes"}), foreign)
    (reject,) = parse(foreign)
    assert (reject.record, reject.reason) == (0, "error_KeyError")
    assert reject.detail == f"while reading {foreign}: 'source_file'"

    files = [
        write_lines(tmp_path / "a.jsonl", '{"id": "x", "text": "x"}'),
        str(foreign),
        str(tmp_path / "notes.md"),
    ]
    pipeline = test_pipeline.TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    output = pipeline | "Read" >> ReadArticles(files, max_chars=MAX_CHARS)
    rejects = output["rejects"] | "RejectKeys" >> beam.Map(
        lambda r: (r.reason, Path(r.source).name, r.record)
    )
    assert_that(
        rejects,
        equal_to([("error_KeyError", "foreign.parquet", 0), ("error_InputError", "notes.md", 0)]),
        label="CheckRejects",
    )
    result = pipeline.run()
    result.wait_until_finish()
    records = MetricsFilter().with_namespace("read").with_name("records")
    (counter,) = result.metrics().query(records)["counters"]
    assert counter.committed == 3  # = 1 article + 2 rejects: the run reconciles


def test_duplicate_reject_names_the_winner():
    first = Article(id="x", text="first", source="a.jsonl", record=4)
    second = Article(id="x", text="second " * 300, source="b.jsonl", record=1)
    outputs = list(read._KeepFirstPerIdFn(min_words=1).process(("x", [second, first])))
    assert outputs[0] is first
    reject = outputs[1].value
    assert reject.detail == "id 'x' was already read from a.jsonl:4"
    assert (reject.source, reject.record, reject.raw) == ("b.jsonl", 1, second.text[:1_000])


def test_read_articles_checks_max_chars():
    with pytest.raises(ValueError, match="max_chars must be a positive"):
        ReadArticles(["a.jsonl"], max_chars=0)


def test_a_folder_without_input_files_directly_inside_says_how_folders_are_read(tmp_path):
    (tmp_path / "2025-08-19").mkdir()
    (tmp_path / "2025-08-19" / "a.jsonl").write_text('{"id": "a", "text": "Kyiv agreed."}\n')
    with pytest.raises(InputError, match=r"matches no files \(a folder stands for the input files directly"):
        resolve_inputs([str(tmp_path)])
    assert resolve_inputs([str(tmp_path / "*" / "*.jsonl")]) == [str(tmp_path / "2025-08-19" / "a.jsonl")]


def test_a_glob_that_matches_only_folders_says_a_glob_stands_for_files(tmp_path):
    # `--input 'days/2025-08-*'` for day folders said only "matches no files".
    for day in ("2025-08-19", "2025-08-20"):
        (tmp_path / day).mkdir()
        (tmp_path / day / "a.jsonl").write_text(f'{{"id": "{day}", "text": "Kyiv agreed."}}\n')
    pattern = str(tmp_path / "2025-08-*")
    expected = (
        f"input '{pattern}' matches no files (it matches only folders, {tmp_path / '2025-08-19'} and 1 "
        f"more: a glob stands for files; give one such as '{pattern}/*.jsonl', or name each folder)"
    )
    with pytest.raises(InputError, match=re.escape(expected)):
        resolve_inputs([pattern])
    assert len(resolve_inputs([f"{pattern}/*.jsonl"])) == 2


def test_the_folder_hint_names_the_suffixes_the_reader_reads(tmp_path):
    # A gzipped .txt file is not an input: the hint must not say that .txt may be gzipped.
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"Kyiv agreed."))
    with pytest.raises(InputError) as raised:
        resolve_inputs([str(tmp_path)])
    message = str(raised.value)
    assert ".jsonl.gz" in message
    assert "optionally .gz" not in message
