"""benchmarks/run_benchmark.py: a measurement whose worker fails says why and fails the command."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_a_failed_measurement_prints_its_cause_and_exits_1(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "run_benchmark.py"),
            "--sizes",
            "10",
            "--modes",
            "in_process",
            "--skip-baseline",
            "--skip-stages",
            "--config",
            str(tmp_path / "missing.toml"),  # the pipeline worker stops at once
            "--workdir",
            str(tmp_path / "work"),
            "--results",
            str(tmp_path / "results.json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pipeline_in_process" in done.stdout and "config file not found" in done.stdout
    assert "1 measurement(s) failed: pipeline_in_process at 10" in done.stderr
    assert (tmp_path / "results.json").exists()
