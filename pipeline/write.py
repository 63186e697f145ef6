"""Stage 7: tables -> Parquet files with the explicit schemas of ``schemas.tables``.

Each table is written as ``num_shards`` files ``part-SSSSS-of-NNNNN.parquet`` (zstd by
default), with a story's rows in one file and the rows of every file sorted by the
table's sort key. Every shard is written even when it has no rows, so a reader's glob
always matches and an empty table reads as zero rows with the right columns. Files go
through Beam's file systems, so the output folder may be local, ``gs://`` or ``s3://``.
On their way to the writer the rows wait on disk, in Arrow IPC files under the tables'
folder (``SPILL_FOLDER``), and the shuffle carries their paths (``_SpillByShardFn``).
"""

from __future__ import annotations

import uuid
import zlib
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.config import OutputConfig
from schemas.tables import INTERNAL_TABLES, SORT_KEYS, TABLES, compact_schema, narrow_schema

SCHEMAS = {**TABLES, **INTERNAL_TABLES}
# Row dicts are spilled this many at a time: a chunk of wide rows (the state's: 3.7 KB in
# Arrow) is held twice while it is converted.
_CHUNK_ROWS = 10_000
# A row group holds at most ``output.row_group_size`` rows and, when rows are wide, about
# this many bytes of Arrow data (``rows_per_group``): a writer takes and encodes a row group
# at a time, so the bytes bound what it needs beside its table's rows.
ROW_GROUP_BYTES = 64 * 2**20
# Under the tables' folder: each table's rows as the writer will read them (_SpillByShardFn).
SPILL_FOLDER = "_spill"
# LZ4: spilled rows are written and read once, so speed matters more than size.
_SPILL_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


