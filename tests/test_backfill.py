"""Backfill: an archive split by publication date and run as consecutive daily runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli, state
from pipeline import config as config_module
from pipeline.backfill import BackfillError, backfill, fingerprint, range_end, run_date_of, split_by_date
from pipeline.read import PROVENANCE_KEY, parse_file, parse_published
from pipeline.run import run_job
from tests.conftest import ROOT, SEEDS, SIGNAL_IN_A_STAGE, environment_with_temp_in

DAYS = ("2025-08-19", "2025-08-19", "2025-08-20", "2025-08-21", "2025-08-21")
UNRELATED = (
    "The city council approved a new budget for public libraries on Tuesday, adding funds for "
    "longer opening hours and a mobile library that will visit rural schools twice a month."
)


def write_archive(path: Path) -> dict[str, int]:
    """The five seeds over three days, an undated article, a malformed line and a repeated
    id, as one JSON Lines file; returns each seed id's line number."""
    seeds = [a for f in sorted(SEEDS.glob("*.txt")) for a in parse_file(str(f), 1_000_000)]
    lines, numbers = [], {}
    for article, day in zip(seeds, DAYS, strict=True):
        record = {"id": article.id, "outlet": article.outlet, "title": article.title, "text": article.text}
        lines.append(json.dumps({**record, "published_at": f"{day}T09:00:00Z"}))
        numbers[article.id] = len(lines)
    lines.append(json.dumps({"id": "undated", "outlet": "Gazette", "text": UNRELATED}))
    lines.append('{"id": "broken", "text": ')
    lines.append(
        json.dumps({"id": seeds[0].id, "text": "A later copy with the same id.", "published_at": DAYS[0]})
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return numbers


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backfill")
    archive = tmp / "archive.jsonl"
    numbers = write_archive(archive)
    output = tmp / "out"
    split, jobs = backfill([str(archive)], str(output), config_module.load(), days_per_run=1)
    return archive, numbers, output, split, jobs


def test_one_run_per_day_oldest_first(backfilled):
    _, _, output, split, jobs = backfilled
    assert [job.run_date for job in jobs] == ["2025-08-19", "2025-08-20", "2025-08-21"]
    assert [job.row_counts["articles"] for job in jobs] == [2, 1, 3]  # the undated one runs last
    assert (split.records, split.undated) == (8, 1)
    assert not (output / "_backfill").exists(), "the split is removed after the runs"


def test_every_record_is_accounted_for_with_its_provenance(backfilled):
    archive, numbers, output, _, jobs = backfilled
    articles = duckdb.sql(
        f"select article_id, source_file, source_record from read_parquet('{output}/articles/*/*.parquet')"
    ).fetchall()
    assert sorted(articles) == sorted(
        [(i, str(archive), n) for i, n in numbers.items()] + [("undated", str(archive), 6)]
    )
    rejects = duckdb.sql(
        f"select run_date, source_file, source_record, reason from "
        f"read_parquet('{output}/rejects/*/*.parquet', hive_partitioning=true) order by source_record"
    ).fetchall()
    assert [(str(d), f, n, r) for d, f, n, r in rejects] == [
        ("2025-08-21", str(archive), 7, "malformed_json"),
        ("2025-08-21", str(archive), 8, "duplicate_id"),
    ]
    described = dict(jobs[-1].manifest["backfill"])
    assert len(described.pop("fingerprint")) == 16
    assert described == {
        "inputs": [str(archive)],
        "days_per_run": 1,
        "run": 3,
        "runs": 3,
        "range_articles": 3,
        "records_rejected_by_the_split": 2,
        "undated_articles": 1,
    }
    assert "backfill" in jobs[0].manifest and jobs[0].manifest["backfill"]["undated_articles"] == 0
    reconciliation = jobs[-1].manifest["reconciliation"]
    assert reconciliation == {
        "input_records": 5,
        "rejected_before_the_run": 2,
        "articles": 3,
        "rejects": 2,
        "balanced": True,
    }


def test_the_report_of_a_backfill_run_lists_the_backfills_inputs(backfilled, tmp_path):
    archive, _, output, _, _ = backfilled
    page = tmp_path / "first.html"
    assert cli.main(["report", "--output", str(output), "--run-date", "2025-08-19", "--to", str(page)]) == 0
    markup = page.read_text(encoding="utf-8")
    assert "Input files of the backfill (run 1 of 3) (1)" in markup
    assert f"<li><bdi>{archive}</bdi></li>" in markup and "_backfill" not in markup, "not the deleted split"


def test_the_story_continues_across_the_runs(backfilled):
    _, numbers, output, _, _ = backfilled
    stories = duckdb.sql(
        f"select distinct cluster_id from read_parquet('{output}/articles/*/*.parquet') "
        f"where article_id in ({', '.join(repr(i) for i in numbers)})"
    ).fetchall()
    assert len(stories) == 1


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*.parquet")
    }


