"""The command line's answers to bad usage: one line on stderr that names the problem, exit
status 2, no traceback; and a reader that goes away early (``| head``) is no error."""

from __future__ import annotations

import pytest

from pipeline import cli
from tests.conftest import ROOT, SEEDS

SEEDS_GOLD = ROOT / "tests" / "data" / "seeds_unique_gold.jsonl"


def storymatch_in_process(capsys, *args: str) -> tuple[int, str, str]:
    """`storymatch ARGS` through main(), as the subprocess runs it (exit status, stdout, stderr)."""
    try:
        status = cli.main(list(args))
    except SystemExit as error:  # argparse's own usage errors
        status = error.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--unique-gold", "missing.jsonl"],
            "cannot read the unique-sentence gold file missing.jsonl: No such",
        ),
        (["--unique-gold", str(SEEDS)], f"cannot read the unique-sentence gold file {SEEDS}: Is a directory"),
        (["--unique-gold", str(SEEDS_GOLD), "--msrp", "missing.jsonl"], "cannot read the sentence-pair file"),
    ],
    ids=["gold-missing", "gold-folder", "msrp-missing"],
)
def test_eval_files_that_cannot_be_read_are_usage_errors(capsys, flags, message):
    status, _, err = storymatch_in_process(capsys, "eval", "--input", str(SEEDS), *flags)
    assert status == 2
    assert err.splitlines()[-1].startswith(f"storymatch: error: {message}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read config file"),
        (b"lsh = 5\n", "lsh: expected a table"),
        (b"[lsh]\nseed = '\xe9'\n", "line 2"),
    ],
    ids=["folder", "scalar-section", "latin-1"],
)
def test_config_files_that_cannot_be_used_are_usage_errors(capsys, tmp_path, content, message):
    path = tmp_path
    if content is not None:
        path = tmp_path / "bad.toml"
        path.write_bytes(content)
    status, _, err = storymatch_in_process(
        capsys, "run", "--config", str(path), "--output", str(tmp_path / "o")
    )
    assert status == 2 and err.startswith("storymatch: error: ") and message in err
