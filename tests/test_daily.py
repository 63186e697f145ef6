"""Daily batches: date partitions, continuing stories, idempotent re-runs, atomic publish."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli, publish, query, state
from pipeline import config as config_module
from pipeline.analyse import analyse_article
from pipeline.backfill import backfill
from pipeline.evaluate import read_articles
from pipeline.features import term_vector, weigh_terms
from pipeline.outlets import unpack_sentences
from pipeline.read import resolve_inputs
from pipeline.run import run_job
from schemas.tables import INTERNAL_TABLES
from tests.conftest import ROOT, SEEDS, SHARED_EVAL, environment_with_temp_in
from tests.test_fixture import carried_copies

DAY1, DAY2 = dt.date(2025, 8, 19), dt.date(2025, 8, 20)
SEED_FILES = sorted(SEEDS.glob("*.txt"))


def split_seeds(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "day1", tmp_path / "day2"
    first.mkdir()
    second.mkdir()
    for index, path in enumerate(SEED_FILES):
        shutil.copy(path, first if index < 3 else second)
    return first, second


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under a folder and its content hash."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".json")
    }


@pytest.fixture(scope="module")
def two_days(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("days")
    first, second = split_seeds(tmp)
    output = tmp / "out"
    config = config_module.load()
    run_job([str(first)], str(output), config, run_date=DAY1)
    run_job([str(second)], str(output), config, run_date=DAY2)
    return output, second, config


def test_day_two_rewrites_join_day_one_story(two_days):
    output, _, _ = two_days
    rows = duckdb.sql(
        f"select run_date, article_id, cluster_id from read_parquet('{output}/articles/*/*.parquet', "
        "hive_partitioning=true) order by article_id"
    ).fetchall()
    assert [str(day) for day, _, _ in rows] == ["2025-08-19"] * 3 + ["2025-08-20"] * 2
    assert len({cluster for _, _, cluster in rows}) == 1
    clusters = duckdb.sql(
        f"select run_date, size, first_seen_run_date from read_parquet('{output}/clusters/*/*.parquet', "
        "hive_partitioning=true) order by run_date"
    ).fetchall()
    assert [(str(d), size, str(first)) for d, size, first in clusters] == [
        ("2025-08-19", 3, "2025-08-19"),
        ("2025-08-20", 2, "2025-08-19"),
    ]


def test_rerunning_a_day_replaces_exactly_that_partition(two_days):
    output, second, config = two_days
    day1_before = snapshot(output / "articles" / "run_date=2025-08-19")
    tables_before = {
        p.name: snapshot(p / "run_date=2025-08-20") for p in output.iterdir() if p.name[0] != "_"
    }
    runs = output / "_runs" / "run_date=2025-08-20"
    assert cli.main(["report", "--output", str(output), "--run-date", "2025-08-20"]) == 0
    replaced = json.loads((runs / "manifest.json").read_text())["run_id"]
    assert (runs / "report.html").is_file()
    run_job([str(second)], str(output), config, run_date=DAY2)
    assert snapshot(output / "articles" / "run_date=2025-08-19") == day1_before
    tables_after = {p.name: snapshot(p / "run_date=2025-08-20") for p in output.iterdir() if p.name[0] != "_"}
    assert tables_after == tables_before, "same input, same rows, byte for byte"
    assert json.loads((runs / "manifest.json").read_text())["run_id"] != replaced
    assert sorted(p.name for p in runs.iterdir()) == ["_SUCCESS", "manifest.json"], (
        "the replaced run's report goes with it"
    )


def test_rerunning_an_old_date_keeps_later_state(two_days, tmp_path):
    output, _, config = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    state_before = snapshot(copy / "_state" / "run_date=2025-08-20")
    first = tmp_path / "again"
    first.mkdir()
    for path in SEED_FILES[:3]:
        shutil.copy(path, first)
    run_job([str(first)], str(copy), config, run_date=DAY1)
    assert snapshot(copy / "_state" / "run_date=2025-08-20") == state_before
    ids = duckdb.sql(
        f"select distinct cluster_id from read_parquet('{copy}/articles/*/*.parquet')"
    ).fetchall()
    assert len(ids) == 1


def send_day_one_article_again(two_days, tmp_path):
    """A copy of the two days' output, and day 1's first article in the feed again on day 3:
    (the copy, the day-3 job)."""
    output, _, config = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(SEED_FILES[0], again)
    return copy, run_job([str(again)], str(copy), config, run_date=dt.date(2025, 8, 21))


def test_an_article_sent_again_keeps_its_story(two_days, tmp_path):
    copy, job = send_day_one_article_again(two_days, tmp_path)
    rows = duckdb.sql(
        f"select run_date, cluster_id from read_parquet('{copy}/articles/*/*.parquet', "
        f"hive_partitioning=true) where article_id = '{SEED_FILES[0].stem}' order by run_date"
    ).fetchall()
    assert len(rows) == 2 and rows[0][1] == rows[1][1]
    assert job.counters["state/articles_read_again"] == 1


def _table(output: Path, table: str, columns: str, where: str) -> list[tuple]:
    return duckdb.sql(
        f"select {columns} from read_parquet('{output}/{table}/*/*.parquet', hive_partitioning=true) "
        f"where {where} order by all"
    ).fetchall()


DESCRIBED = {
    "unique_sentences": "cluster_id, article_id, sentence_index, sentence, novelty",
    "sentence_alignments": "cluster_id, article_id, sentence_index, matched_article_id, "
    "matched_sentence_index, score",
}


def test_a_continued_story_is_described_against_its_earlier_articles(two_days, tmp_path):
    """Day two's two articles continue day one's story. What each outlet added is judged
    against the whole story, day one's articles too, as in one run over both days: the same
    unique sentences and alignments. They were compared with each other only, and day two
    reported 33 unique sentences where one run reports 30 (7 of them day one's articles have)."""
    output, _, config = two_days
    together = tmp_path / "together"
    run_job([str(SEEDS)], str(together), config, run_date=DAY1)
    day_two = tuple(path.stem for path in SEED_FILES[3:])
    for table, columns in DESCRIBED.items():
        split = _table(output, table, columns, f"run_date = '{DAY2}'")
        assert split, table
        assert split == _table(together, table, columns, f"article_id in {day_two}"), table
    matched = _table(output, "sentence_alignments", "distinct matched_article_id", f"run_date = '{DAY2}'")
    assert {row[0] for row in matched} == {path.stem for path in SEED_FILES}
    manifest = json.loads((output / "_runs" / f"run_date={DAY2}" / "manifest.json").read_text())
    assert manifest["counters"]["state/earlier_articles"] == 3
    assert manifest["counters"]["outlets/stories_continued"] == 1
    # Day one's state holds its articles' sentences, as they were cleaned.
    (sentences,) = (output / "_state" / f"run_date={DAY1}" / state.SENTENCES_FOLDER).glob("*.parquet")
    assert manifest["state_sentence_files_read"] == [str(sentences)]
    rows = pq.read_table(sentences).sort_by("article_id").to_pylist()
    assert [row["article_id"] for row in rows] == [path.stem for path in SEED_FILES[:3]]
    first = analyse_article(
        read_articles([str(SEED_FILES[0])], config.input.max_chars)[0], config.features.kinds
    )
    assert unpack_sentences(rows[0]["sentences"], rows[0]["sentences_size"]) == first.sentences
    assert rows[0]["content_hash"] == first.content_hash


def test_a_state_without_sentences_still_continues_its_stories(two_days, tmp_path):
    """A state written before sentences were kept (or whose sentences were removed): the
    story continues, and its day's articles are compared with each other only, as then."""
    output, second, config = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    shutil.rmtree(copy / "_state" / f"run_date={DAY1}" / state.SENTENCES_FOLDER)
    job = run_job([str(second)], str(copy), config, run_date=DAY2)
    assert "state/earlier_articles" not in job.counters
    assert job.manifest["state_sentence_files_read"] == []
    stories = _table(copy, "articles", "distinct cluster_id", "true")
    assert len(stories) == 1
    columns = DESCRIBED["unique_sentences"]
    alone = _table(copy, "unique_sentences", columns, f"run_date = '{DAY2}'")
    assert len(alone) > len(_table(output, "unique_sentences", columns, f"run_date = '{DAY2}'"))
    matched = _table(copy, "sentence_alignments", "distinct matched_article_id", f"run_date = '{DAY2}'")
    assert {row[0] for row in matched} == {path.stem for path in SEED_FILES[3:]}


def _frequencies(path: Path) -> tuple[int, np.ndarray]:
    (row,) = pq.read_table(path).to_pylist()
    table = np.zeros(row["num_buckets"], dtype=np.uint32)
    table[row["buckets"]] = row["documents"]
    return row["num_documents"], table


def test_document_frequencies_carry_over_the_lookback(two_days):
    """Day 2 weighs its terms by the frequencies of day 1's articles and its own together."""
    output, second, config = two_days
    day1, day2 = (
        sorted((output / "_state" / f"run_date={day}" / state.FREQUENCIES_FOLDER).glob("*.parquet"))
        for day in ("2025-08-19", "2025-08-20")
    )
    (day1_file,), (day2_file,) = day1, day2
    count1, table1 = _frequencies(day1_file)
    count2, table2 = _frequencies(day2_file)
    assert (count1, count2) == (3, 2)
    assert len(table1) == config.features.df_buckets and 1 <= table1.max() <= 3
    manifest = json.loads((output / "_runs" / "run_date=2025-08-20" / "manifest.json").read_text())
    assert manifest["state_frequency_files_read"] == [str(day1_file)]
    assert manifest["counters"]["state/prior_documents"] == 3

    article_id = sorted(second.glob("*.txt"))[0].stem
    ((stored,),) = duckdb.sql(
        f"select term_weights from read_parquet('{output}/_state/run_date=2025-08-20/*.parquet') "
        f"where article_id = '{article_id}'"
    ).fetchall()
    articles = read_articles(resolve_inputs([str(second)]), config.input.max_chars)
    analysed = analyse_article(next(a for a in articles if a.id == article_id), config.features.kinds)

    def weights(num_documents, table):
        return term_vector(*weigh_terms(analysed.terms, table, num_documents)[1:]).weights

    assert np.allclose(stored, weights(count1 + count2, table1 + table2), atol=1e-6)
    assert not np.allclose(stored, weights(count2, table2), atol=1e-3)


def test_frequencies_of_another_table_size_are_not_added(tmp_path):
    path = tmp_path / "frequencies.parquet"
    row = state.frequency_row((4, np.array([0, 2, 0, 1], dtype=np.uint32)))
    assert row["buckets"].tolist() == [1, 3] and row["documents"].tolist() == [2, 1]
    pq.write_table(pa.Table.from_pylist([row], schema=INTERNAL_TABLES["state_frequencies"]), path)
    ((count, table),) = state.sum_prior_frequencies([str(path)], 4)
    assert count == 4 and table.tolist() == [0, 2, 0, 1]
    assert list(state.sum_prior_frequencies([str(path)], 8)) == []


def test_prior_frequencies_are_summed_into_one_table(tmp_path):
    paths = []
    for name, counts in (("a", [0, 2, 0, 1]), ("b", [3, 1, 0, 0]), ("c", [0, 0, 0, 0, 5, 5, 5, 5])):
        table = np.array(counts, dtype=np.uint32)
        row = state.frequency_row((int(table.max()), table))
        path = tmp_path / f"{name}.parquet"
        pq.write_table(pa.Table.from_pylist([row], schema=INTERNAL_TABLES["state_frequencies"]), path)
        paths.append(str(path))
    # Two tables of four buckets add up; the one of eight is skipped, not added.
    ((count, table),) = state.sum_prior_frequencies(paths, 4)
    assert count == 2 + 3 and table.tolist() == [3, 3, 0, 1]
    assert list(state.sum_prior_frequencies([], 4)) == []


def test_state_window_and_pruning(tmp_path):
    for day in ("2025-08-01", "2025-08-10", "2025-08-12"):
        folder = tmp_path / f"run_date={day}"
        folder.mkdir()
        (folder / "part-00000-of-00001.parquet").write_bytes(b"")
    window = state.window_files(str(tmp_path), dt.date(2025, 8, 12), lookback_days=7)
    assert [Path(f).parent.name for f in window] == ["run_date=2025-08-10"]
    assert state.prune(str(tmp_path), lookback_days=7) == [dt.date(2025, 8, 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        state.PRUNED_FILE,
        "run_date=2025-08-10",
        "run_date=2025-08-12",
    ]
    # What was pruned is recorded: a run that needs it is refused instead of reading less.
    pruned = {"anchors_before": "2025-08-05", "partitions_before": "2025-08-05"}
    assert json.loads((tmp_path / state.PRUNED_FILE).read_text()) == pruned
    # A date never run is not told it would publish different ids: it has none yet.
    with pytest.raises(
        state.StateError, match=r"it was never run, and would miss the stories of the days before it"
    ):
        state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 11), lookback_days=7, frequency_days=7)
    with pytest.raises(state.StateError, match=r"it would publish different story ids"):
        state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 10), lookback_days=7, frequency_days=7)
    state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 12), lookback_days=7, frequency_days=7)


