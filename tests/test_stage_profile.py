"""The per-stage profiler (benchmarks/stage_profile.py) on the small fixture, in a subprocess."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

_ROW = re.compile(
    r"^\| (?P<name>.+?) \| (?P<seconds>[\d.]+) "
    r"\| (?P<start>[\d.]+) -> (?P<peak>[\d.]+) -> [\d.]+ \| [\d,]+ \|$"
)


def test_stage_profile_times_every_fused_stage_of_a_real_run(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "stage_profile.py"),
            "--input",
            str(ROOT / "tests" / "data" / "fixture" / "articles.jsonl"),
            "--output",
            str(tmp_path / "out"),
            "--min-seconds",
            "0",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    rows = [match for line in done.stdout.splitlines() if (match := _ROW.match(line))]
    names = " ".join(row["name"] for row in rows)
    for step in ("Read", "Detect/Dedupe", "Detect/MatchInWindows", "Detect/Describe", "Write/Write clusters"):
        assert step in names
    assert all(float(row["start"]) <= float(row["peak"]) for row in rows)
    summary = re.search(r"^(\d+) stages, ([\d.]+) s in stages", done.stdout, re.MULTILINE)
    assert summary and int(summary.group(1)) == len(rows) > 20
    assert "23 articles" in done.stdout
    assert (tmp_path / "out" / "clusters").is_dir()