def test_an_interrupted_backfill_resumes_where_it_stopped(backfilled, tmp_path):
    archive, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    last = "run_date=2025-08-21"
    tables = [p.name for p in copy.iterdir() if p.name[0] != "_"]
    published = {name: _snapshot(copy / name / last) for name in tables}
    # The last run never published: none of its partitions, state or manifest is there.
    for folder in [*(copy / name / last for name in tables), copy / "_state" / last, copy / "_runs" / last]:
        shutil.rmtree(folder)
    config = config_module.load()
    with pytest.raises(BackfillError, match="pass --resume"):
        backfill([str(archive)], str(copy), config)
    _, resumed = backfill([str(archive)], str(copy), config, resume=True)
    assert [job.run_date for job in resumed] == ["2025-08-21"]
    assert {name: _snapshot(copy / name / last) for name in tables} == published, (
        "the same rows, byte for byte"
    )
    _, again = backfill([str(archive)], str(copy), config, resume=True)
    assert again == []


def test_a_backfill_with_other_matching_settings_than_its_state_is_refused(backfilled, tmp_path):
    """A backfill that continues the stories of earlier runs reads their state: with another
    lsh.seed its first run is refused, and nothing is published."""
    _, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    last = "run_date=2025-08-21"
    for folder in [*(p / last for p in copy.iterdir() if p.name[0] != "_"), copy / "_state" / last]:
        shutil.rmtree(folder)
    shutil.rmtree(copy / "_runs" / last)
    later = tmp_path / "later.jsonl"
    later.write_text(
        json.dumps({"id": "later", "text": UNRELATED, "published_at": "2025-08-21T09:00:00Z"}) + "\n",
        encoding="utf-8",
    )
    seeded = config_module.load(overrides=["lsh.seed=7"])
    with pytest.raises(state.StateError, match="lsh.seed is 7 in this run but 1 in the runs of 2025-08-19"):
        backfill([str(later)], str(copy), seeded)
    assert not (copy / "_runs" / last).exists() and not (copy / "_backfill").exists()


def test_a_resumed_backfill_says_where_the_records_of_the_skipped_runs_are(backfilled, tmp_path, capsys):
    archive, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    last = "run_date=2025-08-21"
    for folder in copy.glob(f"*/{last}"):
        shutil.rmtree(folder)
    assert cli.main(["backfill", "--input", str(archive), "--output", str(copy), "--resume"]) == 0
    # 8 records: 3 articles in the two runs skipped, 3 articles and 2 rejects in the run made.
    assert "8 records read (3 of them in the 2 runs published before), 3 articles, 2 rejects" in (
        capsys.readouterr().out
    )