def test_what_pruning_removes_is_recorded_before_it_is_removed(tmp_path, monkeypatch):
    # A run stopped while pruning (killed, disk full) must not leave partitions gone with no
    # record: a re-run of a date that needs them would then read less instead of being refused.
    for day in ("2025-08-01", "2025-08-12"):
        (tmp_path / f"run_date={day}").mkdir()

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(state.shutil, "rmtree", stopped)
    with pytest.raises(KeyboardInterrupt):
        state.prune(str(tmp_path), lookback_days=7)
    assert json.loads((tmp_path / state.PRUNED_FILE).read_text())["partitions_before"] == "2025-08-05"
    assert not list(tmp_path.glob("*.partial"))


def test_a_pruning_record_that_cannot_be_read_is_a_clear_error(tmp_path):
    (tmp_path / "run_date=2025-08-12").mkdir()
    (tmp_path / state.PRUNED_FILE).write_text('{"anchors_before": "2025-0')
    with pytest.raises(state.StateError, match=r"_pruned.json cannot be read"):
        state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 11), lookback_days=7, frequency_days=7)


def test_a_run_date_in_the_future_is_refused_before_it_prunes_every_earlier_run(two_days, tmp_path):
    output, _, _ = two_days
    today = dt.date(2026, 11, 26)
    state.check_not_in_future(today + dt.timedelta(days=1), today)  # a scheduler a few hours ahead
    with pytest.raises(state.StateError, match="in the future"):
        state.check_not_in_future(dt.date(2205, 1, 1), today)
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    before = snapshot(copy)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--input", str(SEEDS), "--output", str(copy)]
        + ["--run-date", "2205-01-01"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 2 and "2205-01-01 is in the future" in result.stderr
    assert snapshot(copy) == before


def test_a_backfill_with_an_article_from_the_future_runs_nothing(tmp_path):
    articles = tmp_path / "archive.jsonl"
    rows = [
        {"id": "a", "text": "Flood waters reached the old bridge.", "published_at": "2025-08-19T10:00:00Z"},
        {"id": "b", "text": "The market was closed on Sunday.", "published_at": "2205-08-19T10:00:00Z"},
    ]
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = tmp_path / "out"
    with pytest.raises(state.StateError, match="2205-08-19 is in the future") as refused:
        backfill([str(articles)], str(output), config_module.load())
    # It names the articles, which may be anywhere in a large archive.
    assert str(refused.value).endswith(
        f"That run would read 1 article: id 'b' published 2205-08-19 ({articles}:2)"
    )
    assert not (output / "_runs").exists()
    # An undated article goes to the newest run too; it is counted, and only the dated are
    # named (its null date stopped the message with a TypeError).
    undated = {"id": "c", "text": "The ferry ran late again.", "published_at": None}
    articles.write_text("".join(json.dumps(row) + "\n" for row in [undated, *rows]), encoding="utf-8")
    with pytest.raises(state.StateError, match="2205-08-19 is in the future") as refused:
        backfill([str(articles)], str(output), config_module.load())
    assert str(refused.value).endswith(
        f"That run would read 2 articles, such as id 'b' published 2205-08-19 ({articles}:3)"
    )


def test_pruning_keeps_frequencies_past_the_anchors(tmp_path):
    for day in ("2025-05-01", "2025-08-01", "2025-08-10", "2025-08-12"):
        folder = tmp_path / f"run_date={day}"
        for sub in (state.FREQUENCIES_FOLDER, state.SENTENCES_FOLDER):
            (folder / sub).mkdir(parents=True)
            (folder / sub / "part-00000-of-00001.parquet").write_bytes(b"")
        (folder / "part-00000-of-00001.parquet").write_bytes(b"")
    assert state.prune(str(tmp_path), lookback_days=7, frequency_days=60) == [dt.date(2025, 5, 1)]
    # 2025-08-01 is past the anchors' 7 days but within the frequencies' 60: only its
    # frequencies stay, so no later run takes its articles for anchors, nor their sentences.
    run_date = dt.date(2025, 8, 13)
    assert [Path(f).parent.name for f in state.window_files(str(tmp_path), run_date, 30)] == [
        "run_date=2025-08-10",
        "run_date=2025-08-12",
    ]
    assert [Path(f).parent.parent.name for f in state.sentence_files(str(tmp_path), run_date, 30)] == [
        "run_date=2025-08-10",
        "run_date=2025-08-12",
    ]
    assert not (tmp_path / "run_date=2025-08-01" / state.SENTENCES_FOLDER).exists()
    assert [Path(f).parent.parent.name for f in state.frequency_files(str(tmp_path), run_date, 60)] == [
        "run_date=2025-08-01",
        "run_date=2025-08-10",
        "run_date=2025-08-12",
    ]


def test_a_run_adds_frequencies_older_than_its_lookback(tmp_path):
    """Anchors come from the lookback's days; frequencies from state.frequency_days."""
    first, second = split_seeds(tmp_path)
    output = tmp_path / "out"
    run_job([str(first)], str(output), config_module.load(), run_date=DAY1)
    later = DAY1 + dt.timedelta(days=20)
    day1_frequencies = sorted((output / "_state" / f"run_date={DAY1}" / state.FREQUENCIES_FOLDER).glob("*"))
    job = run_job([str(second)], str(output), config_module.load(), run_date=later)
    assert job.manifest["state_files_read"] == []
    assert job.manifest["state_frequency_files_read"] == [str(p) for p in day1_frequencies]
    assert job.counters["state/prior_documents"] == 3
    assert job.counters["state/frequency_tables_added"] == 1
    # The day 1 partition keeps its frequencies (and the settings they were made with) but no
    # longer its anchors.
    day1 = output / "_state" / f"run_date={DAY1}"
    assert sorted(p.name for p in day1.iterdir()) == [state.FREQUENCIES_FOLDER, state.SETTINGS_FILE]

    short = config_module.load(overrides=["state.frequency_days=0"])
    job = run_job([str(second)], str(output), short, run_date=later + dt.timedelta(days=1))
    assert job.manifest["state_frequency_files_read"] == [
        str(p) for p in sorted((output / "_state" / f"run_date={later}" / state.FREQUENCIES_FOLDER).glob("*"))
    ]
    # With a horizon of the lookback's 7 days, day 1's partition is pruned altogether.
    assert not day1.exists()


def test_a_date_within_rerun_days_runs_again_with_the_same_ids_and_an_older_one_is_refused(tmp_path):
    first, second = split_seeds(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    unrelated = {"id": "z1", "outlet": "Z", "text": "The city council approved a new budget for its parks."}
    (other / "a.jsonl").write_text(json.dumps(unrelated) + "\n")
    output, config = tmp_path / "out", config_module.load()
    day_b, day_c = DAY1 + dt.timedelta(days=6), DAY1 + dt.timedelta(days=8)

    def stories(day):
        return duckdb.sql(
            f"SELECT article_id, cluster_id FROM read_parquet('{output}/articles/run_date={day}/*.parquet') "
            "ORDER BY article_id"
        ).fetchall()

    run_job([str(first)], str(output), config, run_date=DAY1)
    run_job([str(second)], str(output), config, run_date=day_b)  # continues day 1's story
    published = stories(day_b)
    assert {cluster for _, cluster in published} == {cluster for _, cluster in stories(DAY1)}
    # A later run prunes counting back from state.rerun_days (7) before it: day B, which reads
    # day 1's anchors, can still run again and publishes the same ids.
    run_job([str(other)], str(output), config, run_date=day_c)
    run_job([str(second)], str(output), config, run_date=day_b)
    assert stories(day_b) == published
    # Without re-run days, the next run prunes day 1's anchors: re-running day B would now
    # publish new ids, so it is refused before it starts.
    no_reruns = config_module.load(overrides=["state.rerun_days=0"])
    run_job([str(other)], str(output), no_reruns, run_date=day_c + dt.timedelta(days=1))
    with pytest.raises(state.StateError, match="state.rerun_days"):
        run_job([str(second)], str(output), config, run_date=day_b)
    assert stories(day_b) == published


def test_sigkill_mid_run_leaves_published_output_and_state_untouched(two_days, tmp_path):
    output, second, _ = two_days
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    before = snapshot(copy)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "run",
            "--input",
            str(second),
            "--output",
            str(copy),
            "--run-date",
            "2025-08-21",
        ],
        cwd=ROOT,
        env=environment_with_temp_in(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while not any((copy / publish.STAGING).glob("*/")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # inside the pipeline now
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    after = {key: value for key, value in snapshot(copy).items() if not key.startswith(publish.STAGING)}
    assert after == before, "a killed run changes nothing that readers or the next run use"
    assert publish.recover(str(copy)) and not (copy / publish.STAGING).exists()


def test_interrupted_commit_is_replayed(tmp_path):
    staging = tmp_path / publish.STAGING / "run1"
    (staging / "articles").mkdir(parents=True)
    (staging / "articles" / "part.parquet").write_text("new")
    target = Path(publish.partition_path(str(tmp_path), "articles", "2025-08-19"))
    target.mkdir(parents=True)
    (target / "part.parquet").write_text("old")
    moves = [[str(staging / "articles"), str(target)]]
    (staging / publish.JOURNAL).write_text(json.dumps({"moves": moves, "markers": []}))
    assert publish.recover(str(tmp_path)) == ["completed the publish of run run1"]
    assert (target / "part.parquet").read_text() == "new"
    assert not (tmp_path / publish.STAGING).exists()


class _Killed(BaseException):
    """Stands for the signal that stops a run between two of its publishing moves."""


def test_a_run_killed_while_publishing_is_finished_from_another_working_folder(tmp_path, monkeypatch):
    first, _ = split_seeds(tmp_path)
    for folder in ("cron", "shell"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path / "cron")
    move = publish._move
    moved: list[str] = []

    def move_once_then_die(source: str, target: str, trash: str) -> None:
        if moved:
            raise _Killed
        moved.append(target)
        move(source, target, trash)

    monkeypatch.setattr(publish, "_move", move_once_then_die)
    with pytest.raises(_Killed):
        run_job([str(first)], "out", config_module.load(), run_date=DAY1)
    monkeypatch.setattr(publish, "_move", move)
    # The next run is started elsewhere, naming the same folder by its absolute path.
    monkeypatch.chdir(tmp_path / "shell")
    output = tmp_path / "cron" / "out"
    assert publish.recover(str(output))[0].startswith("completed the publish of run")
    for table in ("articles", "clusters", "_state"):
        assert (output / table / f"run_date={DAY1}").is_dir(), table
    assert (output / "_runs" / f"run_date={DAY1}" / "_SUCCESS").exists()
    assert not (tmp_path / "shell" / "out").exists(), "nothing written where the next run started"


def test_a_journal_naming_folders_that_are_not_there_is_kept_with_the_staged_run(tmp_path):
    staging = tmp_path / publish.STAGING / "run1"
    (staging / "articles").mkdir(parents=True)
    (staging / "articles" / "part.parquet").write_text("new")
    elsewhere = tmp_path / "moved-away" / publish.STAGING / "run1" / "articles"
    target = publish.partition_path(str(tmp_path), "articles", "2025-08-19")
    (staging / publish.JOURNAL).write_text(json.dumps({"moves": [[str(elsewhere), target]], "markers": []}))
    with pytest.raises(RuntimeError, match="cannot finish publishing run run1: .*neither the staged folder"):
        publish.recover(str(tmp_path))
    assert (staging / "articles" / "part.parquet").read_text() == "new", "the committed run is not lost"
    assert (staging / publish.JOURNAL).exists()


def test_a_second_run_into_the_folder_leaves_a_running_run_alone(tmp_path):
    output = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "run",
        "--output",
        str(output),
        "--run-date",
        "2025-08-19",
    ]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not any((output / publish.STAGING).glob("*/")) and time.time() < deadline:
        time.sleep(0.05)
    staged = list((output / publish.STAGING).glob("*/"))
    assert staged, "the first run is staging"
    with pytest.raises(RuntimeError, match="another storymatch process is writing into"):
        publish.recover(str(output))
    with pytest.raises(RuntimeError, match="another storymatch process"):
        run_job([str(SEEDS)], str(output), config_module.load(), run_date=DAY2)
    assert all(path.is_dir() for path in staged), "nothing of the running run was removed"
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    assert (output / "_runs" / "run_date=2025-08-19" / "_SUCCESS").exists()
    assert not (output / "_runs" / f"run_date={DAY2}").exists()


def test_output_folders_sharing_a_state_each_run_their_own_dates(tmp_path):
    """A second output folder's run of a date the first had published replaced the shared
    state's partition of the date without a word: the first folder's next run continued none
    of its stories."""
    shared, first, second = tmp_path / "state", tmp_path / "a", tmp_path / "b"
    run_job([str(SEEDS)], str(first), config_module.load(), run_date=DAY1, state_dir=str(shared))
    with pytest.raises(
        state.StateError, match=f"holds the run of {DAY1} into {first}: a run of that date into"
    ):
        run_job([str(SEEDS)], str(second), config_module.load(), run_date=DAY1, state_dir=str(shared))
    assert not second.exists() and json.loads(
        (shared / f"run_date={DAY1}" / state.SETTINGS_FILE).read_text()
    )[state.OUTPUT_KEY] == str(first.resolve())
    # A copy of the first folder with the state as its own _state: only it writes there.
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)
    shutil.copytree(shared, copy / "_state")
    assert run_job([str(SEEDS)], str(copy), config_module.load(), run_date=DAY1).row_counts["articles"] == 5
    # Once the first folder no longer has that run (moved, removed), the date is free.
    shutil.rmtree(first)
    job = run_job([str(SEEDS)], str(second), config_module.load(), run_date=DAY1, state_dir=str(shared))
    assert job.row_counts["articles"] == 5 and state.published_by(str(shared / f"run_date={DAY1}")) == str(
        second.resolve()
    )


def test_a_run_sharing_the_state_folder_of_a_running_run_fails_at_once(tmp_path):
    state_dir = tmp_path / "state"
    command = [sys.executable, "-m", "pipeline.cli", "run", "--output", str(tmp_path / "a")]
    command += ["--state", str(state_dir), "--run-date", "2025-08-19"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not any((tmp_path / "a" / publish.STAGING).glob("*/")) and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the first run is staging"
    other = tmp_path / "b"
    with pytest.raises(RuntimeError, match=f"another storymatch process is writing into {state_dir}"):
        run_job([str(SEEDS)], str(other), config_module.load(), run_date=DAY1, state_dir=str(state_dir))
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors
    assert state.partition_dates(str(state_dir)) == [DAY1]
    assert not (other / "_runs").exists()


def test_a_committed_run_that_cannot_be_finished_fails_clearly_and_stays(tmp_path):
    staging = tmp_path / publish.STAGING / "run1"
    (staging / "state").mkdir(parents=True)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # where an older version was told to move the state to
    target = blocker / "run_date=2025-08-19"
    (staging / publish.JOURNAL).write_text(
        json.dumps({"moves": [[str(staging / "state"), str(target)]], "markers": []})
    )
    with pytest.raises(RuntimeError, match=r"cannot finish publishing run run1: .*File exists"):
        publish.recover(str(tmp_path))
    assert (staging / publish.JOURNAL).exists(), "kept for the run that can finish it"
    blocker.unlink()
    assert publish.recover(str(tmp_path)) == ["completed the publish of run run1"]
    assert target.is_dir()


def test_a_new_date_runs_after_the_lookback_was_raised(tmp_path):
    """Pruning under a short lookback must not stop the next daily runs once it is raised:
    a date after every run has no published ids that the pruned state could change."""
    for day in ("2025-08-01", "2025-08-10", "2025-08-12"):
        folder = tmp_path / f"run_date={day}"
        folder.mkdir()
        (folder / "part-00000-of-00001.parquet").write_bytes(b"")
    state.prune(str(tmp_path), lookback_days=1, frequency_days=1)
    state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 13), lookback_days=7, frequency_days=90)
    # Re-running a date that read the pruned days is still refused.
    with pytest.raises(state.StateError):
        state.check_not_pruned(str(tmp_path), dt.date(2025, 8, 12), lookback_days=7, frequency_days=90)


