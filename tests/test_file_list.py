"""Tests of pipeline.file_list: long lists of files travel in a list file, not in the graph."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import tempfile
import uuid

import duckdb
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline import config as config_module
from pipeline import file_list
from pipeline.run import build_pipeline, run_job
from schemas.tables import TABLES
from tests.conftest import SEEDS, beam_test_pipeline


def table_rows(output, table: str) -> list[tuple]:
    return sorted(
        duckdb.sql(f"select * from read_parquet('{output}/{table}/*/*.parquet')").fetchall(), key=repr
    )


def test_strings_above_the_limit_are_read_from_a_list_file_in_the_order_written(
    pipeline, tmp_path, monkeypatch
):
    monkeypatch.setattr(file_list, "MAX_STRINGS_IN_GRAPH", 2)
    values = ["in/a.txt", "in/line\nbreak.txt", "in/été.txt", "in/a.txt"]
    assert list(file_list.read_list_file(file_list.write_list_file(values, str(tmp_path)))) == values
    assert_that(pipeline | file_list.CreateStrings(values, str(tmp_path / "run")), equal_to(values))
    pipeline.run()
    (listed,) = (tmp_path / "run").glob(f"{file_list.LIST_FILE_PREFIX}*.jsonl")
    assert listed.read_text(encoding="utf-8").count("\n") == len(values), "one line each"


def test_a_list_file_the_workers_do_not_see_names_the_cause(tmp_path):
    with pytest.raises(FileNotFoundError, match="--temp_location the workers can reach"):
        list(file_list.read_list_file(str(tmp_path / "input-files-gone.jsonl")))


def test_the_graph_of_20000_input_and_state_files_is_no_larger_than_that_of_200(tmp_path):
    """beam.Create put every path into the graph, and the DoFn each one's remote copy and
    sidecar: 20,000 uuid-named inputs (and as many state files) made a graph of 5.0 MB where
    200 made one of 0.53 MB (a folder of 100,000 .txt files alone: 8.9 MB, near Dataflow's
    10 MB limit on a job graph)."""
    config = config_module.load()

    def graph_size(count: int) -> int:
        names = random.Random(count)
        files = [str(tmp_path / "in" / f"{uuid.UUID(int=names.getrandbits(128))}.txt") for _ in range(count)]
        state_files = [
            str(tmp_path / "state" / f"{uuid.UUID(int=names.getrandbits(128))}.parquet") for _ in range(count)
        ]
        copies = {path: f"gs://bucket/tmp/storymatch-run/inputs{path}" for path in files}
        pipeline = beam_test_pipeline()
        try:
            build_pipeline(
                pipeline,
                files,
                config,
                str(tmp_path / "staging"),
                dt.date(2025, 8, 19),
                state_files,
                state_files,
                input_copies=copies,
                list_folder=str(tmp_path / "lists"),
            )
            return len(pipeline.to_runner_api().SerializeToString())
        finally:  # only built, never run: its beam-pipeline-temp* folder is ours to remove
            shutil.rmtree(pipeline.local_tempdir, ignore_errors=True)

    few, many = graph_size(200), graph_size(20_000)
    assert many <= few + 4096, (few, many)


def test_files_read_from_a_list_file_give_the_same_tables_and_leave_nothing_behind(tmp_path, monkeypatch):
    """Every list (inputs, state, sentence and frequency files) through a list file, over two days of
    .txt files with sidecars (one not JSON, a reject), gives the tables of beam.Create's."""
    days = tmp_path / "in"
    for index, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        folder = days / ("day1" if index < 3 else "day2")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / path.name).write_bytes(path.read_bytes())
        sidecar = "{not json" if index == 4 else json.dumps({"outlet": f"Outlet {index}"})
        (folder / f"{path.stem}.json").write_text(sidecar, encoding="utf-8")
    config = config_module.load()

    def run_days(output) -> None:
        for day in (1, 2):
            run_job([str(days / f"day{day}")], str(output), config, run_date=dt.date(2025, 8, 18 + day))

    run_days(tmp_path / "created")
    monkeypatch.setattr(file_list, "MAX_STRINGS_IN_GRAPH", 0)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    written = []
    write_list_file = file_list.write_list_file

    def write_and_note(values, folder):
        written.append(write_list_file(values, folder))
        return written[-1]

    monkeypatch.setattr(file_list, "write_list_file", write_and_note)
    run_days(tmp_path / "listed")
    assert len(written) == 2 + 1 + 1 + 1, "inputs each day; state, its sentences and frequencies on day 2"
    assert table_rows(tmp_path / "listed", "rejects")[0][2] == "malformed_json"
    for table in TABLES:
        assert table_rows(tmp_path / "listed", table) == table_rows(tmp_path / "created", table), table
    assert not list((tmp_path / "listed").rglob(f"{file_list.LIST_FILE_PREFIX}*")), "list files removed"
    assert not (tmp_path / "listed" / "_staging").exists()
    assert not list(temp.iterdir())
