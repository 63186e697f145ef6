"""Values that wait on disk between stages, and only where they are travels on.

The in-process runner holds every shuffled collection in memory until its consumer runs.
What waits long (each article from analysis until its story is known, each TF-IDF vector
until describing) can wait in a file instead: a step appends each value's pickle to a file
of its bundle (``SpillWriter``) and emits a ``Spilled`` (path, offset, length) of about 100
bytes; the consumer reads the value back (``SpillReader``). A bundle that is retried
writes a new file, and a file is complete before any later stage reads it (a stage runs
after the bundles it reads from have finished). The folder must be one that the workers
share with each other (the run's staging folder with the in-process runner), and is the
caller's to remove.
"""

from __future__ import annotations

import pickle
import uuid
from typing import Any, NamedTuple

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems


class Spilled(NamedTuple):
    """A value waiting on disk: its pickle, ``length`` bytes at ``offset`` in the file at
    ``path``."""

    path: str
    offset: int
    length: int


class SpillWriter:
    """Appends pickled values to one file under ``folder``, made for the first value."""

    def __init__(self, folder: str, suffix: str) -> None:
        self._folder = folder
        self._suffix = suffix
        self._file: tuple[str, Any] | None = None  # (path, handle)
        self._offset = 0

    def write(self, value: Any) -> Spilled:
        if self._file is None:
            path = FileSystems.join(self._folder, f"{uuid.uuid4().hex}.{self._suffix}")
            self._file = path, FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED)
        path, handle = self._file
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        handle.write(data)
        spilled = Spilled(path, self._offset, len(data))
        self._offset += len(data)
        return spilled

    def close(self) -> None:
        if self._file is not None:
            self._file[1].close()
        self._file, self._offset = None, 0


class SpillReader:
    """Reads spilled values back, keeping each file it has opened open until ``close``."""

    def __init__(self) -> None:
        self._files: dict[str, Any] = {}

    def read(self, spilled: Spilled) -> Any:
        if spilled.path not in self._files:
            self._files[spilled.path] = FileSystems.open(
                spilled.path, compression_type=CompressionTypes.UNCOMPRESSED
            )
        handle = self._files[spilled.path]
        handle.seek(spilled.offset)
        return pickle.loads(handle.read(spilled.length))

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files = {}
