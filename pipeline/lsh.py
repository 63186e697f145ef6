"""LSH banding: signatures -> band keys -> candidate pairs, grouped inside Beam.

A signature of ``b * r`` MinHash values is cut into ``b`` bands of ``r`` rows; two articles
become a candidate pair when all ``r`` values of at least one band agree. For a Jaccard
similarity ``s`` between their salient-term sets that happens with probability

    P(candidate | s) = 1 - (1 - s**r) ** b        (Mining of Massive Datasets, ch. 3.4)

``b`` and ``r`` come from datasketch's own optimisation (``_optimal_param``) for the
configured threshold, with false positives and false negatives weighted equally. With the
default 128 permutations and threshold 0.01 it picks 128 bands of 1 row:

    s       0.005  0.01   0.02   0.03   0.05   0.10
    P       0.47   0.72   0.92   0.98   1.00   1.00

That curve is deliberately permissive: the 30 salient terms of two rewrites overlap only a
little (Jaccard 0.02-0.2), and every candidate is verified afterwards, so a missed pair
costs more than an extra candidate. Buckets larger than ``bucket_cap`` (a term shared by a
huge number of articles, such as a boilerplate paragraph) are skipped and counted, which
keeps the pair count linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics
from datasketch.lsh import _optimal_param


def band_parameters(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives at ``threshold``."""
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[bytes]:
    """One key per band: the band number followed by that band's hash values."""
    values = np.ascontiguousarray(signature[: bands * rows], dtype=np.uint64).reshape(bands, rows)
    return [band.to_bytes(2, "big") + values[band].tobytes() for band in range(bands)]


def bucket_pairs(members: Iterable[tuple[str, bool]]) -> Iterator[tuple[str, str]]:
    """Every pair of distinct articles in one bucket, each as (smaller id, larger id).

    ``members`` are (article id, is_prior); two articles of earlier runs are never paired
    again (their stories are published and fixed).
    """
    ordered = sorted(set(members))
    for i, (first, first_prior) in enumerate(ordered):
        for second, second_prior in ordered[i + 1 :]:
            if first != second and not (first_prior and second_prior):
                yield first, second


# --- Beam stage --------------------------------------------------------------------------


class _BucketFn(beam.CombineFn):
    """Collects a bucket's article ids, keeping at most ``cap + 1`` so memory stays bounded.

    Only the count matters once a bucket is over the cap (it is skipped whole), so the
    ids kept past that point are irrelevant and the result stays deterministic.
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap

    def create_accumulator(self):
        return 0, []

    def add_input(self, accumulator, member):
        count, ids = accumulator
        if len(ids) <= self._cap:
            ids.append(member)
        return count + 1, ids

    def merge_accumulators(self, accumulators):
        count, ids = 0, []
        for other_count, other_ids in accumulators:
            count += other_count
            ids.extend(other_ids[: self._cap + 1 - len(ids)])
        return count, ids

    def extract_output(self, accumulator):
        return accumulator


class _PairsFromBucketFn(beam.DoFn):
    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._buckets = Metrics.counter("lsh", "shared_buckets")
        self._oversized = Metrics.counter("lsh", "oversized_buckets_skipped")
        self._skipped_members = Metrics.counter("lsh", "oversized_bucket_members")
        self._largest = Metrics.distribution("lsh", "bucket_size")

    def process(self, keyed_bucket):
        _, (count, ids) = keyed_bucket
        if count < 2:
            return
        self._buckets.inc()
        self._largest.update(count)
        if count > self._cap:
            self._oversized.inc()
            self._skipped_members.inc(count)
            return
        yield from bucket_pairs(ids)


class GenerateCandidates(beam.PTransform):
    """ArticleSketch -> distinct candidate pairs (smaller id, larger id), grouped on band keys.

    No index of the whole corpus is held anywhere: each band key is a Beam key, so the
    grouping is spread over workers like any other shuffle.
    """

    def __init__(self, bands: int, rows: int, bucket_cap: int) -> None:
        super().__init__()
        self._bands = bands
        self._rows = rows
        self._cap = bucket_cap

    def expand(self, sketches):
        bands, rows = self._bands, self._rows
        return (
            sketches
            | "BandKeys"
            >> beam.FlatMap(
                lambda sketch: (
                    (key, (sketch.id, sketch.prior is not None))
                    for key in band_keys(sketch.signature, bands, rows)
                )
            )
            | "CollectBuckets" >> beam.CombinePerKey(_BucketFn(self._cap))
            | "PairsInBucket" >> beam.ParDo(_PairsFromBucketFn(self._cap))
            | "DistinctPairs" >> beam.Distinct()
        )
