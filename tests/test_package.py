"""The package as users deploy it: the wheel README's Runners section builds (and passes to
workers with ``--extra_package``), installed non-editable and run from a folder that is not
the repository."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

README = (ROOT / "README.md").read_text(encoding="utf-8")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
WHEEL = f"storymatch-{VERSION}-py3-none-any.whl"
# Every file of the two packages: their modules, and the files the code reads from them at run
# time (query.py: schemas/views.sql). configs/default.toml is not one: config.py has its values.
PACKAGE_FILES = {
    path.relative_to(ROOT).as_posix()
    for package in ("pipeline", "schemas")
    for path in (ROOT / package).iterdir()
    if path.is_file() and path.suffix != ".pyc"
}


def readme_wheel_command() -> str:
    """The README's command that builds the wheel for --extra_package."""
    (line,) = [line for line in README.splitlines() if "pip wheel" in line and not line.startswith("#")]
    return line


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of a copy of the repository, built with README's command, in a tree where an
    earlier build left ``build/`` with a module the code no longer has."""
    tree = tmp_path_factory.mktemp("tree") / "storymatch"
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "out"
        ),
    )
    stale = tree / "build" / "lib" / "pipeline" / "removed_module.py"
    stale.parent.mkdir(parents=True)
    stale.write_text("RAISE = 1 / 0\n", encoding="utf-8")
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    result = subprocess.run(
        ["bash", "-euc", readme_wheel_command()],
        cwd=tree,
        env=dict(os.environ, PATH=path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tree / "dist").iterdir()] == [WHEEL]
    return tree / "dist" / WHEEL


def test_readme_passes_the_wheel_that_its_command_builds():
    named = set(re.findall(r"--extra_package[= ](\S+)", README))
    assert named == {f"dist/{WHEEL}"}


def test_the_wheel_holds_the_packages_and_their_data_and_nothing_stale(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "schemas/views.sql" in PACKAGE_FILES
    # pipeline/removed_module.py, left in build/, is not deployed
    assert {
        name for name in names if not name.startswith(f"storymatch-{VERSION}.dist-info/")
    } == PACKAGE_FILES
    entry_points = zipfile.ZipFile(wheel).read(f"storymatch-{VERSION}.dist-info/entry_points.txt").decode()
    assert "storymatch = pipeline.cli:main" in entry_points


def test_the_installed_command_runs_outside_the_repository(wheel, tmp_path):
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, timeout=120)
    work = tmp_path / "work"
    shutil.copytree(SEEDS, work / "articles")
    # The installed copy comes first on the path, ahead of this checkout's editable install.
    env = dict(os.environ, PYTHONPATH=str(site))

    def storymatch(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(site / "bin" / "storymatch"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import pipeline, schemas; print(pipeline.__file__, schemas.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert all(path.startswith(str(site)) for path in where.stdout.split())
    assert storymatch("--version").stdout.strip() == f"storymatch {VERSION}"
    # Its workers, other processes, import the installed package.
    beam = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
    run = storymatch("run", "--input", "articles", "--output", "out", "--run-date", "2025-08-19", *beam)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((work / "out" / "_runs" / "run_date=2025-08-19" / "manifest.json").read_text())
    assert manifest["row_counts"]["articles"] == 5 and manifest["versions"]["storymatch"] == VERSION
    query = storymatch("query", "--format", "csv", "SELECT count(*) AS n FROM story_outlets")  # views.sql
    assert query.returncode == 0 and query.stdout.split() == ["n", "5"], query.stderr
    report = storymatch("report", "--output", "out")
    assert (
        report.returncode == 0 and (work / "out" / "_runs" / "run_date=2025-08-19" / "report.html").is_file()
    )
    # The default input is the repository's seeds folder: an installed user is told to name one.
    default = storymatch("run", "--output", "out2")
    assert default.returncode == 2 and "pass --input" in default.stderr
    assert not (work / "out2").exists()
