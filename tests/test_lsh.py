from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.lsh import BucketStats, band_parameters, candidate_pairs, candidate_probability


def test_band_parameters_pinned_to_datasketch():
    assert band_parameters(0.8, 128) == (9, 13)
    assert band_parameters(0.01, 128) == (128, 1)
    assert (
        band_parameters(0.5, 128) == (25, 5)
        or band_parameters(0.5, 128)[0] * band_parameters(0.5, 128)[1] <= 128
    )


def test_candidate_probability_curve():
    assert candidate_probability(0.0, 128, 1) == 0.0
    assert round(candidate_probability(0.02, 128, 1), 2) == 0.92
    assert candidate_probability(0.1, 128, 1) > 0.999


def test_candidate_pairs_share_a_band_and_skip_oversized_buckets():
    signatures = np.array(
        [[1, 2], [1, 9], [7, 2], [8, 8], [8, 5]] + [[100, 200 + i] for i in range(4)], dtype=np.uint64
    )
    stats = BucketStats()
    pairs = candidate_pairs(signatures, bands=2, rows=1, cap=3, stats=stats)
    assert pairs.tolist() == [[0, 1], [0, 2], [3, 4]]
    assert (stats.shared, stats.oversized, stats.oversized_members, stats.largest) == (4, 1, 4, 4)


def test_candidate_pairs_count_only_buckets_with_an_own_article():
    """Rows from ``own`` on are a window's neighbours: their buckets alone are another window's."""
    signatures = np.array([[1, 2], [1, 3], [5, 3], [6, 3], [5, 9]], dtype=np.uint64)
    stats = BucketStats()
    pairs = candidate_pairs(signatures, bands=2, rows=1, cap=2, stats=stats, own=2)
    # band 0: {0, 1} pairs, {2, 3, 4} is the neighbours' alone; band 1: {1, 2, 3} is oversized
    assert pairs.tolist() == [[0, 1]]
    assert (stats.shared, stats.oversized, stats.oversized_members, stats.largest) == (2, 1, 3, 3)


def test_candidate_pairs_need_every_row_of_a_band():
    signatures = np.array([[1, 2, 3, 4], [1, 2, 0, 4], [1, 0, 3, 4], [5, 6, 3, 4]], dtype=np.uint64)
    pairs = candidate_pairs(signatures, bands=2, rows=2, cap=10)
    assert pairs.tolist() == [[0, 1], [0, 2], [0, 3], [2, 3]]
    assert candidate_pairs(signatures[:1], bands=2, rows=2, cap=10).shape == (0, 2)


def test_candidate_pairs_equal_datasketch_lsh():
    """The in-memory banding proposes exactly the pairs datasketch's MinHashLSH does."""
    rng = np.random.default_rng(3)
    vocabulary = [f"t{i}" for i in range(60)]
    sketches = []
    for _ in range(40):
        minhash = MinHash(num_perm=32, seed=1)
        minhash.update_batch([word.encode() for word in rng.choice(vocabulary, 8, replace=False)])
        sketches.append(minhash)
    bands, rows = band_parameters(0.3, 32)
    lsh = MinHashLSH(num_perm=32, params=(bands, rows))
    for index, minhash in enumerate(sketches):
        lsh.insert(index, minhash)
    expected = sorted(
        {(min(i, j), max(i, j)) for i, minhash in enumerate(sketches) for j in lsh.query(minhash) if i != j}
    )
    signatures = np.stack([minhash.hashvalues for minhash in sketches])
    found = candidate_pairs(signatures, bands, rows, cap=1000)
    assert [tuple(pair) for pair in found.tolist()] == expected
    assert expected  # the check compared something


def test_articles_with_one_signature_are_paired_whatever_the_cap():
    """Near-copies (the same salient terms) share every band: more of them than the cap
    in one bucket used to give no pair at all, and their story was lost."""
    copies = np.tile(np.array([[4, 5, 6]], dtype=np.uint32), (6, 1))
    others = np.array([[4, 9, 9], [8, 8, 6], [1, 2, 3]], dtype=np.uint32)
    signatures = np.concatenate([others[:1], copies, others[1:]])  # rows 1-6 are the copies
    stats = BucketStats()
    pairs = candidate_pairs(signatures, bands=3, rows=1, cap=3, stats=stats)
    copy_rows = range(1, 7)
    expected = {(i, j) for i in copy_rows for j in copy_rows if i < j}
    expected |= {(0, j) for j in copy_rows} | {(j, 7) for j in copy_rows}  # band 0, band 2
    assert {tuple(pair) for pair in pairs.tolist()} == expected
    assert stats.oversized == 0


def test_one_signature_groups_change_nothing_under_the_cap():
    """Banding one row per signature proposes the same pairs as banding every row."""
    rng = np.random.default_rng(5)
    distinct = rng.integers(0, 6, size=(30, 8)).astype(np.uint32)
    signatures = distinct[rng.integers(0, 30, size=80)]  # many rows repeat one another
    assert len(np.unique(signatures, axis=0)) < len(signatures)
    found = candidate_pairs(signatures, bands=4, rows=2, cap=1000)
    bands = [signatures[:, 2 * band : 2 * band + 2] for band in range(4)]
    expected = [
        (i, j)
        for i in range(80)
        for j in range(i + 1, 80)
        if any((band[i] == band[j]).all() for band in bands)
    ]
    assert [tuple(pair) for pair in found.tolist()] == expected
