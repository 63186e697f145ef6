"""Daily batches: date partitions, continuing stories, idempotent re-runs, atomic publish."""

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
import pytest

from pipeline import config as config_module
from pipeline import publish, state
from pipeline.run import run_job
from tests.conftest import ROOT, SEEDS

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
    run_job([str(second)], str(output), config, run_date=DAY2)
    assert snapshot(output / "articles" / "run_date=2025-08-19") == day1_before
    tables_after = {p.name: snapshot(p / "run_date=2025-08-20") for p in output.iterdir() if p.name[0] != "_"}
    assert tables_after == tables_before, "same input, same rows, byte for byte"


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


def test_an_article_sent_again_keeps_its_story(two_days, tmp_path):
    output, _, config = two_days
    copy = tmp_path / "copy"
    shutil.copytree(output, copy)
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(SEED_FILES[0], again)  # published on day 1, in the feed again on day 3
    job = run_job([str(again)], str(copy), config, run_date=dt.date(2025, 8, 21))
    rows = duckdb.sql(
        f"select run_date, cluster_id from read_parquet('{copy}/articles/*/*.parquet', "
        f"hive_partitioning=true) where article_id = '{SEED_FILES[0].stem}' order by run_date"
    ).fetchall()
    assert len(rows) == 2 and rows[0][1] == rows[1][1]
    assert job.counters["state/articles_read_again"] == 1


def test_state_window_and_pruning(tmp_path):
    for day in ("2025-08-01", "2025-08-10", "2025-08-12"):
        folder = tmp_path / f"run_date={day}"
        folder.mkdir()
        (folder / "part-00000-of-00001.parquet").write_bytes(b"")
    window = state.window_files(str(tmp_path), dt.date(2025, 8, 12), lookback_days=7)
    assert [Path(f).parent.name for f in window] == ["run_date=2025-08-10"]
    assert state.prune(str(tmp_path), lookback_days=7) == [dt.date(2025, 8, 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run_date=2025-08-10", "run_date=2025-08-12"]


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
