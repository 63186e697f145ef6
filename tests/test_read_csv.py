"""CSV and TSV inputs, and the ``columns.*`` settings that read fields from columns of other names."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli
from pipeline import config as config_module
from pipeline.analyse import content_hash
from pipeline.backfill import backfill
from pipeline.config import ColumnConfig
from pipeline.evaluate import load_labels
from pipeline.read import InputError, parse_file, resolve_inputs
from pipeline.records import Article, Reject
from pipeline.report import read_input_sentences
from pipeline.run import run_job
from pipeline.text import normalise, split_sentences, strip_boilerplate
from tests.conftest import SEEDS

RUN_DATE = dt.date(2025, 8, 19)
# Kaggle's "All the News" columns, and the settings that read them.
ALL_THE_NEWS = ["id", "title", "publication", "author", "date", "year", "month", "url", "content"]
ALL_THE_NEWS_COLUMNS = ["columns.text=content", "columns.outlet=publication", "columns.published_at=date"]
KAGGLE = ColumnConfig(text="content", outlet="publication", published_at="date")


def outcomes(items: list[Article | Reject]) -> list[tuple[int, str]]:
    """(record, reason) per item; an Article's reason is "ok"."""
    return [(item.record, item.reason if isinstance(item, Reject) else "ok") for item in items]


