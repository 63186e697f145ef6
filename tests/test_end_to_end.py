"""The command as a user runs it: seeds in, Parquet partitions out, read back with DuckDB."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from schemas.tables import TABLES
from tests.conftest import ROOT, SEEDS

RUN_DATE = "2025-08-19"


def storymatch(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory):
    output = tmp_path_factory.mktemp("seeds_out")
    result = storymatch("run", "--output", str(output), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stderr
    return output, result


def table(output, name: str) -> str:
    return f"read_parquet('{output}/{name}/*/*.parquet', hive_partitioning=true)"


def test_summary_names_counts_and_tables(seeds_output):
    output, result = seeds_output
    assert "records read       5" in result.stdout
    assert "clusters           1 (1 with more than one article, largest 5)" in result.stdout
    for name in TABLES:
        assert f"{output}/{name}/run_date={RUN_DATE}" in result.stdout
    assert result.stderr.strip() == "", "quiet by default"


def test_every_table_reads_with_duckdb(seeds_output):
    output, _ = seeds_output
    for name, schema in TABLES.items():
        relation = duckdb.sql(f"select * from {table(output, name)}")
        assert relation.columns == [*schema.names, "run_date"], name


def test_the_five_seeds_are_one_story(seeds_output):
    output, _ = seeds_output
    rows = duckdb.sql(f"select article_id, cluster_id from {table(output, 'articles')}").fetchall()
    assert sorted(a for a, _ in rows) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    assert len({c for _, c in rows}) == 1
    size, representative = duckdb.sql(
        f"select size, representative_id from {table(output, 'clusters')}"
    ).fetchall()[0]
    assert size == 5 and representative in {a for a, _ in rows}
    verified = duckdb.sql(f"select count(*) from {table(output, 'pairs')} where verified").fetchall()[0][0]
    assert verified >= 4, "a story of five needs at least four verified links"


def test_manifest_reconciles(seeds_output):
    output, _ = seeds_output
    manifest = json.loads((output / "_runs" / f"run_date={RUN_DATE}" / "manifest.json").read_text())
    assert manifest["reconciliation"] == {
        "input_records": 5,
        "rejected_before_the_run": 0,
        "articles": 5,
        "rejects": 0,
        "balanced": True,
    }
    assert manifest["lsh"] == {"bands": 128, "rows": 1}
    assert manifest["config"]["lsh"]["num_perm"] == 128
    assert (output / "_runs" / f"run_date={RUN_DATE}" / "_SUCCESS").exists()
    assert not (output / "_staging").exists()


def test_help_and_errors():
    assert "run" in storymatch("--help").stdout
    help_text = storymatch("run", "--help").stdout
    assert "--run-date" in help_text and "--set" in help_text
    missing = storymatch("run", "--input", "/nonexistent/*.jsonl", "--output", "/tmp/never")
    assert missing.returncode == 2
    assert missing.stderr.strip() == "storymatch: error: input '/nonexistent/*.jsonl' matches no files"
    bad = storymatch("run", "--set", "lsh.num_perm=0")
    assert bad.returncode == 2 and "lsh.num_perm" in bad.stderr
    bad_date = storymatch("run", "--run-date", "19/08/2025")
    assert bad_date.returncode == 2 and "YYYY-MM-DD" in bad_date.stderr
