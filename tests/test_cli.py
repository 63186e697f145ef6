"""The command line's answers to bad usage: one line on stderr that names the problem, exit
status 2, no traceback; and a reader that goes away early (``| head``) is no error."""

from __future__ import annotations

import importlib.metadata
import json
import re
import signal
import subprocess
import sys

import pytest

from pipeline import cli, publish
from pipeline.read import _SUFFIX_KINDS
from pipeline.run import unknown_beam_args
from tests.conftest import ROOT, SEEDS, SIGNAL_IN_A_STAGE

RUN_DATE = "2025-08-19"
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
    ("args", "unknown"),
    [
        (["run", "--inputs", "x.jsonl"], "--inputs x.jsonl"),
        (["run", "--run-data", RUN_DATE], f"--run-data {RUN_DATE}"),
        (["--input", str(SEEDS), "--outptu", "elsewhere"], "--outptu elsewhere"),  # `run` implied
        (["backfill", "--input", str(SEEDS), "--days-per-rn", "7"], "--days-per-rn 7"),
        (["run", "--direct_num_worker=2"], "--direct_num_worker=2"),  # Beam's flags are not abbreviated
    ],
)
def test_a_flag_neither_storymatch_nor_beam_knows_is_an_error(capsys, tmp_path, args, unknown):
    output = tmp_path / "out"
    status, out, err = storymatch_in_process(capsys, *args, "--output", str(output))
    assert status == 2 and out == ""
    command = "run" if args[0].startswith("-") else args[0]
    assert err.startswith(f"usage: storymatch {command} "), "the command's usage, not storymatch's"
    assert f"storymatch {command}: error: unrecognized arguments: {unknown} (neither storymatch" in err
    assert not output.exists(), "nothing ran"


@pytest.mark.parametrize("args", [["qurey", "SELECT 1"], ["reprot", "--output", "out"], ["seeds"]])
def test_a_mistyped_command_is_named_as_one(capsys, tmp_path, monkeypatch, args):
    # Read as `run` with unknown flags, it was blamed on Apache Beam and the run command.
    monkeypatch.chdir(tmp_path)
    status, out, err = storymatch_in_process(capsys, *args)
    assert status == 2 and out == ""
    assert f"storymatch: error: argument COMMAND: invalid choice: '{args[0]}' (choose from 'run'" in err
    assert "Apache Beam" not in err
    assert not (tmp_path / "out").exists(), "nothing ran"


def test_version_prints_the_installed_version(capsys):
    # It was read as `run --version` and refused as a flag that neither storymatch nor Beam knows.
    status, out, err = storymatch_in_process(capsys, "--version")
    assert (status, err) == (0, "")
    assert out == f"storymatch {importlib.metadata.version('storymatch')}\n"


@pytest.mark.parametrize("command", ["run", "backfill", "eval"])
def test_input_help_names_every_file_type_the_reader_reads(capsys, command):
    # It named .txt, .jsonl and .parquet only: .ndjson, .json and gzip looked unsupported (eval's
    # named JSON Lines and Parquet only, where the README runs it on the seeds' .txt folder).
    status, out, _ = storymatch_in_process(capsys, command, "--help")
    text = " ".join(out.split())
    assert status == 0
    for suffix in _SUFFIX_KINDS:
        assert all(part in text for part in suffix.split(".")[1:]), suffix


@pytest.mark.parametrize("command", cli.COMMANDS)
def test_each_command_help_opens_with_a_sentence_that_says_what_it_does(capsys, command):
    # report's opened with its one-line summary, lower case and without a full stop.
    with pytest.raises(SystemExit) as stopped:
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    description = " ".join(out.split("\n\n")[1].split())
    assert stopped.value.code == 0
    assert description[0].isupper() and description.endswith("."), description


def test_eval_refuses_unknown_flags_too(capsys):
    status, _, err = storymatch_in_process(capsys, "eval", "--input", str(SEEDS), "--min-precison", "0.9")
    assert status == 2 and "unrecognized arguments: --min-precison 0.9" in err