def write_all_the_news(path: Path, *, delimiter: str = ",", bom: bool = True) -> Path:
    """The five seeds as Kaggle's All the News CSV (as Excel saves it: a BOM, CR LF line ends;
    the texts' own line breaks inside quoted cells)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(ALL_THE_NEWS)
        for seed in sorted(SEEDS.glob("*.txt")):
            text = seed.read_text(encoding="utf-8")
            writer.writerow([seed.stem, seed.stem, seed.stem, "Jane Doe", "", "", "", "", text])
    return path


def table(output: Path, name: str) -> pa.Table:
    (path,) = output.glob(f"{name}/run_date=*/*.parquet")
    return pq.read_table(path)


# --- parse_file: CSV and TSV ---


def test_quoted_cells_span_lines_and_double_their_quotes(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        b"\xef\xbb\xbfid,text,outlet,title\r\n"
        b'one,"He said ""no"".\r\nThen, he left.",AP,\r\n'
        b"two,Plain text.,,Headline\n"
    )
    one, two = parse_file(str(path), 1_000)
    assert (one.id, one.text, one.outlet, one.title, one.record) == (
        "one",
        'He said "no".\r\nThen, he left.',
        "AP",
        None,  # an empty cell is a missing value
        2,
    )
    assert (two.id, two.outlet, two.title, two.record) == (
        "two",
        None,
        "Headline",
        4,
    )  # the line it starts on


def test_rows_that_cannot_be_read_are_rejects_with_their_line_and_reason(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(
        b"id,text\n"
        b"ok,Fine text.\n"
        b"short\n"  # 1 cell of 2
        b"long,a,b\n"  # 3 cells
        b"\n"  # a blank line: no record
        b'bad,"quote"inside\n'
        b"latin1,caf\xe9\n"
        b",no id\n"
        b"noted,\n"
        b'open,"never closed\nand on\n'
    )
    items = list(parse_file(str(path), 1_000))
    assert outcomes(items) == [
        (2, "ok"),
        (3, "malformed_csv"),
        (4, "malformed_csv"),
        (6, "malformed_csv"),
        (7, "invalid_utf8"),
        (8, "missing_id"),
        (9, "missing_text"),
        (10, "malformed_csv"),
    ]
    details = [item.detail for item in items if isinstance(item, Reject)]
    assert details[0] == "line 3: 1 cell where the header names 2 columns"
    assert details[1] == "line 4: 3 cells where the header names 2 columns"
    assert details[2].startswith("line 6: a quote inside a quoted cell is not doubled")
    assert details[3] == (
        "line 7: text is not valid UTF-8 at character 3 (byte 0xE9, 'é' in Windows-1252: a file in that "
        "encoding or Latin-1 is read as UTF-8; convert it, e.g. iconv -f cp1252 -t utf-8)"
    )
    assert (
        details[-1]
        == "line 10: a quoted cell is still open at the end of the file (its closing quote is missing)"
    )
    raws = [item.raw for item in items if isinstance(item, Reject)]
    assert (
        raws[0] == "short\n"
        and raws[3] == "latin1,caf\ufffd\n"
        and raws[-1] == 'open,"never closed\nand on\n'
    )


def test_a_text_longer_than_the_csv_module_s_cell_limit_is_read(tmp_path):
    text = "word " * 200_000  # 1,000,000 characters: past the csv module's 131,072 by default
    path = tmp_path / "big.csv"
    path.write_text(f'id,text\nbig,"{text}"\nnext,Short text.\n', encoding="utf-8")
    big, following = parse_file(str(path), 1_000_000)
    assert isinstance(big, Article) and len(big.text) == 1_000_000 and following.id == "next"
    too_long, _ = parse_file(str(path), 999_999)
    assert (too_long.reason, too_long.record) == ("too_long", 2)


@pytest.mark.parametrize("name", ["a.tsv", "a.tab", "a.TSV", "a.tsv.gz"])
def test_tsv_files_are_read_with_tabs_between_cells(tmp_path, name):
    path = tmp_path / name
    content = b'id\ttext\toutlet\none\t"Tabs\tand\nlines, with commas."\tAP\n'
    path.write_bytes(gzip.compress(content) if name.endswith(".gz") else content)
    (article,) = parse_file(str(path), 1_000)
    assert (article.id, article.text, article.outlet) == ("one", "Tabs\tand\nlines, with commas.", "AP")


def test_a_gzipped_csv_cut_short_keeps_the_rows_before_the_cut(tmp_path):
    path = tmp_path / "a.csv.gz"
    rows = "".join(f"id{n},Text number {n}.\n" for n in range(2_000))
    path.write_bytes(gzip.compress(f"id,text\n{rows}".encode())[:-400])
    items = list(parse_file(str(path), 1_000))
    assert isinstance(items[0], Article) and items[-1].reason == "unreadable_file" and items[-1].record == 0


# --- resolve_inputs: CSV files and headers ---


def test_a_folder_s_csv_and_tsv_files_are_inputs_and_their_headers_are_checked(tmp_path):
    (tmp_path / "a.csv").write_text("id,text\n1,x\n")
    (tmp_path / "published_date=2025-08-19").mkdir()
    (tmp_path / "published_date=2025-08-19" / "b.tsv.gz").write_bytes(gzip.compress(b"id\ttext\n2\ty\n"))
    (tmp_path / "empty.csv").write_bytes(b"")  # no header, no records
    assert resolve_inputs([str(tmp_path)]) == [
        str(tmp_path / "a.csv"),
        str(tmp_path / "empty.csv"),
        str(tmp_path / "published_date=2025-08-19" / "b.tsv.gz"),
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("id,content\n", "a.csv: CSV file lacks required column(s) text (its columns: id, content)"),
        (
            "id;text\n",
            (
                "a.csv: CSV file lacks required column(s) id, text (its header is one column, 'id;text': "
                "CSV cells are read as separated by ',', not ';': convert it"
            ),
        ),
        (
            "id, text\n",
            (
                "a.csv: CSV file lacks required column(s) text "
                "(it has ' text': spaces around a column name are part of it)"
            ),
        ),
        ("ID,text\n", "a.csv: CSV column names are case-sensitive; rename ID -> id"),
        ("id,text,text\n", "a.csv: the CSV header names column(s) text more than once"),
        ('id,"text\n', "a.csv: the CSV header row cannot be read: a quoted cell is still open"),
    ],
)
def test_a_header_without_the_required_columns_is_refused_before_the_run(tmp_path, header, message):
    (tmp_path / "a.csv").write_text(header + "1,x\n")
    with pytest.raises(InputError, match=re.escape(message)):
        resolve_inputs([str(tmp_path)])


def test_a_csv_compressed_otherwise_than_with_gzip_is_an_error_not_passed_over(tmp_path):
    (tmp_path / "a.csv").write_text("id,text\n1,x\n")
    (tmp_path / "b.csv.bz2").write_bytes(b"BZh9")
    with pytest.raises(InputError, match="b.csv.bz2: a compressed input the reader cannot read"):
        resolve_inputs([str(tmp_path)])


# --- columns.*: every format ---


def test_columns_name_the_fields_in_json_lines_parquet_csv_and_sidecars(tmp_path):
    columns = ColumnConfig(id="key", text="body", outlet="source", published_at="when")
    row = {"key": "a", "body": "The text.", "source": "AP", "when": "2025-08-19", "text": "not this"}
    (tmp_path / "a.jsonl").write_text(json.dumps(row) + "\n")
    pq.write_table(pa.Table.from_pylist([{**row, "key": "b"}]), tmp_path / "b.parquet")
    (tmp_path / "c.csv").write_text("key,body,source,when\nc,The text.,AP,2025-08-19\n")
    (tmp_path / "d.txt").write_text("The text.")
    (tmp_path / "d.json").write_text(json.dumps({"source": "AP", "when": "2025-08-19", "outlet": "not this"}))
    partitioned = tmp_path / "source=AP"
    partitioned.mkdir()
    (partitioned / "e.csv").write_text("key,body,when\ne,The text.,2025-08-19\n")
    files = resolve_inputs([str(tmp_path)], columns)
    read = [item for path in files for item in parse_file(path, 1_000, columns=columns)]
    assert [(a.id, a.text, a.outlet, a.published_us) for a in read] == [
        (key, "The text.", "AP", 1_755_561_600_000_000) for key in "abcde"
    ]


def test_a_mapped_column_named_in_another_case_is_misnamed(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "a", "Content": "x", "text": "y"}) + "\n")
    (reject,) = parse_file(str(tmp_path / "a.jsonl"), 1_000, columns=KAGGLE)
    assert (reject.reason, reject.detail) == (
        "misnamed_field",
        "line 1: field names are case-sensitive; rename Content -> content",
    )
    pq.write_table(pa.table({"id": ["a"], "text": ["x"]}), tmp_path / "b.parquet")
    with pytest.raises(
        InputError, match=r"b.parquet: Parquet file lacks required column\(s\) content \(columns.text\)"
    ):
        resolve_inputs([str(tmp_path / "b.parquet")], KAGGLE)


def test_a_mapped_column_no_input_has_is_refused_not_read_as_empty(tmp_path):
    # A typo in an optional field's column left the field null in every row without a word.
    (tmp_path / "a.csv").write_text("id,content,publication\n1,One.,AP\n")
    parquet = pa.table({"id": ["2"], "content": ["Two."], "publication": ["AP"]})
    pq.write_table(parquet, tmp_path / "b.parquet")
    typo = ColumnConfig(text="content", outlet="publicaton", published_at="date")
    message = (
        "no input file has the mapped column(s) publicaton (columns.outlet), date (columns.published_at), "
        f"which would leave the field empty in every row ({tmp_path / 'a.csv'} has id, content, publication)"
    )
    with pytest.raises(InputError, match=re.escape(message)):
        resolve_inputs([str(tmp_path)], typo)
    # One file with the column, or a partition folder named by it, is enough: a feed may lack dates.
    mapped = ColumnConfig(text="content", outlet="publication", published_at="date")
    (tmp_path / "date=2025-08-19").mkdir()
    (tmp_path / "date=2025-08-19" / "c.csv").write_text("id,content\n3,Three.\n")
    assert len(resolve_inputs([str(tmp_path)], mapped)) == 3
    # JSON Lines has no header: its keys are known only as its records are read.
    (tmp_path / "d.jsonl").write_text(json.dumps({"id": "4", "content": "Four."}) + "\n")
    assert len(resolve_inputs([str(tmp_path)], typo)) == 4


def test_the_story_label_is_read_from_its_mapped_column(tmp_path):
    (tmp_path / "a.csv").write_text("id,content,cluster\n1,One.,s1\n2,Two.,\n")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "3", "content": "Three.", "cluster": "s2"}) + "\n")
    columns = ColumnConfig(text="content", story="cluster")
    files = resolve_inputs([str(tmp_path)], columns)
    assert load_labels(files, 1_000, columns=columns) == {"1": "s1", "3": "s2"}


def test_the_report_re_reads_an_input_by_the_run_s_columns(tmp_path):
    path = write_all_the_news(tmp_path / "news.csv")
    seed = sorted(SEEDS.glob("*.txt"))[0]
    (article,) = [a for a in parse_file(str(path), 1_000_000, columns=KAGGLE) if a.id == seed.stem]
    clean = strip_boilerplate(normalise(article.text))[0]
    sentences = tuple(split_sentences(clean))
    wanted = {seed.stem: (str(path), article.record, len(sentences), content_hash(clean))}
    # As a manifest's config gives them: only the columns read.
    assert read_input_sentences(wanted, 1_000_000, columns={"text": "content"}) == {seed.stem: sentences}
    assert read_input_sentences(wanted, 1_000_000) == {}  # no text column of its own name
    # Another text than the run read (the file edited since): not the run's sentences.
    edited = {seed.stem: (str(path), article.record, len(sentences), content_hash(clean + " More."))}
    assert read_input_sentences(edited, 1_000_000, columns={"text": "content"}) == {}


# --- bad settings ---


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("columns.text=id", "--set: columns.text: 'id' is already the column of columns.id"),
        ("columns.story=text", "--set: columns.story: 'text' is already the column of columns.text"),
        ("columns.title=", "--set: columns.title: must name a column of the inputs (it is empty)"),
        ("columns.body=content", "--set: columns.body: unknown setting"),
    ],
)
def test_a_mapping_of_two_fields_to_one_column_an_empty_name_or_an_unknown_field_is_refused(
    capsys, tmp_path, override, message
):
    write_all_the_news(tmp_path / "news.csv")
    status = cli.main(
        ["run", "--input", str(tmp_path / "news.csv"), "--output", str(tmp_path / "out"), "--set", override]
    )
    assert status == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --- real runs ---


def test_kaggle_all_the_news_csv_gives_the_tables_of_the_seeds_own_files(tmp_path, capsys):
    write_all_the_news(tmp_path / "news.csv")
    sets = [arg for setting in ALL_THE_NEWS_COLUMNS for arg in ("--set", setting)]
    for name, inputs in (("from_seeds", str(SEEDS)), ("from_csv", str(tmp_path / "news.csv"))):
        status = cli.main(
            ["run", "--input", inputs, "--output", str(tmp_path / name), "--run-date", "2025-08-19", *sets]
        )
        assert status == 0, capsys.readouterr().err
    provenance = ["source_file", "source_record"]
    for name in (
        "articles",
        "clusters",
        "pairs",
        "representatives",
        "sentence_alignments",
        "unique_sentences",
    ):
        from_seeds, from_csv = table(tmp_path / "from_seeds", name), table(tmp_path / "from_csv", name)
        kept = [column for column in from_seeds.column_names if column not in provenance]
        assert from_csv.num_rows == from_seeds.num_rows > 0
        assert from_csv.select(kept).equals(from_seeds.select(kept)), name
    assert table(tmp_path / "from_csv", "clusters").num_rows == 1


def test_a_windows_1252_column_name_is_printed_escaped_and_its_row_alone_rejected(tmp_path):
    """Excel's "CSV" of an accented header ("catégorie") with an accented cell under it: the
    reject named the column with a lone surrogate, which the rejects table could not hold, and
    the whole run stopped."""
    path = tmp_path / "a.csv"
    path.write_bytes(
        b"id,title,text,cat\xe9gorie\n"
        b"r1,Ok,Plain ascii text about the vote.,politics\n"
        b"r2,Cafe,Cafe is closed today in Paris.,soci\xe9t\xe9\n"
    )
    job = run_job([str(path)], str(tmp_path / "out"), config_module.load(), run_date=RUN_DATE)
    assert (job.row_counts["articles"], job.row_counts["rejects"]) == (1, 1)
    (detail,) = table(tmp_path / "out", "rejects").column("detail").to_pylist()
    assert detail.startswith("line 3: cat\\xe9gorie is not valid UTF-8 at character 4 (byte 0xE9, 'é'")
    (tmp_path / "b.csv").write_bytes(b"id,t\xe9xt\nr1,x\n")
    with pytest.raises(
        InputError, match=re.escape("lacks required column(s) text (its columns: id, t\\xe9xt)")
    ):
        resolve_inputs([str(tmp_path / "b.csv")])


def test_a_run_reads_csv_tsv_and_gzipped_csv_in_a_folder_and_reconciles(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    write_all_the_news(inputs / "news.csv.gz")
    tsv = inputs / "more.tsv"
    tsv.write_text(
        "id\tcontent\tpublication\n"
        'extra\t"A storm closed the port on Monday.\nShips waited offshore."\tAP\n'
        "broken\tonly two cells\n"
        'open\t"never closed\n',
        encoding="utf-8",
    )
    config = config_module.load(overrides=ALL_THE_NEWS_COLUMNS)
    job = run_job([str(inputs)], str(tmp_path / "out"), config, run_date=RUN_DATE)
    assert job.row_counts["articles"] == 6 and job.row_counts["rejects"] == 2
    assert job.counters["read/records"] == 8
    rejects = duckdb.sql(
        f"SELECT source_record, reason FROM read_parquet('{tmp_path}/out/rejects/*/*.parquet') ORDER BY 1"
    ).fetchall()
    assert rejects == [(4, "malformed_csv"), (5, "malformed_csv")]  # the lines they start on
    stories = table(tmp_path / "out", "clusters").column("size").to_pylist()
    assert sorted(stories) == [1, 5]


@pytest.mark.parametrize(
    "order, published_at, unparseable",
    [
        ("month_first", dt.datetime(2024, 5, 1, 14, 3, tzinfo=dt.UTC), 0),
        ("day_first", dt.datetime(2024, 1, 5, 14, 3, tzinfo=dt.UTC), 0),
        ("unknown", None, 2),  # the default: either order is common, so neither is guessed
    ],
)
def test_a_run_reads_day_and_month_in_digits_in_the_date_order_set(
    tmp_path, capsys, order, published_at, unparseable
):
    path = tmp_path / "uk.csv"
    path.write_text(
        "id,text,outlet,published_at\n"
        'a,"The harbour reopened on Monday after the storm.",Gazette,05/01/2024 14:03\n'
        'b,"The council approved the library budget.",Courier,05/01/2024 2:03 PM\n',
        encoding="utf-8",
    )
    argv = ["run", "--input", str(path), "--output", str(tmp_path / "out"), "--run-date", "2024-06-01"]
    assert cli.main([*argv, "--set", f"input.date_order={order}"]) == 0, capsys.readouterr().err
    rows = duckdb.sql(
        f"SELECT article_id, published_at FROM read_parquet('{tmp_path}/out/articles/*/*.parquet') ORDER BY 1"
    ).fetchall()
    assert rows == [("a", published_at), ("b", published_at)]
    manifest = json.loads(next((tmp_path / "out").glob("_runs/run_date=*/manifest.json")).read_text())
    assert manifest["config"]["input"]["date_order"] == order
    assert manifest["counters"].get("read/unparseable_published_at", 0) == unparseable
    summary = capsys.readouterr().out
    assert ("unparseable dates  2" in summary) == ("--set input.date_order=" in summary) == bool(unparseable)


def test_a_run_reads_dates_with_a_zone_name_as_their_utc_instant(tmp_path, capsys):
    # European and Asian feeds name their zone: each date was unread and counted before.
    path = tmp_path / "europe-asia.csv"
    path.write_text(
        "id,text,outlet,published_at\n"
        'a,"The harbour reopened on Monday after the storm.",Gazette,"Tue, 19 Aug 2025 11:00:00 CET"\n'
        'b,"The council approved the library budget.",Courier,Tue Aug 19 12:00:00 CEST 2025\n'
        'c,"Rail fares rise in January.",Herald,2025/08/19 19:30 ACST\n',
        encoding="utf-8",
    )
    argv = ["run", "--input", str(path), "--output", str(tmp_path / "out"), "--run-date", "2025-08-19"]
    assert cli.main(argv) == 0, capsys.readouterr().err
    rows = duckdb.sql(
        f"SELECT article_id, published_at FROM read_parquet('{tmp_path}/out/articles/*/*.parquet') ORDER BY 1"
    ).fetchall()
    ten_utc = dt.datetime(2025, 8, 19, 10, tzinfo=dt.UTC)
    assert rows == [("a", ten_utc), ("b", ten_utc), ("c", ten_utc)]
    manifest = json.loads(next((tmp_path / "out").glob("_runs/run_date=*/manifest.json")).read_text())
    assert manifest["counters"].get("read/unparseable_published_at", 0) == 0
    assert manifest["counters"]["read/records"] == 3


def test_a_backfill_reads_mapped_columns_and_its_runs_read_the_split(tmp_path):
    # The split is written in the fields' own names: its runs must not look for "content" there.
    path = tmp_path / "news.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ALL_THE_NEWS)
        for day, seed in enumerate(sorted(SEEDS.glob("*.txt"))):
            date = f"2025-08-{18 + day % 2}"
            writer.writerow(
                [seed.stem, "", seed.stem, "", date, "", "", "", seed.read_text(encoding="utf-8")]
            )
    config = config_module.load(overrides=ALL_THE_NEWS_COLUMNS)
    split, jobs = backfill([str(path)], str(tmp_path / "out"), config)
    assert [job.run_date for job in jobs] == ["2025-08-18", "2025-08-19"]
    assert sum(job.row_counts["articles"] for job in jobs) == 5 and not split.rejects
    sources = duckdb.sql(
        f"SELECT DISTINCT source_file FROM read_parquet('{tmp_path}/out/articles/*/*.parquet')"
    ).fetchall()
    assert sources == [(str(path),)]
