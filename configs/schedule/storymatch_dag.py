"""Airflow DAG: run storymatch once a day over that day's articles.

Copy this file into your DAGs folder and set the two paths below (``INPUT``, ``OUTPUT``). It
runs with storymatch's built-in settings (those of ``configs/default.toml``); to use a config
file of your own, set the environment variable ``STORYMATCH_CONFIG`` to its path where Airflow
parses its DAGs (the scheduler's or DAG processor's environment, e.g. in its service unit or
container), and the run gets ``--config`` with that path: unset or empty, no ``--config`` is
passed. It needs ``apache-airflow`` and ``apache-airflow-providers-apache-beam`` (``pip
install -e '.[airflow]'`` in the repository). Each run processes the files for its logical
date ``{{ ds }}`` and publishes ``<output>/<table>/run_date={{ ds }}/``; re-running a date
replaces just that date.

The schedule is a data interval from 02:15 UTC to 02:15 UTC the next day, run when it
ends: ``{{ ds }}`` is its start, the day before, whose feed has landed. A bare cron string
would not do that on Airflow 3, which reads it as a trigger whose ``{{ ds }}`` is the day
that has just begun.

``storymatch_options`` builds the command-line options and is importable without
Airflow, so the command can be tested anywhere.
"""

from __future__ import annotations

import datetime as dt
import os

INPUT = "/data/articles/{{ ds }}/*.jsonl"
OUTPUT = "/data/storymatch"
# Read when Airflow parses this file. No default path: a file that is not there would fail
# every run ("config file not found"), and the built-in settings are configs/default.toml's.
CONFIG = os.environ.get("STORYMATCH_CONFIG") or None
SCHEDULE = "15 2 * * *"  # after the day's feed has landed


def storymatch_options(
    input_pattern: str = INPUT,
    output: str = OUTPUT,
    config: str | None = CONFIG,
    run_date: str = "{{ ds }}",
) -> dict[str, str]:
    """The options the operator passes as ``--key=value`` to ``python -m pipeline.cli``;
    ``config`` only when one is given (else the built-in settings)."""
    options = {"input": input_pattern, "output": output, "run_date": run_date}
    if config:
        options["config"] = config
    return options


def command_line(options: dict[str, str], runner: str = "FnApiRunner") -> list[str]:
    """The command the Beam operator runs, for documentation and tests."""
    return [
        "python3",
        "-m",
        "pipeline.cli",
        *(f"--{key}={value}" for key, value in options.items()),
        f"--runner={runner}",
    ]


def daily_timetable():
    """Each day's run covers the data interval of the day before, in UTC (see above)."""
    from airflow.timetables.interval import CronDataIntervalTimetable

    return CronDataIntervalTimetable(SCHEDULE, timezone="UTC")


try:
    from airflow import DAG
    from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator
except ImportError:  # Airflow is optional: the helpers above stay importable
    DAG = None

if DAG is not None:
    with DAG(
        dag_id="storymatch_daily",
        schedule=daily_timetable(),
        start_date=dt.datetime(2025, 1, 1),
        catchup=False,
        max_active_runs=1,  # runs continue each other's stories: keep them in order
        default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=10)},
        tags=["news", "beam"],
    ) as dag:
        BeamRunPythonPipelineOperator(
            task_id="detect_stories",
            py_file="pipeline.cli",
            py_options=["-m"],
            runner="FnApiRunner",
            pipeline_options=storymatch_options(),
        )