@pytest.mark.parametrize(
    "beam_args",
    [
        ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
        ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"],
        ["--runner=DataflowRunner", "--project=P", "--region=europe-west1", "--temp_location=gs://B/tmp"]
        + ["--extra_package=dist/storymatch-0.1.0-py3-none-any.whl"],
        ["--runner=FlinkRunner", "--flink_master=flink-host:8081", "--environment_type=EXTERNAL"]
        + ["--environment_config=localhost:50000", "--extra_package=dist/storymatch-0.1.0-py3-none-any.whl"]
        + ["--s3_region_name=eu-west-1"],
        ["--runner", "SparkRunner", "--spark_master_url", "spark://spark-host:7077"]
        + ["--hdfs_host=namenode", "--hdfs_port=9870", "--hdfs_user=storymatch"]
        + ["--environment_type=EXTERNAL", "--environment_config=localhost:50000"]
        + ["--temp_location=hdfs://tmp/storymatch", "--extra_package=dist/storymatch-0.1.0-py3-none-any.whl"],
    ],
    ids=["direct", "portable", "dataflow", "flink", "spark"],
)
def test_beams_own_flags_are_known(beam_args):
    assert unknown_beam_args(beam_args) == []


def test_beams_flags_still_reach_beam(capsys, tmp_path):
    output = tmp_path / "out"
    args = ["run", "--output", str(output), "--run-date", RUN_DATE, "--direct_num_workers=2"]
    status, out, err = storymatch_in_process(capsys, *args, "--direct_running_mode=multi_threading")
    assert (status, err) == (0, "")
    assert "articles kept      5" in out


def test_the_summary_counts_the_scored_pairs_apart_from_the_lsh_candidates(capsys, tmp_path):
    # With 10 salient terms the fixture's stories have pairs LSH did not propose, scored inside
    # their linked groups: the summary called all 35 rows of pairs "candidate pairs", though
    # LSH proposed 20.
    fixture = ROOT / "tests" / "data" / "fixture" / "articles.jsonl"
    output = tmp_path / "out"
    args = ("run", "--input", str(fixture), "--output", str(output), "--run-date", RUN_DATE)
    args += ("--set", "features.salient_terms=10")
    status, out, err = storymatch_in_process(capsys, *args)
    assert (status, err) == (0, "")
    manifest = json.loads((output / "_runs" / f"run_date={RUN_DATE}" / "manifest.json").read_text())
    candidates, rows = manifest["counters"]["lsh/candidates"], manifest["row_counts"]["pairs"]
    assert candidates < rows
    assert f"  scored pairs       {rows} ({candidates} LSH candidates, 128 bands x 1 row; " in out
    assert "candidate pairs" not in out


