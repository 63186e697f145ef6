"""Beam file systems standing in for remote ones in tests: their objects live in a folder
that the run's own ``os`` calls never see, as with a bucket.

- ``testremote://`` stands in for ``gs://``: its folder is ``ROOT``, set by the test.
- ``testdirs://`` stands in for ``hdfs://``: a file system with folders, listed one level at
  a time (WebHDFS's LISTSTATUS), that refuses to write over a file, in the folder ``ROOT``.
- ``testconfigured://`` stands in for ``s3://`` and ``hdfs://``, which cannot be used
  without the pipeline options that say where they are (``--s3_endpoint_url``,
  ``--hdfs_host``): its folder is the pipeline option ``--testconfigured_folder``.

``TRANSFERS.track(latency)`` makes each object opened or created on them wait ``latency``
seconds (an object store's round trip) and records how many are open at once.
"""

from __future__ import annotations

import os
import threading
import time

from apache_beam.io.filesystem import BeamIOError, FileMetadata
from apache_beam.io.localfilesystem import LocalFileSystem
from apache_beam.options.pipeline_options import PipelineOptions

PREFIX = "testremote://"
ROOT = {"folder": ""}  # set by the test that uses it


class TransferLog:
    """How many remote objects are open (reading or writing) at once, while tracking."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.latency: float | None = None  # None: not tracking, objects are returned as they are
        self.open_now = 0
        self.most_open = 0
        self.opened = 0

    def track(self, latency: float = 0.0) -> None:
        with self._lock:
            self.latency, self.open_now, self.most_open, self.opened = latency, 0, 0, 0

    def stop(self) -> None:
        self.latency = None

    def opening(self, file):
        if self.latency is None:
            return file
        with self._lock:
            self.open_now += 1
            self.opened += 1
            self.most_open = max(self.most_open, self.open_now)
        tracked = _TrackedFile(file, self)
        try:
            time.sleep(self.latency)  # while open, as a round trip is
        except BaseException:  # Ctrl-C or SIGTERM in the thread that waits
            tracked.close()
            raise
        return tracked

    def closed(self) -> None:
        with self._lock:
            self.open_now -= 1


class _TrackedFile:
    def __init__(self, file, log: TransferLog) -> None:
        self._file, self._log, self._open = file, log, True

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        if self._open:
            self._open = False
            self._file.close()
            self._log.closed()


TRANSFERS = TransferLog()


class TestRemoteFileSystem(LocalFileSystem):
    """Object-store semantics over a folder: flat names joined by "/", no directories."""

    prefix = PREFIX

    @classmethod
    def scheme(cls):
        return "testremote"

    def _folder(self) -> str:
        return ROOT["folder"]

    def _local(self, path: str) -> str:
        return (
            os.path.join(self._folder(), path[len(self.prefix) :]) if path.startswith(self.prefix) else path
        )

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *(path.strip("/") for path in paths)])

    def split(self, path):
        head, _, tail = path.rpartition("/")
        return head, tail

    def has_dirs(self):
        return False

    def mkdirs(self, path):
        os.makedirs(self._local(path), exist_ok=True)

    def create(self, path, *args, **kwargs):
        os.makedirs(os.path.dirname(self._local(path)), exist_ok=True)
        return TRANSFERS.opening(super().create(self._local(path), *args, **kwargs))

    def open(self, path, *args, **kwargs):
        return TRANSFERS.opening(super().open(self._local(path), *args, **kwargs))

    def exists(self, path):
        return super().exists(self._local(path))

    def size(self, path):
        return super().size(self._local(path))

    def last_updated(self, path):
        return super().last_updated(self._local(path))

    def metadata(self, path):
        local = super().metadata(self._local(path))
        return type(local)(path, local.size_in_bytes, local.last_updated_in_seconds)

    def checksum(self, path):
        return super().checksum(self._local(path))

    def delete(self, paths):
        return super().delete([self._local(path) for path in paths])

    def rename(self, source_file_names, destination_file_names):
        return super().rename(
            [self._local(path) for path in source_file_names],
            [self._local(path) for path in destination_file_names],
        )

    def copy(self, source_file_names, destination_file_names):
        return super().copy(
            [self._local(path) for path in source_file_names],
            [self._local(path) for path in destination_file_names],
        )

    def _list(self, dir_or_prefix):
        for metadata in super()._list(self._local(dir_or_prefix)):
            url = self.prefix + os.path.relpath(metadata.path, self._folder())
            yield type(metadata)(url, metadata.size_in_bytes, metadata.last_updated_in_seconds)


class TestDirsFileSystem(TestRemoteFileSystem):
    """``testdirs://``: folders, and a listing of a folder that holds its files and folders,
    not the files inside those, as HDFS's."""

    prefix = "testdirs://"

    @classmethod
    def scheme(cls):
        return "testdirs"

    def has_dirs(self):
        return True

    def create(self, path, *args, **kwargs):
        if self.exists(path):  # as Beam's HdfsUploader
            raise BeamIOError(f"Path already exists: {path}")
        return super().create(path, *args, **kwargs)

    def _list(self, dir_or_prefix):
        folder = self._local(dir_or_prefix)
        if not os.path.isdir(folder):
            return
        for name in sorted(os.listdir(folder)):
            local = os.path.join(folder, name)
            size = 0 if os.path.isdir(local) else os.path.getsize(local)
            yield FileMetadata(self.join(dir_or_prefix, name), size, os.path.getmtime(local))


class TestConfiguredOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument("--testconfigured_folder", default=None, help="the folder of testconfigured://")


class TestConfiguredFileSystem(TestRemoteFileSystem):
    """``testconfigured://``: fails, as ``s3://`` and ``hdfs://`` do, when Beam creates it
    without the pipeline options."""

    prefix = "testconfigured://"

    def __init__(self, pipeline_options):
        super().__init__(pipeline_options)
        if pipeline_options is None:
            raise ValueError("pipeline_options is not set")
        if isinstance(pipeline_options, PipelineOptions):
            folder = pipeline_options.view_as(TestConfiguredOptions).testconfigured_folder
        else:  # a worker's runtime options, as a dict
            folder = pipeline_options.get("testconfigured_folder")
        if not folder:
            raise ValueError("--testconfigured_folder is not set")
        self._configured_folder = folder

    @classmethod
    def scheme(cls):
        return "testconfigured"

    def _folder(self) -> str:
        return self._configured_folder
