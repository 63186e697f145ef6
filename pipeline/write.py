"""Stage 7: tables -> Parquet files with the explicit schemas of ``schemas.tables``.

Each table is written as ``num_shards`` files ``part-SSSSS-of-NNNNN.parquet`` (zstd by
default), with a story's rows in one file and the rows of every file sorted by the
table's sort key. Every shard is written even when it has no rows, so a reader's glob
always matches and an empty table reads as zero rows with the right columns. Files go
through Beam's file systems, so the output folder may be local, ``gs://`` or ``s3://``.
"""

from __future__ import annotations

import zlib
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from pipeline.config import OutputConfig
from schemas.tables import INTERNAL_TABLES, SORT_KEYS, TABLES, compact_schema, narrow_schema

SCHEMAS = {**TABLES, **INTERNAL_TABLES}
_CHUNK_ROWS = 50_000


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


class _BatchByShardFn(beam.DoFn):
    """Row dicts or Arrow record batches -> (shard, record batch): rows travel to the
    writer as columns.

    A dict per row costs about a kilobyte in memory and in the shuffle; the same row in a
    record batch costs tens of bytes, and the writer no longer rebuilds millions of dicts.
    A stage that makes many rows at once (a story's sentence alignments) emits them as one
    record batch, which passes through as it is.
    """

    def __init__(self, table: str, num_shards: int) -> None:
        self._table = table
        self._num_shards = num_shards
        self._schema = SCHEMAS[table]
        self._travelling = (compact_schema(self._schema), narrow_schema(self._schema))

    def start_bundle(self):
        self._chunks: dict[int, list[dict[str, Any]]] = {}

    def process(self, row):
        if isinstance(row, pa.RecordBatch):
            if not any(row.schema.equals(schema) for schema in (self._schema, *self._travelling)):
                raise ValueError(f"a record batch for table {self._table} has schema {row.schema}")
            if row.num_rows:
                yield from split_by_shard(row, self._table, self._num_shards)
            return
        shard = shard_of(row, self._table, self._num_shards)
        chunk = self._chunks.setdefault(shard, [])
        chunk.append(row)
        if len(chunk) == _CHUNK_ROWS:
            yield shard, pa.RecordBatch.from_pylist(chunk, schema=self._schema)
            self._chunks[shard] = []

    def finish_bundle(self):
        for shard, chunk in sorted(self._chunks.items()):
            if chunk:
                batch = pa.RecordBatch.from_pylist(chunk, schema=self._schema)
                yield WindowedValue((shard, batch), MIN_TIMESTAMP, [GlobalWindow()])
        self._chunks = {}


def shard_path(directory: str, table: str, shard: int, num_shards: int) -> str:
    return FileSystems.join(directory, table, f"part-{shard:05d}-of-{num_shards:05d}.parquet")


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
    to the unsorted ones; otherwise the rows are sorted together. Batches may come in the
    table's ``schemas.tables.compact_schema`` or ``narrow_schema``; the file has the table's
    schema.
    """
    schema = SCHEMAS[table]
    compression = None if config.compression == "none" else config.compression
    order = _story_batches(batches, SORT_KEYS[table][0])
    if order is None:
        rows = pa.Table.from_batches([with_table_schema(batch, table) for batch in batches], schema=schema)
        with FileSystems.create(path) as handle:
            pq.write_table(
                rows.take(sort_order(rows, table)),
                handle,
                compression=compression,
                row_group_size=config.row_group_size,
            )
        return rows.num_rows
    written = waiting = 0
    pending: list[pa.RecordBatch] = []
    with FileSystems.create(path) as handle, pq.ParquetWriter(handle, schema, compression=compression) as out:
        for _, position in order:
            # The sorted copy replaces the batch.
            batch, batches[position] = with_table_schema(batches[position], table), None
            pending.append(batch.take(sort_order(batch, table)))
            waiting += batch.num_rows
            while waiting >= config.row_group_size or (waiting and position == order[-1][1]):
                group = pa.Table.from_batches(pending, schema=schema)
                size = min(waiting, config.row_group_size)
                out.write_table(group.slice(0, size).combine_chunks())
                pending = group.slice(size).to_batches()
                waiting -= size
                written += size
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
        yield self._table, write_sorted(path, list(grouped["batches"]), self._table, self._config)


class WriteTable(beam.PTransform):
    """Rows of one table (dicts, or Arrow record batches of the table's schema, its
    ``compact_schema`` or its ``narrow_schema``) -> sorted Parquet shards; outputs (table,
    rows written) per shard."""

    def __init__(self, table: str, directory: str, config: OutputConfig) -> None:
        super().__init__()
        self._table = table
        self._directory = directory
        self._config = config

    def expand(self, rows):
        table, shards = self._table, self._config.num_shards
        batches = rows | "BatchByShard" >> beam.ParDo(_BatchByShardFn(table, shards))
        all_shards = rows.pipeline | "Shards" >> beam.Create([(shard, None) for shard in range(shards)])
        return (
            {"batches": batches, "shard": all_shards}
            | "GroupShard" >> beam.CoGroupByKey()
            | "WriteShard" >> beam.ParDo(_WriteShardFn(table, self._directory, self._config))
        )


class WriteTables(beam.PTransform):
    """A dict of table name -> rows PCollection -> Parquet files under ``directory/<table>/``."""

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