def test_an_output_or_state_folder_that_is_a_file_fails_before_the_run(capsys, tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    status, _, err = storymatch_in_process(capsys, "run", "--output", str(a_file))
    assert (status, err) == (2, f"storymatch: error: the output folder {a_file} is a file, not a folder\n")
    status, _, err = storymatch_in_process(capsys, "run", "--output", str(a_file / "out"))
    assert status == 2 and f"cannot be made: {a_file} is a file" in err
    output = tmp_path / "out"
    for command in ("run", "backfill"):
        args = [command, "--input", str(SEEDS), "--output", str(output), "--state", str(a_file)]
        status, _, err = storymatch_in_process(capsys, *args)
        assert (status, err) == (2, f"storymatch: error: the state folder {a_file} is a file, not a folder\n")
        assert not output.exists(), "nothing staged, nothing published"


def test_a_state_folder_among_the_output_s_tables_fails_before_the_run(capsys, tmp_path):
    """--state out/articles published the state's anchors over the articles partition, and
    --state out/_staging was removed by the next run's recovery as a leftover."""
    output = tmp_path / "out"
    for state_dir, where in (
        (output / "articles", f"is inside the output folder {output}"),
        (output / "_staging", f"is inside the output folder {output}"),
        (output / "_state" / "mine", f"is inside the output folder {output}"),
        (output, "is the output folder"),
    ):
        for command in ("run", "backfill"):
            args = [command, "--input", str(SEEDS), "--output", str(output), "--state", str(state_dir)]
            status, _, err = storymatch_in_process(capsys, *args)
            expected = (
                f"storymatch: error: the state folder {state_dir} {where}, where runs write their tables: "
                f"leave --state out (the state is then {output / '_state'}), or name a folder outside it"
            )
            assert (status, err.splitlines()[-1]) == (2, expected)
            assert not output.exists(), "nothing staged, nothing published"
    # Its own _state, named, is the default's; a folder beside the output is another's.
    for state_dir in (output / "_state", tmp_path / "state"):
        args = [
            "--input",
            str(SEEDS),
            "--output",
            str(output),
            "--state",
            str(state_dir),
            "--run-date",
            RUN_DATE,
        ]
        status, _, _ = storymatch_in_process(capsys, "run", *args)
        assert status == 0 and (state_dir / f"run_date={RUN_DATE}").is_dir()


def test_a_publish_that_cannot_be_finished_is_a_one_line_failure(capsys, tmp_path):
    output = tmp_path / "out"
    staging = output / publish.STAGING / "run1"
    (staging / "state").mkdir(parents=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    moves = [[str(staging / "state"), str(a_file / f"run_date={RUN_DATE}")]]
    (staging / publish.JOURNAL).write_text(json.dumps({"moves": moves, "markers": []}))
    status, out, err = storymatch_in_process(capsys, "run", "--output", str(output), "--run-date", RUN_DATE)
    assert status == 1 and out == ""
    assert err.startswith("storymatch: failed: cannot finish publishing run run1: ") and err.count("\n") == 1
    assert not (output / "articles").exists(), "the run did not start"


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


@pytest.mark.parametrize("flag", ["--unique-gold", "--msrp"])
@pytest.mark.parametrize(
    ("line", "problem"), [("{oops", "not valid JSON"), ("[1, 2]", "expected a JSON object")]
)
def test_eval_files_with_a_bad_line_name_the_file_and_line(capsys, tmp_path, flag, line, problem):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n")
    extra = ["--unique-gold", str(SEEDS_GOLD)] if flag == "--msrp" else []
    status, _, err = storymatch_in_process(capsys, "eval", "--input", str(SEEDS), *extra, flag, str(bad))
    assert status == 2
    assert err.splitlines()[-1].startswith(f"storymatch: error: {bad}:1: {problem}")


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


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["cluster.threshold=0.2", "cluster.threshold=0.3"],
            "--set cluster.threshold: given twice ('0.2', then '0.3'); set each setting once",
        ),
        ([".threshold=0.2"], "--set '.threshold=0.2': expected section.key=value"),
    ],
    ids=["same-key-twice", "no-section"],
)
def test_set_values_that_say_nothing_clear_are_usage_errors(capsys, tmp_path, overrides, message):
    # Which of two values a run used would be a guess: refused, as TOML refuses a key given twice.
    output = tmp_path / "o"
    flags = [flag for item in overrides for flag in ("--set", item)]
    status, _, err = storymatch_in_process(
        capsys, "run", "--input", str(SEEDS), "--output", str(output), *flags
    )
    assert status == 2 and err.splitlines()[-1].startswith(f"storymatch: error: {message}")
    assert not output.exists()


def test_a_set_value_that_the_shell_split_off_is_named_in_the_error(capsys, tmp_path):
    """`--set output.compression= zstd`, unquoted, is two words: an empty --set value and an
    argument nobody knows, refused without a word about the space."""
    output = tmp_path / "o"
    status, _, err = storymatch_in_process(
        capsys, "run", "--output", str(output), "--set", "output.compression=", "zstd"
    )
    assert status == 2 and "unrecognized arguments: zstd (neither storymatch run" in err
    assert err.rstrip().endswith(
        "; --set output.compression= has no value: write it after '=' without a space, "
        "--set output.compression=VALUE"
    )
    assert not output.exists()


def test_a_reader_that_goes_away_is_no_error(tmp_path):
    output = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--output", str(output), "--run-date", RUN_DATE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `storymatch run | head -0`
    errors = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0 and errors == ""
    assert (output / "_runs" / f"run_date={RUN_DATE}" / "_SUCCESS").exists()


