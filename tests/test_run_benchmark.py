"""benchmarks/run_benchmark.py: a measurement whose worker fails says why and fails the command."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run_benchmark(tmp_path, *flags: str, workdir=None, timeout: int = 300) -> subprocess.CompletedProcess:
    """benchmarks/run_benchmark.py with ``flags``, its work folder and results file in ``tmp_path``."""
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_benchmark.py"),
            *flags,
            "--workdir",
            str(workdir or tmp_path / "work"),
            "--results",
            str(tmp_path / "results.json"),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_failed_measurement_prints_its_cause_and_exits_1(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "out-10-in_process").write_text("a file where the run's output folder goes")
    done = run_benchmark(
        tmp_path, *("--sizes", "10", "--modes", "in_process", "--skip-baseline", "--skip-stages")
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pipeline_in_process" in done.stdout and "is a file, not a folder" in done.stdout
    assert "1 measurement(s) failed: pipeline_in_process at 10" in done.stderr
    assert (tmp_path / "results.json").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--config", "missing.toml"], "config file not found"),
        (["--set", "bogus.key=1"], "bogus: unknown section"),
        (["--modes", "--set", "cluster.threshold=2"], "cluster.threshold"),  # no run would check it
        (["--modes", "backfill", "--days-per-run", "0"], "days from 1 to 366"),
    ],
)
def test_a_bad_setting_is_a_usage_error_before_any_measurement(tmp_path, flags, message):
    # Found by the first pipeline run before, after the corpus and the baseline (minutes at
    # 100,000 articles); with --modes and no value, never.
    done = run_benchmark(tmp_path, "--sizes", "10", *flags, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "results.json").exists()


def test_results_named_by_a_folder_go_to_a_file_in_it(tmp_path):
    # An IsADirectoryError after the first size's measurements, which were lost.
    folder = tmp_path / "results"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run_benchmark.py"), "--sizes", "10", "--modes"]
        + ["--skip-stages", "--workdir", str(tmp_path / "work"), "--results", str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (written,) = folder.glob("*.json")
    assert json.loads(written.read_text())["sizes"]["10"]["baseline"]["status"] == "ok"


@pytest.mark.parametrize(
    "flags",
    [
        ["--sizes", "0"],  # crashed with KeyError: 'articles_per_second' after generating nothing
        ["--sizes", "2000", "-5"],
        ["--sizes", "10", "--stage-sizes", "0"],
        ["--sizes", "10", "--timeout", "nan"],  # never fired
        ["--sizes", "10", "--timeout", "0"],
        ["--sizes", "10", "--memory-limit-gb", "nan"],  # crashed: cannot convert float NaN to integer
        ["--sizes", "10", "--stage-budget", "-1"],
    ],
)
def test_a_size_or_limit_that_is_not_above_zero_is_a_usage_error(tmp_path, flags):
    done = run_benchmark(tmp_path, *flags, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "expected a" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "work").exists() and not (tmp_path / "results.json").exists()


@pytest.mark.parametrize("cause", ["failed", "timeout"])
def test_a_corpus_not_written_stops_its_size_and_fails_the_command(tmp_path, cause):
    """Before, the baseline and the pipeline went on with a missing or partial corpus ("corpus: None
    articles in None stories"), and a corpus that timed out left the exit status 0."""
    work = tmp_path / "work"
    flags = ["--timeout", "0.001"] if cause == "timeout" else []
    if cause == "failed":
        (work / "synthetic-10-seed1.jsonl").mkdir(parents=True)  # the generator cannot open it
    done = run_benchmark(
        tmp_path, "--sizes", "10", "--modes", "in_process", "--skip-stages", *flags, workdir=work
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"corpus                       {cause}" in done.stdout, done.stdout
    assert "None articles" not in done.stdout
    assert "baseline" not in done.stdout.split("== 10 articles ==")[1]
    assert "1 measurement(s) failed: corpus at 10" in done.stderr
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert list(results["sizes"]["10"]) == ["corpus"]


def _run_benchmark_module():
    spec = importlib.util.spec_from_file_location("run_benchmark", ROOT / "benchmarks" / "run_benchmark.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_stopped_run_is_not_given_its_last_log_line_as_cause():
    """A timeout printed 'timeout after 1 s: WARNING:root:apitools not found, ...' as if Beam's
    start-up warning had stopped it; a failure still names the exception."""
    line = _run_benchmark_module()._line
    log = "WARNING:root:apitools not found, and bigquery client libraries are not available\n"
    for status in ("timeout", "memory_limit"):
        printed = line(
            "pipeline_in_process", {"status": status, "process_wall_seconds": 1, "stderr_tail": log}
        )
        assert printed.endswith(f"{status} after 1 s"), printed
    failed = {
        "status": "failed (exit 1)",
        "process_wall_seconds": 2,
        "stderr_tail": log + "ValueError: bad\n",
    }
    assert line("baseline", failed).endswith("failed (exit 1) after 2 s: ValueError: bad")


def test_the_scaling_summary_names_the_memory_figure_it_gives():
    """It gave the tree's summed RSS under the name peak_rss_mb, which every run's own entry and
    line use for the largest process's peak: 1706 MB beside a run printed as 'peak 755 MB'."""
    run = {"status": "ok", "seconds": 10.0, "peak_rss_mb": 755.3, "peak_tree_rss_mb": 1706.2}
    sizes = {
        "1000": {"pipeline_multi_processing": {**run, "seconds": 5.0}},
        "2000": {"pipeline_multi_processing": run},
    }
    scaling = _run_benchmark_module()._scaling(sizes)
    assert scaling["pipeline_multi_processing_time_ratio"] == 2.0
    assert scaling["pipeline_multi_processing_peak_tree_rss_mb_at_2000"] == 1706.2
    assert "pipeline_multi_processing_peak_rss_mb_at_2000" not in scaling


def test_the_quality_figures_are_kept_exact_for_the_tables_three_decimals():
    """F1 0.98449 was stored as 0.9845 and printed as 0.985 (rounded twice)."""
    from pipeline.metrics import evaluate_clustering

    truth = {f"a{i}": f"s{i // 3}" for i in range(30)}
    predicted = {**truth, "a0": "s9"}  # one article moved: F1 56 / 61 = 0.91803...
    evaluation = evaluate_clustering(truth, predicted)
    summary = _run_benchmark_module()._summary(evaluation)
    assert summary["f1"] == evaluation["pairwise"]["f1"] and summary["ari"] == evaluation["ari"]
    assert round(summary["f1"], 4) != summary["f1"]  # the case that was rounded


def test_a_stage_budget_spent_before_the_first_story_still_times_a_sample(tmp_path):
    """With no story described, the describe time (a few microseconds) was divided by a share of
    1e-9: 1,000,000 s 'extrapolated' at 1,000 articles."""
    from pipeline.synth import write_jsonl

    corpus = tmp_path / "synthetic.jsonl"
    write_jsonl(corpus, 60, seed=2)
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_benchmark.py"),
            "_worker",
            "stages",
            "--corpus",
            str(corpus),
            "--stage-budget",
            "0.000001",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    result = json.loads(line[len("RESULT ") :])
    assert result["counts"]["stories_described"] >= 1
    describe = next(stage for stage in result["stages"] if stage["stage"].startswith("describe"))
    assert describe["seconds"] < 60, describe


def test_every_option_with_a_default_says_it_in_its_help():
    # --sizes, --seed, --modes, --memory-limit-gb and --stage-budget did not: without --sizes a
    # newcomer started runs of 10,000 and 100,000 articles with nothing in --help to say so.
    parser = _run_benchmark_module().build_parser()
    silent = [
        action.option_strings[0]
        for action in parser._actions
        if action.default not in (None, False, [], argparse.SUPPRESS) and "default" not in (action.help or "")
    ]
    assert silent == []
