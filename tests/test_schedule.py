"""The scheduling examples: the Airflow DAG's command line, and the DAG itself when Airflow is installed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, SEEDS

DAG_FILE = ROOT / "configs" / "schedule" / "storymatch_dag.py"


def load_dag_module():
    spec = importlib.util.spec_from_file_location("storymatch_dag", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dag_command_line_runs_the_job(tmp_path, monkeypatch):
    """The DAG as copied, its two paths set: it passed --config /etc/storymatch/default.toml,
    which nothing installs, so its first run failed with 'config file not found'. It runs
    with the built-in settings unless STORYMATCH_CONFIG names a file."""
    monkeypatch.delenv("STORYMATCH_CONFIG", raising=False)
    module = load_dag_module()
    options = module.storymatch_options(
        input_pattern=str(ROOT / "seeds"), output=str(tmp_path), run_date="2025-08-19"
    )
    command = module.command_line(options)
    assert command[:3] == ["python3", "-m", "pipeline.cli"] and "--run_date=2025-08-19" in command
    result = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "articles" / "run_date=2025-08-19").is_dir()


def test_default_options_template_the_run_date():
    assert load_dag_module().storymatch_options()["run_date"] == "{{ ds }}"


@pytest.mark.parametrize("value", ["", "/srv/storymatch/settings.toml"], ids=["empty", "a-path"])
def test_the_config_file_comes_from_storymatch_config_where_airflow_parses_the_dag(monkeypatch, value):
    monkeypatch.setenv("STORYMATCH_CONFIG", value)
    options = load_dag_module().storymatch_options()
    expected = [f"--config={value}"] if value else []  # empty is unset: never --config=
    assert [
        part for part in load_dag_module().command_line(options) if part.startswith("--config")
    ] == expected


def test_crontab_line_uses_the_command():
    lines = (ROOT / "configs" / "schedule" / "crontab").read_text().splitlines()
    line = next(row for row in lines if row[:1].isdigit())
    assert "storymatch run" in line and "--run-date" in line


def test_dag_imports_with_airflow():
    pytest.importorskip("airflow.providers.apache.beam", reason="Airflow is an optional extra")
    module = load_dag_module()
    assert module.dag.dag_id == "storymatch_daily"
    assert [task.task_id for task in module.dag.tasks] == ["detect_stories"]


def test_each_run_reads_the_utc_day_that_has_ended():
    pytest.importorskip("airflow.timetables.interval", reason="Airflow is an optional extra")
    import pendulum
    from airflow.timetables.base import TimeRestriction

    timetable = load_dag_module().daily_timetable()
    after_the_first_run = TimeRestriction(
        earliest=pendulum.datetime(2025, 8, 20, 3, tz="UTC"), latest=None, catchup=True
    )
    run = timetable.next_dagrun_info(last_automated_data_interval=None, restriction=after_the_first_run)
    # Airflow 3 reads a bare cron string as a trigger whose {{ ds }} is the day it runs on
    # (02:15 into it): the run would read a feed that has barely begun.
    assert run.run_after == pendulum.datetime(2025, 8, 22, 2, 15, tz="UTC")
    assert run.logical_date.strftime("%Y-%m-%d") == "2025-08-21"  # {{ ds }}


def crontab_line() -> str:
    lines = (ROOT / "configs" / "schedule" / "crontab").read_text().splitlines()
    return next(row for row in lines if row[:1].isdigit())


def test_readme_shows_the_crontab_line():
    assert crontab_line() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_cron_line_mails_a_failure_and_nothing_on_success(tmp_path):
    """Cron mails what a job writes and does not redirect. The line sent stderr to the log
    with the summary (`2>&1`), so a day whose files had not landed, or a failed run, was
    written to a log nobody reads and mailed to nobody; README's copy of the line redirected
    nothing, so every success mailed its summary. Now the summary goes to the log and the
    failure's one line to cron."""
    command = crontab_line().split(None, 5)[5].replace("\\%", "%")  # cron's escape of %
    for path, here in {
        "/opt/storymatch": str(ROOT),
        ".venv/bin/storymatch": f"{sys.executable} -m pipeline.cli",
        "/data/articles": str(tmp_path / "articles"),
        "/data/storymatch": str(tmp_path / "out"),
        "/var/log/storymatch.log": str(tmp_path / "storymatch.log"),
    }.items():
        command = command.replace(path, here)

    def cron_job() -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)

    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    missing = cron_job()
    assert missing.returncode == 2
    assert missing.stdout == "" and f"{yesterday}/*.jsonl' matches no files" in missing.stderr

    day = tmp_path / "articles" / yesterday
    day.mkdir(parents=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    rows = [
        {"id": path.stem, "text": path.read_text(encoding="utf-8"), "published_at": yesterday}
        for path in seeds
    ]
    (day / "feed.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    published = cron_job()
    assert published.returncode == 0
    assert published.stdout == "" and published.stderr == "", "nothing for cron to mail"
    log = (tmp_path / "storymatch.log").read_text(encoding="utf-8")
    assert f"for {yesterday} finished" in log and "articles kept      5" in log
