from __future__ import annotations

import numpy as np

from pipeline.config import VerifyConfig
from pipeline.features import TermVector, detail_ids, term_frequencies
from pipeline.records import ArticleSketch
from pipeline.verify import days_apart, score_pair, score_pairs

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


def _terms(article_id, ids, df_table, max_df=5):
    """A sketch over equally weighted term ids, its details found in ``df_table``."""
    ids = np.array(sorted(ids), np.uint32)
    vector = TermVector(ids, np.full(len(ids), 1 / np.sqrt(len(ids)), np.float32))
    details, frequencies = detail_ids(ids, df_table, max_df), term_frequencies(ids, df_table)
    signature = np.zeros(2, np.uint32)
    return ArticleSketch(article_id, None, 0, vector, signature, details=details, frequencies=frequencies)


def test_the_copies_of_one_text_count_once_for_the_details():
    # A wire text and four near-copies of it (one term cut each: cosine 0.9 with it), two
    # rewrites that share two of its terms (cosine 0.18 with it), an article on the same
    # topic. Terms 0-1 are the story's: in the wire, its copies and the rewrites, 7
    # articles, so no detail (max_df 5); with the wire's copies counted once they are in 3.
    # Terms 30-31 are the topic's: 12 articles, 8 with the copies counted once.
    df_table = np.zeros(1024, np.uint32)
    df_table[[0, 1]] = 7
    df_table[[30, 31]] = 12
    df_table[20:26] = 5
    df_table[40:50] = df_table[60:68] = df_table[70:80] = 1
    wire_terms = {0, 1, 30, 31, *range(20, 26)}
    wire = _terms("wire", wire_terms, df_table)
    copies = [_terms(f"wire-{k}", wire_terms - {20 + k}, df_table) for k in range(4)]
    rewrite = _terms("rewrite", {0, 1, *range(40, 50)}, df_table)
    topic = _terms("topic", {30, 31, *range(60, 68)}, df_table)
    other_rewrite = _terms("rewrite-2", {0, 1, *range(70, 80)}, df_table)
    members = [wire, *copies, rewrite, topic, other_rewrite]
    config = VerifyConfig(min_score=0.12, max_days_apart=7, min_shared_details=2, certain_score=0.3)
    every = np.array(np.triu_indices(len(members), 1)).T

    def reasons(scores):
        return {
            (members[i].id, members[j].id): r
            for i, j, r in zip(scores.first, scores.second, scores.reason, strict=True)
        }

    plain = reasons(score_pairs(members, every, config))
    counted_once = reasons(score_pairs(members, every, config, 5))
    assert plain[("rewrite", "wire")] == "few_shared_details"
    assert counted_once[("rewrite", "wire")] == "verified"
    assert counted_once[("rewrite", "wire-0")] == "verified"
    assert plain[("topic", "wire")] == counted_once[("topic", "wire")] == "few_shared_details"
    # Two rewrites without copies of their own: the wire's copies count once for them too.
    assert plain[("rewrite", "rewrite-2")] == "few_shared_details"
    assert counted_once[("rewrite", "rewrite-2")] == "verified"
    # Pairs of copies need no details; the rest are decided as before.
    assert counted_once[("wire", "wire-0")] == "verified"
    unchanged = [pair for pair in plain if not any(id_.startswith("rewrite") for id_ in pair)]
    assert [counted_once[pair] for pair in unchanged] == [plain[pair] for pair in unchanged]
    # Not copies at copy_score 1: the check counts every article.
    strict = reasons(score_pairs(members, every, VerifyConfig(0.12, 7, 2, 0.3, copy_score=1.0), 5))
    assert strict[("rewrite", "wire")] == "few_shared_details"
    # Copies known but not scored in the call (the component step passes them on).
    pair = np.array([[0, 5]])
    known = np.array([[0, k] for k in range(1, 5)])
    assert score_pairs(members, pair, config, 5).reason.tolist() == ["few_shared_details"]
    assert score_pairs(members, pair, config, 5, known).reason.tolist() == ["verified"]
    # Pairs never decided (two earlier runs' anchors) are copies where their cosine says so.
    assert score_pairs(members, pair, config, 5, None, known).reason.tolist() == ["verified"]
    not_copies = np.array([[0, 6], [5, 7]])  # the wire and the topic, two rewrites
    assert score_pairs(members, pair, config, 5, None, not_copies).reason.tolist() == ["few_shared_details"]
    # An anchor of an earlier run has no frequencies: the other article's tell.
    anchor = [*members[:5], rewrite._replace(frequencies=None)]
    assert score_pairs(anchor, pair, config, 5, known).reason.tolist() == ["verified"]
