from __future__ import annotations

import numpy as np
from apache_beam import Create
from apache_beam.testing.util import assert_that, equal_to

from pipeline.features import TermVector
from pipeline.lsh import GenerateCandidates, band_keys, band_parameters, bucket_pairs, candidate_probability
from pipeline.records import ArticleSketch, Prior


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


def test_band_keys_differ_by_band():
    signature = np.arange(8, dtype=np.uint32)
    keys = band_keys(signature, 4, 2)
    assert len(keys) == len(set(keys)) == 4
    assert band_keys(signature.copy(), 4, 2) == keys


def test_bucket_pairs_skip_two_prior_articles():
    members = [("b", False), ("a", True), ("c", True)]
    assert list(bucket_pairs(members)) == [("a", "b"), ("b", "c")]


def _sketch(article_id, values, prior=None):
    vector = TermVector(np.zeros(0, np.uint32), np.zeros(0, np.float32))
    return ArticleSketch(article_id, None, None, vector, np.array(values, dtype=np.uint32), prior)


def test_generate_candidates_groups_on_band_keys_and_caps_buckets(pipeline):
    sketches = [
        _sketch("a", [1, 2]),
        _sketch("b", [1, 9]),
        _sketch("c", [7, 2]),
        _sketch("d", [8, 8]),
        _sketch("old", [8, 5], Prior("s_x", "2025-01-01")),
    ] + [_sketch(f"z{i}", [100, 200 + i]) for i in range(4)]  # one bucket of 4 > cap 3
    with pipeline as p:
        pairs = p | Create(sketches) | GenerateCandidates(bands=2, rows=1, bucket_cap=3)
        assert_that(pairs, equal_to([("a", "b"), ("a", "c"), ("d", "old")]))
