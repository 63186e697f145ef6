"""Dirty input: every rejected and every handled kind in one run beside the seeds."""

from __future__ import annotations

import csv
import datetime as dt
import json
import zlib

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli
from pipeline import config as config_module
from pipeline.backfill import backfill
from pipeline.run import run_job
from tests.conftest import SEEDS, mis_decoded

SEED_IDS = sorted(path.stem for path in SEEDS.glob("*.txt"))
GERMAN = (
    "Die Bundesregierung hat am Dienstag neue Hilfen für die Landwirtschaft beschlossen. "
    "Landwirte sollen nach der langen Dürre schneller Unterstützung erhalten, "
    "sagte die Ministerin in Berlin. "
    "Die Opposition kritisierte das Paket als zu klein und zu spät."
)
NO_PUNCTUATION = " ".join(
    f"farmers in the valley report {word} harvest figures while the cooperative plans new storage"
    for word in ["record", "weak", "mixed", "late", "early", "strong", "poor", "average", "stable", "rising"]
)
HTML = (
    "<html><head><title>Harbour reopens | City Herald</title></head><body>"
    '<nav><a href="/">Home</a><a href="/sport">Sport</a></nav><h1>Harbour reopens</h1>'
    "<p>The city harbour <b>reopened</b> on Monday after a week of repairs.</p>"
    "<script>alert('x')</script><p>Officials said ferries would run on the normal timetable &amp; fares.</p>"
    "</body></html>"
)


def seed_rows():
    for index, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        yield {
            "id": path.stem,
            "outlet": f"outlet-{index}",
            "text": path.read_text(encoding="utf-8"),
            "published_at": f"2025-08-19T1{index}:00:00Z",
        }


