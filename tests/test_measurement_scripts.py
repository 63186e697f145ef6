"""The measurement scripts in benchmarks/: a bad input, value or missing optional package is
one line and exit status 2, as storymatch says it, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


def script(name: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_one_line_error(done: subprocess.CompletedProcess, name: str, message: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith(f"{name}: error: ")]
    assert message in line


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("stage_profile.py", "matches no files"),
        ("threshold_sweep.py", "matches no files"),
        ("noise_robustness.py", "No such file or directory"),
        ("carried_copies.py", "No such file or directory"),
    ],
)
def test_a_missing_input_is_named_in_one_line(tmp_path, name, message):
    done = script(name, "--input", str(tmp_path / "missing.jsonl"))
    assert_one_line_error(done, name, message)
    assert str(tmp_path / "missing.jsonl") in done.stderr


def test_a_bad_setting_is_named_in_one_line(tmp_path):
    done = script("stage_profile.py", "--input", str(ROOT / "seeds"), "--set", "bogus.key=1")
    assert_one_line_error(done, "stage_profile.py", "bogus: unknown section")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--files", "0"], "--files must be 1 or more"),  # a FileNotFoundError after staging nothing
        (["--files", "3", "--latency-ms", "nan"], "--latency-ms must be a number, 0 or more"),
        (["--files", "3", "--latency-ms", "-5"], "--latency-ms must be a number, 0 or more"),
    ],
)
def test_remote_staging_refuses_values_it_cannot_measure(flags, message):
    assert_one_line_error(script("remote_staging.py", *flags), "remote_staging.py", message)


def test_the_sentence_model_probe_says_how_to_install_what_it_lacks(tmp_path):
    # Without safetensors and tokenizers (optional: not in the project's dependencies) it was
    # a ModuleNotFoundError traceback; without the model's files, its hint after a traceback.
    done = script("sentence_model_probe.py", "--model-dir", str(tmp_path))
    assert_one_line_error(done, "sentence_model_probe.py", "--model-dir DIR")
