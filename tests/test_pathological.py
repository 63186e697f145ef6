"""Pathological structure: a giant LSH bucket and thousands of identical articles stay linear."""

from __future__ import annotations

import datetime as dt
import json
import random

import duckdb
import pytest

from pipeline import config as config_module
from pipeline.run import run_job

BOILERPLATE = (
    "This article is published under our community guidelines. Subscribers can read every story on the "
    "website and in the app, comment on articles, receive the morning briefing by email and listen to the "
    "daily podcast. Our newsroom corrects errors promptly; report one through the contact page. Advertising "
    "helps fund local journalism in the region and across the country every single day of the year."
)


def short_item(rng: random.Random, index: int) -> str:
    """A short item with its own vocabulary, so only the boilerplate is shared."""
    words = [f"w{index}x{k}{rng.choice('abcdefgh')}" for k in range(8)]
    return f"Item {index}: " + " ".join(words) + ".\n\n" + BOILERPLATE


@pytest.fixture(scope="module")
def giant_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("giant")
    rng = random.Random(7)
    with open(folder / "articles.jsonl", "w", encoding="utf-8") as handle:
        for index in range(5000):
            handle.write(json.dumps({"id": f"shared-{index:05d}", "text": short_item(rng, index)}) + "\n")
        copy = "Flood waters reached the old bridge on Sunday, the mayor said, and the market was closed."
        for index in range(2000):
            handle.write(json.dumps({"id": f"copy-{index:05d}", "text": copy}) + "\n")
    job = run_job([str(folder)], str(folder / "out"), config_module.load(), run_date=dt.date(2025, 1, 1))
    return folder / "out", job


def test_bucket_cap_fires_and_is_counted(giant_run):
    _, job = giant_run
    assert job.counters["lsh/oversized_buckets_skipped"] > 0
    assert job.counters["lsh/oversized_bucket_members"] > 500


def test_sharing_only_boilerplate_merges_nothing(giant_run):
    output, _ = giant_run
    sizes = duckdb.sql(
        f"select count(*) from read_parquet('{output}/articles/*/*.parquet') "
        "where article_id like 'shared-%' group by cluster_id having count(*) > 1"
    ).fetchall()
    assert sizes == []


def test_identical_articles_are_one_story(giant_run):
    output, job = giant_run
    stories = duckdb.sql(
        f"select count(distinct cluster_id), count(*) from read_parquet('{output}/articles/*/*.parquet') "
        "where article_id like 'copy-%'"
    ).fetchall()
    assert stories == [(1, 2000)]
    assert job.counters["dedupe/exact_duplicates"] == 1999
    assert job.row_counts["articles"] == 7000
