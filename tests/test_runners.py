"""Determinism across runners and worker counts: the same input gives the same rows and ids."""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path

import apache_beam as beam
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.io.filesystem import BeamIOError, CompressionTypes
from apache_beam.io.filesystems import FileSystems

from pipeline import cli, file_list
from pipeline import config as config_module
from pipeline import run as run_module
from pipeline.backfill import backfill
from pipeline.config import OutputConfig
from pipeline.evaluate import evaluate
from pipeline.read import InputError, resolve_inputs
from pipeline.remote import RemoteStaging, remote_temp_location
from pipeline.run import StagingError, run_job
from pipeline.write import WriteTable, shard_path
from schemas.tables import TABLES
from tests import remote_fs
from tests.conftest import ROOT, beam_test_pipeline, environment_with_temp_in

FIXTURE = ROOT / "tests" / "data" / "fixture" / "articles.jsonl"


def table_rows(output, table: str) -> list[tuple]:
    return sorted(
        duckdb.sql(f"select * from read_parquet('{output}/{table}/*/*.parquet')").fetchall(), key=repr
    )


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("default")
    run_job([str(FIXTURE)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    return output


@pytest.mark.parametrize(
    "beam_args",
    [
        ["--direct_num_workers=2", "--direct_running_mode=multi_processing"],
        ["--runner=PortableRunner", "--job_endpoint=embed", "--environment_type=LOOPBACK"],
    ],
    ids=["multi_processing-2-workers", "portable-loopback"],
)
def test_same_rows_and_ids_on_other_runners(default_run, tmp_path, monkeypatch, beam_args):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    output = tmp_path / "out"
    job = run_job([str(FIXTURE)], str(output), config_module.load(), beam_args, run_date=dt.date(2025, 8, 19))
    for table in TABLES:
        assert table_rows(output, table) == table_rows(default_run, table), table
    # The in-process runner's workers, in this process or others, share this disk: the articles
    # wait for their stories there. A portable runner's may not: they wait in its shuffle.
    articles = len(table_rows(output, "articles"))
    waited = 0 if "--runner=PortableRunner" in beam_args else articles
    assert job.counters.get("outlets/articles_waited_on_disk", 0) == waited
    # The portable runner's stager and embedded job service left three tmp* folders a run in
    # the system's temporary folder; only Beam's pip download cache, kept for the next runs, stays.
    assert [path.name for path in temp.iterdir() if path.name != "beam-requirements-cache"] == []
    if "--runner=PortableRunner" in beam_args:
        assert (temp / "beam-requirements-cache").is_dir(), "the cache stays where Beam keeps it"


def test_workers_in_other_processes_read_dates_in_the_date_order(tmp_path):
    # input.date_order travels in the reading step the workers unpickle, not in a global of
    # the process that built the pipeline.
    inputs = tmp_path / "uk.csv"
    inputs.write_text(
        "id,text,published_at\n"
        'a,"The harbour reopened on Monday after the storm.",05/01/2024 14:03\n'
        'b,"The council approved the library budget.",25/12/2024\n',
        encoding="utf-8",
    )
    config = config_module.load(overrides=["input.date_order=day_first"])
    beam_args = ["--direct_num_workers=2", "--direct_running_mode=multi_processing"]
    job = run_job([str(inputs)], str(tmp_path / "out"), config, beam_args, run_date=dt.date(2025, 1, 1))
    assert "read/unparseable_published_at" not in job.counters
    published = duckdb.sql(
        f"select article_id, published_at from read_parquet('{tmp_path}/out/articles/*/*.parquet') order by 1"
    ).fetchall()
    assert published == [
        ("a", dt.datetime(2024, 1, 5, 14, 3, tzinfo=dt.UTC)),
        ("b", dt.datetime(2024, 12, 25, tzinfo=dt.UTC)),
    ]


def test_tables_written_where_this_machine_cannot_see_them_stop_the_run_with_the_cause(tmp_path, monkeypatch):
    """On a distributed runner each worker writes the staged tables to its own disk when the
    output folder is not shared: the run must say so, not report lost records."""
    worker_disk = tmp_path / "worker-disk"
    real_write_tables = run_module.WriteTables

    def write_on_the_workers_disk(directory, config):
        return real_write_tables(str(worker_disk / os.path.basename(directory)), config)

    monkeypatch.setattr(run_module, "WriteTables", write_on_the_workers_disk)
    output = tmp_path / "out"
    with pytest.raises(StagingError, match="does not see.*every worker share"):
        run_job([str(FIXTURE)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    assert any(worker_disk.rglob("*.parquet")), "the workers did write the tables"
    assert not (output / "articles").exists(), "nothing published"


def test_inputs_the_workers_do_not_find_stop_the_run_with_the_cause(tmp_path, monkeypatch):
    """Flink or Spark workers that share the output folder but not the launching machine's
    inputs: each input was an ``unreadable_file`` reject, and the day was published without
    its articles. A file deleted while the run reads it (missing here too) is still a reject."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(FIXTURE, inputs / "a.jsonl")
    (inputs / "deleted.jsonl").write_text('{"id": "d", "text": "Kyiv agreed to talks."}\n', encoding="utf-8")
    run_with_the_inputs = beam.Pipeline.run

    def run_without_the_inputs(self, *args, **kwargs):
        (inputs / "deleted.jsonl").unlink()
        away = tmp_path / "in.away"
        inputs.rename(away)
        try:
            return run_with_the_inputs(self, *args, **kwargs)
        finally:
            away.rename(inputs)

    monkeypatch.setattr(beam.Pipeline, "run", run_without_the_inputs)
    output = tmp_path / "out"
    with pytest.raises(StagingError, match="did not find 1 of the input files that this machine reads"):
        run_job([str(inputs)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    assert not (output / "articles").exists(), "nothing published"

    def run_after_deleting_a_file(self, *args, **kwargs):
        (inputs / "deleted.jsonl").unlink()
        return run_with_the_inputs(self, *args, **kwargs)

    (inputs / "deleted.jsonl").write_text('{"id": "d", "text": "Kyiv agreed to talks."}\n', encoding="utf-8")
    monkeypatch.setattr(beam.Pipeline, "run", run_after_deleting_a_file)
    result = run_job([str(inputs)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    assert result.row_counts["rejects"] == 1 and result.row_counts["articles"] > 0


def test_a_sidecar_the_workers_do_not_find_is_a_reject_not_the_stem(tmp_path, monkeypatch):
    """Workers that see a .txt input but not its sidecar (another mount, a file moved while
    the run reads it) kept the article with its stem as outlet and title, without a word.
    Whether an article has a sidecar is decided where the inputs are listed; one the
    workers then cannot read is an ``unreadable_file`` reject that names it."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("Kyiv agreed to talks on Tuesday.", encoding="utf-8")
    (inputs / "a.json").write_text(json.dumps({"outlet": "Daily", "title": "Talks"}), encoding="utf-8")
    run_with_the_sidecar = beam.Pipeline.run

    def run_without_the_sidecar(self, *args, **kwargs):
        (inputs / "a.json").rename(tmp_path / "a.json.away")
        try:
            return run_with_the_sidecar(self, *args, **kwargs)
        finally:
            (tmp_path / "a.json.away").rename(inputs / "a.json")

    monkeypatch.setattr(beam.Pipeline, "run", run_without_the_sidecar)
    output = tmp_path / "out"
    result = run_job([str(inputs)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    assert result.row_counts == {**result.row_counts, "articles": 0, "rejects": 1}
    ((reason, detail),) = duckdb.sql(
        f"select reason, detail from read_parquet('{output}/rejects/*/*.parquet')"
    ).fetchall()
    assert reason == "unreadable_file" and str(inputs / "a.json") in detail


def test_relative_paths_do_not_depend_on_the_workers_folder(tmp_path, monkeypatch):
    """A worker of a distributed runner (Flink, Spark) runs in a folder of its own: relative
    --input, --output (the default ``out``) and state paths must not be read or written
    relative to it. Before, the input became one ``unreadable_file`` reject and the day was
    published without its articles (or the tables went into the worker's folder)."""
    launcher, worker = tmp_path / "launcher", tmp_path / "worker"
    (launcher / "in").mkdir(parents=True)
    worker.mkdir()
    lines = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)
    (launcher / "in" / "day1.jsonl").write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    (launcher / "in" / "day2.jsonl").write_text("".join(lines[len(lines) // 2 :]), encoding="utf-8")
    run_in_the_launchers_folder = beam.Pipeline.run

    def run_in_the_workers_folder(self, *args, **kwargs):
        here = os.getcwd()
        os.chdir(worker)
        try:
            return run_in_the_launchers_folder(self, *args, **kwargs)
        finally:
            os.chdir(here)

    monkeypatch.chdir(launcher)
    expected = {}
    for day, name in ((19, "day1"), (20, "day2")):
        expected[day] = run_job(
            [str(launcher / "in" / f"{name}.jsonl")],
            str(tmp_path / "absolute"),
            config_module.load(),
            run_date=dt.date(2025, 8, day),
        )
    monkeypatch.setattr(beam.Pipeline, "run", run_in_the_workers_folder)
    for day, name in ((19, "day1"), (20, "day2")):
        result = run_job([f"in/{name}.jsonl"], "out", config_module.load(), run_date=dt.date(2025, 8, day))
        assert result.row_counts == expected[day].row_counts
        assert result.row_counts["rejects"] == 0
    assert result.counters.get("state/prior_articles", 0) > 0, "the second day read the first's state"
    stories = "select article_id, cluster_id from read_parquet('{}/articles/*/*.parquet') order by 1"
    assert (
        duckdb.sql(stories.format(launcher / "out")).fetchall()
        == duckdb.sql(stories.format(tmp_path / "absolute")).fetchall()
    )
    assert not list(worker.iterdir()), "nothing written into the worker's folder"
    sources = duckdb.sql(
        f"select distinct source_file from read_parquet('{launcher}/out/articles/*/*.parquet')"
    )
    assert sorted(row[0] for row in sources.fetchall()) == ["in/day1.jsonl", "in/day2.jsonl"]


@pytest.mark.parametrize(
    ("temp_location", "max_strings_in_graph"),
    [
        ("testremote://bucket/tmp", file_list.MAX_STRINGS_IN_GRAPH),
        ("testdirs://bucket/tmp", file_list.MAX_STRINGS_IN_GRAPH),
        ("testremote://bucket/tmp", 0),
    ],
    ids=["object-store", "hdfs-like", "object-store-list-files"],
)
def test_workers_that_cannot_see_this_machines_disk_read_and_write_through_the_temp_location(
    tmp_path, monkeypatch, temp_location, max_strings_in_graph
):
    """Dataflow's workers see none of the launching machine's folders: with a remote
    --temp_location the run copies what they read there (inputs, .txt sidecars, state) and
    fetches the tables back. While the pipeline runs, the inputs and the output folder are
    moved away here, so any read or write of them by a worker fails the run.

    On a file system with folders listed one level at a time (hdfs://, as in README's Spark
    line), the tables were not fetched back: listing ``tables/**`` gave the tables' folders,
    not their files.

    With lists of files too long for the graph (here every list), the list files are written
    beside the copies, where the workers read them, and deleted with them."""
    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    days = tmp_path / "in"
    for index, path in enumerate(sorted((ROOT / "seeds").glob("*.txt"))):
        folder = days / ("day1" if index < 3 else "day2")
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder)
        (folder / f"{path.stem}.json").write_text(json.dumps({"outlet": f"Outlet {index}"}), encoding="utf-8")
    config = config_module.load()
    expected = tmp_path / "expected"
    for day in (1, 2):
        run_job([str(days / f"day{day}")], str(expected), config, run_date=dt.date(2025, 8, 18 + day))

    run_with_the_disk = beam.Pipeline.run
    output = tmp_path / "out"

    def run_without_the_disk(self, *args, **kwargs):
        moved = [(days, tmp_path / "in.away"), (output, tmp_path / "out.away")]
        for here, away in moved:
            here.rename(away)
        try:
            return run_with_the_disk(self, *args, **kwargs)
        finally:
            for here, away in moved:
                away.rename(here)

    monkeypatch.setattr(beam.Pipeline, "run", run_without_the_disk)
    monkeypatch.setattr(file_list, "MAX_STRINGS_IN_GRAPH", max_strings_in_graph)
    remote = [f"--temp_location={temp_location}"]
    for day in (1, 2):
        result = run_job(
            [str(days / f"day{day}")], str(output), config, remote, run_date=dt.date(2025, 8, 18 + day)
        )
        assert result.manifest["remote_staging"].startswith(f"{temp_location}/storymatch-")
        assert result.row_counts["rejects"] == 0
    assert result.counters.get("state/prior_articles", 0) > 0, "day 2 read day 1's state"
    assert result.counters.get("state/earlier_articles", 0) == 3, "and its articles' sentences"
    for table in TABLES:
        assert table_rows(output, table) == table_rows(expected, table), table
    assert not [path for path in (tmp_path / "bucket").rglob("*") if path.is_file()], "remote copies deleted"


def test_a_run_leaves_no_beam_temporary_folder_whether_it_succeeds_or_fails(tmp_path, monkeypatch):
    """Each Beam pipeline makes a ``beam-pipeline-temp*`` folder in the system's temporary
    folder and removes it when it runs: a run that failed before its pipeline ran (here,
    copying the inputs to a --temp_location that cannot be written) left it there."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where tempfile.mkdtemp makes it
    config = config_module.load()
    run_job([str(ROOT / "seeds")], str(tmp_path / "out"), config, run_date=dt.date(2025, 8, 19))
    assert not list(temp.glob("beam-pipeline-temp*")), "after a run"

    not_a_folder = tmp_path / "bucket"
    not_a_folder.write_text("")
    remote_fs.ROOT["folder"] = str(not_a_folder)
    with pytest.raises(OSError):
        run_job(
            [str(ROOT / "seeds")],
            str(tmp_path / "failed"),
            config,
            ["--temp_location=testremote://bucket/tmp"],
            run_date=dt.date(2025, 8, 19),
        )
    assert not list(temp.glob("beam-pipeline-temp*")), "after a failed run"


def test_a_temp_location_on_a_file_system_beam_lacks_is_refused_before_a_folder_is_made(tmp_path, capsys):
    """--temp_location=gs://... without apache-beam[gcp] was refused (exit 2) only when the run
    first copied its inputs there: the new output folder was left with _lock, _state/_lock
    and an empty _staging/<run id>."""
    output = tmp_path / "new" / "out"
    for command in (["run"], ["backfill", "--input", str(ROOT / "seeds"), "--run-date", "2025-08-19"]):
        arguments = [*command, "--output", str(output), "--temp_location=nosuchfs://bucket/tmp"]
        assert cli.main(arguments) == cli.EXIT_USAGE
        assert not (tmp_path / "new").exists(), command[0]
        error = capsys.readouterr().err
        assert "storymatch: error: --temp_location nosuchfs://bucket/tmp: Unable to get filesystem" in error


def _without(package: str, extra: str):
    """A mark: the case tells what happens without ``package`` (Beam's ``extra``), so it is
    skipped where that is installed, and only there."""
    installed = importlib.util.find_spec(package) is not None
    return pytest.mark.skipif(installed, reason=f"{package} is installed (apache-beam[{extra}])")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        # Beam has an s3:// file system without boto3, and asserts it at the first copy there.
        pytest.param(
            ["--temp_location=s3://b/tmp"],
            "--temp_location s3://b/tmp: Beam's s3:// file system needs the boto3",
            marks=_without("boto3", "aws"),
        ),
        # hdfs:// without its package is a BeamIOError, no ValueError: a traceback, as an input too.
        pytest.param(
            ["--temp_location=hdfs://tmp/x"],
            "--temp_location hdfs://tmp/x: Unable to get the Filesystem",
            marks=_without("hdfs", "hadoop"),
        ),
        pytest.param(
            ["--input", "hdfs://tmp/x.jsonl"],
            "input 'hdfs://tmp/x.jsonl' cannot be listed: Unable to get",
            marks=_without("hdfs", "hadoop"),
        ),
    ],
)
def test_a_file_system_beam_lacks_is_refused_in_one_line(tmp_path, capsys, flags, message):
    # Each was a traceback of 30 to 60 lines, after the output folder was made and locked.
    assert_refused_in_one_line(tmp_path, capsys, flags, message)


def test_a_negative_worker_count_is_refused_in_one_line(tmp_path, capsys):
    # An IndexError traceback from inside Beam's runner, after the output folder was made.
    message = "--direct_num_workers must be 0 (a worker per core) or more, got -1"
    assert_refused_in_one_line(tmp_path, capsys, ["--direct_num_workers=-1"], message)


def test_a_runner_that_cannot_start_leaves_the_folders_as_they_were(tmp_path, capsys):
    # PortableRunner without --job_endpoint fails in Beam's run(), as Dataflow without
    # --project or Flink without its job server: a new output folder was left with _lock,
    # _state/_lock and _staging/<run id>, which the next run reported as a crashed run's.
    failing = ["--runner=PortableRunner"]
    assert cli.main(["run", "--output", str(tmp_path / "new"), *failing]) == cli.EXIT_FAILED
    assert not (tmp_path / "new").exists()
    output = tmp_path / "out"
    assert cli.main(["run", "--output", str(output), "--run-date", "2025-08-19"]) == cli.EXIT_OK
    before = sorted(path.relative_to(output) for path in output.rglob("*"))
    assert cli.main(["run", "--output", str(output), "--run-date", "2025-08-20", *failing]) == cli.EXIT_FAILED
    assert sorted(path.relative_to(output) for path in output.rglob("*")) == before
    assert "You must specify a --job_endpoint" in capsys.readouterr().err


def test_a_job_service_that_cannot_be_reached_is_named(tmp_path, capsys):
    # A bare grpc.FutureTimeoutError traceback, after --job_server_timeout (300 s by default).
    flags = ["--runner=PortableRunner", "--job_endpoint=localhost:9", "--job_server_timeout=1"]
    assert cli.main(["run", "--output", str(tmp_path / "new"), *flags]) == cli.EXIT_FAILED
    assert capsys.readouterr().err.splitlines()[-1] == (
        "storymatch: failed: cannot reach the job service at localhost:9 within 1 s "
        "(--job_server_timeout): is it running there?"
    )
    assert not (tmp_path / "new").exists()


def test_a_beam_value_of_the_wrong_type_is_refused_in_one_line(tmp_path, capsys):
    # Beam's parser printed the usage of all its options first: 132 lines.
    message = "argument --direct_num_workers: invalid int value: 'abc'"
    assert_refused_in_one_line(tmp_path, capsys, ["--direct_num_workers=abc"], message)


def assert_refused_in_one_line(tmp_path, capsys, flags: list[str], message: str) -> None:
    assert cli.main(["run", "--output", str(tmp_path / "new"), *flags]) == cli.EXIT_USAGE
    error = capsys.readouterr().err
    assert error.startswith(f"storymatch: error: {message}") and len(error.splitlines()) == 1, error
    assert not (tmp_path / "new").exists()


def test_sigterm_mid_run_deletes_the_remote_staging_folder_and_exits_143(tmp_path):
    """SIGTERM is what a scheduler (Airflow, ``timeout``) sends to stop a task: the process
    died without running its ``finally`` blocks, and the copies of the inputs and state under
    --temp_location stayed there for good. It now cleans up as Ctrl-C does and says so."""
    bucket = tmp_path / "bucket"
    output = tmp_path / "out"
    launch = (
        "import sys; from tests import remote_fs; remote_fs.ROOT['folder'] = sys.argv[1]; "
        "from pipeline.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    command = [sys.executable, "-c", launch, str(bucket), "run", "--input", str(FIXTURE)]
    command += ["--output", str(output), "--run-date", "2025-08-19", "--temp_location=testremote://b/tmp"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(bucket.glob("b/tmp/storymatch-*/inputs")) and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "still running: copying its inputs, or in the pipeline"
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM
    assert "storymatch: stopped by SIGTERM" in stderr and "Traceback" not in stderr
    assert not [path for path in bucket.rglob("*") if path.is_file()], "remote copies deleted"
    assert not (output / "articles").exists(), "nothing published"
    # The next run into the folder gets its lock and removes the local staging folder left.
    run_job([str(FIXTURE)], str(output), config_module.load(), run_date=dt.date(2025, 8, 19))
    assert not (output / "_staging").exists()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_sent_to_the_command_alone_ends_its_worker_processes(tmp_path, stop):
    """``kill PID`` or a container's stop signals the command, not its multi_processing
    workers: a stop just after they started hung the command for good (Beam waits for each
    worker without a timeout), holding the output's lock; and each worker's end printed a
    traceback."""
    command = [sys.executable, "-m", "pipeline.cli", "run", "--input", str(ROOT / "seeds")]
    command += [
        "--output",
        str(tmp_path / "out"),
        "--direct_num_workers=2",
        "--direct_running_mode=multi_processing",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment_with_temp_in(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Python keeps an ignored SIGINT ignored (as a shell's background job starts).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while len(cli.descendant_pids(process.pid)) < 4 and time.time() < deadline:  # two sh -c, two workers
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # the workers have started and are connecting
    workers = cli.descendant_pids(process.pid)
    process.send_signal(stop)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in [process.pid, *cli.descendant_pids(process.pid)]:
            os.kill(pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("the command hung after the stop")
    assert process.returncode == 128 + stop
    assert "Exception in thread" not in stderr and "Worker subprocess exited" not in stderr
    assert stderr.splitlines()[-1].startswith(
        "storymatch: stopped by SIGTERM" if stop == signal.SIGTERM else "storymatch: interrupted"
    )
    time.sleep(2)
    assert not [pid for pid in workers if _running(pid)], "no worker outlives the command"


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a zombie has ended
    except OSError:
        return False


def test_remote_staging_copies_bytes_as_they_are_and_only_for_a_remote_temp_location(tmp_path):
    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"id": "a", "text": "Kyiv agreed."}\n'))
    remote = RemoteStaging("testremote://bucket/tmp", "r1")
    gone = tmp_path / "gone.jsonl"  # listed, then deleted before the upload
    copies = remote.upload([str(gz), "gs://elsewhere/b.jsonl", str(gone)])
    # A remote input is read in place; a vanished one is left for the reader to reject.
    assert list(copies) == [str(gz)]
    with FileSystems.open(copies[str(gz)], compression_type=CompressionTypes.UNCOMPRESSED) as copy:
        assert copy.read() == gz.read_bytes()
    remote.delete()
    assert not [path for path in (tmp_path / "bucket").rglob("*") if path.is_file()]
    options = run_module.pipeline_options
    assert (
        remote_temp_location(options(["--temp_location=testremote://bucket/tmp"]))
        == "testremote://bucket/tmp"
    )
    assert remote_temp_location(options([f"--temp_location={tmp_path}"])) is None
    assert remote_temp_location(options([])) is None


@pytest.fixture
def transfers(tmp_path):
    """The fake remote file systems, recording how many objects are open at once; each
    waits 10 ms when opened or created, as an object store's round trip."""
    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    remote_fs.TRANSFERS.track(latency=0.01)
    yield remote_fs.TRANSFERS
    remote_fs.TRANSFERS.stop()


def copy_threads_running() -> list[str]:
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("storymatch-copy")]


def read_remote(path: str) -> bytes:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as copy:
        return copy.read()


def articles_to_upload(folder, count: int) -> list[str]:
    folder.mkdir()
    paths = [folder / f"a{number:03d}.jsonl" for number in range(count)]
    for number, path in enumerate(paths):
        path.write_text(json.dumps({"id": f"a{number}", "text": f"Article {number}."}) + "\n")
    return [str(path) for path in paths]


def test_remote_staging_uploads_several_files_at_once(transfers, tmp_path):
    """A day of 20,000 .txt articles and their sidecars was copied up one file at a time, a
    round trip each to an object store, minutes before the pipeline started."""
    paths = articles_to_upload(tmp_path / "in", 40)
    copies = RemoteStaging("testremote://bucket/tmp", "r1").upload(paths)
    assert list(copies) == paths
    assert transfers.opened == 40 and transfers.open_now == 0
    assert transfers.most_open > 1, "the copies overlap"


def test_remote_staging_uploads_many_files_with_each_path_mapped_to_its_copy(transfers, tmp_path):
    paths = articles_to_upload(tmp_path / "in", 200)
    given = [*paths[:100], "gs://elsewhere/b.jsonl", paths[7], *paths[100:], paths[0]]
    copies = RemoteStaging("testremote://bucket/tmp", "r1").upload(given)
    # In the order given, whatever order the copies finished in; remote paths and repeats skipped.
    assert list(copies) == paths
    for path, copy in copies.items():
        assert copy == "testremote://bucket/tmp/storymatch-r1/inputs/" + os.path.abspath(path).lstrip("/")
        assert read_remote(copy) == Path(path).read_bytes()
    assert transfers.opened == 200 + 200  # the copies, and the reads just above
    assert not copy_threads_running()


def test_remote_staging_leaves_out_a_file_it_cannot_open_and_uploads_the_rest(transfers, tmp_path, caplog):
    paths = articles_to_upload(tmp_path / "in", 200)
    os.remove(paths[57])  # listed, then deleted before the upload
    os.remove(paths[120])
    os.mkdir(paths[120])  # then made a folder: open() fails as well
    with caplog.at_level("WARNING", logger="pipeline.remote"):
        copies = RemoteStaging("testremote://bucket/tmp", "r1").upload(paths)
    left_out = [paths[57], paths[120]]
    assert list(copies) == [path for path in paths if path not in left_out]
    assert all(read_remote(copies[path]) == Path(path).read_bytes() for path in copies)
    # Each named once, in the order given: the reader then rejects it as unreadable_file.
    assert [record.getMessage().split(": ")[0] for record in caplog.records] == [
        f"cannot upload {path}, left for the reader to reject" for path in left_out
    ]


def test_a_copy_that_cannot_be_written_fails_the_upload_and_stops_the_other_copies(transfers, tmp_path):
    """hdfs:// refuses to write over a file: the copy of a20 is there already. The upload
    raises that error, with no copy left running or open (the caller deletes the folder next)
    and those not started by then never started."""
    paths = articles_to_upload(tmp_path / "in", 200)
    remote = RemoteStaging("testdirs://bucket/tmp", "r1")
    (written,) = remote.upload([paths[20]]).values()
    with pytest.raises(BeamIOError, match=f"^Path already exists: {re.escape(written)} "):
        remote.upload(paths)
    assert not copy_threads_running()
    assert transfers.open_now == 0
    assert transfers.opened < 100, "the copies after the failure are cancelled"
    remote.delete()
    assert not [path for path in (tmp_path / "bucket").rglob("*") if path.is_file()]


def test_sigterm_during_the_upload_stops_the_copies_before_it_goes_on(transfers, tmp_path):
    """SIGTERM (``cli.Terminated`` in the main thread, here from a timer 0.1 s into an upload
    of about 0.6 s) goes on to the clean-up only once no copy runs: a copy still writing
    would put files back into the folder that the clean-up deletes."""
    paths = articles_to_upload(tmp_path / "in", 200)
    transfers.track(latency=0.05)

    def terminate(signum, frame):
        # Raised where the signal finds the main thread; one raised in a weakref callback or a
        # __del__ that the garbage collector ran there is printed and ignored, so then again.
        if frame.f_code.co_filename == weakref.__file__ or frame.f_code.co_name == "__del__":
            signal.setitimer(signal.ITIMER_REAL, 0.01)
            return
        raise cli.Terminated

    previous = signal.signal(signal.SIGALRM, terminate)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        with pytest.raises(cli.Terminated):
            RemoteStaging("testremote://bucket/tmp", "r1").upload(paths)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not copy_threads_running()
    assert transfers.open_now == 0
    assert transfers.opened < 200, "the copies not started by then never start"


def test_remote_staging_downloads_the_tables_shards_several_at_once(transfers, tmp_path):
    remote = RemoteStaging("testremote://bucket/tmp", "r1")
    shards = {
        table: [f"{table}-{shard:05d}-of-00012.parquet" for shard in range(12)]
        for table in ("articles", "rejects")
    }
    for table, names in shards.items():
        for name in names:
            with FileSystems.create(FileSystems.join(remote.tables, table, name)) as shard:
                shard.write(f"{table}/{name}".encode())
    transfers.track(latency=0.01)
    assert remote.download_tables(str(tmp_path / "local"), ["articles", "rejects", "clusters"]) == 24
    for table, names in shards.items():
        assert sorted(os.listdir(tmp_path / "local" / table)) == names
        assert all(
            (tmp_path / "local" / table / name).read_bytes() == f"{table}/{name}".encode() for name in names
        )
    assert not (tmp_path / "local" / "clusters").exists()  # none written: none downloaded
    assert transfers.opened == 24 and transfers.open_now == 0
    assert transfers.most_open > 1, "the copies overlap"
    assert not copy_threads_running()


def test_a_reject_of_a_remote_copy_names_the_sidecar_as_it_is_here(tmp_path):
    """The sidecar is read from its remote copy, deleted after the run: the reject names the
    sidecar as a run without the copies does."""
    from pipeline.read import _ParseFileFn, files_read_for, input_files

    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    (tmp_path / "in").mkdir()
    text, sidecar = tmp_path / "in" / "a.txt", tmp_path / "in" / "a.json"
    text.write_text("Kyiv agreed to talks on Tuesday, officials said.", encoding="utf-8")
    sidecar.write_text("{not json", encoding="utf-8")
    copies = RemoteStaging("testremote://bucket/tmp", "r1").upload(files_read_for(str(text)))
    (listed,) = input_files([str(text)], copies)
    (reject,) = [output.value for output in _ParseFileFn(1000, str(tmp_path)).process(listed)]
    assert reject.source == str(text)
    assert f"sidecar {sidecar}: " in reject.detail
    assert "testremote://" not in reject.detail


def test_inputs_on_a_file_system_configured_by_beams_flags_are_listed_and_read_with_them(
    default_run, tmp_path
):
    """s3:// and hdfs:// need the pipeline options that say where they are (--s3_endpoint_url,
    --hdfs_host, ...), and Beam gives its file systems the options only when the pipeline is
    built. The inputs are listed (and read by a backfill's split and eval's labels) before:
    ``storymatch run --input 's3://bucket/articles/*.jsonl'`` failed with "input ... cannot
    be listed: Must provide one of client or options", whatever the flags."""
    bucket = tmp_path / "bucket"
    (bucket / "in").mkdir(parents=True)
    shutil.copy(FIXTURE, bucket / "in" / "articles.jsonl")
    beam_args = [f"--testconfigured_folder={bucket}"]
    inputs = ["testconfigured://in/*.jsonl"]
    config = config_module.load()
    gold = str(ROOT / "tests" / "data" / "seeds_unique_gold.jsonl")
    assert evaluate(inputs, config, beam_args, unique_gold=gold)["inputs"] == [
        "testconfigured://in/articles.jsonl"
    ]
    _, jobs = backfill(inputs, str(tmp_path / "backfill"), config, beam_args, days_per_run=366)
    result = run_job(inputs, str(tmp_path / "run"), config, beam_args, run_date=dt.date(2025, 8, 19))
    assert result.input_files == ["testconfigured://in/articles.jsonl"]
    assert result.row_counts["rejects"] == 0
    for table in TABLES:
        if table not in ("articles", "rejects"):  # the rows name the file as it is read
            assert table_rows(tmp_path / "run", table) == table_rows(default_run, table), table
    assert [job.row_counts["articles"] for job in jobs] == [result.row_counts["articles"]]


def test_a_partitioned_dataset_on_hdfs_is_listed_folder_by_folder(tmp_path):
    """hdfs:// lists a folder's own entries, not the files in its subfolders: listing
    ``dataset/**`` gave its partition folders (name=value) and no file, and ``--input
    hdfs://.../dataset`` said "matches no files". Each partition folder is now listed in turn;
    the run reads what it reads from the same dataset on a local disk."""
    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    rows = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()]
    fields = ("id", "text", "outlet", "title", "published_at", "url")
    table = pa.table({name: pa.array([row.get(name) for row in rows], pa.string()) for name in fields})
    days = [(row.get("published_at") or "")[:10] or None for row in rows]
    table = table.append_column("published_date", pa.array(days, pa.string()))
    local = tmp_path / "local"  # two levels of partition folders of Hive-named files (000000_0)
    pq.write_to_dataset(
        table, local, partition_cols=["outlet", "published_date"], basename_template="00000{i}_0"
    )
    dataset = tmp_path / "bucket" / "warehouse" / "articles"
    shutil.copytree(local, dataset)
    (dataset / "_SUCCESS").write_bytes(b"")
    (dataset / "_temporary" / "0").mkdir(parents=True)  # a task that has not committed: passed over
    pq.write_table(table, dataset / "_temporary" / "0" / "part-00000.parquet")
    written = sorted(path.relative_to(local).as_posix() for path in local.rglob("*") if path.is_file())
    assert len(written) > len(rows) // 2
    assert resolve_inputs(["testdirs://warehouse/articles"]) == [
        f"testdirs://warehouse/articles/{path}" for path in written
    ]
    with pytest.raises(
        InputError, match=r"^input 'testdirs://warehouse/articles/_temporary' matches no files$"
    ):
        resolve_inputs(["testdirs://warehouse/articles/_temporary"])  # no partition folder
    config = config_module.load()
    on_disk = run_job([str(local)], str(tmp_path / "disk"), config, run_date=dt.date(2025, 8, 19))
    on_hdfs = run_job(
        ["testdirs://warehouse/articles"], str(tmp_path / "hdfs"), config, run_date=dt.date(2025, 8, 19)
    )
    assert on_hdfs.row_counts == on_disk.row_counts
    assert on_hdfs.row_counts["articles"] == len(rows) and on_hdfs.row_counts["rejects"] == 0
    for table_name in TABLES:  # the articles' source_file names the file as it is read
        columns = "* exclude (source_file)" if table_name == "articles" else "*"
        query = f"select {columns} from read_parquet('{{}}/{table_name}/*/*.parquet')"
        assert sorted(duckdb.sql(query.format(tmp_path / "hdfs")).fetchall(), key=repr) == sorted(
            duckdb.sql(query.format(tmp_path / "disk")).fetchall(), key=repr
        ), table_name


def test_a_retried_write_replaces_the_shard_its_failed_attempt_left_on_hdfs(tmp_path):
    """A runner retries a failed bundle (Spark, Flink): the shard its first attempt wrote is
    there already, and hdfs:// refuses to create a file over it ("Path already exists"),
    so every retry failed and the run with it. Here the second write stands for the retry."""
    remote_fs.ROOT["folder"] = str(tmp_path / "bucket")
    staged = "testdirs://bucket/tmp/tables"
    rows = [
        {"source_file": f"f{i}.jsonl", "source_record": i, "reason": "r", "detail": None, "raw": ""}
        for i in range(5)
    ]
    for attempt in (rows[:2], rows):  # the failed attempt wrote some rows, the retry all
        with beam_test_pipeline() as p:
            _ = p | beam.Create(attempt) | WriteTable("rejects", staged, OutputConfig())
    with FileSystems.open(shard_path(staged, "rejects", 0, 1)) as handle:
        assert pq.read_table(handle).to_pylist() == rows