def test_an_article_sent_on_two_days_is_one_anchor_later(two_days, tmp_path):
    """The state of both runs that read an article holds it; a later run matches it once."""
    _, _, config = two_days
    copy, _ = send_day_one_article_again(two_days, tmp_path)
    rewrite = tmp_path / "rewrite"
    rewrite.mkdir()
    text = SEED_FILES[0].read_text(encoding="utf-8")
    (rewrite / "zz_rewrite.txt").write_text(text.split("\n", 1)[1], encoding="utf-8")
    job = run_job([str(rewrite)], str(copy), config, run_date=dt.date(2025, 8, 22))
    pairs = duckdb.sql(
        f"select article_a, article_b from read_parquet('{copy}/pairs/run_date=2025-08-22/*.parquet')"
    ).fetchall()
    assert (SEED_FILES[0].stem, "zz_rewrite") in pairs
    assert len(pairs) == len(set(pairs))
    assert job.counters["state/prior_articles"] == 6  # five anchors read, one of them twice


def test_an_article_sent_again_with_an_identical_copy_keeps_its_story(tmp_path):
    """Sent again beside a verbatim copy under a smaller id (the copy is canonical), the
    article keeps its published story, and the copy joins it."""
    output, config = tmp_path / "out", config_module.load()
    article = {
        "id": "m1",
        "outlet": "M",
        "published_at": "2025-08-19T08:00:00Z",
        "text": "The city council approved a new budget for its parks on Tuesday evening.",
    }
    day1, day2 = tmp_path / "day1.jsonl", tmp_path / "day2.jsonl"
    day1.write_text(json.dumps(article) + "\n")
    verbatim = {**article, "id": "a1", "outlet": "A", "published_at": "2025-08-20T08:00:00Z"}
    day2.write_text(json.dumps(article) + "\n" + json.dumps(verbatim) + "\n")
    run_job([str(day1)], str(output), config, run_date=DAY1)
    run_job([str(day2)], str(output), config, run_date=DAY2)
    rows = duckdb.sql(
        f"select run_date, article_id, cluster_id, duplicate_of from "
        f"read_parquet('{output}/articles/*/*.parquet', hive_partitioning=true) order by all"
    ).fetchall()
    story = rows[0][2]
    assert [(str(day), i, c, d) for day, i, c, d in rows] == [
        ("2025-08-19", "m1", story, None),
        ("2025-08-20", "a1", story, None),
        ("2025-08-20", "m1", story, "a1"),
    ]