def test_the_split_of_a_killed_backfill_is_removed_by_the_next_backfill_or_run(tmp_path):
    archive = tmp_path / "archive.jsonl"
    write_archive(archive)
    output = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "backfill",
        "--input",
        str(archive),
        "--output",
        str(output),
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment_with_temp_in(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    first_run = output / "_runs" / "run_date=2025-08-19" / "_SUCCESS"
    deadline = time.time() + 120
    while not first_run.exists() and time.time() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert first_run.exists() and not (output / "_runs" / "run_date=2025-08-21").exists()
    (leftover,) = (output / "_backfill").iterdir()
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    # A resumed backfill removes the leftover, and its runs leave its own split alone.
    config = config_module.load()
    _, resumed = backfill([str(archive)], str(output), config, resume=True)
    assert resumed[-1].run_date == "2025-08-21"
    assert not (output / "_backfill").exists()
    # So does any later run: the split of a killed backfill is of no use to anyone.
    assert (copy / "_backfill" / leftover.name).is_dir()
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text(json.dumps({"id": "e1", "text": UNRELATED}) + "\n")
    run_job([str(earlier)], str(copy), config, run_date=dt.date(2025, 8, 18))
    assert not (copy / "_backfill").exists()


@pytest.mark.parametrize(("signal_name", "status"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_stopped_backfill_says_how_to_go_on(tmp_path, signal_name, status):
    """A backfill stopped part way said only that what it had not published stays unpublished;
    the next try without --resume is refused once a run is published: the stop says how to go on."""
    archive = tmp_path / "archive.jsonl"
    write_archive(archive)
    command = ["backfill", "--input", str(archive), "--output", str(tmp_path / "out")]
    result = subprocess.run(
        [sys.executable, "-c", SIGNAL_IN_A_STAGE, signal_name, *command],
        cwd=ROOT,
        env=environment_with_temp_in(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == status, result.stderr
    assert result.stderr.splitlines()[-1].endswith(
        "removes the rest; to go on, run the same command with --resume: it skips the runs this backfill "
        "published"
    ), result.stderr
    assert cli.main([*command, "--resume"]) == 0


def test_resume_refuses_runs_of_other_inputs(backfilled, tmp_path):
    archive, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    changed = tmp_path / "archive.jsonl"
    changed.write_text(archive.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(BackfillError, match="new output folder"):
        backfill([str(changed)], str(copy), config_module.load(), resume=True)


def test_a_backfill_must_come_before_the_runs_it_continues_into(tmp_path):
    archive = tmp_path / "archive.jsonl"
    write_archive(archive)
    (tmp_path / "out" / "_state" / "run_date=2025-08-20").mkdir(parents=True)
    with pytest.raises(BackfillError, match="already holds runs from 2025-08-20 to 2025-08-20"):
        backfill([str(archive)], str(tmp_path / "out"), config_module.load())
    assert not (tmp_path / "out" / "articles").exists()
    assert not (tmp_path / "out" / "_backfill").exists()


def test_a_backfill_with_its_own_state_folder_still_respects_the_published_runs(backfilled, tmp_path):
    archive, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    published = _snapshot(copy)
    with pytest.raises(BackfillError, match=r"_runs already holds runs from 2025-08-19 to 2025-08-21"):
        backfill([str(archive)], str(copy), config_module.load(), state_dir=str(tmp_path / "state"))
    assert _snapshot(copy) == published, "no published partition was overwritten"


def test_an_archive_without_dates_needs_the_date_of_its_run(tmp_path, capsys):
    undated = tmp_path / "undated.jsonl"
    undated.write_text(json.dumps({"id": "u1", "outlet": "Gazette", "text": UNRELATED}) + "\n")
    output = tmp_path / "out"
    base = ["backfill", "--input", str(undated), "--output", str(output)]
    assert cli.main(base) == 2
    assert "the 1 record read has no publication time" in capsys.readouterr().err
    assert not output.exists() or not any(output.glob("*/run_date=*")), "nothing was published"
    assert cli.main([*base, "--run-date", "2025-08-19"]) == 0
    assert sorted(p.name for p in (output / "_runs").iterdir()) == ["run_date=2025-08-19"]
    # A later try (on any day) finds its run under the same date: nothing is published again.
    assert cli.main([*base, "--run-date", "2025-08-19", "--resume"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    dated = tmp_path / "dated.jsonl"
    write_archive(dated)
    assert (
        cli.main(
            ["backfill", "--input", str(dated), "--output", str(tmp_path / "o2"), "--run-date", "2025-08-19"]
        )
        == 2
    )
    assert "--run-date is for inputs without a publication time" in capsys.readouterr().err


def _contents(folder: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def test_a_refused_backfill_leaves_the_folders_as_they_were(tmp_path, capsys):
    """A refused backfill had made its output and state folders (and their parents) and
    left them behind with their _lock files; into an existing folder, it left lock files."""
    undated = tmp_path / "undated.jsonl"
    undated.write_text(json.dumps({"id": "u1", "outlet": "Gazette", "text": UNRELATED}) + "\n")
    new = tmp_path / "new"
    command = [
        "backfill",
        "--input",
        str(undated),
        "--output",
        str(new / "out"),
        "--state",
        str(new / "state"),
    ]
    assert cli.main(command) == 2
    assert "the 1 record read has no publication time" in capsys.readouterr().err
    assert not new.exists()

    existing = tmp_path / "existing"
    (existing / "notes").mkdir(parents=True)
    (existing / "notes" / "kept.txt").write_text("kept", encoding="utf-8")
    before = _contents(existing)
    assert cli.main(["backfill", "--input", str(undated), "--output", str(existing)]) == 2
    assert _contents(existing) == before
    # Refused after the split, by a run there that it would have to come before.
    archive = tmp_path / "archive.jsonl"
    write_archive(archive)
    (existing / "_state" / "run_date=2025-08-20").mkdir(parents=True)
    before = _contents(existing)
    assert cli.main(["backfill", "--input", str(archive), "--output", str(existing)]) == 2
    assert "already holds runs from 2025-08-20" in capsys.readouterr().err
    assert _contents(existing) == before


def test_the_summary_counts_the_undated_articles_not_the_undated_records(tmp_path, capsys):
    # A record without a date that the last run rejects (markup only: empty_text) was counted
    # as an article without a publication time.
    undated = tmp_path / "undated.jsonl"
    rows = [{"id": "u1", "outlet": "Gazette", "text": UNRELATED}, {"id": "u2", "text": "<p></p>"}]
    undated.write_text("".join(json.dumps(row) + "\n" for row in rows))
    output = tmp_path / "out"
    assert (
        cli.main(["backfill", "--input", str(undated), "--output", str(output), "--run-date", "2025-08-19"])
        == 0
    )
    assert (
        "2 records read, 1 article, 1 reject (0 at the split, in the last run), 1 article without a "
        "publication time (in the last run)"
    ) in capsys.readouterr().out


def test_a_one_article_backfill_and_its_report_count_in_the_singular(tmp_path, capsys):
    """The summaries said "1 records read", "1 articles without a publication time" and
    "0 of 0 stories ..., 1 single-article stories"; the plurals stay as they were."""
    undated = tmp_path / "undated.jsonl"
    undated.write_text(json.dumps({"id": "u1", "outlet": "Gazette", "text": UNRELATED}) + "\n")
    output = tmp_path / "out"
    base = ["backfill", "--input", str(undated), "--output", str(output), "--run-date", "2025-08-19"]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"storymatch: backfill into {output}, 1 day a run\n"), out
    assert "  2025-08-19        1 article         1 cluster       0 rejects  " in out, out
    assert (
        "1 run from 2025-08-19 to 2025-08-19: 1 record read, 1 article, 0 rejects (0 at the split, in the "
        "last run), 1 article without a publication time (in the last run)"
    ) in out, out
    assert cli.main([*base, "--resume"]) == 0
    assert "nothing to do: the 1 run of this backfill is already published" in capsys.readouterr().out
    page = tmp_path / "report.html"
    assert cli.main(["report", "--output", str(output), "--to", str(page), "--tables-only"]) == 0
    out = capsys.readouterr().out
    assert "; 0 of 0 stories of 2+ articles in detail, 1 single-article story)" in out, out
    html = page.read_text(encoding="utf-8")
    for card in (
        '1</div><div class="what">article</div><div class="sub">of 1 record read<',
        '1</div><div class="what">story</div>',
        '0</div><div class="what">rejects</div><div class="sub">records not usable<',
    ):
        assert card in html, card


def test_ranges_are_aligned_to_the_epoch():
    def end(day: str, days: int) -> str:
        return range_end(parse_published(day + "T23:59:59Z"), days).isoformat()

    assert end("2025-08-19", 1) == "2025-08-19"
    # 1970-01-01 was a Thursday: seven-day ranges run Thursday to Wednesday.
    assert [end(day, 7) for day in ("2025-08-13", "2025-08-14", "2025-08-20", "2025-08-21")] == [
        "2025-08-13",
        "2025-08-20",
        "2025-08-20",
        "2025-08-27",
    ]
    assert dt.date(2025, 8, 14).weekday() == 3


def test_a_range_that_has_not_ended_is_run_today(tmp_path):
    # A weekly backfill of an archive up to today was refused: its newest range ends on a
    # later day, "in the future", so any archive that did not end on a range's last day.
    today = dt.date(2025, 8, 15)  # a Friday: its seven-day range ends on Wednesday the 20th
    rows = [
        {"id": day, "text": "Flood waters reached the old bridge.", "published_at": f"{day}T10:00:00Z"}
        for day in ("2025-08-12", "2025-08-14", "2025-08-15", "2025-08-16")
    ]
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    split = split_by_date([str(archive)], 1_000, 7, str(tmp_path / "split"), today=today)
    # The 12th's range ended on the 13th; the 14th and 15th are today's run, the 16th
    # (a clock ahead of UTC) tomorrow's.
    assert split.articles_per_range == {
        dt.date(2025, 8, 13): 1,
        dt.date(2025, 8, 15): 2,
        dt.date(2025, 8, 16): 1,
    }
    published = parse_published("2025-08-14T10:00:00Z")
    assert run_date_of(published, 7, dt.date(2025, 8, 21)) == range_end(published, 7) == dt.date(2025, 8, 20)
    assert run_date_of(published, 1, today) == dt.date(2025, 8, 14)


def test_the_split_rejects_a_field_over_max_field_chars_as_a_run_would(tmp_path):
    rows = [
        {"id": "short", "text": "Flood waters rose.", "title": "Flood", "published_at": "2025-08-12"},
        {
            "id": "pasted",
            "text": "Flood waters rose.",
            "title": "Flood waters rose.",
            "published_at": "2025-08-12",
        },
    ]
    archive = tmp_path / "archive.jsonl"
    archive.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    split = split_by_date([str(archive)], 1_000, 1, str(tmp_path / "split"), max_field_chars=10)
    assert [(reject.record, reject.reason) for reject in split.rejects] == [(2, "field_too_long")]
    assert (split.records, sum(split.articles_per_range.values())) == (2, 1)


def test_the_split_and_its_runs_read_dates_in_the_date_order_set(tmp_path):
    # 05/01/2024 and 06/01/2024 were undated: the whole archive went into one run.
    archive = tmp_path / "uk.csv"
    archive.write_text(
        "id,text,published_at\n"
        'a,"The harbour reopened on Monday after the storm.",05/01/2024 14:03\n'
        'b,"The council approved the library budget.",06/01/2024 09:30\n',
        encoding="utf-8",
    )
    ranges = {
        "unknown": {None: 2},
        "month_first": {dt.date(2024, 5, 1): 1, dt.date(2024, 6, 1): 1},
        "day_first": {dt.date(2024, 1, 5): 1, dt.date(2024, 1, 6): 1},
    }
    for order, expected in ranges.items():
        folder = str(tmp_path / f"split-{order}")
        split = split_by_date(
            [str(archive)],
            1_000,
            1,
            folder,
            dt.date(2024, 7, 1) if order == "unknown" else None,
            date_order=order,
        )
        assert {day: count for day, count in split.articles_per_range.items() if count} == (
            {dt.date(2024, 7, 1): 2} if order == "unknown" else expected
        ), order
        assert (split.undated, split.unparseable_dates) == ((2, 2) if order == "unknown" else (0, 0)), order
    # Without the order, the archive has no dated article: the refusal says why.
    with pytest.raises(
        BackfillError, match="; 2 dates could not be read: 01/05/2024 is read with --set input.date_order="
    ):
        split_by_date([str(archive)], 1_000, 1, str(tmp_path / "split-refused"))
    config = config_module.load(overrides=["input.date_order=day_first"])
    split, jobs = backfill([str(archive)], str(tmp_path / "out"), config, days_per_run=1)
    assert [job.run_date for job in jobs] == ["2024-01-05", "2024-01-06"]
    assert split.unparseable_dates == 0
    published = duckdb.sql(
        f"SELECT article_id, published_at FROM read_parquet('{tmp_path}/out/articles/*/*.parquet') ORDER BY 1"
    ).fetchall()
    assert published == [
        ("a", dt.datetime(2024, 1, 5, 14, 3, tzinfo=dt.UTC)),
        ("b", dt.datetime(2024, 1, 6, 9, 30, tzinfo=dt.UTC)),
    ]


def test_provenance_columns_count_only_with_the_marker(tmp_path):
    rows = [{"id": "a", "text": "Some text.", "source_file": "elsewhere.jsonl", "source_record": 41}]
    plain, marked = tmp_path / "plain.parquet", tmp_path / "marked.parquet"
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, plain)
    pq.write_table(table.replace_schema_metadata({PROVENANCE_KEY: b"source_file,source_record"}), marked)
    (from_plain,) = parse_file(str(plain), 1000)
    (from_marked,) = parse_file(str(marked), 1000)
    assert (from_plain.source, from_plain.record) == (str(plain), 1)
    assert (from_marked.source, from_marked.record) == ("elsewhere.jsonl", 41)


@pytest.mark.parametrize("days", ["0", "367", "99999999", "two"])
def test_command_line_refuses_a_bad_days_per_run(capsys, days):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["backfill", "--input", str(SEEDS), "--days-per-run", days])
    assert exit_info.value.code == 2
    assert "expected a whole number of days from 1 to 366" in capsys.readouterr().err


def test_the_fingerprint_of_the_inputs_sees_a_file_whose_name_has_wildcard_characters(tmp_path):
    # Matched as a glob, "export[1].jsonl" was no file: --resume took a changed input for the same.
    path = tmp_path / "export[1].jsonl"
    path.write_text('{"id": "a", "text": "one"}\n', encoding="utf-8")
    config = config_module.load()
    before = fingerprint([str(path)], 1, config)
    path.write_text('{"id": "a", "text": "one, changed"}\n', encoding="utf-8")
    assert fingerprint([str(path)], 1, config) != before


def test_resume_with_another_config_says_why_it_does_not_resume(backfilled, tmp_path):
    """--resume with a changed setting (or --days-per-run, or input file) found no run of
    "this" backfill and said only "Backfill into a new output folder", as for runs that no
    backfill made, and that the runs were "after the day before the backfill's next run":
    the operator who had asked to resume was not told why it did not."""
    archive, _, output, _, _ = backfilled
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    for folder in copy.glob("*/run_date=2025-08-21"):
        shutil.rmtree(folder)
    changed = config_module.load(overrides=["verify.min_score=0.13"])
    with pytest.raises(BackfillError) as refused:
        backfill([str(archive)], str(copy), changed, resume=True)
    assert "runs from 2025-08-19 to 2025-08-20, on or after the backfill's first run (2025-08-19)" in str(
        refused.value
    )
    assert "They come from a backfill of other input files, --days-per-run or config: --resume goes on" in (
        str(refused.value)
    )
    # Runs that no backfill made are not said to come from one.
    (copy / "_runs" / "run_date=2025-08-20" / "manifest.json").write_text("{}", encoding="utf-8")
    (copy / "_runs" / "run_date=2025-08-19" / "manifest.json").write_text("{}", encoding="utf-8")
    with pytest.raises(BackfillError, match="Backfill into a new output folder") as refused:
        backfill([str(archive)], str(copy), changed, resume=True)
    assert "come from a backfill" not in str(refused.value)
