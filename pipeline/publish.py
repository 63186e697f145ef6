"""Atomic publishing of a run's partitions, and recovery from runs that were killed.

A run writes every table into ``<output>/_staging/<run_id>/<table>/``. Only when the
pipeline has finished and the counts reconcile does it *commit*: it writes a journal
(``_COMMIT``) listing the folder moves, then moves each staged folder to its published
place ``<output>/<table>/run_date=<date>/`` (a rename: readers see the old partition or
the new one, never a half-written one). A run killed before the journal leaves only a
staging folder, which the next run deletes; a run killed during the moves leaves a
journal, which the next run replays before it starts (until then readers see that date
half published: ``storymatch query`` says so). Either way, once the next run has started,
the published state is the previous one or the new one, whole.

One run at a time writes into an output folder: a run holds ``<output>/_lock`` (an
exclusive lock, released by the operating system when the process ends, however it ends)
from before its recovery to after its publish, so the staging folders that recovery finds
are those of runs that ended, never of one still running; a second run fails at once.

The output folder must be on a local or mounted file system for renames to be atomic. The
lock holds between processes on one machine; on a network file system only where it
supports locks (NFSv4, SMB), so do not start runs into one folder from several machines.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from typing import IO

from apache_beam.io.filesystems import FileSystems

from pipeline.errors import OutputError

_LOG = logging.getLogger(__name__)

JOURNAL = "_COMMIT"
STAGING = "_staging"
LOCK = "_lock"
# Lock files this process holds: a backfill holds its output's around the runs it makes.
_HELD: set[str] = set()


class PublishError(RuntimeError):
    """A committed run cannot be moved into place; its journal stays for the next run."""


class OutputBusyError(RuntimeError):
    """Another process is running into the same output folder."""


def check_folder(path: str, name: str) -> None:
    """Raises OutputError unless ``path`` is a folder, or one can be made there, that this
    process can write: checked before a run, so that nothing is computed or half published.

    The folder must be local (or mounted): publishing renames folders and takes a file lock
    with the operating system's calls, which would read ``gs://b/out`` as a local folder
    ``gs:/b/out`` while the workers write the tables into the bucket."""
    if FileSystems.get_scheme(path) is not None:
        raise OutputError(
            f"the {name} folder {path} is not a local folder: storymatch publishes a run by renaming "
            "local folders, so the output and state folders must be local or mounted (inputs may be "
            "on any Beam file system; a distributed runner's workers read and write through "
            "--temp_location gs://...)"
        )
    wanted = os.path.abspath(path)
    existing = wanted
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        where = "is a file" if existing == wanted else f"cannot be made: {existing} is a file"
        raise OutputError(f"the {name} folder {path} {where}, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"the {name} folder {path} cannot be written: no permission on {existing}")


def _try_lock(handle: IO[str]) -> bool:
    """Takes an exclusive lock on an open file without waiting; False if another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except PermissionError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def lock_output(output: str) -> Iterator[None]:
    """Holds the output folder's lock, or raises OutputBusyError at once if another process
    does. Re-entrant within a process."""
    os.makedirs(output, exist_ok=True)
    path = os.path.realpath(os.path.join(output, LOCK))
    if path in _HELD:
        yield
        return
    with open(path, "a", encoding="utf-8") as handle:
        try:
            locked = _try_lock(handle)
        except OSError as error:  # e.g. a network file system without locks
            _LOG.warning("cannot lock %s (%s): concurrent runs into it go undetected", path, error)
            locked = True
        if not locked:
            raise OutputBusyError(
                f"another storymatch process is writing into {output} (it holds {path}); "
                "run again when it has finished"
            )
        _HELD.add(path)
        try:
            yield
        finally:
            _HELD.discard(path)
    # Closing the file released the lock.


def created_by_locking(folders: Iterable[str]) -> set[str]:
    """What taking the locks of ``folders`` (``lock_output``) would create: for each, the
    topmost missing folder above or at it, else its missing lock file. A run or backfill
    refused before it starts removes them (``remove_created``), while it holds the locks: a
    process that opened a lock file meanwhile finds it taken."""
    created = set()
    for folder in folders:
        path = os.path.abspath(os.path.join(folder, LOCK))
        while not os.path.exists(os.path.dirname(path)):
            path = os.path.dirname(path)
        if not os.path.exists(path):
            created.add(path)
    return created


def remove_created(paths: Iterable[str]) -> None:
    """Removes what ``created_by_locking`` named, as far as it can."""
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.remove(path)


def partition_path(root: str, table: str, run_date: str) -> str:
    return os.path.join(root, table, f"run_date={run_date}")


def _move(source: str, target: str, trash: str) -> None:
    if not os.path.exists(source):
        if os.path.exists(target):
            return  # already moved by an earlier, interrupted attempt
        # Neither is there: the journal names other paths than this folder's (an output
        # folder moved since). Deleting the staging folder now would lose the committed run.
        missing = "neither the staged folder nor its published place exists"
        raise FileNotFoundError(errno.ENOENT, missing, source)
    if os.path.exists(target):
        os.makedirs(trash, exist_ok=True)
        os.replace(target, os.path.join(trash, str(len(os.listdir(trash)))))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.replace(source, target)


def commit(staging: str, moves: Iterable[tuple[str, str]], markers: Iterable[tuple[str, str]] = ()) -> None:
    """Journals, then performs, the moves of staged folders into place.

    ``markers`` are (path, text) files written after the moves (manifest, _SUCCESS).
    """
    # Absolute: the run that replays the journal may have started in another folder.
    moves = [(os.path.abspath(source), os.path.abspath(target)) for source, target in moves]
    markers = [(os.path.abspath(path), text) for path, text in markers]
    journal = os.path.join(staging, JOURNAL)
    with open(journal + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"moves": moves, "markers": markers}, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(journal + ".tmp", journal)  # the commit point
    _replay(staging)


def _replay(staging: str) -> None:
    path = os.path.join(staging, JOURNAL)
    try:
        with open(path, encoding="utf-8") as handle:
            journal = json.load(handle)
        trash = os.path.join(staging, "_replaced")
        for source, target in journal["moves"]:
            _move(source, target, trash)
        for marker, text in journal["markers"]:
            os.makedirs(os.path.dirname(marker), exist_ok=True)
            with open(marker + ".tmp", "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(marker + ".tmp", marker)
    except OSError as error:
        raise PublishError(
            f"cannot finish publishing run {os.path.basename(staging)}: {error}. Its journal {path} "
            "stays, and every run into this output folder first completes it: fix the cause and run again"
        ) from None
    shutil.rmtree(staging, ignore_errors=True)


def recover(output: str) -> list[str]:
    """Finishes committed runs and deletes abandoned staging folders; returns what it did.

    It holds the output's lock (``lock_output``), as a run does until it has published, so
    every staging folder it finds is one of a run that ended. Raises OutputBusyError while
    another process runs into ``output``, PublishError if a committed run cannot be finished.
    """
    root = os.path.join(output, STAGING)
    actions: list[str] = []
    if not os.path.isdir(root):
        return actions
    with lock_output(output):
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
