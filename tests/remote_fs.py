"""A Beam file system ``testremote://`` standing in for ``gs://`` in tests: its objects live
in a folder (``ROOT``) that the run's own ``os`` calls never see, as with a bucket."""

from __future__ import annotations

import os

from apache_beam.io.localfilesystem import LocalFileSystem

PREFIX = "testremote://"
ROOT = {"folder": ""}  # set by the test that uses it


def _local(path: str) -> str:
    return os.path.join(ROOT["folder"], path[len(PREFIX) :]) if path.startswith(PREFIX) else path


class TestRemoteFileSystem(LocalFileSystem):
    """Object-store semantics over a folder: flat names joined by "/", no directories."""

    @classmethod
    def scheme(cls):
        return "testremote"

    def join(self, basepath, *paths):
        return "/".join([basepath.rstrip("/"), *(path.strip("/") for path in paths)])

    def split(self, path):
        head, _, tail = path.rpartition("/")
        return head, tail

    def has_dirs(self):
        return False

    def mkdirs(self, path):
        os.makedirs(_local(path), exist_ok=True)

    def create(self, path, *args, **kwargs):
        os.makedirs(os.path.dirname(_local(path)), exist_ok=True)
        return super().create(_local(path), *args, **kwargs)

    def open(self, path, *args, **kwargs):
        return super().open(_local(path), *args, **kwargs)

    def exists(self, path):
        return super().exists(_local(path))

    def size(self, path):
        return super().size(_local(path))

    def last_updated(self, path):
        return super().last_updated(_local(path))

    def checksum(self, path):
        return super().checksum(_local(path))

    def delete(self, paths):
        return super().delete([_local(path) for path in paths])

    def rename(self, source_file_names, destination_file_names):
        return super().rename(
            [_local(path) for path in source_file_names], [_local(path) for path in destination_file_names]
        )

    def copy(self, source_file_names, destination_file_names):
        return super().copy(
            [_local(path) for path in source_file_names], [_local(path) for path in destination_file_names]
        )

    def _list(self, dir_or_prefix):
        for metadata in super()._list(_local(dir_or_prefix)):
            url = PREFIX + os.path.relpath(metadata.path, ROOT["folder"])
            yield type(metadata)(url, metadata.size_in_bytes, metadata.last_updated_in_seconds)