def test_a_date_filled_in_after_a_later_run_names_the_runs_to_redo(tmp_path, capsys):
    # Day 3 ran without day 2's state: the seeds of day 3 start a story of their own, and the
    # late day 2 says so (summary, manifest) until day 3 is re-run after it.
    first, second = split_seeds(tmp_path)
    output = tmp_path / "out"
    config = config_module.load()
    day3 = DAY2 + dt.timedelta(days=1)
    assert run_job([str(first)], str(output), config, run_date=DAY1).later_runs == []
    assert run_job([str(second)], str(output), config, run_date=day3).later_runs == []
    args = ["run", "--input", str(second), "--output", str(output), "--run-date", DAY2.isoformat()]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert "NOTE: 1 later run (2025-08-21) ran without this date's state" in printed
    manifest = json.loads((output / "_runs" / "run_date=2025-08-20" / "manifest.json").read_text())
    assert manifest["later_runs_not_continued"] == ["2025-08-21"]
    # A re-run of the late date still names day 3 while day 3 has not read its state (the
    # re-run's manifest replaces the one that named it); once day 3 is re-run, neither does.
    assert run_job([str(second)], str(output), config, run_date=DAY2).later_runs == ["2025-08-21"]
    manifest = json.loads((output / "_runs" / "run_date=2025-08-20" / "manifest.json").read_text())
    assert manifest["later_runs_not_continued"] == ["2025-08-21"]
    assert run_job([str(second)], str(output), config, run_date=day3).later_runs == []
    assert run_job([str(second)], str(output), config, run_date=DAY2).later_runs == []