@pytest.fixture(scope="module")
def dirty_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dirty")
    lines: list[bytes] = [json.dumps(row).encode() for row in seed_rows()]
    lines += [
        b'{"id": "broken", "text": "unterminated',  # malformed_json
        json.dumps({"text": "no id here"}).encode(),  # missing_id
        json.dumps({"id": "no-text"}).encode(),  # missing_text
        json.dumps({"id": "empty", "text": ""}).encode(),  # empty_text
        json.dumps({"id": "blank", "text": "   \n\t "}).encode(),  # empty_text
        json.dumps({"id": "number", "text": 42}).encode(),  # text_not_string
        b'{"id": "latin1", "text": "caf\xe9 au lait"}',  # invalid_utf8
        json.dumps({"id": SEED_IDS[0], "text": "a different text, same id"}).encode(),  # duplicate_id
        json.dumps({"id": SEED_IDS[1], "text": "another copy"}).encode(),  # duplicate_id
        json.dumps({"id": "huge", "text": "word " * 5000}).encode(),  # too_long (max 20000)
        b"[1, 2, 3]",  # not_an_object
        json.dumps(
            {
                "id": "bad-date",
                "text": "Rain is expected in the north on Friday.",
                "published_at": "last Tuesday-ish",
            }
        ).encode(),
        json.dumps({"id": "no-punctuation", "text": NO_PUNCTUATION}).encode(),
        json.dumps({"id": "html", "text": HTML}).encode(),
        json.dumps({"id": "german", "text": GERMAN, "published_at": "2025-08-19"}).encode(),
        # field_too_long (max 200): the text pasted into the title too
        json.dumps({"id": "pasted", "text": UNRELATED, "title": UNRELATED * 2}).encode(),
    ]
    (folder / "articles.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (folder / "empty.jsonl").write_bytes(b"")
    config = config_module.load(overrides=["input.max_chars=20000", "input.max_field_chars=200"])
    job = run_job([str(folder)], str(folder / "out"), config, run_date=dt.date(2025, 8, 19))
    return folder / "out", job


def query(output, sql: str):
    for table in ("articles", "rejects", "clusters", "representatives", "unique_sentences"):
        sql = sql.replace(f"{{{table}}}", f"read_parquet('{output}/{table}/*/*.parquet')")
    return duckdb.sql(sql).fetchall()


def tables_of_a_run(rows, folder) -> list[list[tuple]]:
    """Runs ``rows`` as a feed in ``folder``; its stories, representative texts and unique
    sentences, which two feeds of the same articles should share."""
    feed = folder / "feed.jsonl"
    feed.parent.mkdir()
    feed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = folder / "out"
    run_job([str(feed)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    return [
        query(output, f"select {columns} from {{{table}}} order by all")
        for table, columns in [
            ("articles", "article_id, cluster_id, similarity_to_representative"),
            ("representatives", "article_id, text"),
            ("unique_sentences", "article_id, sentence_index, sentence"),
        ]
    ]


def test_each_bad_record_is_rejected_with_its_reason(dirty_run):
    output, _ = dirty_run
    reasons = sorted(query(output, "select reason, source_record from {rejects}"))
    assert reasons == [
        ("duplicate_id", 13),
        ("duplicate_id", 14),
        ("empty_text", 9),
        ("empty_text", 10),
        ("field_too_long", 21),
        ("invalid_utf8", 12),
        ("malformed_json", 6),
        ("missing_id", 7),
        ("missing_text", 8),
        ("not_an_object", 16),
        ("text_not_string", 11),
        ("too_long", 15),
    ]


def test_handled_records_are_kept(dirty_run):
    output, job = dirty_run
    kept = dict(query(output, "select article_id, num_sentences from {articles}"))
    assert set(kept) == {*SEED_IDS, "bad-date", "no-punctuation", "html", "german"}
    assert kept["no-punctuation"] > 1, "unpunctuated text is cut into several sentences"
    assert query(output, "select published_at from {articles} where article_id = 'bad-date'") == [(None,)]
    assert job.counters["read/unparseable_published_at"] == 1
    html = query(output, "select text from {representatives} where article_id = 'html'")[0][0]
    assert "<" not in html and "alert" not in html and "reopened on Monday" in html and "&amp;" not in html
    assert html.startswith("Harbour reopens\n"), "a whole page's title and menu are no text"


def test_seeds_stay_one_story_that_nothing_else_joins(dirty_run):
    output, _ = dirty_run
    stories = query(
        output, "select cluster_id, list(article_id order by article_id) from {articles} group by 1"
    )
    groups = sorted(members for _, members in stories)
    assert SEED_IDS in groups
    assert all(len(members) == 1 for members in groups if members != SEED_IDS)


def test_counts_reconcile(dirty_run):
    _, job = dirty_run
    assert job.manifest["reconciliation"] == {
        "input_records": 21,
        "rejected_before_the_run": 0,
        "articles": 9,
        "rejects": 12,
        "balanced": True,
    }
    assert job.counters["read/rejected_duplicate_id"] == 2


UNRELATED = (
    "The city council approved a new budget for public libraries on Tuesday, adding funds for "
    "longer opening hours and a mobile library that will visit rural schools twice a month."
)


@pytest.fixture(scope="module")
def odd_files(tmp_path_factory):
    """Whole-file and single-value problems: a pandas-style Parquet file (nanosecond times),
    a gzip stream cut short, a lone surrogate and placeholder dates."""
    folder = tmp_path_factory.mktemp("odd")
    nanoseconds = pa.array(
        [1_755_597_600_123_456_789, 1_755_597_600_000_000_000], pa.timestamp("ns", tz="UTC")
    )
    pq.write_table(
        pa.table({"id": ["n1", "n2"], "text": [GERMAN, HTML], "published_at": nanoseconds}),
        folder / "pandas.parquet",
    )
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip, flushed but never finished
    line = json.dumps({"id": "a1", "text": UNRELATED, "published_at": "2025-08-19"}).encode() + b"\n"
    (folder / "cut.jsonl.gz").write_bytes(compressor.compress(line) + compressor.flush(zlib.Z_FULL_FLUSH))
    lines = [
        b'{"id": "s1", "text": "Lone surrogate \\ud800 here."}',
        json.dumps({"id": "zero", "text": NO_PUNCTUATION, "published_at": "0001-01-01T00:00:00Z"}).encode(),
        json.dumps(
            {"id": "never", "text": "Snow is due.", "published_at": "9999-12-31T23:59:59-01:00"}
        ).encode(),
    ]
    (folder / "odd.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return folder


def test_file_and_value_problems_are_rejects_that_reconcile(odd_files, tmp_path):
    config = config_module.load()
    job = run_job([str(odd_files)], str(tmp_path / "out"), config, run_date=dt.date(2025, 8, 20))
    assert job.manifest["reconciliation"]["balanced"]
    assert job.counters["read/records"] == 7
    assert job.counters["read/unparseable_published_at"] == 2
    output = tmp_path / "out"
    assert sorted(query(output, "select reason, source_record from {rejects}")) == [
        ("invalid_utf8", 1),
        ("unreadable_file", 0),
    ]
    published = query(output, "select article_id, epoch_us(published_at) from {articles} order by 1")
    assert published == [
        ("a1", 1_755_561_600_000_000),
        ("n1", 1_755_597_600_123_456),
        ("n2", 1_755_597_600_000_000),
        ("never", None),
        ("zero", None),
    ]
    assert cli.main(["report", "--output", str(output)]) == 0


def test_backfill_of_problem_files_runs_and_reports(odd_files, tmp_path):
    config = config_module.load()
    split, jobs = backfill([str(odd_files)], str(tmp_path / "out"), config)
    assert (split.records, len(split.rejects), split.undated, split.unparseable_dates) == (7, 2, 2, 2)
    assert [str(job.run_date) for job in jobs] == ["2025-08-19"]
    assert jobs[-1].manifest["reconciliation"]["balanced"]
    assert cli.main(["report", "--output", str(tmp_path / "out")]) == 0


def test_articles_under_input_min_words_are_rejected_and_counted(tmp_path):
    rows = [*seed_rows(), {"id": "stub", "text": "Developing story: more soon."}]
    (tmp_path / "in.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    config = config_module.load(overrides=["input.min_words=10"])
    job = run_job([str(tmp_path / "in.jsonl")], str(tmp_path / "out"), config, run_date=dt.date(2025, 8, 19))
    assert query(tmp_path / "out", "select source_record, reason, detail from {rejects}") == [
        (6, "too_short", "text has 4 words, fewer than input.min_words=10")
    ]
    assert (job.row_counts["articles"], job.row_counts["rejects"]) == (5, 1)
    assert job.manifest["reconciliation"]["balanced"]
    assert job.counters["analyse/rejected_too_short"] == 1


def test_partitioned_parquet_dataset_is_read_whole(tmp_path):
    # The seeds as Spark or DuckDB write a dataset partitioned by outlet and day: the files
    # are in outlet=.../published_date=... folders and hold neither column.
    rows = pa.Table.from_pylist([{**row, "published_date": row["published_at"][:10]} for row in seed_rows()])
    dataset = tmp_path / "dataset"
    connection = duckdb.connect()
    connection.register("seeds", rows)
    connection.execute(f"COPY seeds TO '{dataset}' (FORMAT parquet, PARTITION_BY (outlet, published_date))")
    (dataset / "_SUCCESS").write_bytes(b"")
    output = tmp_path / "out"
    arguments = ["run", "--input", str(dataset), "--output", str(output), "--run-date", "2025-08-19"]
    assert cli.main(arguments) == 0
    articles = query(output, "select article_id, outlet, cluster_id from {articles} order by 1")
    assert [(article_id, outlet) for article_id, outlet, _ in articles] == [
        (row["id"], row["outlet"]) for row in seed_rows()
    ]
    assert len({cluster for *_, cluster in articles}) == 1, "the seeds are one story"
    assert query(output, "select count(*) from {rejects}") == [(0,)]


def test_a_feed_of_utf8_read_as_windows_1252_gives_the_tables_of_the_feed_as_written(tmp_path):
    """A scraper that ignores the pages' charset stores "Obamaâ€™s" for "Obama’s": repaired
    before matching, the feed gives the stories, texts and unique sentences of the clean one."""
    runs = {
        name: tables_of_a_run([{**row, "text": garble(row["text"])} for row in seed_rows()], tmp_path / name)
        for name, garble in {"clean": str, "mis_decoded": mis_decoded}.items()
    }
    assert "\u00e2\u20ac" in mis_decoded(SEEDS.joinpath(f"{SEED_IDS[0]}.txt").read_text(encoding="utf-8"))
    assert runs["mis_decoded"] == runs["clean"]


def test_a_mis_decoded_outlet_and_title_are_shown_and_grouped_as_written(tmp_path):
    """The outlet and title of a page read as Windows-1252 ("SÃ¼ddeutsche Zeitung") are shown
    in the tables as written, and the outlet is one outlet with its clean copies: else one
    newspaper would be two in a story, each "adding" the sentences of the other."""
    outlets = ["S\u00fcddeutsche Zeitung", "Le Monde \u00b7 \u00c9conomie"]
    runs = {}
    for name, garble in {"clean": str, "mis_decoded": mis_decoded}.items():
        feed = tmp_path / name / "feed.jsonl"
        feed.parent.mkdir()
        # The first two pages read right, the others mis-decoded: one feed of two scrapers.
        rows = [
            {
                **row,
                "outlet": (garble if index >= 2 else str)(outlets[index % 2]),
                "title": (garble if index >= 2 else str)(f"Trump\u2019s pledge, part {index}"),
            }
            for index, row in enumerate(seed_rows())
        ]
        feed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        output = tmp_path / name / "out"
        run_job([str(feed)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
        runs[name] = [
            query(output, "select article_id, outlet, title from {articles} order by all"),
            query(output, "select article_id, outlet, title from {representatives} order by all"),
            query(output, "select article_id, outlet, sentence_index from {unique_sentences} order by all"),
        ]
    assert "\u00c3\u00bc" in mis_decoded(outlets[0])
    assert runs["mis_decoded"] == runs["clean"]


def test_dates_as_exports_write_them_keep_the_time_gate(tmp_path):
    """Dates that are no ISO 8601 ("Jan 5, 2024", "2024/01/20 09:00") were unparseable, every
    article undated, so one text published two weeks apart was one story; read, the time gate
    (matching.max_days_apart, 7 days) keeps the later copy apart."""
    text = (SEEDS / f"{SEED_IDS[0]}.txt").read_text(encoding="utf-8")
    feed = tmp_path / "feed.csv"
    with feed.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "outlet", "published_at", "text"])
        writer.writerow(["jan5", "Herald", "Jan 5, 2024", text])
        writer.writerow(["jan6", "Courier", "Saturday, January 6, 2024 2:03 PM", text + "\nIt was updated."])
        writer.writerow(["jan20", "Gazette", "2024/01/20 09:00", text + "\nIt was reprinted."])
    output = tmp_path / "out"
    job = run_job([str(feed)], str(output), config_module.load(), run_date=dt.date(2024, 1, 20))
    assert "read/unparseable_published_at" not in job.counters
    rows = query(output, "select article_id, cluster_id, published_at::varchar from {articles} order by 3")
    assert [(article, published) for article, _, published in rows] == [
        ("jan5", "2024-01-05 00:00:00+00"),
        ("jan6", "2024-01-06 14:03:00+00"),
        ("jan20", "2024-01-20 09:00:00+00"),
    ]
    clusters = [cluster for _, cluster, _ in rows]
    assert clusters[0] == clusters[1] != clusters[2]