def with_table_schema(batch: pa.RecordBatch, table: str) -> pa.RecordBatch:
    """A record batch of the table's schema, its ``compact_schema`` or its ``narrow_schema``
    -> the table's schema."""
    schema = SCHEMAS[table]
    if batch.schema.equals(schema):
        return batch
    columns = [column.cast(field.type) for column, field in zip(batch.columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def shard_of_key(first_key: Any, num_shards: int) -> int:
    """A stable shard for a value of a table's first sort key."""
    return zlib.crc32(str(first_key).encode("utf-8")) % num_shards


def shard_of(row: dict[str, Any], table: str, num_shards: int) -> int:
    """A stable shard for a row: all rows sharing the first sort-key value go together."""
    return shard_of_key(row[SORT_KEYS[table][0]], num_shards)


def sort_order(arrow_table: pa.Table, table: str) -> pa.Array:
    """The row order of ``arrow_table`` sorted by the table's sort key, nulls last."""
    keys = SORT_KEYS[table]
    try:
        return pc.sort_indices(arrow_table, sort_keys=[(key, "ascending", "at_end") for key in keys])
    except (TypeError, ValueError):  # pyarrow < 25 takes null_placement for all keys
        return pc.sort_indices(
            arrow_table, sort_keys=[(key, "ascending") for key in keys], null_placement="at_end"
        )


def split_by_shard(batch: pa.RecordBatch, table: str, num_shards: int) -> list[tuple[int, pa.RecordBatch]]:
    """(shard, rows of that shard) for a record batch, with ``shard_of``'s rule per row."""
    if num_shards == 1:
        return [(0, batch)]
    keys = batch.column(SORT_KEYS[table][0]).to_pylist()
    shards = [shard_of_key(key, num_shards) for key in keys]
    return [(shard, batch.filter(pa.array([s == shard for s in shards]))) for shard in sorted(set(shards))]


class _SpillByShardFn(beam.DoFn):
    """Row dicts or Arrow record batches -> (shard, path) for each shard a bundle has rows
    of: the path of an Arrow IPC stream under ``spill_dir`` holding those rows as record
    batches. The rows wait for the writer on disk, and the shuffle carries paths.

    Shuffled themselves, the rows of a table would be one grouping of one key (its shard),
    which the in-process runner holds encoded and hands over as one element: a few hundred
    MB at 100,000 articles, copied about four times on its way (docs/BENCHMARKS.md). A
    dict per row is also written as columns: a kilobyte in memory against tens of bytes. A
    stage that makes many rows at once (a story's sentence alignments) emits them as one
    record batch, which is written as it is. A bundle that is retried writes new files; the
    writer reads only those whose paths its successful bundles output, and the run's
    folder, spill included, is removed when the run is published.
    """

    def __init__(self, table: str, num_shards: int, spill_dir: str) -> None:
        self._table = table
        self._num_shards = num_shards
        self._spill_dir = spill_dir
        self._schemas = (SCHEMAS[table], compact_schema(SCHEMAS[table]), narrow_schema(SCHEMAS[table]))

    def start_bundle(self):
        self._chunks: dict[int, list[dict[str, Any]]] = {}
        self._files: dict[tuple[int, int], tuple[str, Any, pa.ipc.RecordBatchStreamWriter]] = {}

    def _spill(self, shard: int, batch: pa.RecordBatch, layout: int = 0) -> None:
        """Appends ``batch`` (in ``self._schemas[layout]``) to the bundle's file of that shard
        and layout."""
        if (shard, layout) not in self._files:
            path = FileSystems.join(self._spill_dir, f"{shard:05d}-{uuid.uuid4().hex}.arrow")
            handle = FileSystems.create(path)
            writer = pa.ipc.new_stream(handle, batch.schema, options=_SPILL_OPTIONS)
            self._files[shard, layout] = (path, handle, writer)
        self._files[shard, layout][2].write_batch(batch)

    def process(self, row):
        if isinstance(row, pa.RecordBatch):
            layout = next((i for i, schema in enumerate(self._schemas) if row.schema.equals(schema)), None)
            if layout is None:
                raise ValueError(f"a record batch for table {self._table} has schema {row.schema}")
            if row.num_rows:
                for shard, rows in split_by_shard(row, self._table, self._num_shards):
                    self._spill(shard, rows, layout)
            return
        shard = shard_of(row, self._table, self._num_shards)
        chunk = self._chunks.setdefault(shard, [])
        chunk.append(row)
        if len(chunk) == _CHUNK_ROWS:
            self._spill(shard, pa.RecordBatch.from_pylist(chunk, schema=self._schemas[0]))
            self._chunks[shard] = []

    def finish_bundle(self):
        for shard, chunk in sorted(self._chunks.items()):
            if chunk:
                self._spill(shard, pa.RecordBatch.from_pylist(chunk, schema=self._schemas[0]))
        self._chunks = {}
        for (shard, _), (path, handle, writer) in sorted(self._files.items()):
            writer.close()
            handle.close()
            yield WindowedValue((shard, path), MIN_TIMESTAMP, [GlobalWindow()])
        self._files = {}


def read_spilled(path: str) -> list[pa.RecordBatch]:
    """The record batches of one spilled file, in the order they were written."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return list(pa.ipc.open_stream(handle))


def shard_path(directory: str, table: str, shard: int, num_shards: int) -> str:
    return FileSystems.join(directory, table, f"part-{shard:05d}-of-{num_shards:05d}.parquet")


def rows_per_group(num_rows: int, num_bytes: int, row_group_size: int) -> int:
    """Rows per row group for a table of ``num_rows`` rows in ``num_bytes`` bytes:
    ``row_group_size``, halved until a group of average rows holds at most
    ``ROW_GROUP_BYTES``.

    Halving, rather than dividing, keeps the size the same for the same rows however
    they were batched (a batch's validity bitmap can change the bytes by a few).
    """
    size = row_group_size
    while size > 1 and size * num_bytes > ROW_GROUP_BYTES * num_rows:
        size = (size + 1) // 2
    return size


def _story_batches(batches: list[pa.RecordBatch], key: str) -> list[tuple[Any, int]] | None:
    """(key value, position) of each batch, in key order, when every batch holds one value of
    the first sort key and no two batches share one (a story's sentence alignments);
    otherwise None."""
    values: list[tuple[Any, int]] = []
    if not batches:
        return None
    for position, batch in enumerate(batches):
        column = batch.column(key)
        if isinstance(column, pa.DictionaryArray):
            column = column.dictionary_decode()
        if batch.num_rows == 0 or column.null_count or pc.count_distinct(column).as_py() != 1:
            return None
        values.append((column[0].as_py(), position))
    values.sort()
    if any(first[0] == second[0] for first, second in zip(values, values[1:], strict=False)):
        return None
    return values


def write_sorted(path: str, batches: list[pa.RecordBatch], table: str, config: OutputConfig) -> int:
    """Writes the rows of ``batches`` to one Parquet file, sorted by the table's sort key, and
    returns how many there were.

    When each batch is one story's rows (a day's sentence alignments: tens of millions of
    rows in tens of thousands of batches), the batches are sorted one at a time and written
    in story order, a row group at a time, so the sorted rows are never all in memory next
    to the unsorted ones; otherwise the rows are sorted together and taken in that order a
    row group at a time. Row groups hold ``rows_per_group`` rows. Batches may come in the
    table's ``schemas.tables.compact_schema`` or ``narrow_schema``; the file has the table's
    schema. ``batches`` is let go of on the way (emptied, or each batch replaced by None once
    written), so that its rows are not held twice.
    """
    schema = SCHEMAS[table]
    compression = None if config.compression == "none" else config.compression
    order = _story_batches(batches, SORT_KEYS[table][0])
    if order is None:
        rows = pa.Table.from_batches([with_table_schema(batch, table) for batch in batches], schema=schema)
        batches.clear()  # where the rows were decoded, the encoded ones go
        positions = sort_order(rows, table)
        size = rows_per_group(rows.num_rows, rows.nbytes, config.row_group_size)
        # Sorted a row group at a time: a sorted copy of the whole table would wait beside
        # the rows until written (the state at 100,000 articles: 0.37 GB, its writer's peak).
        with (
            FileSystems.create(path) as handle,
            pq.ParquetWriter(handle, schema, compression=compression) as out,
        ):
            for start in range(0, max(rows.num_rows, 1), size):
                out.write_table(rows.take(positions.slice(start, size)), row_group_size=size)
        return rows.num_rows
    written = waiting = 0
    pending: list[pa.RecordBatch] = []
    size = rows_per_group(
        sum(batch.num_rows for batch in batches),
        sum(batch.nbytes for batch in batches),
        config.row_group_size,
    )
    with FileSystems.create(path) as handle, pq.ParquetWriter(handle, schema, compression=compression) as out:
        for _, position in order:
            # The sorted copy replaces the batch.
            batch, batches[position] = with_table_schema(batches[position], table), None
            pending.append(batch.take(sort_order(batch, table)))
            waiting += batch.num_rows
            while waiting >= size or (waiting and position == order[-1][1]):
                group = pa.Table.from_batches(pending, schema=schema)
                taken = min(waiting, size)
                out.write_table(group.slice(0, taken).combine_chunks())
                pending = group.slice(taken).to_batches()
                waiting -= taken
                written += taken
    return written


class _WriteShardFn(beam.DoFn):
    def __init__(self, table: str, directory: str, config: OutputConfig) -> None:
        self._table = table
        self._directory = directory
        self._config = config

    def process(self, keyed):
        shard, grouped = keyed
        path = shard_path(self._directory, self._table, shard, self._config.num_shards)
        # A retried bundle finds the file of its failed attempt, and hdfs:// writes over none.
        if FileSystems.exists(path):
            FileSystems.delete([path])
        batches = [batch for spilled in grouped["spilled"] for batch in read_spilled(spilled)]
        yield self._table, write_sorted(path, batches, self._table, self._config)


class WriteTable(beam.PTransform):
    """Rows of one table (dicts, or Arrow record batches of the table's schema, its
    ``compact_schema`` or its ``narrow_schema``) -> sorted Parquet shards; outputs (table,
    rows written) per shard.

    The rows may come as a tuple of PCollections: each is spilled to disk in the stage that
    makes it, and only the spilled files' paths are flattened. (A Flatten of the rows
    themselves is a collection the in-process runner holds until its consumer runs, which
    waits for the last of its inputs.)"""

    def __init__(self, table: str, directory: str, config: OutputConfig) -> None:
        super().__init__()
        self._table = table
        self._directory = directory
        self._config = config

    def expand(self, rows):
        table, shards = self._table, self._config.num_shards
        spill_dir = FileSystems.join(self._directory, SPILL_FOLDER, table)
        spill = _SpillByShardFn(table, shards, spill_dir)
        if isinstance(rows, beam.PCollection):
            spilled = rows | "SpillByShard" >> beam.ParDo(spill)
        else:
            spilled = [
                part | f"SpillByShard{index}" >> beam.ParDo(spill) for index, part in enumerate(rows)
            ] | "AllSpilled" >> beam.Flatten()
        all_shards = spilled.pipeline | "Shards" >> beam.Create([(shard, None) for shard in range(shards)])
        return (
            {"spilled": spilled, "shard": all_shards}
            | "GroupShard" >> beam.CoGroupByKey()
            | "WriteShard" >> beam.ParDo(_WriteShardFn(table, self._directory, self._config))
        )


class WriteTables(beam.PTransform):
    """A dict of table name -> rows (a PCollection, or a tuple of them: ``WriteTable``) ->
    Parquet files under ``directory/<table>/``."""

    def __init__(self, directory: str, config: OutputConfig) -> None:
        super().__init__()
        self._directory = directory
        self._config = config

    def expand(self, tables):
        written = [
            rows | f"Write {name}" >> WriteTable(name, self._directory, self._config)
            for name, rows in sorted(tables.items())
        ]
        return written | "AllWritten" >> beam.Flatten()