def test_a_run_with_other_matching_settings_than_its_state_is_refused(two_days, tmp_path, capsys):
    """Anchors of another lsh.seed have signatures of the same length that never collide
    with this run's, and other feature kinds give vectors and frequencies of other terms:
    such runs were published with no story continued and nothing said. A change that only
    alters how this run matches is no refusal."""
    output, second, _ = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    before = snapshot(copy)
    day3 = dt.date(2025, 8, 21)
    for override, message in (
        ("lsh.seed=7", "lsh.seed is 7 in this run but 1 in the runs of 2025-08-19 to 2025-08-20"),
        ("lsh.num_perm=64", "lsh.num_perm is 64 in this run but 128 in the runs of"),
        ("features.kinds=word,name", "features.kinds is word,name in this run but word,name,pair in"),
        ("features.df_buckets=1024", "features.df_buckets is 1024 in this run but 4194304 in"),
    ):
        changed = config_module.load(overrides=[override])
        with pytest.raises(state.StateError, match=message) as error:
            run_job([str(second)], str(copy), changed, run_date=day3)
        assert "--state NEW_FOLDER" in str(error.value) and f"--set {override.split('=')[0]}=" in str(
            error.value
        )
        assert snapshot(copy) == before, "nothing published"
    command = ["run", "--input", str(second), "--output", str(copy), "--run-date", "2025-08-21"]
    assert cli.main([*command, "--set", "lsh.seed=7"]) == cli.EXIT_USAGE
    assert "storymatch: error: the state in" in capsys.readouterr().err
    # A new state folder starts the stories afresh; the published tables stay.
    fresh = config_module.load(overrides=["lsh.seed=7"])
    job = run_job([str(second)], str(copy), fresh, run_date=day3, state_dir=str(tmp_path / "fresh"))
    assert job.counters.get("state/prior_articles", 0) == 0 and job.row_counts["articles"] == 2
    safe = config_module.load(
        overrides=[
            "cluster.threshold=0.2",
            "features.salient_terms=20",
            "lsh.threshold=0.05",
            "verify.min_score=0.1",
            "features.kinds=pair,name,word",  # the same kinds: features are built from their set
        ]
    )
    job = run_job([str(second)], str(copy), safe, run_date=day3)
    assert job.counters["state/prior_articles"] == 5
    settings = copy / "_state" / "run_date=2025-08-19" / state.SETTINGS_FILE
    settings.write_text("{not json", encoding="utf-8")
    with pytest.raises(state.StateError, match=f"{settings} cannot be read"):
        run_job([str(second)], str(copy), safe, run_date=dt.date(2025, 8, 22))


