"""LSH banding: MinHash signatures of a group of articles -> candidate pairs, in memory.

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
keeps the pair count linear; a story of more near-copies than that in one window shares
every band, so it loses all its pairs (docs/matching.md, known limitations).

The banding runs over one publication-time window at a time (``windows``), as sorted
numpy arrays: no per-key Python objects, and no shuffle of ``bands`` keys per article.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from datasketch.lsh import _optimal_param


def band_parameters(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) minimising false positives + false negatives at ``threshold``."""
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    return 1.0 - (1.0 - similarity**rows) ** bands


@dataclass
class BucketStats:
    """What the banding saw: buckets shared by two or more articles, and the skipped ones."""

    shared: int = 0
    oversized: int = 0
    oversized_members: int = 0
    largest: int = 0


def _band_labels(signatures: np.ndarray, band: int, rows: int) -> np.ndarray:
    """One integer per article: equal labels <=> equal values in every row of the band."""
    values = signatures[:, band * rows : (band + 1) * rows]
    if rows == 1:
        return values[:, 0]
    return np.unique(values, axis=0, return_inverse=True)[1].reshape(-1)


def candidate_pairs(
    signatures: np.ndarray,
    bands: int,
    rows: int,
    cap: int,
    stats: BucketStats | None = None,
    own: int | None = None,
) -> np.ndarray:
    """Row-index pairs (i < j) of articles sharing at least one band, shape (m, 2), sorted.

    ``signatures`` is an (articles x permutations) array. Buckets of more than ``cap``
    articles contribute no pairs; they are counted in ``stats``. When only the first ``own``
    rows are the window's own articles, a bucket without any of them is another window's:
    it proposes no pair and is not counted.
    """
    stats = stats if stats is not None else BucketStats()
    count = len(signatures)
    own = count if own is None else own
    if count < 2:
        return np.zeros((0, 2), dtype=np.int64)
    codes: list[np.ndarray] = []
    for band in range(bands):
        labels = _band_labels(signatures, band, rows)
        order = np.argsort(labels, kind="stable")
        ordered = labels[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, count])
        counted = np.minimum.reduceat(order, starts) < own  # holds an own article
        shared = (sizes >= 2) & counted
        stats.shared += int(shared.sum())
        stats.largest = max(stats.largest, int(sizes[counted].max(initial=0)))
        oversized = (sizes > cap) & counted
        stats.oversized += int(oversized.sum())
        stats.oversized_members += int(sizes[oversized].sum())
        # Buckets of one size at a time, as one (buckets x size) array of members.
        for size in np.unique(sizes[shared & ~oversized]).tolist():
            first_rows = starts[sizes == size]
            members = np.sort(order[first_rows[:, None] + np.arange(size)], axis=1).astype(np.int64)
            upper_i, upper_j = np.triu_indices(size, 1)
            codes.append((members[:, upper_i] * count + members[:, upper_j]).ravel())
    unique = np.unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    return np.stack([unique // count, unique % count], axis=1)
