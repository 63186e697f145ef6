"""Lists of files that keep the pipeline graph small, however many files there are.

``beam.Create`` pickles its elements into the pipeline graph, which is sent whole to the
runner: Dataflow refuses a graph over about 10 MB ("The job graph is too large"), and any
runner spends time building and pickling a large one. A folder of 100,000 ``.txt`` articles
named by uuids made a graph of 8.9 MB with their paths alone (200 files: 0.45 MB); with the
remote copies' paths too it was over the limit.

``CreateStrings`` is ``beam.Create`` of strings up to ``MAX_STRINGS_IN_GRAPH`` of them; above,
it writes them to a list file in a folder the workers read (a run's staging folder, local or
under ``--temp_location``) and puts only the list file's path into the graph. Both give the
same PCollection.

Example::

    paths = pipeline | "ListFiles" >> CreateStrings(files, staging)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

# Above this many strings, they go to a list file: 1,000 paths add about 0.1 MB to the graph.
MAX_STRINGS_IN_GRAPH = 1000
# A list file's name starts with this ("input-files-<uuid>.jsonl").
LIST_FILE_PREFIX = "input-files-"


def write_list_file(values: Iterable[str], folder: str) -> str:
    """Writes ``values`` to a new file in ``folder``, one JSON string a line (a file name may
    hold a line break); returns its path."""
    path = FileSystems.join(folder, f"{LIST_FILE_PREFIX}{uuid.uuid4().hex}.jsonl")
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        for value in values:
            handle.write(json.dumps(value).encode("utf-8") + b"\n")
    return path


def read_list_file(path: str) -> Iterator[str]:
    """The strings of a list file, in the order written.

    Raises FileNotFoundError naming the file when the workers cannot see it: its folder is
    on a disk they do not share."""
    try:
        handle = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    except OSError as error:
        raise FileNotFoundError(
            f"the list of input files {path} cannot be read ({error}): the workers do not see the "
            "folder it was written to. Give a --temp_location the workers can reach (gs://, s3://, "
            "hdfs://), or an output folder that this machine and every worker share under the same path"
        ) from None
    with handle:
        for line in handle:
            yield json.loads(line)


class CreateStrings(beam.PTransform):
    """Strings -> a PCollection of them, through a list file in ``folder`` when there are
    more than ``MAX_STRINGS_IN_GRAPH``.

    The list file is written when the pipeline is built and left in ``folder``: give a folder
    that the run removes (its staging folder), or none for the pipeline's local temporary
    folder, which Beam removes when ``Pipeline.run()`` returns (enough for the in-process
    runners, not for one that runs the pipeline after ``run()`` has returned)."""

    def __init__(self, values: Iterable[str], folder: str | None = None) -> None:
        super().__init__()
        self._values = list(values)
        self._folder = folder

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[str]:
        if len(self._values) <= MAX_STRINGS_IN_GRAPH:
            return pbegin | "Create" >> beam.Create(self._values)
        list_file = write_list_file(self._values, self._folder or pbegin.pipeline.local_tempdir)
        return (
            pbegin
            | "ListFile" >> beam.Create([list_file])
            | "ReadListFile" >> beam.FlatMap(read_list_file).with_output_types(str)
        )