def test_a_run_refused_before_it_starts_leaves_the_output_folder_as_it_was(two_days, tmp_path, capsys):
    """A run refused by its state had made its new output folder (its parents too) to hold
    _lock, and left it behind; into an existing empty folder, it left the _lock file. So did
    a backfill whose first run its state refused."""
    output, second, _ = two_days
    shared_state = tmp_path / "state"
    shutil.copytree(output / "_state", shared_state)
    before = snapshot(shared_state)
    new, existing = tmp_path / "new", tmp_path / "existing"
    existing.mkdir()
    for command in (["run", "--input", str(second)], ["backfill", "--input", str(SEEDS)]):
        for folder in (new / "out", existing):
            arguments = [*command, "--output", str(folder), "--state", str(shared_state)]
            assert cli.main([*arguments, "--run-date", "2025-08-21", "--set", "lsh.seed=7"]) == cli.EXIT_USAGE
            assert "storymatch: error: the state in" in capsys.readouterr().err
            assert not new.exists(), command[0]
            assert list(existing.iterdir()) == [], command[0]
    assert snapshot(shared_state) == before and sorted(p.name for p in shared_state.iterdir()) == sorted(
        p.name for p in (output / "_state").iterdir()
    )


# Holds a folder's lock as a run does, until its stdin is closed.
HOLD_LOCK = """
import sys
from pipeline import publish
with publish.lock_output(sys.argv[1]):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_run_or_backfill_refused_for_a_busy_state_leaves_the_output_folder_as_it_was(tmp_path, capsys):
    """Another process holding the --state folder's lock refused the run or backfill after it
    had taken the output's lock: a new output folder was left behind holding _lock, and an
    existing empty one a _lock file."""
    shared_state = tmp_path / "state"
    shared_state.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(shared_state)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        new, existing = tmp_path / "new", tmp_path / "existing"
        existing.mkdir()
        for command in (["run"], ["backfill", "--input", str(SEEDS), "--run-date", "2025-08-19"]):
            for folder in (new / "out", existing):
                arguments = [*command, "--output", str(folder), "--state", str(shared_state)]
                assert cli.main(arguments) == cli.EXIT_FAILED
                assert f"another storymatch process is writing into {shared_state}" in capsys.readouterr().err
                assert not new.exists()
                assert list(existing.iterdir()) == []
    finally:
        holder.communicate(timeout=60)  # closing its stdin ends it
    assert sorted(path.name for path in shared_state.iterdir()) == [publish.LOCK]


def test_a_state_file_cut_short_or_without_a_column_is_refused_naming_it(two_days, tmp_path):
    """A state file cut short (a full disk, a copy interrupted) failed the run inside the
    pipeline with Beam's traceback and 'Parquet magic bytes not found', naming no file."""
    output, second, config = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    day3 = dt.date(2025, 8, 21)
    (anchors,) = (copy / "_state" / "run_date=2025-08-20").glob("*.parquet")
    (frequencies,) = (copy / "_state" / "run_date=2025-08-19" / state.FREQUENCIES_FOLDER).glob("*.parquet")
    whole = frequencies.read_bytes()
    frequencies.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(
        state.StateError, match=rf"the state file {re.escape(str(frequencies))} cannot be read"
    ):
        run_job([str(second)], str(copy), config, run_date=day3)
    frequencies.write_bytes(whole)
    (sentences,) = (copy / "_state" / "run_date=2025-08-20" / state.SENTENCES_FOLDER).glob("*.parquet")
    whole = sentences.read_bytes()
    sentences.write_bytes(whole[:100])
    with pytest.raises(state.StateError, match=rf"the state file {re.escape(str(sentences))} cannot be read"):
        run_job([str(second)], str(copy), config, run_date=day3)
    sentences.write_bytes(whole)
    pq.write_table(pq.read_table(anchors).drop_columns(["term_weights"]), anchors)
    with pytest.raises(
        state.StateError, match=rf"{re.escape(str(anchors))} has no column term_weights: restore"
    ):
        run_job([str(second)], str(copy), config, run_date=day3)
    assert not (copy / "_runs" / "run_date=2025-08-21").exists()


