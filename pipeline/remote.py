"""Staging on a file system the workers share, for runners whose workers cannot see this
machine's disk (Dataflow; Flink or Spark workers without a shared mount).

A run publishes by renaming folders on this machine (``publish``), so its output folder is
local. Its workers, though, read the inputs and the state of earlier runs and write the
staged tables. When Beam's ``--temp_location`` is on a remote file system (``gs://``,
``s3://``, ``hdfs://``: any scheme Beam knows), the run

1. copies the local files its workers read (input files with the sidecars of ``.txt``
   files, the state files of earlier runs) to ``<temp_location>/storymatch-<run id>/inputs/``
   under their absolute paths; inputs already on a remote file system are read in place;
2. has the workers write the staged tables to ``<temp_location>/storymatch-<run id>/tables/``
   (and read there the lists of files too long for the pipeline graph, ``file_list``);
3. copies the tables (each table's folder listed by itself) into its local staging folder,
   where they are checked and published as in a local run, and deletes
   ``<temp_location>/storymatch-<run id>/`` however the run ends.

Each copy, up or down, costs an object store a round trip or more (tens to hundreds of
milliseconds), so the copies run ``COPY_THREADS`` (16) at a time: a day of 20,000 ``.txt``
articles and their sidecars is 40,000 files. The first copy that fails stops the rest (those
not started are cancelled, those running waited for) and its error is raised, so no copy is
left writing into the folder that the run deletes next. ``benchmarks/remote_staging.py``
measures it: 2,000 files with 20 ms a round trip take 41 s each way one at a time, 2.6 s
16 at a time.

Example (the run's side)::

    with remote_staging("gs://bucket/tmp", run_id) as remote:
        copies = remote.upload(["in/a.jsonl"])   # {"in/a.jsonl": "gs://bucket/tmp/storymatch-.../inputs/..."}
        ...  # the pipeline reads the copies and writes into remote.tables
        remote.download_tables(local_staging, ["articles", ...])
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions

_LOG = logging.getLogger(__name__)
_RAW = CompressionTypes.UNCOMPRESSED  # copies are byte for byte: a .gz input stays compressed
# Copies at once: 16 hide a 20-200 ms round trip 16 times over while each holds only a local
# file, a connection and a 1 MiB buffer (Beam renames a sink's shards up to 64 at a time,
# but those move no bytes through this process).
COPY_THREADS = 16
_Result = TypeVar("_Result")


def remote_temp_location(options: PipelineOptions) -> str | None:
    """Beam's ``--temp_location`` when it is on a remote file system, else None."""
    temp = options.view_as(GoogleCloudOptions).temp_location
    return temp if temp and FileSystems.get_scheme(temp) is not None else None


def _copy(source: str, destination: str) -> None:
    with FileSystems.open(source, compression_type=_RAW) as reader:
        _write(reader, destination)


def _write(reader, destination: str) -> None:
    with FileSystems.create(destination, compression_type=_RAW) as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)


def _upload(path: str, destination: str) -> OSError | None:
    """Copies a local file up; the error opening it if it cannot be opened (a failure to
    write the copy is raised)."""
    try:
        reader = open(path, "rb")  # noqa: SIM115 - closed below, after the copy
    except OSError as error:
        return error
    with reader:
        _write(reader, destination)
    return None


def _run_at_once(copies: Sequence[Callable[[], _Result]], threads: int) -> list[_Result]:
    """Runs the copies, ``threads`` at a time; returns their results in the order given.

    The first to raise (or Ctrl-C, SIGTERM's ``Terminated`` in this thread) cancels those not
    started and waits for those running before the error goes on: none still writes when the
    caller deletes the folder."""
    if not copies:
        return []
    pool = ThreadPoolExecutor(max_workers=min(threads, len(copies)), thread_name_prefix="storymatch-copy")
    try:
        futures = [pool.submit(copy) for copy in copies]
        for future in as_completed(futures):
            future.result()
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class RemoteStaging:
    """One run's folder on the remote file system (see the module's docstring)."""

    def __init__(self, temp_location: str, run_id: str, copy_threads: int = COPY_THREADS) -> None:
        self.root = FileSystems.join(temp_location, f"storymatch-{run_id}")
        self.tables = FileSystems.join(self.root, "tables")
        self.copy_threads = copy_threads  # 1 copies one file at a time (benchmarks/remote_staging.py)

    def upload(self, paths: Iterable[str]) -> dict[str, str]:
        """Copies local files up; returns each one's path as given -> its copy (remote paths
        are left out: the workers read those in place). A local file that cannot be opened
        (gone since it was listed) is left out too: the reader then rejects it as
        ``unreadable_file``, as in a local run; a failure to write the copy fails the run."""
        destinations: dict[str, str] = {}
        for path in paths:
            if FileSystems.get_scheme(path) is not None or path in destinations:
                continue
            parts = os.path.abspath(path).lstrip(os.sep).split(os.sep)
            destinations[path] = FileSystems.join(self.root, "inputs", *parts)
        uploads = [
            functools.partial(_upload, path, destination) for path, destination in destinations.items()
        ]
        copies: dict[str, str] = {}
        for (path, destination), error in zip(
            destinations.items(), _run_at_once(uploads, self.copy_threads), strict=True
        ):
            if error is not None:
                _LOG.warning("cannot upload %s, left for the reader to reject: %s", path, error)
            else:
                copies[path] = destination
        return copies

    def download_tables(self, local_folder: str, tables: Iterable[str]) -> int:
        """Copies the files of each table's folder under ``tables`` into
        ``local_folder/<table>/``; returns how many.

        Each folder is listed by itself: ``hdfs://`` lists a folder's own entries only, so
        ``tables/**`` would give the tables' folders, not their files."""
        downloads = []
        for table in tables:
            folder = FileSystems.join(self.tables, table)
            for metadata in FileSystems.match([FileSystems.join(folder, "*")])[0].metadata_list:
                local = os.path.join(local_folder, table, FileSystems.split(metadata.path)[1])
                os.makedirs(os.path.dirname(local), exist_ok=True)
                downloads.append(functools.partial(_copy, metadata.path, local))
        return len(_run_at_once(downloads, self.copy_threads))

    def delete(self) -> None:
        # On hdfs:// this lists the root's folders, whose deletion is recursive.
        found = FileSystems.match([self.root.rstrip("/") + "/**"])[0].metadata_list
        if found:
            FileSystems.delete([metadata.path for metadata in found])
        with contextlib.suppress(Exception):  # object stores have no folders to remove
            FileSystems.delete([self.root])


@contextlib.contextmanager
def remote_staging(temp_location: str, run_id: str) -> Iterator[RemoteStaging]:
    """A run's remote folder, deleted when the block ends, however it ends."""
    remote = RemoteStaging(temp_location, run_id)
    try:
        yield remote
    finally:
        try:
            remote.delete()
        except Exception as error:  # a failed clean-up must not hide the run's own outcome
            _LOG.warning("could not delete the remote staging folder %s: %s", remote.root, error)
