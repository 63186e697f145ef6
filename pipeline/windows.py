"""Stages 3-4 together: LSH candidates and their verification, one time window at a time.

Two articles can only be the same story when they appeared at most
``verify.max_days_apart`` days apart, so candidates are generated and scored inside
windows of publication time rather than over the whole corpus:

* time is cut into blocks of ``max_days_apart`` days; window ``k`` holds the articles of
  block ``k`` (its *own* articles) and those of block ``k + 1`` (*neighbours*);
* a window pairs own articles with each other and with neighbours, never two neighbours
  (they are block ``k + 1``'s own), so every pair at most ``max_days_apart`` apart is
  proposed in exactly one window, and a pair further apart in none;
* articles without a publication time can match any article: they form one window of
  their own and travel to every dated window as a side input (few in practice; a corpus
  with no times at all is one window).

Each window holds its sketches once, so the TF-IDF vectors never travel per pair, the work
grows with the corpus times the articles per window (not with the corpus squared), and
windows are spread over workers like any other key. A window holds about
``2 * max_days_apart`` days of articles: that, not the corpus, bounds a worker's memory.
The windows are grouped in ``WINDOW_PARTS`` parts by key, each matched by a step of its own,
so that the in-process runner never encodes every window at once (see ``WINDOW_PARTS``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.metrics import Metrics

from pipeline.config import VerifyConfig
from pipeline.lsh import BucketStats, candidate_pairs
from pipeline.records import ArticleSketch
from pipeline.verify import (
    FEW_DETAILS,
    LOW_SCORE,
    MICROSECONDS_PER_DAY,
    TOO_FAR_APART,
    VERIFIED,
    PairScores,
    publication_gaps,
    score_pairs,
)
from schemas.tables import TABLES, compact_schema

UNDATED = "undated"
PAIR_ROWS = "pair_rows"
# The windows are grouped in this many parts, each matched by its own step. The in-process
# runner encodes a grouping whole when its consumer starts, into one buffer that grows by
# doubling, then copies it twice on its way to the worker: one grouping of every window
# (each sketch in two) rose a run's memory by 2.7 GB at 100,000 articles; a part rises it
# by a part's share (docs/BENCHMARKS.md). Other runners shuffle each part as they would one.
WINDOW_PARTS = 8


def window_part(key: str, parts: int = WINDOW_PARTS) -> int:
    """The part a window key is grouped in: the same for every copy of a key, everywhere."""
    return zlib.crc32(key.encode("utf-8")) % parts


def window_keys(published_us: int | None, max_days_apart: float) -> list[tuple[str, bool]]:
    """(window key, is own article) for each window an article belongs to."""
    if published_us is None:
        return [(UNDATED, True)]
    block = int(published_us // (max_days_apart * MICROSECONDS_PER_DAY))
    return [(f"block-{block}", True), (f"block-{block - 1}", False)]


def window_candidates(
    own: list[ArticleSketch],
    neighbours: list[ArticleSketch],
    bands: int,
    rows: int,
    cap: int,
    max_days_apart: float,
    stats: BucketStats | None = None,
) -> tuple[list[ArticleSketch], np.ndarray]:
    """Candidate pairs of one window: LSH over all its articles, then the window's rules.

    Returns the window's articles (own ones first, each part sorted by id) and the (i, j)
    positions of its candidate pairs. A pair needs at least one own article, is never two
    earlier runs' anchors (their stories are published) and, when both times are known, is
    at most ``max_days_apart`` days apart. An article without terms is in no pair.
    """
    members = sorted(own, key=lambda sketch: sketch.id) + sorted(neighbours, key=lambda sketch: sketch.id)
    if len(members) < 2:
        return members, np.zeros((0, 2), dtype=np.int64)
    # An article without terms (punctuation, symbols, stop words) has the empty set's MinHash,
    # every other such article's, and a cosine of 0 with anything: it is never banded.
    banded = np.flatnonzero([len(sketch.vector) > 0 for sketch in members])
    signatures = np.stack([sketch.signature for sketch in members])[banded]
    pairs = banded[candidate_pairs(signatures, bands, rows, cap, stats, own=int(np.sum(banded < len(own))))]
    first, second = pairs[:, 0], pairs[:, 1]
    anchor = np.array([sketch.prior is not None for sketch in members])
    with np.errstate(invalid="ignore"):  # an undated article: no gap, never too far apart
        too_far = publication_gaps(members, first, second) > max_days_apart
    keep = ((first < len(own)) | (second < len(own))) & ~(anchor[first] & anchor[second]) & ~too_far
    return members, pairs[keep]


# ~50 candidates per article, most rejected: their rows leave in record batches of this
# many, not one element per pair, and a large window never holds all its rows as dicts.
_PAIR_BATCH_ROWS = 10_000
# The rows wait in memory from LSH until the writer runs (4 million at 100,000 articles):
# with their strings dictionary-encoded (a few ids and reasons, repeated) they take half
# the bytes; the writer decodes them (``write.with_table_schema``).
PAIR_ROWS_SCHEMA = compact_schema(TABLES["pairs"])


def _pair_batch(members: list[ArticleSketch], scores: PairScores, part: slice) -> pa.RecordBatch:
    """The ``pairs`` table rows of a slice of a window's scored candidates, in
    ``PAIR_ROWS_SCHEMA``."""
    ids = [sketch.id for sketch in members]
    gaps = np.array([round(gap, 6) for gap in scores.days_apart[part].tolist()], np.float64)  # as pair_row
    reasons = scores.reason[part].tolist()
    return pa.RecordBatch.from_arrays(
        [
            pa.array([ids[i] for i in scores.first[part].tolist()], pa.string()).dictionary_encode(),
            pa.array([ids[j] for j in scores.second[part].tolist()], pa.string()).dictionary_encode(),
            pa.array(scores.score[part], pa.float64()),
            pa.array(gaps, pa.float64(), mask=np.isnan(gaps)),
            pa.array([reason == VERIFIED for reason in reasons], pa.bool_()),
            pa.array(reasons, pa.string()).dictionary_encode(),
            pa.array(["lsh"] * len(reasons), pa.string()).dictionary_encode(),
        ],
        schema=PAIR_ROWS_SCHEMA,
    )


class _WindowPartFn(beam.PartitionFn):
    def partition_for(self, element, num_partitions, *args, **kwargs) -> int:
        return window_part(element[0], num_partitions)


class _MatchWindowFn(beam.DoFn):
    def __init__(
        self, bands: int, rows: int, cap: int, config: VerifyConfig, detail_max_df: int | None
    ) -> None:
        self._bands, self._rows, self._cap = bands, rows, cap
        self._config = config
        self._detail_max_df = detail_max_df
        self._windows = Metrics.counter("lsh", "windows")
        self._window_size = Metrics.distribution("lsh", "window_size")
        self._candidates = Metrics.counter("lsh", "candidates")
        self._shared = Metrics.counter("lsh", "shared_buckets")
        self._oversized = Metrics.counter("lsh", "oversized_buckets_skipped")
        self._oversized_members = Metrics.counter("lsh", "oversized_bucket_members")
        self._bucket_size = Metrics.distribution("lsh", "bucket_size")
        self._verdicts = {
            reason: Metrics.counter("verify", f"pairs_{reason}")
            for reason in (VERIFIED, LOW_SCORE, TOO_FAR_APART, FEW_DETAILS)
        }

    def process(self, keyed, undated: Iterable[ArticleSketch]):
        key, grouped = keyed
        own: list[ArticleSketch] = []
        neighbours: list[ArticleSketch] = []
        for sketch, is_own in grouped:
            (own if is_own else neighbours).append(sketch)
        if key != UNDATED:
            neighbours.extend(undated)
        self._windows.inc()
        self._window_size.update(len(own) + len(neighbours))
        stats = BucketStats()
        members, pairs = window_candidates(
            own, neighbours, self._bands, self._rows, self._cap, self._config.max_days_apart, stats
        )
        self._candidates.inc(len(pairs))
        scores = score_pairs(members, pairs, self._config, self._detail_max_df)
        reasons, counts = np.unique(scores.reason.astype(str), return_counts=True)
        for reason, count in zip(reasons.tolist(), counts.tolist(), strict=True):
            self._verdicts[reason].inc(count)
        yield from scores.verified(members)
        for start in range(0, len(pairs), _PAIR_BATCH_ROWS):
            yield beam.pvalue.TaggedOutput(
                PAIR_ROWS, _pair_batch(members, scores, slice(start, start + _PAIR_BATCH_ROWS))
            )
        self._shared.inc(stats.shared)
        self._oversized.inc(stats.oversized)
        self._oversized_members.inc(stats.oversized_members)
        if stats.shared:
            self._bucket_size.update(stats.largest)


class MatchInWindows(beam.PTransform):
    """ArticleSketch -> the verified ScoredPairs (output ``verified``) and the ``pairs``
    table rows of every LSH candidate, verified or not, as Arrow record batches of up to
    ``_PAIR_BATCH_ROWS`` rows in ``PAIR_ROWS_SCHEMA`` (output ``PAIR_ROWS``: a tuple of
    PCollections, one per part of the windows, not flattened. Flattened, they would be one
    collection that the in-process runner holds until its consumer runs; each part can be
    written out (``write.WriteTable``) in the stage that makes it instead)."""

    def __init__(
        self, bands: int, rows: int, bucket_cap: int, config: VerifyConfig, detail_max_df: int | None = None
    ) -> None:
        """``detail_max_df`` (``features.detail_max_df``): the detail check counts a term's
        near-copies once (``verify.score_pairs``); None counts the sketches' details as they are."""
        super().__init__()
        if config.max_days_apart <= 0:
            raise ValueError("verify.max_days_apart must be positive")
        self._bands, self._rows, self._cap = bands, rows, bucket_cap
        self._config = config
        self._detail_max_df = detail_max_df

    def expand(self, sketches) -> dict[str, Any]:
        max_days = self._config.max_days_apart
        undated = sketches | "Undated" >> beam.Filter(lambda sketch: sketch.published_us is None)
        parts = (
            sketches
            | "WindowKeys"
            >> beam.FlatMap(
                lambda sketch: (
                    (key, (sketch, is_own)) for key, is_own in window_keys(sketch.published_us, max_days)
                )
            )
            | "SplitWindows" >> beam.Partition(_WindowPartFn(), WINDOW_PARTS)
        )
        matched = [
            part
            | f"GroupWindows{index}" >> beam.GroupByKey()
            | f"MatchWindow{index}"
            >> beam.ParDo(
                _MatchWindowFn(self._bands, self._rows, self._cap, self._config, self._detail_max_df),
                beam.pvalue.AsList(undated),
            ).with_outputs(PAIR_ROWS, main="verified")
            for index, part in enumerate(parts)
        ]
        return {
            "verified": [result.verified for result in matched] | "AllVerified" >> beam.Flatten(),
            PAIR_ROWS: tuple(result[PAIR_ROWS] for result in matched),
        }
