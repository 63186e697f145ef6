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

Example (the run's side)::

    with remote_staging("gs://bucket/tmp", run_id) as remote:
        copies = remote.upload(["in/a.jsonl"])   # {"in/a.jsonl": "gs://bucket/tmp/storymatch-.../inputs/..."}
        ...  # the pipeline reads the copies and writes into remote.tables
        remote.download_tables(local_staging, ["articles", ...])
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import GoogleCloudOptions, PipelineOptions

_LOG = logging.getLogger(__name__)
_RAW = CompressionTypes.UNCOMPRESSED  # copies are byte for byte: a .gz input stays compressed


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


class RemoteStaging:
    """One run's folder on the remote file system (see the module's docstring)."""

    def __init__(self, temp_location: str, run_id: str) -> None:
        self.root = FileSystems.join(temp_location, f"storymatch-{run_id}")
        self.tables = FileSystems.join(self.root, "tables")

    def upload(self, paths: Iterable[str]) -> dict[str, str]:
        """Copies local files up; returns each one's path as given -> its copy (remote paths
        are left out: the workers read those in place). A local file that cannot be opened
        (gone since it was listed) is left out too: the reader then rejects it as
        ``unreadable_file``, as in a local run; a failure to write the copy fails the run."""
        copies: dict[str, str] = {}
        for path in paths:
            if FileSystems.get_scheme(path) is not None or path in copies:
                continue
            try:
                reader = open(path, "rb")  # noqa: SIM115 - closed below, after the copy
            except OSError as error:
                _LOG.warning("cannot upload %s, left for the reader to reject: %s", path, error)
                continue
            parts = os.path.abspath(path).lstrip(os.sep).split(os.sep)
            destination = FileSystems.join(self.root, "inputs", *parts)
            with reader:
                _write(reader, destination)
            copies[path] = destination
        return copies

    def download_tables(self, local_folder: str, tables: Iterable[str]) -> int:
        """Copies the files of each table's folder under ``tables`` into
        ``local_folder/<table>/``; returns how many.

        Each folder is listed by itself: ``hdfs://`` lists a folder's own entries only, so
        ``tables/**`` would give the tables' folders, not their files."""
        found = 0
        for table in tables:
            folder = FileSystems.join(self.tables, table)
            for metadata in FileSystems.match([FileSystems.join(folder, "*")])[0].metadata_list:
                local = os.path.join(local_folder, table, FileSystems.split(metadata.path)[1])
                os.makedirs(os.path.dirname(local), exist_ok=True)
                _copy(metadata.path, local)
                found += 1
        return found

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
