"""The noise benchmark (benchmarks/noise_robustness.py): its perturbations, and a real run."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

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