def test_a_run_after_lsh_num_perm_changed_skips_the_anchors_of_an_older_state_it_cannot_band(
    two_days, tmp_path
):
    """A state written before the settings were recorded cannot be checked: anchors of
    another number of MinHash permutations are skipped and counted as they are read (as
    frequencies of another table size are), not a crash of every run of the lookback."""
    output, second, _ = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    for settings in (copy / "_state").glob(f"*/{state.SETTINGS_FILE}"):
        settings.unlink()
    fewer = config_module.load(overrides=["lsh.num_perm=64"])
    job = run_job([str(second)], str(copy), fewer, run_date=dt.date(2025, 8, 21))
    assert job.counters["state/anchors_skipped"] == 5
    assert job.counters.get("state/prior_articles", 0) == 0
    assert job.row_counts["articles"] == 2
    # The run's own state has 64 values a signature, which the next run with 64 reads.
    job = run_job([str(second)], str(copy), fewer, run_date=dt.date(2025, 8, 22))
    assert job.counters["state/prior_articles"] == 2
    assert job.counters["state/anchors_skipped"] == 5


def test_a_date_run_again_with_other_articles_names_the_later_runs_that_read_it(tmp_path):
    # Day 2's feed was incomplete when it first ran (day 3 then read that state); run again
    # with its articles, it changes what day 3 should have continued: day 3 is named, as
    # after a date filled in late, until it is re-run.
    first, second = split_seeds(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    output = tmp_path / "out"
    config = config_module.load()
    day3 = DAY2 + dt.timedelta(days=1)
    run_job([str(empty)], str(output), config, run_date=DAY2)
    run_job([str(second)], str(output), config, run_date=day3)
    assert run_job([str(first)], str(output), config, run_date=DAY2).later_runs == ["2025-08-21"]
    manifest = json.loads((output / "_runs" / "run_date=2025-08-20" / "manifest.json").read_text())
    assert manifest["later_runs_not_continued"] == ["2025-08-21"]
    # The same articles again change nothing: day 3 stays named until it is re-run.
    assert run_job([str(first)], str(output), config, run_date=DAY2).later_runs == ["2025-08-21"]
    assert run_job([str(second)], str(output), config, run_date=day3).later_runs == []
    assert run_job([str(first)], str(output), config, run_date=DAY2).later_runs == []
    stories = duckdb.sql(
        f"select distinct cluster_id from read_parquet('{output}/articles/*/*.parquet')"
    ).fetchall()
    assert len(stories) == 1


def test_a_rerun_says_which_run_it_replaced(tmp_path, capsys):
    """Re-running a date replaces its partitions, state and report, and said nothing of it:
    the summary read as a first run's, so a date typed by mistake overwrote a published day
    without a word. The summary and the manifest now name the run that went."""
    output = tmp_path / "out"
    args = ["run", "--input", str(SEEDS), "--output", str(output), "--run-date", DAY1.isoformat()]
    assert cli.main(args) == 0
    assert "replaced" not in capsys.readouterr().out, "a first run replaces nothing"
    manifest_path = output / "_runs" / "run_date=2025-08-19" / "manifest.json"
    first = json.loads(manifest_path.read_text())
    assert "replaced_run" not in first
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert (
        f"replaced: the run {first['run_id']} of 2025-08-19 (finished {first['finished_at']}, 5 articles): "
        "its partitions, state and report are gone"
    ) in printed.splitlines()
    replaced = json.loads(manifest_path.read_text())["replaced_run"]
    assert replaced == {"run_id": first["run_id"], "finished_at": first["finished_at"], "articles": 5}


def run_days(tmp_path: Path, days: dict[dt.date, list[dict]]) -> Path:
    """One run a day, in order, of that day's articles (each day's a JSON Lines file), into
    ``tmp_path / "out"``."""
    output = tmp_path / "out"
    for day, articles in days.items():
        path = tmp_path / f"{day}.jsonl"
        path.write_text("".join(json.dumps(article) + "\n" for article in articles), encoding="utf-8")
        run_job([str(path)], str(output), config_module.load(), run_date=day)
    return output


def test_an_outlet_alone_in_a_run_of_a_continued_story_was_compared_with_the_earlier_runs(tmp_path):
    # BASIL's NYT and Fox News articles on one day, HuffPost's on the next: its run's clusters
    # row has one outlet, but its sentences were aligned with the other two (its unique
    # sentences are judged against them). story_outlets counted none of them as compared, so
    # the cookbook's originality left HuffPost out, or counted its unique sentences over
    # another story's sentences.
    rows = [
        json.loads(line)
        for line in (SHARED_EVAL / "basil_dev.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    output = run_days(tmp_path, {dt.date(2010, 7, 4): rows[:2], dt.date(2010, 7, 5): rows[2:3]})
    stories = duckdb.sql(
        f"select cluster_id, num_outlets from read_parquet('{output}/clusters/*/*.parquet', "
        "hive_partitioning = true) order by run_date"
    ).fetchall()
    assert [outlets for _, outlets in stories] == [2, 1] and len({story for story, _ in stories}) == 1
    session = query.connect(output)
    try:
        found = query.execute(
            session.connection,
            "SELECT outlet, sentences, unique_sentences, compared_sentences FROM story_outlets ORDER BY 1",
        ).fetchall()
    finally:
        session.connection.close()
    assert [outlet for outlet, *_ in found] == ["Fox News", "HuffPost", "New York Times"]
    assert all(compared == sentences > unique > 0 for _, sentences, unique, compared in found), found


def test_rewrites_of_a_story_carried_the_day_before_join_it_as_in_one_run(tmp_path):
    # Day one: seeds 000 and 001, each carried by eight outlets as cut copies, among the
    # labelled dev corpus (undated: the background of every day); day two: the other three
    # seeds. Two anchors are never paired, so the copies among day one's articles are
    # found inside the linked group of day two and count once there, as in one run over
    # both days (docs/matching.md, "Copies count once"). Before, 002 and 004 were a story
    # of their own: their pairs with day one's articles shared no detail.
    seeds = {path.stem[:3]: path for path in SEED_FILES}

    def row(key: str, day: dt.date, copy: int | None = None) -> dict:
        text = seeds[key].read_text(encoding="utf-8")
        article = {"id": seeds[key].stem, "outlet": key, "text": text, "published_at": f"{day}T10:00:00Z"}
        if copy is None:
            return article
        return dict(
            article,
            id=f"{article['id']}-copy{copy}",
            outlet=f"carrier {copy}",
            text=carried_copies(text, copy % 4),
        )

    background = [
        dict(json.loads(line), published_at=None)
        for name in ("basil_dev.jsonl", "multinews_dev.jsonl")
        for line in (SHARED_EVAL / name).read_text(encoding="utf-8").splitlines()
    ]
    day_one = [row(key, DAY1, copy) for key in ("000", "001") for copy in (None, *range(8))] + background
    day_two = [row(key, DAY2) for key in ("002", "003", "004")]
    output = run_days(tmp_path, {DAY1: day_one, DAY2: day_two})
    stories = duckdb.sql(
        f"select cluster_id, count(*) from read_parquet('{output}/articles/*/*.parquet') "
        "where article_id like '00%' group by cluster_id"
    ).fetchall()
    assert [count for _, count in stories] == [2 * 9 + 3], stories
