"""The carried-copies benchmark (benchmarks/carried_copies.py): its copies, and a real run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "fixture" / "articles.jsonl"


@pytest.fixture(scope="module")
def carried_copies():
    spec = importlib.util.spec_from_file_location("carried_copies", ROOT / "benchmarks" / "carried_copies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_chosen_article_gets_its_copies_with_its_story_and_an_outlet_of_their_own(carried_copies):
    records = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    seeds = [record for record in records if record["id"][:3].isdigit()]
    corpus = carried_copies.carried(records, 2, "00", seed=7)
    assert corpus == carried_copies.carried(records, 2, "00", seed=7), "deterministic"
    assert len(corpus) == len(records) + 2 * len(seeds)
    assert [r for r in corpus if "~carried" not in r["id"]] == records, "the originals, as they were"
    shorter = 0
    for seed in seeds:
        copies = [r for r in corpus if r["id"].startswith(seed["id"] + "~carried")]
        assert [c["id"] for c in copies] == [seed["id"] + "~carried1", seed["id"] + "~carried2"]
        assert {c["story"] for c in copies} == {seed["story"]}
        assert len({c["outlet"] for c in copies} | {seed["outlet"]}) == 3
        paragraphs = [line for line in seed["text"].split("\n") if line.strip()]
        for copy in copies:
            kept = copy["text"].split("\n")
            assert kept and set(kept) <= set(paragraphs)
            shorter += len(kept) < len(paragraphs)
    assert shorter >= 5, "most copies are cut"
    assert carried_copies.carried(records, 0, "", seed=7) == records


def test_the_table_has_a_row_per_count_of_copies():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "carried_copies.py"), "--input", str(FIXTURE)]
        + ["--copies", "0", "2", "--carried", "00"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [row[:2] for row in rows[1:]] == [["| 0", "23"], ["| 2", "33"]]
    # The fixture's stories, and the seeds with their copies: each exactly one story.
    assert rows[1][2:5] == rows[2][2:5] == ["1.000"] * 3
