"""The noise benchmark (benchmarks/noise_robustness.py): its perturbations, and a real run."""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_bad_input import seed_rows, tables_of_a_run

FIXTURE = ROOT / "tests" / "data" / "fixture" / "articles.jsonl"


@pytest.fixture(scope="module")
def noise():
    spec = importlib.util.spec_from_file_location(
        "noise_robustness", ROOT / "benchmarks" / "noise_robustness.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_records() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def test_each_perturbation_changes_the_same_seeded_half_of_the_articles_and_keeps_their_labels(noise):
    records = fixture_records()

    def changed(perturbation) -> set[int]:
        perturbed = noise.perturbed(records, perturbation, seed=1)
        assert perturbed == noise.perturbed(records, perturbation, seed=1), "deterministic"
        assert [(r["id"], r["story"]) for r in perturbed] == [(r["id"], r["story"]) for r in records]
        return {index for index, (a, b) in enumerate(zip(records, perturbed, strict=True)) if a != b}

    half = changed(noise.html_page)
    assert len(half) == len(records) // 2
    for name, perturbation in noise.PERTURBATIONS.items():
        assert perturbation.__doc__, f"{name} says which feed does this"
        # mojibake leaves an ASCII text as it is, a teaser a text under 150 words
        assert changed(perturbation) == half or name in ("mojibake", "teaser_150_words"), name
        assert changed(perturbation) <= half, name


def test_the_table_compares_a_perturbed_run_with_the_clean_one():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "noise_robustness.py"), "--input", str(FIXTURE)]
        + ["--only", "mojibake"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [row[0] for row in rows[1:]] == ["| clean", "| mojibake"]
    # The change against the clean run, row by row (the fixture's stories keep their pairs).
    assert rows[2][5:] == ["+0.000"] * 4 + ["+0", "+0 |"]


def test_whole_pages_with_a_comment_section_give_the_tables_of_the_clean_feed(noise, tmp_path):
    """The seeds as scraped pages (benchmarks/noise_robustness.py: a comment section under each
    story, then the whole page around it: title, menu, footer of "Privacy Policy", "Terms of
    Use", "Contact Us" links) give the stories, representative texts and unique sentences of
    the clean seeds: no footer link, user name, "3 hours ago", "Reply" or reply reaches them."""
    clean = list(seed_rows())
    # Each article its own comments (a seeded choice per article), as on real pages.
    scraped = [
        noise.html_page(noise.related_and_comments(row, random.Random(index)), random.Random(index))
        for index, row in enumerate(clean)
    ]
    assert tables_of_a_run(scraped, tmp_path / "scraped") == tables_of_a_run(clean, tmp_path / "clean")
