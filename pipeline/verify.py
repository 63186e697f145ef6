"""Stage 4: score an LSH candidate pair and decide whether it is the same story.

The score is the cosine of the two articles' TF-IDF vectors (words, names and word pairs,
see ``features``). A pair is verified when the score reaches ``verify.min_score`` and, when
both publication times are known, they are at most ``verify.max_days_apart`` days apart:
rewrites of one story appear within days, while same-topic stories months apart share
much vocabulary. Below ``verify.certain_score`` the two articles must also share at least
``verify.min_shared_details`` details (terms found in at most ``features.detail_max_df``
articles of the run): a rewrite keeps some of its story's names, numbers and phrases, an
article on the same topic and the same people but another event shares its vocabulary
and almost none of those. Every scored candidate is kept with its decision and reason, so each
grouping can be traced to pair scores and the verifier's precision can be measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from pipeline.config import VerifyConfig
from pipeline.features import id_matrix, pair_cosines, row_products, shared_details
from pipeline.records import ArticleSketch, ScoredPair

MICROSECONDS_PER_DAY = 86_400 * 1_000_000

VERIFIED = "verified"
LOW_SCORE = "low_score"
TOO_FAR_APART = "too_far_apart"
FEW_DETAILS = "few_shared_details"
EXACT_DUPLICATE = "exact_duplicate"


def days_apart(first_us: int | None, second_us: int | None) -> float | None:
    if first_us is None or second_us is None:
        return None
    return abs(first_us - second_us) / MICROSECONDS_PER_DAY


def _too_few_details(first: ArticleSketch, second: ArticleSketch, score: float, config: VerifyConfig) -> bool:
    if score >= config.certain_score or first.details is None or second.details is None:
        return False
    return shared_details(first.details, second.details) < config.min_shared_details


def score_pair(first: ArticleSketch, second: ArticleSketch, config: VerifyConfig) -> ScoredPair:
    """Scores a candidate pair; the result is ordered by id whatever the argument order."""
    return decide_pair(first, second, first.vector.cosine(second.vector), config)


class WindowScores(NamedTuple):
    """The verifier's decisions on many candidate pairs, as parallel arrays: ``first`` and
    ``second`` are positions in the scored articles (``first`` has the smaller id)."""

    first: np.ndarray
    second: np.ndarray
    score: np.ndarray
    days_apart: np.ndarray  # NaN when a time is unknown
    reason: np.ndarray  # one of REASONS

    def verified(self, members: Sequence[ArticleSketch]) -> list[ScoredPair]:
        """The verified pairs, as ``score_pair`` returns them."""
        pairs = []
        for k in np.flatnonzero(self.reason == VERIFIED).tolist():
            a, b = members[self.first[k]], members[self.second[k]]
            gap = None if np.isnan(self.days_apart[k]) else float(self.days_apart[k])
            pairs.append(ScoredPair(a.id, b.id, float(self.score[k]), gap, True, VERIFIED, a.prior, b.prior))
        return pairs


def _shared_detail_counts(
    members: Sequence[ArticleSketch], first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """``shared_details`` of each pair, as sparse row products (an unknown side counts as
    ``-1``: it skips the check)."""
    known = np.array([m.details is not None for m in members])
    details = [m.details if m.details is not None else np.zeros(0, np.uint32) for m in members]
    counts = row_products(id_matrix(details, [np.ones(len(d)) for d in details]), first, second)
    return np.where(known[first] & known[second], counts, -1)


def score_pairs(members: Sequence[ArticleSketch], pairs: np.ndarray, config: VerifyConfig) -> WindowScores:
    """``score_pair`` of every (i, j) row of ``pairs`` (positions in ``members``), computed
    for all of them at once: a window has tens of thousands of candidates."""
    ids = np.array([m.id for m in members], dtype=object)
    i, j = pairs[:, 0], pairs[:, 1]
    swap = ids[j] < ids[i]
    first, second = np.where(swap, j, i), np.where(swap, i, j)
    cosines = pair_cosines([m.vector for m in members], first, second)
    scores = np.array([round(c, 6) for c in cosines.tolist()], np.float64)  # as score_pair rounds
    times = np.array([np.nan if m.published_us is None else m.published_us for m in members], np.float64)
    gaps = np.abs(times[first] - times[second]) / MICROSECONDS_PER_DAY
    reason = np.full(len(pairs), VERIFIED, dtype=object)
    low = scores < config.min_score
    with np.errstate(invalid="ignore"):
        far = ~low & (gaps > config.max_days_apart)
    checked = np.flatnonzero(~low & ~far & (scores < config.certain_score))
    few = np.zeros(len(pairs), bool)
    if len(checked):
        shared = _shared_detail_counts(members, first[checked], second[checked])
        few[checked] = (shared >= 0) & (shared < config.min_shared_details)
    reason[low], reason[far], reason[few] = LOW_SCORE, TOO_FAR_APART, FEW_DETAILS
    return WindowScores(first, second, scores, gaps, reason)


def decide_pair(
    first: ArticleSketch, second: ArticleSketch, cosine: float, config: VerifyConfig
) -> ScoredPair:
    """The verifier's decision on a pair of cosine ``cosine``, ordered by id."""
    if second.id < first.id:
        first, second = second, first
    score = round(cosine, 6)
    gap = days_apart(first.published_us, second.published_us)
    if score < config.min_score:
        reason = LOW_SCORE
    elif gap is not None and gap > config.max_days_apart:
        reason = TOO_FAR_APART
    elif _too_few_details(first, second, score, config):
        reason = FEW_DETAILS
    else:
        reason = VERIFIED
    return ScoredPair(first.id, second.id, score, gap, reason == VERIFIED, reason, first.prior, second.prior)


def pair_row(pair: ScoredPair, found_by: str) -> dict:
    """The ``pairs`` table row of a scored pair; ``found_by`` says what proposed it."""
    return {
        "article_a": pair.a,
        "article_b": pair.b,
        "score": pair.score,
        "days_apart": None if pair.days_apart is None else round(pair.days_apart, 6),
        "verified": pair.verified,
        "reason": pair.reason,
        "found_by": found_by,
    }
