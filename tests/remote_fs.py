"""Beam file systems standing in for remote ones in tests: their objects live in a folder
that the run's own ``os`` calls never see, as with a bucket.

- ``testremote://`` stands in for ``gs://``: its folder is ``ROOT``, set by the test.
- ``testdirs://`` stands in for ``hdfs://``: a file system with folders, listed one level at
  a time (WebHDFS's LISTSTATUS), that refuses to write over a file, in the folder ``ROOT``.
- ``testconfigured://`` stands in for ``s3://`` and ``hdfs://``, which cannot be used
  without the pipeline options that say where they are (``--s3_endpoint_url``,
  ``--hdfs_host``): its folder is the pipeline option ``--testconfigured_folder``.
"""

from __future__ import annotations

import os

from apache_beam.io.filesystem import BeamIOError, FileMetadata
from apache_beam.io.localfilesystem import LocalFileSystem
from apache_beam.options.pipeline_options import PipelineOptions

PREFIX = "testremote://"
ROOT = {"folder": ""}  # set by the test that uses it


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
        return super().create(self._local(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return super().open(self._local(path), *args, **kwargs)

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
