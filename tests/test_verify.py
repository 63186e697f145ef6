from __future__ import annotations

import numpy as np

from pipeline.config import VerifyConfig
from pipeline.features import TermVector
from pipeline.records import ArticleSketch
from pipeline.verify import days_apart, score_pair

DAY = 86_400 * 1_000_000


def _sketch(article_id, weights, published=None):
    ids = np.arange(len(weights), dtype=np.uint32)
    values = np.asarray(weights, dtype=np.float32)
    vector = TermVector(ids, values / np.linalg.norm(values))
    return ArticleSketch(article_id, None, published, vector, np.zeros(2, np.uint32))


A = _sketch("a", [1, 1, 0.0001], 0)
B = _sketch("b", [1, 1, 0.0001], 2 * DAY)
C = _sketch("c", [1, 0.0001, 5], 30 * DAY)
D = _sketch("d", [0.0001, 0.0001, 1], 60 * DAY)


def test_days_apart():
    assert days_apart(0, 3 * DAY) == 3.0
    assert days_apart(None, 3) is None


def test_score_pair_decisions():
    config = VerifyConfig(min_score=0.5, max_days_apart=7)
    assert score_pair(B, A, config)[:6] == ("a", "b", 1.0, 2.0, True, "verified")
    assert score_pair(A, D, config).reason == "low_score"
    near_but_late = score_pair(A, _sketch("e", [1, 1, 0.0001], 10 * DAY), config)
    assert near_but_late.reason == "too_far_apart" and not near_but_late.verified


def test_a_pair_below_the_certain_score_needs_shared_details():
    config = VerifyConfig(min_score=0.1, max_days_apart=7, min_shared_details=2, certain_score=0.9)
    details = np.array([10, 11, 12], np.uint32)
    near = _sketch("x", [1, 1, 1])._replace(details=details)
    # Cosine 0.67 (< certain 0.9): two shared details verify it, one does not.
    two = _sketch("y", [1, 1, 0.0001, 1])._replace(details=np.array([11, 12, 99], np.uint32))
    one = _sketch("z", [1, 1, 0.0001, 1])._replace(details=np.array([12, 99], np.uint32))
    assert score_pair(near, two, config).verified
    assert score_pair(near, one, config).reason == "few_shared_details"
    # A near-copy needs no shared details; nor does an anchor whose details are unknown.
    assert score_pair(near, _sketch("w", [1, 1, 1])._replace(details=np.zeros(0, np.uint32)), config).verified
    assert score_pair(near, one._replace(details=None), config).verified
    assert score_pair(near, one, VerifyConfig(0.1, 7, min_shared_details=0, certain_score=0.9)).verified
