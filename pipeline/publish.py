"""Atomic publishing of a run's partitions, and recovery from runs that were killed.

A run writes every table into ``<output>/_staging/<run_id>/<table>/``. Only when the
pipeline has finished and the counts reconcile does it *commit*: it writes a journal
(``_COMMIT``) listing the folder moves, then moves each staged folder to its published
place ``<output>/<table>/run_date=<date>/`` (a rename: readers see the old partition or
the new one, never a half-written one). A run killed before the journal leaves only a
staging folder, which the next run deletes; a run killed during the moves leaves a
journal, which the next run replays before it starts. Either way the published state is
the previous one or the new one, whole.

The output folder must be on a local or mounted file system for renames to be atomic.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable

JOURNAL = "_COMMIT"
STAGING = "_staging"


def partition_path(root: str, table: str, run_date: str) -> str:
    return os.path.join(root, table, f"run_date={run_date}")


def _move(source: str, target: str, trash: str) -> None:
    if not os.path.exists(source):
        return  # already moved by an earlier, interrupted attempt
    if os.path.exists(target):
        os.makedirs(trash, exist_ok=True)
        os.replace(target, os.path.join(trash, str(len(os.listdir(trash)))))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)


def commit(staging: str, moves: Iterable[tuple[str, str]], markers: Iterable[tuple[str, str]] = ()) -> None:
    """Journals, then performs, the moves of staged folders into place.

    ``markers`` are (path, text) files written after the moves (manifest, _SUCCESS).
    """
    moves = list(moves)
    markers = list(markers)
    journal = os.path.join(staging, JOURNAL)
    with open(journal + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"moves": moves, "markers": markers}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(journal + ".tmp", journal)  # the commit point
    _replay(staging)


def _replay(staging: str) -> None:
    with open(os.path.join(staging, JOURNAL), encoding="utf-8") as handle:
        journal = json.load(handle)
    trash = os.path.join(staging, "_replaced")
    for source, target in journal["moves"]:
        _move(source, target, trash)
    for path, text in journal["markers"]:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(path + ".tmp", path)
    shutil.rmtree(staging, ignore_errors=True)


def recover(output: str) -> list[str]:
    """Finishes committed runs and deletes abandoned staging folders; returns what it did."""
    root = os.path.join(output, STAGING)
    actions: list[str] = []
    if not os.path.isdir(root):
        return actions
    for run_id in sorted(os.listdir(root)):
        staging = os.path.join(root, run_id)
        if os.path.exists(os.path.join(staging, JOURNAL)):
            _replay(staging)
            actions.append(f"completed the publish of run {run_id}")
        else:
            shutil.rmtree(staging, ignore_errors=True)
            actions.append(f"removed the staging folder of unfinished run {run_id}")
    remove_empty_staging(output)
    return actions


def remove_empty_staging(output: str) -> None:
    with contextlib.suppress(OSError):  # absent, or another run is staging
        os.rmdir(os.path.join(output, STAGING))