@pytest.mark.parametrize("verbose", [False, True], ids=["quiet", "verbose"])
def test_beams_worker_processes_log_only_with_verbose(tmp_path, verbose):
    """The worker processes of multi_processing mode log onto the command's stderr. They got
    no pipeline options, so they logged at Beam's default, INFO: some forty lines from two
    workers on the seeds, though Beam's own logs are hidden without --verbose."""
    command = [sys.executable, "-m", "pipeline.cli", "run", "--output", str(tmp_path / "out")]
    command += ["--run-date", RUN_DATE, "--direct_num_workers=2", "--direct_running_mode=multi_processing"]
    done = subprocess.run(
        command + (["--verbose"] if verbose else []), cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    if verbose:
        assert "Python sdk harness starting." in done.stderr
    else:
        # A worker logs this one line before it has read its options.
        info = [
            line
            for line in done.stderr.splitlines()
            if "INFO" in line and "Logging handler created" not in line
        ]
        assert info == []


def test_the_commands_own_warnings_are_shown_without_verbose(tmp_path):
    """The run's warnings are for the operator; they were hidden with Beam's logs."""
    output = tmp_path / "out"
    (output / publish.STAGING / "20250819T000000-abandoned").mkdir(parents=True)  # a killed run's
    command = [sys.executable, "-m", "pipeline.cli", "run", "--output", str(output), "--run-date", RUN_DATE]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    expected = "WARNING recovery: removed the staging folder of unfinished run 20250819T000000-abandoned"
    assert done.stderr.splitlines() == [expected]


@pytest.mark.parametrize("flag", ["--output", "--state"])
def test_an_output_or_state_folder_on_an_object_store_fails_before_the_run(
    capsys, tmp_path, monkeypatch, flag
):
    """Publishing renames local folders: ``gs://b/out`` would be read as a local folder
    ``gs:/b/out`` while the workers write the tables into the bucket, and the run would fail
    only after computing everything, with "input records != articles + rejects"."""
    monkeypatch.chdir(tmp_path)
    args = ["run", "--input", str(SEEDS), "--run-date", RUN_DATE, "--output", str(tmp_path / "out")]
    args += [flag, "gs://bucket/storymatch"]
    status, out, err = storymatch_in_process(capsys, *args)
    assert status == 2 and out == ""
    expected = f"storymatch: error: the {flag[2:]} folder gs://bucket/storymatch is not a local folder"
    assert err.startswith(expected)
    assert not (tmp_path / "gs:").exists(), "no local folder named after the URL"


def test_run_without_input_outside_the_repository_says_the_seeds_are_the_default(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no seeds folder here
    status, out, err = storymatch_in_process(capsys, "run", "--output", str(tmp_path / "out"))
    assert status == 2 and out == ""
    assert err.startswith("storymatch: error: no --input given and no seeds folder here")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists(), "nothing ran"


@pytest.mark.parametrize("command", ["query", "report"])
def test_a_viewer_command_names_its_own_help_for_an_unknown_flag(capsys, command):
    status, out, err = storymatch_in_process(capsys, command, "--outptu=x")
    assert status == 2 and out == ""
    assert err.startswith(f"usage: storymatch {command} ")
    assert f"unrecognized arguments: --outptu=x (see storymatch {command} --help)" in err


@pytest.mark.parametrize("command", ["query", "report"])
def test_a_viewer_command_on_an_object_store_says_it_reads_local_folders(capsys, command):
    # It said "no output folder at gs://bucket/out (write one with: storymatch run --output
    # gs://bucket/out)", a run that is refused.
    status, out, err = storymatch_in_process(capsys, command, "--output", "gs://bucket/out")
    assert (status, out) == (2, "")
    assert err.startswith("storymatch: error: gs://bucket/out is not a local folder: ")
    assert "storymatch run --output gs://" not in err and err.count("\n") == 1


def test_eval_json_that_cannot_be_written_is_a_usage_error(capsys, tmp_path):
    """``--json`` naming a folder, or a file in a missing folder, fails before the evaluation; one
    that fails when written (a link into a missing folder) fails after it with one line, not a
    traceback."""
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "missing" / "e.json")
    cases = [
        (tmp_path, f"--json: cannot write {tmp_path}: it is a folder", False),
        (
            tmp_path / "missing" / "e.json",
            f"--json: cannot write {tmp_path / 'missing' / 'e.json'}: no folder",
            False,
        ),
        (link, f"--json: cannot write {link}: No such file", True),
    ]
    for path, message, evaluated in cases:
        args = ["eval", "--input", str(SEEDS), "--unique-gold", str(SEEDS_GOLD), "--json", str(path)]
        status, out, err = storymatch_in_process(capsys, *args)
        assert status == 2 and "Traceback" not in err
        assert err.splitlines()[-1].startswith(f"storymatch: error: {message}")
        assert ("precision" in out) == evaluated


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--output", ""],
        ["backfill", "--input", str(SEEDS), "--output", ""],
        ["run", "--state", ""],
        ["backfill", "--input", str(SEEDS), "--state", ""],
        ["run", "--config", ""],
        ["eval", "--input", str(SEEDS), "--config", ""],
    ],
    ids=["run-output", "backfill-output", "run-state", "backfill-state", "run-config", "eval-config"],
)
def test_an_empty_path_is_a_usage_error(capsys, tmp_path, monkeypatch, args):
    """An empty --output was a FileNotFoundError traceback; an empty --config or --state (a
    `--config "$UNSET"`) ran silently with the default."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seeds").symlink_to(SEEDS)
    flag = args[-2]
    status, out, err = storymatch_in_process(capsys, *args, "--run-date", RUN_DATE)
    assert status == 2 and "Traceback" not in err
    assert err.splitlines()[-1].endswith(f"error: argument {flag}: expected a path, got ''")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["seeds"], "nothing ran"


@pytest.mark.parametrize("command", ["run", "backfill"])
def test_a_run_date_before_1900_is_a_usage_error(capsys, tmp_path, command):
    """A run reads the state of the days before its date: --run-date 0001-01-05 (a mistyped
    year) crashed with 'OverflowError: date value out of range'."""
    output = tmp_path / "out"
    args = [command, "--input", str(SEEDS), "--output", str(output), "--run-date", "0001-01-05"]
    status, out, err = storymatch_in_process(capsys, *args)
    assert status == 2 and "Traceback" not in err
    assert err.splitlines()[-1].endswith(
        "argument --run-date/--run_date: expected a date from 1900-01-01 on, got '0001-01-05'"
    )
    assert not output.exists(), "nothing ran"


@pytest.mark.parametrize("value", ["nan", "1.5", "high"])
@pytest.mark.parametrize("flag", ["--min-precision", "--min-ari"])
def test_a_quality_gate_that_no_figure_could_fail_or_pass_is_a_usage_error(capsys, flag, value):
    """--min-precision nan passed every evaluation (no figure is < NaN)."""
    status, _, err = storymatch_in_process(capsys, "eval", "--input", str(SEEDS), flag, value)
    assert status == 2 and "Traceback" not in err
    assert err.splitlines()[-1].endswith(f"argument {flag}: expected a number from -1 to 1, got '{value}'")


@pytest.mark.parametrize(
    ("args", "flag", "expected"),
    [
        (("eval", "--input", str(SEEDS)), "--all-pairs-limit", "a number of articles >= 0"),
        (("query", "--output", "out"), "--max-rows", "a number of rows >= 0"),
        (("query", "--output", "out"), "--max-width", "a number of characters >= 0"),
        (("report", "--output", "out"), "--max-stories", "a number of stories >= 0"),
    ],
)
def test_a_negative_count_is_a_usage_error(capsys, args, flag, expected):
    """--max-rows -1 and --all-pairs-limit -1 were taken without a word: a count is 0 or more."""
    status, _, err = storymatch_in_process(capsys, *args, flag, "-1")
    assert status == 2 and "Traceback" not in err
    assert err.splitlines()[-1].endswith(f"argument {flag}: expected {expected}, got '-1'")


def test_the_summary_counts_one_row_as_a_row(capsys, tmp_path):
    status, out, _ = storymatch_in_process(
        capsys, "run", "--output", str(tmp_path / "out"), "--run-date", RUN_DATE
    )
    assert status == 0
    assert re.search(r"^  clusters +\S+/\*\.parquet \(1 row\)$", out, re.MULTILINE), out
    assert re.search(r"^  articles +\S+/\*\.parquet \(5 rows\)$", out, re.MULTILINE), out


def test_the_summary_counts_records_read_malformed_ones_too(capsys, tmp_path):
    """The summary's first count, the records read, was labelled "articles read" though it
    counts the malformed lines too, as the report's "of N records read" does."""
    inputs = tmp_path / "in.jsonl"
    article = {"id": "a1", "outlet": "Gazette", "text": "The council approved the budget on Tuesday."}
    inputs.write_text(json.dumps(article) + '\n{"id": "broken", "text": \n', encoding="utf-8")
    status, out, _ = storymatch_in_process(
        capsys, "run", "--input", str(inputs), "--output", str(tmp_path / "out"), "--run-date", RUN_DATE
    )
    assert status == 0
    counts = "\n  records read       2\n  articles kept      1\n  rejected           1 (malformed_json 1;"
    assert counts in out, out


