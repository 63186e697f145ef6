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
keeps the pair count linear. Articles with the same signature (near-copies: one text with
other stop words, punctuation or spacing) would share every band, so a story of more such
copies than the cap in one window would lose all its pairs: one of them is banded for all,
and they are paired with each other and with its candidates (docs/matching.md).

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
    it proposes no pair and is not counted. Articles with the same signature share every
    band: each such group is banded as one article (its first row), whose pairs all its
    members get, and its members are paired with each other, however many they are.
    """
    count = len(signatures)
    if count < 2:
        return np.zeros((0, 2), dtype=np.int64)
    own = count if own is None else own
    _, first_rows, group = np.unique(signatures, axis=0, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    if len(first_rows) == count:
        return _banded_pairs(signatures, bands, rows, cap, stats, own)
    # Band one row per signature, in row order (so own rows still come first), then give
    # every pair of two groups to all their members.
    kept = np.sort(first_rows)
    position = np.empty(len(first_rows), dtype=np.int64)
    position[group[kept]] = np.arange(len(kept))
    banded = _banded_pairs(signatures[kept], bands, rows, cap, stats, int(np.sum(kept < own)))
    members = np.argsort(position[group], kind="stable")  # rows of group 0, then group 1, ...
    starts = np.searchsorted(position[group][members], np.arange(len(kept) + 1))
    sizes = np.diff(starts)
    alone = (sizes[banded[:, 0]] == 1) & (sizes[banded[:, 1]] == 1)
    firsts, seconds = members[starts[banded[alone, 0]]], members[starts[banded[alone, 1]]]
    codes = [np.minimum(firsts, seconds) * count + np.maximum(firsts, seconds)]
    for i, j in banded[~alone].tolist():
        firsts, seconds = members[starts[i] : starts[i + 1]], members[starts[j] : starts[j + 1]]
        codes.append((np.minimum.outer(firsts, seconds) * count + np.maximum.outer(firsts, seconds)).ravel())
    for index in np.flatnonzero(sizes > 1).tolist():
        copies = np.sort(members[starts[index] : starts[index + 1]])
        upper_i, upper_j = np.triu_indices(len(copies), 1)
        codes.append(copies[upper_i] * count + copies[upper_j])
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // count, unique % count], axis=1)


def _banded_pairs(
    signatures: np.ndarray, bands: int, rows: int, cap: int, stats: BucketStats | None, own: int
) -> np.ndarray:
    """``candidate_pairs`` of signatures that all differ."""
    stats = stats if stats is not None else BucketStats()
    count = len(signatures)
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
        paired = shared & ~oversized
        for size in np.unique(sizes[paired]).tolist():
            first_rows = starts[paired & (sizes == size)]
            members = np.sort(order[first_rows[:, None] + np.arange(size)], axis=1).astype(np.int64)
            upper_i, upper_j = np.triu_indices(size, 1)
            codes.append((members[:, upper_i] * count + members[:, upper_j]).ravel())
    unique = np.unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
    return np.stack([unique // count, unique % count], axis=1)
