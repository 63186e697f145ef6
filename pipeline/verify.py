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

import numpy as np

from pipeline.config import VerifyConfig
from pipeline.features import pair_cosines, shared_details
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


def score_pairs(
    members: Sequence[ArticleSketch], pairs: np.ndarray, config: VerifyConfig
) -> list[ScoredPair]:
    """``score_pair`` of every (i, j) row of ``pairs`` (positions in ``members``), with the
    cosines computed together."""
    if len(pairs) == 0:
        return []
    cosines = pair_cosines([m.vector for m in members], pairs[:, 0], pairs[:, 1])
    return [
        decide_pair(members[i], members[j], cosine, config)
        for (i, j), cosine in zip(pairs.tolist(), cosines.tolist(), strict=True)
    ]


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
