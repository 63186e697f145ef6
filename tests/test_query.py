"""The query command, the DuckDB views and the cookbook, on outputs with known answers.

The cookbook's queries are read from ``docs/cookbook.md`` (the one copy) and run against
``known_output``: a small output written directly with the table schemas, two run dates,
five stories whose every answer is worked out by hand below. The seeds test runs the
README's ``storymatch run`` and queries what it wrote, and checks the file layout.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli, publish, query
from pipeline import config as config_module
from pipeline.run import run_job
from schemas.tables import SORT_KEYS, TABLES
from tests.conftest import ROOT, SEEDS

COOKBOOK = ROOT / "docs" / "cookbook.md"
UTC = dt.UTC
DAY1, DAY2 = dt.date(2025, 8, 18), dt.date(2025, 8, 19)

# Five stories. QUAKE starts on DAY1 with the wire alone and continues on DAY2 with three
# rewrites; SUMMIT is two outlets on DAY1 and a late third (no publication time) alone on
# DAY2; RATES is two outlets on DAY2; LOCAL (two Metro Wire articles) and MATCH (one
# Touchline Daily article) nobody else covered.
QUAKE = "s_2c41f07a9be35d18"
RATES = "s_5e8d13b6a0f27c94"
SUMMIT = "s_9a07c3e2d1b4f865"
LOCAL = "s_b3f92e6c18d0a475"
MATCH = "s_d61a8b0f4c2e9370"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 8, day, hour, minute, tzinfo=UTC)


# run date -> (article id, story, outlet, published_at, num_sentences, title)
ARTICLES = {
    DAY1: [
        ("quake-atlas", QUAKE, "Atlas News Agency", at(18, 22), 10, "Strong quake strikes off the coast"),
        ("summit-meridian", SUMMIT, "Meridian Press", at(18, 6), 10, "Leaders gather for summit"),
        ("summit-courier", SUMMIT, "Capital Courier", at(18, 7, 30), 10, "Summit opens amid protests"),
    ],
    DAY2: [
        ("quake-metro", QUAKE, "Metro Wire", at(19, 0, 45), 12, "Quake: old town sleeps outside"),
        ("quake-harbour", QUAKE, "Harbour Times", at(19, 3, 30), 8, "Harbour damaged by quake"),
        ("quake-northern", QUAKE, "Northern Post", at(19, 8), 10, "Aftershocks rattle the north"),
        ("rates-atlas", RATES, "Atlas News Agency", at(19, 9), 10, "Central bank holds rates"),
        ("rates-beacon", RATES, "Market Beacon", at(19, 9, 20), 10, "Rates on hold, markets shrug"),
        ("local-metro-1", LOCAL, "Metro Wire", at(19, 7), 6, "Council approves new tram line"),
        ("local-metro-2", LOCAL, "Metro Wire", at(19, 15), 7, "Tram line: what changes"),
        ("match-touchline", MATCH, "Touchline Daily", at(19, 18), 9, "Late winner seals the title"),
        ("summit-harbour", SUMMIT, "Harbour Times", None, 5, "What the summit means for the port"),
    ],
}

# run date -> (story, representative, size, num_outlets, outlets, first_seen_run_date)
CLUSTERS = {
    DAY1: [
        (QUAKE, "quake-atlas", 1, 1, ["Atlas News Agency"], DAY1),
        (SUMMIT, "summit-meridian", 2, 2, ["Capital Courier", "Meridian Press"], DAY1),
    ],
    DAY2: [
        (QUAKE, "quake-metro", 3, 3, ["Harbour Times", "Metro Wire", "Northern Post"], DAY1),
        (RATES, "rates-atlas", 2, 2, ["Atlas News Agency", "Market Beacon"], DAY2),
        (LOCAL, "local-metro-1", 2, 1, ["Metro Wire"], DAY2),
        (MATCH, "match-touchline", 1, 1, ["Touchline Daily"], DAY2),
        (SUMMIT, "summit-harbour", 1, 1, ["Harbour Times"], DAY1),
    ],
}

# What Metro Wire added to QUAKE: (sentence_index, novelty, sentence).
METRO_QUAKE_ADDITIONS = [
    (1, 0.91, "Residents of the old town slept in the streets."),
    (2, 0.84, "Metro Wire's reporter counted six collapsed houses on Bridge Street."),
    (4, 0.77, "The tram network stopped for two hours."),
    (5, 0.7, "Schools in the district will stay closed on Monday."),
    (8, 1.0, "A local choir sang for the rescuers at dawn."),
    (11, 0.66, "The mayor said the city would ask for national help."),
]
# Unique sentences of the other compared articles: article -> how many (texts don't matter).
UNIQUE_COUNTS = {
    DAY1: {"summit-meridian": 3, "summit-courier": 4},
    DAY2: {"quake-harbour": 2, "quake-northern": 1, "rates-atlas": 1, "rates-beacon": 5},
}


def article_row(article_id, cluster_id, outlet, published_at, num_sentences, title, representative):
    return {
        "article_id": article_id,
        "cluster_id": cluster_id,
        "outlet": outlet,
        "title": title,
        "published_at": published_at,
        "url": f"https://{article_id}.example/",
        "source_file": "articles.jsonl",
        "source_record": 1,
        "num_sentences": num_sentences,
        "boilerplate_lines": 0,
        "duplicate_of": None,
        "is_representative": representative,
        "similarity_to_representative": 1.0 if representative else 0.5,
    }


def fixture_tables(day: dt.date) -> dict[str, list[dict]]:
    articles = {row[0]: row for row in ARTICLES[day]}
    representatives = {cluster[1] for cluster in CLUSTERS[day]}
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    tables["articles"] = [article_row(*row, row[0] in representatives) for row in ARTICLES[day]]
    for cluster_id, rep, size, num_outlets, outlets, first_seen in CLUSTERS[day]:
        times = [row[3] for row in ARTICLES[day] if row[1] == cluster_id and row[3] is not None]
        tables["clusters"].append(
            {
                "cluster_id": cluster_id,
                "size": size,
                "num_outlets": num_outlets,
                "outlets": outlets,
                "representative_id": rep,
                "first_seen_run_date": first_seen,
                "first_published_at": min(times, default=None),
                "last_published_at": max(times, default=None),
                "outlet_coverage": [{"outlet": o, "shared_with_representative": 0.5} for o in outlets],
            }
        )
        _, _, outlet, published_at, _, title = articles[rep]
        tables["representatives"].append(
            {
                "cluster_id": cluster_id,
                "article_id": rep,
                "outlet": outlet,
                "title": title,
                "published_at": published_at,
                "text": f"The text of {rep}.",
            }
        )
    additions = {"quake-metro": METRO_QUAKE_ADDITIONS} if day == DAY2 else {}
    for article_id, count in UNIQUE_COUNTS[day].items():
        additions[article_id] = [(i, 0.5, f"{article_id} adds fact {i}.") for i in range(count)]
    for article_id, sentences in sorted(additions.items()):
        _, cluster_id, outlet, *_ = articles[article_id]
        tables["unique_sentences"].extend(
            {
                "cluster_id": cluster_id,
                "outlet": outlet,
                "article_id": article_id,
                "sentence_index": index,
                "sentence": sentence,
                "novelty": novelty,
            }
            for index, novelty, sentence in sentences
        )
    return tables


def write_partition(output: Path, table: str, day: dt.date, rows: list[dict]) -> None:
    folder = output / table / f"run_date={day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.Table.from_pylist(rows, schema=TABLES[table]),
        folder / "part-00000-of-00001.parquet",
        compression="zstd",
    )


@pytest.fixture(scope="module")
def known_output(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("known") / "out"
    for day in (DAY1, DAY2):
        for table, rows in fixture_tables(day).items():
            write_partition(output, table, day, rows)  # empty tables too, as the writer does
    return output


@pytest.fixture(scope="module")
def session(known_output):
    session = query.connect(known_output)
    yield session
    session.connection.close()


def cookbook_queries() -> dict[str, str]:
    """The ```sql blocks of docs/cookbook.md, each named by the `<!-- cookbook: NAME -->` above it."""
    found = re.findall(
        r"<!-- cookbook: (\w+) -->\s*```sql\n(.*?)```", COOKBOOK.read_text(encoding="utf-8"), re.S
    )
    return dict(found)


def run_cookbook(session, name: str) -> list[tuple]:
    return query.execute(session.connection, cookbook_queries()[name]).fetchall()


# --- the cookbook --------------------------------------------------------------------------


def test_the_cookbook_has_the_six_queries():
    assert list(cookbook_queries()) == [
        "biggest_stories",
        "first_publisher",
        "outlet_originality",
        "outlet_additions",
        "exclusive_stories",
        "pair_decisions",
    ]


def test_biggest_stories_of_the_latest_day(session):
    # QUAKE continues DAY1's story, so it was first seen on DAY1; ties go by story id.
    assert run_cookbook(session, "biggest_stories") == [
        (
            QUAKE,
            3,
            3,
            ["Harbour Times", "Metro Wire", "Northern Post"],
            DAY1,
            "Quake: old town sleeps outside",
        ),
        (RATES, 2, 2, ["Atlas News Agency", "Market Beacon"], DAY2, "Central bank holds rates"),
        (LOCAL, 2, 1, ["Metro Wire"], DAY2, "Council approves new tram line"),
        (SUMMIT, 1, 1, ["Harbour Times"], DAY1, "What the summit means for the port"),
        (MATCH, 1, 1, ["Touchline Daily"], DAY2, "Late winner seals the title"),
    ]


def test_biggest_stories_of_a_chosen_day(session):
    sql = cookbook_queries()["biggest_stories"].replace(
        "(SELECT max(run_date) FROM clusters)", "DATE '2025-08-18'"
    )
    rows = query.execute(session.connection, sql).fetchall()
    assert [(row[0], row[1]) for row in rows] == [(SUMMIT, 2), (QUAKE, 1)]


def test_first_publisher_and_lead_times_across_days(session):
    minutes = lambda n: dt.timedelta(minutes=n)  # noqa: E731
    assert run_cookbook(session, "first_publisher") == [
        (QUAKE, 1, "Atlas News Agency", None, at(18, 22), minutes(0)),
        (QUAKE, 2, "Metro Wire", None, at(19, 0, 45), minutes(165)),
        (QUAKE, 3, "Harbour Times", None, at(19, 3, 30), minutes(330)),
        (QUAKE, 4, "Northern Post", None, at(19, 8), minutes(600)),
        (RATES, 1, "Atlas News Agency", None, at(19, 9), minutes(0)),
        (RATES, 2, "Market Beacon", None, at(19, 9, 20), minutes(20)),
        (SUMMIT, 1, "Meridian Press", None, at(18, 6), minutes(0)),
        (SUMMIT, 2, "Capital Courier", None, at(18, 7, 30), minutes(90)),
        (SUMMIT, 3, "Harbour Times", None, None, None),  # no publication time: last, no delay
    ]


def test_outlet_originality_counts_compared_articles_only(session):
    # Atlas's DAY1 QUAKE article, Harbour Times' SUMMIT article and Metro Wire's LOCAL
    # articles had no other outlet in their run: not in the denominators. Touchline Daily
    # and (on its own) nobody compared it: left out.
    assert run_cookbook(session, "outlet_originality") == [
        ("Market Beacon", 1, 10, 5, 0.5),
        ("Metro Wire", 1, 12, 6, 0.5),
        ("Capital Courier", 1, 10, 4, 0.4),
        ("Meridian Press", 1, 10, 3, 0.3),
        ("Harbour Times", 1, 8, 2, 0.25),
        ("Atlas News Agency", 1, 10, 1, 0.1),
        ("Northern Post", 1, 10, 1, 0.1),
    ]


def test_everything_metro_wire_added_to_the_quake(session):
    assert run_cookbook(session, "outlet_additions") == [
        (DAY2, "quake-metro", index, novelty, sentence) for index, novelty, sentence in METRO_QUAKE_ADDITIONS
    ]


def test_exclusive_stories_are_judged_over_all_days(session):
    # QUAKE (alone on DAY1) and SUMMIT (alone on DAY2) had other outlets on the other day.
    assert run_cookbook(session, "exclusive_stories") == [
        ("Metro Wire", LOCAL, 2, at(19, 7), "Council approves new tram line"),
        ("Touchline Daily", MATCH, 1, at(19, 18), "Late winner seals the title"),
    ]


# --- the views -----------------------------------------------------------------------------


def test_views_sql_has_one_view_per_table_over_its_own_folder():
    statements = query.parse_views(query.views_sql())
    views = {s.view: s for s in statements if s.view}
    assert set(TABLES) <= set(views) and "story_outlets" in views
    for table in TABLES:
        assert (
            f"read_parquet('${{output}}/{table}/*/*.parquet', hive_partitioning = false" in views[table].sql
        )
        assert views[table].description, f"{table}: describe it in a comment above the CREATE"


def test_the_pairs_view_is_described_with_every_kind_of_pair_it_holds():
    # `storymatch query` shows this line: it called every row an LSH candidate, though the table
    # also holds the pairs scored inside a linked group and the exact copies.
    pairs = next(s for s in query.parse_views(query.views_sql()) if s.view == "pairs")
    for found_by in ("lsh", "component", "exact_duplicate"):
        assert found_by in pairs.description


def test_every_view_has_the_schema_columns_and_run_date(session):
    for table, schema in TABLES.items():
        columns = [row[0] for row in session.connection.execute(f"DESCRIBE {table}").fetchall()]
        assert columns == [*schema.names, "run_date"], table
    days = session.connection.execute("SELECT DISTINCT run_date FROM articles ORDER BY 1").fetchall()
    assert days == [(DAY1,), (DAY2,)]


def test_views_sql_works_in_any_duckdb_client_after_substitution(known_output):
    # What `sed 's#${output}#/path#g' schemas/views.sql | duckdb` does.
    script = query.views_sql().replace("${output}", str(known_output))
    connection = duckdb.connect()
    connection.execute(script)
    assert connection.execute("SELECT count(*) FROM story_outlets").fetchall() == [(11,)]
    assert connection.execute("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]


@pytest.mark.parametrize("parent", ["run_date=2020-01-01", "outlet=x"])
def test_an_output_below_a_folder_named_like_a_partition_keeps_its_own_values(known_output, tmp_path, parent):
    # DuckDB's Hive partitioning reads every key=value folder of the path: it took run_date
    # (so the two days were one, and story_outlets counted each article twice) or outlet from
    # the parent folder for every row.
    output = tmp_path / parent / "out"
    shutil.copytree(known_output, output)
    session = query.connect(output)
    try:
        connection = session.connection
        days = "SELECT run_date, count(*) FROM articles GROUP BY 1 ORDER BY 1"
        assert connection.execute(days).fetchall() == [(DAY1, 3), (DAY2, 9)]
        outlets = "SELECT count(DISTINCT outlet) FROM articles"
        assert connection.execute(outlets).fetchall() == [(8,)]
        once = "SELECT sum(articles), sum(sentences) FROM story_outlets"
        assert connection.execute(once).fetchall() == [(12, 107)]
        columns = [row[0] for row in connection.execute("DESCRIBE articles").fetchall()]
        assert columns == [*TABLES["articles"].names, "run_date"]
    finally:
        session.connection.close()


@pytest.mark.parametrize("name", ["out[1]", "out?", "out*"])
def test_an_output_folder_named_like_a_pattern_is_read_as_named(known_output, tmp_path, name):
    # Its views read its own files only: not nothing ("out[1]" as a pattern matches "out1"), nor
    # those of sibling folders that the name would match as a pattern ("out1", "out-old").
    output = tmp_path / name
    shutil.copytree(known_output, output)
    for sibling in ("out1", "out-old"):  # with the first day only
        shutil.copytree(known_output, tmp_path / sibling)
        for partition in (tmp_path / sibling).glob(f"*/run_date={DAY2}"):
            shutil.rmtree(partition)
    session = query.connect(output)
    try:
        counts = session.connection.execute(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM clusters)"
        ).fetchall()
    finally:
        session.connection.close()
    assert counts == [(12, 7)]


class _Killed(BaseException):
    """Stands for the signal that stops a run between two of its publishing moves."""


def test_a_date_whose_run_was_stopped_while_publishing_is_named_on_stderr(capsys, tmp_path, monkeypatch):
    output = tmp_path / "out"
    move = publish._move
    moved: list[str] = []

    def move_twice_then_die(source: str, target: str, trash: str) -> None:
        if len(moved) == 2:
            raise _Killed
        moved.append(target)
        move(source, target, trash)

    monkeypatch.setattr(publish, "_move", move_twice_then_die)
    with pytest.raises(_Killed):
        run_job([str(SEEDS)], str(output), config_module.load(), run_date=DAY1)
    sql = "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM clusters)"
    status, out, err = storymatch_in_process(capsys, "query", "--output", str(output), "--format", "csv", sql)
    assert (status, out.splitlines()[1]) == (0, "5,0"), "the articles are in place, the clusters not yet"
    assert (
        f"storymatch: note: the run of {DAY1} was stopped while publishing: its tables are partly in "
        f"place until the next run into {output} finishes it"
    ) in err.splitlines()
    monkeypatch.setattr(publish, "_move", move)
    publish.recover(str(output))
    status, out, err = storymatch_in_process(capsys, "query", "--output", str(output), "--format", "csv", sql)
    assert (status, out.splitlines()[1], err) == (0, "5,1", "")


def test_a_table_without_files_gets_an_empty_view_with_its_columns(tmp_path):
    output = tmp_path / "out"
    tables = fixture_tables(DAY2)
    for table in ("articles", "clusters"):
        write_partition(output, table, DAY2, tables[table])
    session = query.connect(output)
    assert set(session.empty_tables) == set(TABLES) - {"articles", "clusters"}
    columns = [row[0] for row in session.connection.execute("DESCRIBE rejects").fetchall()]
    assert columns == [*TABLES["rejects"].names, "run_date"]
    assert session.connection.execute("SELECT count(*), sum(articles) FROM story_outlets").fetchall() == [
        (8, 9)
    ]


def test_a_partition_without_all_its_files_is_named_on_stderr(capsys, known_output, tmp_path):
    # A partial copy of an output: its views miss rows, and the command says which partitions.
    output = tmp_path / "out"
    shutil.copytree(known_output, output)
    articles = output / "articles" / f"run_date={DAY2}"
    (articles / "part-00000-of-00001.parquet").unlink()
    clusters = output / "clusters" / f"run_date={DAY1}"
    (clusters / "part-00000-of-00001.parquet").rename(clusters / "part-00000-of-00002.parquet")
    sql = "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM clusters)"
    status, out, err = storymatch_in_process(capsys, "query", "--output", str(output), "--format", "csv", sql)
    assert (status, out.splitlines()[1]) == (0, "3,7")
    gaps = [
        f"articles/run_date={DAY2} holds no Parquet file",
        f"clusters/run_date={DAY1} lacks part-00001-of-00002.parquet",
    ]
    assert err.splitlines() == [
        f"storymatch: note: {gap}: its view misses rows (a partial copy of {output}?)" for gap in gaps
    ]
    status, _, err = storymatch_in_process(
        capsys, "query", "--output", str(known_output), "--format", "csv", sql
    )
    assert (status, err) == (0, "")


def test_a_column_added_later_reads_as_null_in_older_partitions(tmp_path):
    # Partitions written before a column was added to a schema still read (union_by_name).
    output = tmp_path / "out"
    write_partition(output, "articles", DAY2, fixture_tables(DAY2)["articles"])
    older = TABLES["articles"].remove(TABLES["articles"].get_field_index("similarity_to_representative"))
    folder = output / "articles" / f"run_date={DAY1}"
    folder.mkdir(parents=True)
    rows = [{k: v for k, v in row.items() if k in older.names} for row in fixture_tables(DAY1)["articles"]]
    pq.write_table(pa.Table.from_pylist(rows, schema=older), folder / "part-00000-of-00001.parquet")
    session = query.connect(output)
    counts = "SELECT run_date, count(similarity_to_representative) FROM articles GROUP BY 1 ORDER BY 1"
    assert session.connection.execute(counts).fetchall() == [(DAY1, 0), (DAY2, 9)]


def test_format_table_aligns_truncates_and_counts():
    text = query.format_table(
        ["outlet", "n", "note"], [("Metro Wire", 2, "x" * 50), ("Atlas", 10, None)], total=3, max_width=10
    )
    assert text.splitlines() == [
        "outlet       n  note",
        "----------  --  ----------",
        "Metro Wire   2  xxxxxxxxx…",
        "Atlas       10  NULL",
        "3 rows (2 shown; --max-rows N shows more, --format csv writes all)",
    ]


def test_format_table_aligns_wide_and_combining_characters_by_terminal_columns():
    # A CJK character or an emoji takes two columns, an accent or a variation selector none.
    text = query.format_table(
        ["outlet", "n"],
        [("\u65b0\u95fb\u53f0", 1), ("Cafe\u0301 \U0001f984", 22), ("\u65b0\u95fb\u8054\u64ad\u53f0", 3)],
        total=3,
        max_width=8,
    )
    assert text.splitlines() == [
        "outlet    n",
        "-------  --",
        "\u65b0\u95fb\u53f0    1",
        "Cafe\u0301 \U0001f984  22",
        "\u65b0\u95fb\u8054\u2026   3",
        "3 rows",
    ]
    assert [query.display_width(line) for line in text.splitlines()[:5]] == [11] * 5


# --- the command ---------------------------------------------------------------------------


def storymatch(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def storymatch_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """`storymatch ARGS` through the same main() as the subprocess, without a new interpreter
    (each one imports Beam: seconds)."""
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def query_known(capsys, known_output: Path, *args: str) -> tuple[int, str, str]:
    return storymatch_in_process(capsys, "query", "--output", str(known_output), *args)


def test_command_runs_sql_and_prints_a_table(capsys, known_output):
    sql = "SELECT outlet, count(*) AS n FROM articles GROUP BY 1 ORDER BY 2 DESC, 1"
    status, out, err = query_known(capsys, known_output, sql)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:4] == [
        "outlet             n",
        "-----------------  -",
        "Metro Wire         3",
        "Atlas News Agency  2",
    ]
    assert lines[-1] == "8 rows"


def test_command_table_sends_no_control_character_from_the_data_to_the_terminal(capsys, tmp_path):
    # The reader keeps titles and outlets as given: an escape sequence (clear the screen, set
    # the window title) is shown, not sent, and a vertical tab or line separator breaks no row.
    outlet = "Evil\x1b[2J\x1b]0;pwned\x07 Wire"
    title = "one\x0btwo\x0cthree\u2028four\x85five\r\nsix"
    wire = article_row("q-1", QUAKE, outlet, at(19, 1), 10, title, True)
    write_one_story(tmp_path, DAY2, [wire], num_outlets=1, first_seen=DAY2)
    sql = "SELECT outlet, title, 7 AS n FROM articles"
    status, out, err = storymatch_in_process(
        capsys, "query", "--output", str(tmp_path), "--max-width", "0", sql
    )
    assert (status, err) == (0, "")
    shown_outlet = "Evil\\x1b[2J\\x1b]0;pwned\\x07 Wire"
    assert out.splitlines() == [
        f"{'outlet':<{len(shown_outlet)}}  title                        n",
        f"{'-' * len(shown_outlet)}  ---------------------------  -",
        f"{shown_outlet}  one two three four five six  7",
        "1 row",
    ]
    # The data formats write the values as they are.
    status, out, _ = storymatch_in_process(
        capsys, "query", "--output", str(tmp_path), "--format", "jsonl", sql
    )
    assert json.loads(out) == {"outlet": outlet, "title": title, "n": 7}


def test_command_writes_csv_to_stdout(capsys, known_output):
    sql = "SELECT cluster_id, size FROM clusters WHERE run_date = DATE '2025-08-18' ORDER BY cluster_id"
    status, out, _ = query_known(capsys, known_output, "--format", "csv", sql)
    assert status == 0
    assert list(csv.reader(io.StringIO(out))) == [["cluster_id", "size"], [QUAKE, "1"], [SUMMIT, "2"]]


def test_command_reports_bad_sql_in_one_line(known_output):
    result = storymatch("query", "--output", str(known_output), "SELECT nope FROM clusters")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith('storymatch: error: Binder Error: Referenced column "nope" not found')


def test_command_shows_the_last_statement_after_earlier_selects(capsys, known_output):
    status, out, err = query_known(capsys, known_output, "SELECT 1; SELECT 2 AS answer")
    assert (status, err) == (0, "")
    assert out.splitlines() == ["answer", "------", "     2", "1 row"]
    # Every statement runs, in order; only the last one's result is shown.
    sql = "CREATE TABLE kept AS SELECT 7 AS v; SELECT count(*) FROM articles; SELECT v FROM kept"
    status, out, err = query_known(capsys, known_output, "--format", "csv", sql)
    assert (status, out, err) == (0, "v\n7\n", "")


def test_command_lists_views_and_columns(capsys, known_output):
    status, out, _ = query_known(capsys, known_output)
    assert status == 0
    for view in [*TABLES, "story_outlets"]:
        assert re.search(rf"^{view} \(", out, re.M), view
    assert "articles (12 rows, 2 run dates, 2025-08-18 .. 2025-08-19)" in out
    assert "rejects (0 rows: empty in all 2 run dates, 2025-08-18 .. 2025-08-19)" in out
    assert re.search(r"^    novelty +DOUBLE +1 - best coverage by a sentence", out, re.M)


def test_command_runs_a_file_of_statements(capsys, known_output, tmp_path):
    sql_file = tmp_path / "additions.sql"
    sql_file.write_text(cookbook_queries()["outlet_additions"], encoding="utf-8")
    status, out, _ = query_known(capsys, known_output, "--file", str(sql_file))
    assert status == 0
    assert "A local choir sang for the rescuers at…" in out  # cut at 40 characters
    assert out.splitlines()[-1] == "6 rows"


def test_command_writes_json_jsonl_and_parquet(capsys, known_output, tmp_path):
    sql = f"SELECT outlet, publish_order, behind_first FROM story_outlets WHERE cluster_id = '{RATES}'"
    sql += " ORDER BY publish_order"
    status, out, _ = query_known(capsys, known_output, "--format", "json", sql)
    assert status == 0
    assert json.loads(out) == [
        {"outlet": "Atlas News Agency", "publish_order": 1, "behind_first": "00:00:00"},
        {"outlet": "Market Beacon", "publish_order": 2, "behind_first": "00:20:00"},
    ]

    target = tmp_path / "result.jsonl"
    assert query_known(capsys, known_output, "--format", "jsonl", "--to", str(target), sql) == (0, "", "")
    assert [json.loads(line)["outlet"] for line in target.read_text().splitlines()] == [
        "Atlas News Agency",
        "Market Beacon",
    ]

    target = tmp_path / "result.parquet"
    assert query_known(capsys, known_output, "--format", "parquet", "--to", str(target), sql) == (0, "", "")
    written = pq.read_table(target)
    assert written.column("outlet").to_pylist() == ["Atlas News Agency", "Market Beacon"]
    assert pq.ParquetFile(target).metadata.row_group(0).column(0).compression == "ZSTD"
    # An INTERVAL reads back as a duration (DuckDB's own Parquet INTERVAL is 12 raw bytes to
    # pyarrow and pandas), and as microseconds in DuckDB.
    assert written.schema.field("behind_first").type == pa.duration("us")
    assert written.column("behind_first").to_pylist() == [dt.timedelta(0), dt.timedelta(minutes=20)]
    assert duckdb.sql(f"SELECT behind_first FROM '{target}'").fetchall() == [(0,), (20 * 60 * 10**6,)]


def test_command_writes_intervals_to_parquet_as_durations_of_30_day_months(capsys, known_output, tmp_path):
    target = tmp_path / "result.parquet"
    sql = (
        "SELECT * FROM (VALUES (INTERVAL '1 month 2 days 3.5 seconds', 1), (NULL, 2), "
        '(INTERVAL \'-90 minutes\', 3)) AS t("wait ""x""", n) ORDER BY n'
    )
    assert query_known(capsys, known_output, "--format", "parquet", "--to", str(target), sql) == (0, "", "")
    written = pq.read_table(target)
    assert written.schema == pa.schema([('wait "x"', pa.duration("us")), ("n", pa.int32())])
    assert written.column(0).to_pylist() == [
        dt.timedelta(days=32, seconds=3.5),
        None,
        dt.timedelta(minutes=-90),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--output", "{missing}"), "no output folder at {missing}"),
        (("--output", "{empty}"), "{empty} holds no storymatch tables"),
        (
            ("--format", "xlsx", "SELECT 1"),
            "unknown --format 'xlsx': use one of table, csv, json, jsonl, parquet",
        ),
        (("--format", "parquet", "SELECT 1"), "--format parquet needs --to FILE"),
        (("--file", "{missing}", "SELECT 1"), "give the SQL on the command line or with --file, not both"),
        (("--file", "{missing}"), "cannot read --file {missing}: No such file or directory"),
        (("--file", "{utf16}"), "cannot read --file {utf16}: not UTF-8 text (invalid start byte)"),
        (("SELEC 1",), 'Parser Error: syntax error at or near "SELEC"'),
        (("-- nothing",), "no SQL statement given"),
        (
            ("--format", "parquet", "--to", "{missing}", "SELECT [INTERVAL 1 DAY] AS waits"),
            "column waits holds INTERVAL values inside a list or struct",
        ),
    ],
)
def test_command_errors_are_one_line_with_status_2(capsys, known_output, tmp_path, args, message):
    paths = {"missing": str(tmp_path / "missing"), "empty": str(tmp_path), "utf16": str(tmp_path / "q.sql")}
    Path(paths["utf16"]).write_text("SELECT 1", encoding="utf-16")  # as some editors save
    args = tuple(arg.format(**paths) for arg in args)
    if "--output" not in args:
        args = ("--output", str(known_output), *args)
    status, out, err = storymatch_in_process(capsys, "query", *args)
    assert (status, out) == (2, "")
    assert err.startswith(f"storymatch: error: {message.format(**paths)}")
    assert err.count("\n") == 1 and err.endswith("\n")


# --- the seeds, straight after the README's run command --------------------------------------


@pytest.fixture(scope="module")
def seeds_folder(tmp_path_factory) -> Path:
    """A folder after `storymatch run` (the README's command: seeds/ in, out/ out)."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(SEEDS, folder / "seeds")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert cli.main(["run"]) == 0
    return folder


def test_query_works_on_the_seeds_run(capsys, seeds_folder, tmp_path):
    # End to end in a new interpreter, with the default --output (out, the run's default).
    biggest = tmp_path / "biggest.sql"
    biggest.write_text(cookbook_queries()["biggest_stories"], encoding="utf-8")
    result = storymatch("query", "--file", str(biggest), cwd=seeds_folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    header, _, story, count = result.stdout.splitlines()
    assert header.split()[:3] == ["cluster_id", "size", "num_outlets"]
    assert story.split()[1:3] == ["5", "5"] and count == "1 row"

    status, out, _ = storymatch_in_process(capsys, "query", "--output", str(seeds_folder / "out"))
    assert status == 0
    assert re.search(r"^articles \(5 rows, \d{4}-\d\d-\d\d\)$", out, re.M)
    session = query.connect(seeds_folder / "out")
    for name in cookbook_queries():
        run_cookbook(session, name)  # every cookbook query runs on a real output
    assert len(run_cookbook(session, "outlet_originality")) == 5


def readme_sql_blocks() -> list[str]:
    """The ```sql blocks of README.md, which read the tables with read_parquet from 'out/...'."""
    return re.findall(r"```sql\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def test_the_readmes_sql_runs_on_the_seeds_run(seeds_folder, monkeypatch):
    # The README's queries use paths relative to where `storymatch run` wrote out/.
    monkeypatch.chdir(seeds_folder)
    connection = duckdb.connect()
    stories, additions, per_day = (
        connection.execute(statement.query).fetchall()
        for block in readme_sql_blocks()
        for statement in connection.extract_statements(block)
    )
    assert [(size, outlets) for _, size, outlets, _ in stories] == [(5, 5)]
    assert additions and all(0 < novelty <= 1 for *_, novelty in additions)
    assert [count for _, count in per_day] == [5]


def test_the_readmes_pyarrow_lines_read_run_date_as_a_date(seeds_folder, monkeypatch):
    # Without the partitioning, pyarrow reads run_date as a dictionary of strings.
    (block,) = re.findall(r"```python\n(import pyarrow.*?)```", (ROOT / "README.md").read_text(), re.S)
    monkeypatch.chdir(seeds_folder)
    names: dict = {}
    exec(block, names)
    articles = names["articles"]
    assert articles.schema.field("run_date").type == pa.date32()
    assert articles.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    days = set(articles.column("run_date").to_pylist())
    assert len(days) == 1 and all(isinstance(day, dt.date) for day in days)


def test_output_files_are_zstd_sorted_with_one_file_per_partition(seeds_folder):
    for table in TABLES:
        partitions = list((seeds_folder / "out" / table).iterdir())
        assert len(partitions) == 1 and partitions[0].name.startswith("run_date=")
        files = os.listdir(partitions[0])
        assert files == ["part-00000-of-00001.parquet"], table
        parquet = pq.ParquetFile(partitions[0] / files[0])
        metadata = parquet.metadata
        for group in range(metadata.num_row_groups):
            assert metadata.row_group(group).num_rows <= 100_000
            for column in range(metadata.num_columns):
                assert metadata.row_group(group).column(column).compression == "ZSTD", table
        keys = SORT_KEYS[table]
        rows = parquet.read(columns=list(keys)).to_pylist()
        assert rows == sorted(rows, key=lambda row: tuple((row[k] is None, row[k]) for k in keys)), table


def write_one_story(output: Path, day: dt.date, articles: list[dict], num_outlets: int, first_seen: dt.date):
    """A run date of one story (QUAKE, represented by its first article) with these articles."""
    times = [row["published_at"] for row in articles if row["published_at"] is not None]
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    tables["articles"] = articles
    tables["clusters"] = [
        {
            "cluster_id": QUAKE,
            "size": len(articles),
            "num_outlets": num_outlets,
            "outlets": sorted({row["outlet"] for row in articles} - {None}),
            "representative_id": articles[0]["article_id"],
            "first_seen_run_date": first_seen,
            "first_published_at": min(times),
            "last_published_at": max(times),
            "outlet_coverage": [],
        }
    ]
    for table, rows in tables.items():
        write_partition(output, table, day, rows)


def story_outlets_rows(output: Path, columns: str, order: str) -> list[tuple]:
    session = query.connect(output)
    try:
        return query.execute(
            session.connection, f"SELECT {columns} FROM story_outlets ORDER BY {order}"
        ).fetchall()
    finally:
        session.connection.close()


@pytest.mark.parametrize(
    "spelling", ["metro  wire", "Metro\u00a0Wire"], ids=["case-and-spaces", "no-break-space"]
)
def test_story_outlets_takes_names_that_differ_in_case_or_spacing_as_one_outlet(tmp_path, spelling):
    # As the pipeline does (outlets.outlet_key, which splits on any Unicode space).
    articles = [
        article_row("q-1", QUAKE, "Metro Wire", at(19, 1), 10, "Quake", True),
        article_row("q-2", QUAKE, spelling, at(19, 2), 6, "Quake update", False),
        article_row("q-3", QUAKE, "Harbour Times", at(19, 3), 8, "Harbour damaged", False),
    ]
    write_one_story(tmp_path, DAY2, articles, num_outlets=2, first_seen=DAY2)
    found = story_outlets_rows(tmp_path, "outlet, articles, sentences, story_outlets", "publish_order")
    assert found == [("Metro Wire", 2, 16, 2), ("Harbour Times", 1, 8, 2)]


@pytest.mark.parametrize(
    "spelling", ["metro  WIRE", "Metro\u00a0Wire"], ids=["case-and-spaces", "no-break-space"]
)
def test_outlet_additions_takes_every_spelling_of_the_outlet(tmp_path, spelling):
    # story_outlets (and so the originality query) counts both articles as Metro Wire's, as
    # the pipeline does: what Metro Wire added must then come from both too.
    articles = [
        article_row("quake-metro", QUAKE, "Metro Wire", at(19, 1), 10, "Quake", True),
        article_row("quake-metro-2", QUAKE, spelling, at(19, 2), 6, "Quake update", False),
        article_row("quake-harbour", QUAKE, "Harbour Times", at(19, 3), 8, "Harbour damaged", False),
    ]
    write_one_story(tmp_path, DAY2, articles, num_outlets=2, first_seen=DAY2)
    added = [("quake-metro", 1, 0.9, "Residents slept outside."), ("quake-metro-2", 0, 0.8, "Trams stopped.")]
    unique = [
        {
            "cluster_id": QUAKE,
            "outlet": row["outlet"],
            "article_id": row["article_id"],
            "sentence_index": index,
        }
        | {"sentence": sentence, "novelty": novelty}
        for row in articles
        for article_id, index, novelty, sentence in added
        if row["article_id"] == article_id
    ]
    write_partition(tmp_path, "unique_sentences", DAY2, unique)
    session = query.connect(tmp_path)
    try:
        found = query.execute(session.connection, cookbook_queries()["outlet_additions"]).fetchall()
        originality = query.execute(session.connection, cookbook_queries()["outlet_originality"]).fetchall()
    finally:
        session.connection.close()
    assert found == [
        (DAY2, article_id, index, novelty, sentence) for article_id, index, novelty, sentence in added
    ]
    assert ("Metro Wire", 1, 16, 2, 0.125) in originality


def test_story_outlets_counts_an_article_sent_on_two_days_once(tmp_path):
    wire = article_row("q-1", QUAKE, "Metro Wire", at(18, 23), 10, "Quake", True)
    write_one_story(tmp_path, DAY1, [wire], num_outlets=1, first_seen=DAY1)
    harbour = article_row("q-2", QUAKE, "Harbour Times", at(19, 3), 8, "Harbour", False)
    write_one_story(tmp_path, DAY2, [wire, harbour], num_outlets=2, first_seen=DAY1)
    found = story_outlets_rows(tmp_path, "outlet, articles, sentences, compared_sentences", "outlet")
    assert found == [("Harbour Times", 1, 8, 8), ("Metro Wire", 1, 10, 10)]


def test_story_outlets_takes_each_article_without_an_outlet_as_an_outlet_of_its_own(tmp_path):
    # As clusters.num_outlets and outlet_coverage count them: grouped together, two unrelated
    # feeds' articles were one "outlet" (on the dev corpus 202 of 398 stories had another
    # count than num_outlets) and first_publisher left out stories only they covered.
    articles = [
        article_row("q-wire", QUAKE, "Metro Wire", at(19, 1), 10, "Quake", True),
        article_row("q-feed-2", QUAKE, None, at(19, 3), 8, "Harbour damaged", False),
        article_row("q-feed-1", QUAKE, None, None, 6, None, False),
    ]
    write_one_story(tmp_path, DAY2, articles, num_outlets=3, first_seen=DAY2)
    found = story_outlets_rows(tmp_path, "outlet, articles, sentences, story_outlets", "publish_order")
    assert found == [("Metro Wire", 1, 10, 3), (None, 1, 8, 3), (None, 1, 6, 3)]
    named = story_outlets_rows(tmp_path, "article_id, publish_order", "publish_order")
    assert named == [(None, 1), ("q-feed-2", 2), ("q-feed-1", 3)]
    session = query.connect(tmp_path)
    try:
        first = query.execute(session.connection, cookbook_queries()["first_publisher"]).fetchall()
    finally:
        session.connection.close()
    assert [row[1:4] for row in first] == [
        (1, "Metro Wire", None),
        (2, None, "q-feed-2"),
        (3, None, "q-feed-1"),
    ]


def test_outlet_additions_lists_an_article_sent_on_two_days_once(tmp_path):
    # Each run that read the article compared it with that run's articles and wrote its unique
    # sentences: listing both runs' rows repeated sentences, with two novelties, and gave more
    # rows than story_outlets.unique_sentences counts (its latest run).
    wire = article_row("quake-metro", QUAKE, "Metro Wire", at(18, 23), 10, "Quake", True)
    northern = article_row("quake-northern", QUAKE, "Northern Post", at(18, 23), 9, "Aftershocks", False)
    write_one_story(tmp_path, DAY1, [wire, northern], num_outlets=2, first_seen=DAY1)
    harbour = article_row("quake-harbour", QUAKE, "Harbour Times", at(19, 3), 8, "Harbour", False)
    write_one_story(tmp_path, DAY2, [wire, harbour], num_outlets=2, first_seen=DAY1)
    ring = "The tram network stopped."
    first = [(DAY1, 1, 0.9, "Residents slept outside."), (DAY1, 4, 0.8, ring)]
    latest = [(DAY2, 4, 0.7, ring), (DAY2, 6, 1.0, "A choir sang at dawn.")]
    for day, rows in ((DAY1, first), (DAY2, latest)):
        unique = [
            {
                "cluster_id": QUAKE,
                "outlet": "Metro Wire",
                "article_id": "quake-metro",
                "sentence_index": index,
            }
            | {"sentence": sentence, "novelty": novelty}
            for _, index, novelty, sentence in rows
        ]
        write_partition(tmp_path, "unique_sentences", day, unique)
    session = query.connect(tmp_path)
    try:
        found = query.execute(session.connection, cookbook_queries()["outlet_additions"]).fetchall()
        counted = query.execute(
            session.connection, "SELECT unique_sentences FROM story_outlets WHERE outlet = 'Metro Wire'"
        ).fetchall()
    finally:
        session.connection.close()
    assert found == [(day, "quake-metro", index, novelty, text) for day, index, novelty, text in latest]
    assert counted == [(len(found),)]


def test_pair_decisions_lists_each_pair_once_when_an_article_was_sent_on_two_days(tmp_path):
    # The pairs doc says to join articles by id: a plain join gave a pair with an article sent
    # on two days once for each of its articles rows.
    wire = article_row("quake-metro", QUAKE, "Metro Wire", at(18, 23), 10, "Quake", True)
    write_one_story(tmp_path, DAY1, [wire], num_outlets=1, first_seen=DAY1)
    harbour = article_row("quake-harbour", QUAKE, "Harbour Times", at(19, 3), 8, "Harbour", False)
    write_one_story(tmp_path, DAY2, [wire, harbour], num_outlets=2, first_seen=DAY1)
    rates = article_row("rates-atlas", RATES, "Atlas News Agency", at(19, 9), 10, "Rates", True)
    write_partition(tmp_path, "articles", DAY2, [wire, harbour, rates])
    verdicts = {"verified": True, "low_score": False}
    pairs = [
        {"article_a": a, "article_b": b, "score": score, "days_apart": 0.2}
        | {"verified": verdicts[reason], "reason": reason, "found_by": "lsh"}
        for a, b, score, reason in [
            ("quake-harbour", "quake-metro", 0.31, "verified"),
            ("quake-metro", "rates-atlas", 0.05, "low_score"),
        ]
    ]
    write_partition(tmp_path, "pairs", DAY2, pairs)
    session = query.connect(tmp_path)
    try:
        found = query.execute(session.connection, cookbook_queries()["pair_decisions"]).fetchall()
    finally:
        session.connection.close()
    assert found == [
        (DAY2, "quake-harbour", "Harbour Times", 0.31, 0.2, True, "verified", "lsh", QUAKE, QUAKE),
        (DAY2, "rates-atlas", "Atlas News Agency", 0.05, 0.2, False, "low_score", "lsh", QUAKE, RATES),
    ]


@pytest.mark.parametrize(
    "spellings",
    [
        ("Metro Wire", "metro  WIRE"),
        ("Straße Zeitung", "STRASSE ZEITUNG"),
        ("Νέα Οδός", "ΝΈΑ ΟΔΌΣ"),
        ("İstanbul Post", "istanbul post"),
    ],
    ids=["ascii", "sharp-s", "final-sigma", "dotted-capital-i"],
)
def test_story_outlets_counts_the_outlets_the_pipeline_counts(tmp_path, spellings):
    # The view can only lower-case (DuckDB has no casefold): the pipeline's outlet key must
    # take the same names as one outlet, or clusters.num_outlets and story_outlets disagree.
    from pipeline import config as config_module
    from pipeline.run import run_job

    text = sorted(SEEDS.glob("*.txt"))[0].read_text(encoding="utf-8")
    rows = [
        {"id": f"a{i}", "text": text, "outlet": outlet, "published_at": f"2025-08-19T1{i}:00:00Z"}
        for i, outlet in enumerate(spellings)
    ]
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    run_job([str(inputs)], str(tmp_path / "out"), config_module.load(), run_date=DAY2)
    session = query.connect(tmp_path / "out")
    try:
        (num_outlets,) = query.execute(session.connection, "SELECT num_outlets FROM clusters").fetchall()[0]
        counted = query.execute(session.connection, "SELECT DISTINCT story_outlets FROM story_outlets")
        assert counted.fetchall() == [(num_outlets,)]
    finally:
        session.connection.close()