def test_the_summary_says_why_records_were_rejected(capsys, tmp_path):
    """A misspelt ``columns.text`` rejects every record of a JSON Lines file: the run kept
    nothing, and the summary said only "rejected 3" (the reasons were in the rejects table)."""
    inputs = tmp_path / "in.jsonl"
    rows = [{"id": f"a{n}", "body": "The council approved the budget on Tuesday."} for n in range(3)]
    rows.append({"id": "a3", "text": ""})
    inputs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    status, out, _ = storymatch_in_process(
        capsys, "run", "--input", str(inputs), "--output", str(tmp_path / "out"), "--run-date", RUN_DATE
    )
    assert status == 0
    expected = "\n  rejected           4 (missing_text 3, empty_text 1; the rejects table says why each)\n"
    assert expected in out, out


def test_the_summary_counts_dates_it_could_not_read(capsys, tmp_path):
    """A date column in a format the reader does not take left every such article undated,
    outside the time windows, and the summary said nothing: only the manifest's counter did."""
    inputs = tmp_path / "in.csv"
    inputs.write_text(
        "id,text,published_at\n"
        "a1,The council approved the budget on Tuesday.,2025-08-19 10:00\n"
        "a2,The council approved the budget on Tuesday night.,08/19/2025 10:00\n"
        "a3,The council approved the budget late on Tuesday.,2025.0\n",
        encoding="utf-8",
    )
    status, out, _ = storymatch_in_process(
        capsys, "run", "--input", str(inputs), "--output", str(tmp_path / "out"), "--run-date", RUN_DATE
    )
    assert status == 0
    # A year column mapped to published_at was read as epoch seconds, 1970-01-01 00:33:45,
    # without a word; it is unparseable, and the summary says why.
    expected = (
        "\n  rejected           0\n  unparseable dates  2 (1 a bare year such as 2016, not a time; "
        "published_at left null; README's Inputs"
    )
    assert expected in out, out
    assert "counted as read" not in out
    # The reader counts a date before the dedupe rejects its record: the line says so.
    with inputs.open("a", encoding="utf-8") as more:
        more.write("a2,The same id again.,someday\n")
    status, out, _ = storymatch_in_process(
        capsys, "run", "--input", str(inputs), "--output", str(tmp_path / "again"), "--run-date", RUN_DATE
    )
    assert status == 0 and "rejected           1 (duplicate_id 1;" in out
    assert "unparseable dates  3 (" in out
    assert "; counted as read: the 1 record rejected after reading may be among them)" in out, out


def test_the_sigterm_handler_is_only_the_commands_own(capsys, tmp_path):
    """main turns SIGTERM into a clean-up and exit 143 while a command runs (test_runners);
    a program that calls main, such as this test run, gets its own handler back."""
    before = signal.getsignal(signal.SIGTERM)
    assert cli.main(["run", "--output", str(tmp_path / "out"), "--set", "lsh.num_perm=0"]) == cli.EXIT_USAGE
    assert signal.getsignal(signal.SIGTERM) is before
    capsys.readouterr()


@pytest.mark.parametrize(
    ("signal_name", "status", "message"),
    [("SIGTERM", 143, "storymatch: stopped by SIGTERM"), ("SIGINT", 130, "storymatch: interrupted")],
)
def test_a_signal_while_a_stage_runs_is_a_stop_not_a_failure(tmp_path, signal_name, status, message):
    """The in-process runner spends a run in its stages, where Beam re-raised the SIGTERM
    (Airflow stopping the task, `timeout`) or Ctrl-C as a RuntimeError: the command logged
    Beam's traceback, said `storymatch: failed: pipeline.cli.Terminated [while running ...]`
    and exited 1, as for a broken run. It is now the stop that it is: one line, 143 or 130."""
    output = tmp_path / "out"
    command = [sys.executable, "-c", SIGNAL_IN_A_STAGE, signal_name, "run", "--input", str(SEEDS)]
    command += ["--output", str(output), "--run-date", RUN_DATE]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == status, result.stderr
    assert result.stderr.splitlines()[-1].startswith(message), result.stderr
    assert "Traceback" not in result.stderr and "failed" not in result.stderr
    assert not (output / "articles").exists(), "nothing published"
