"""Stage 4: score an LSH candidate pair and decide whether it is the same story.

The score is the cosine of the two articles' TF-IDF vectors (words, names and word pairs,
see ``features``). A pair is verified when the score reaches ``verify.min_score`` and, when
both publication times are known, they are at most ``verify.max_days_apart`` days apart:
rewrites of one story appear within days, while same-topic stories months apart share
much vocabulary. Below ``verify.certain_score`` the two articles must also share at least
``verify.min_shared_details`` details (terms found in at most ``features.detail_max_df``
articles of the run): a rewrite keeps some of its story's names, numbers and phrases, an
article on the same topic and the same people but another event shares its vocabulary
and almost none of those. A story carried by several outlets as near-copies of one text
(``verify.copy_score``) would have its details in more articles than that for every copy:
the check counts each group of copies once (``score_pairs``), so its rewrites still match.
Every scored candidate is kept with its decision and reason, so each grouping can be traced
to pair scores and the verifier's precision can be measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from pipeline.config import VerifyConfig
from pipeline.features import FREQUENCY_CAP, id_matrix, row_products
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


def publication_gaps(members: Sequence[ArticleSketch], first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """``days_apart`` of each (first[k], second[k]) pair of positions; NaN when unknown."""
    times = np.array([np.nan if m.published_us is None else m.published_us for m in members], np.float64)
    return np.abs(times[first] - times[second]) / MICROSECONDS_PER_DAY


class PairScores(NamedTuple):
    """The verifier's decisions on many pairs, as parallel arrays: ``first`` and ``second``
    are positions in the scored articles (``first`` has the smaller id)."""

    first: np.ndarray
    second: np.ndarray
    score: np.ndarray
    days_apart: np.ndarray  # NaN when a time is unknown
    reason: np.ndarray

    def scored_pair(self, members: Sequence[ArticleSketch], k: int) -> ScoredPair:
        a, b = members[self.first[k]], members[self.second[k]]
        gap = None if np.isnan(self.days_apart[k]) else float(self.days_apart[k])
        reason = str(self.reason[k])
        return ScoredPair(a.id, b.id, float(self.score[k]), gap, reason == VERIFIED, reason, a.prior, b.prior)

    def verified(self, members: Sequence[ArticleSketch]) -> list[ScoredPair]:
        return [self.scored_pair(members, k) for k in np.flatnonzero(self.reason == VERIFIED).tolist()]


def _shared_detail_counts(
    members: Sequence[ArticleSketch], first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """How many detail ids each pair has in common, as sparse row products (-1 when a side's
    details are unknown, as for an anchor from an old state: that skips the check)."""
    known = np.array([m.details is not None for m in members])
    details = [m.details if m.details is not None else np.zeros(0, np.uint32) for m in members]
    counts = row_products(id_matrix(details, [np.ones(len(d)) for d in details]), first, second)
    return np.where(known[first] & known[second], counts, -1)


def _copy_links(
    terms: sparse.csr_matrix,
    first: np.ndarray,
    second: np.ndarray,
    scores: np.ndarray,
    copy_score: float,
    copies: np.ndarray | None,
    candidates: np.ndarray | None,
) -> np.ndarray:
    """The (i, j) positions of near-copies: the scored pairs at ``copy_score`` or more,
    ``copies``, and the rows of ``candidates`` whose cosine (rows of ``terms``) reaches it."""
    near = scores >= copy_score
    parts = [np.stack([first[near], second[near]], axis=1).astype(np.int64)]
    if copies is not None:
        parts.append(np.asarray(copies, dtype=np.int64).reshape(-1, 2))
    if candidates is not None:
        candidates = np.asarray(candidates, dtype=np.int64).reshape(-1, 2)
        parts.append(candidates[row_products(terms, candidates[:, 0], candidates[:, 1]) >= copy_score])
    return np.concatenate(parts)


def _details_counted_once(
    members: Sequence[ArticleSketch],
    terms: sparse.csr_matrix,
    first: np.ndarray,
    second: np.ndarray,
    links: np.ndarray,
    max_df: int,
) -> np.ndarray:
    """For each pair (first[k], second[k]), how many terms both have that are details once
    each group of near-copies (``links``, and the copies of copies) counts as one article:
    found in more than ``max_df`` articles (those within it are the details already counted)
    but in at most ``max_df`` when a group's members count once. A term's frequency comes
    from the members that know it (an anchor does not: ``ArticleSketch.frequencies``).
    ``terms`` are the members' vectors as ``id_matrix`` rows; only where they are nonzero counts."""
    terms = terms.copy()
    terms.data[:] = 1
    frequency = np.full(terms.shape[1], -1, np.int64)
    known = [m.frequencies if m.frequencies is not None else np.full(len(m.vector), -1) for m in members]
    # ``terms.indices`` are the columns of the members' ids, in their order.
    np.maximum.at(frequency, terms.indices, np.concatenate([np.zeros(0, np.int64), *known]).astype(np.int64))
    size = len(members)
    linked = sparse.csr_matrix((np.ones(len(links)), (links[:, 0], links[:, 1])), shape=(size, size))
    count, group = csgraph.connected_components(linked, directed=False)
    grouped = np.flatnonzero(np.bincount(group, minlength=count)[group] > 1)
    membership = sparse.csr_matrix((np.ones(len(grouped)), (group[grouped], grouped)), shape=(count, size))
    # Each group's members that have a term, beyond the first, are the term's extra counts.
    holders = (membership @ terms).tocoo()
    extra = np.zeros(terms.shape[1], np.int64)
    np.add.at(extra, holders.col, holders.data.astype(np.int64) - 1)
    # A capped frequency is a lower bound: such a term is never one of them.
    once = (frequency > max_df) & (frequency < FREQUENCY_CAP) & (frequency - extra <= max_df)
    return row_products(terms[:, np.flatnonzero(once)], first, second).astype(np.int64)


def score_pairs(
    members: Sequence[ArticleSketch],
    pairs: np.ndarray,
    config: VerifyConfig,
    detail_max_df: int | None = None,
    copies: np.ndarray | None = None,
    copy_candidates: np.ndarray | None = None,
) -> PairScores:
    """Scores and decides every (i, j) row of ``pairs`` (positions in ``members``) at once:
    a window has tens of thousands of candidates.

    With ``detail_max_df`` (``features.detail_max_df``), a pair short of details counts each
    group of near-copies once in its terms' document frequencies: the scored pairs at
    ``config.copy_score`` or more are copies, and so are the (i, j) rows of ``copies``
    (pairs known to be copies, not scored here) and those of ``copy_candidates`` whose
    cosine reaches it (pairs never decided, such as two earlier runs' anchors: their
    cosines are taken only when a pair is short of details)."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    ids = np.array([m.id for m in members], dtype=object)
    i, j = pairs[:, 0], pairs[:, 1]
    swap = ids[j] < ids[i]
    first, second = np.where(swap, j, i), np.where(swap, i, j)
    # One matrix of the vectors, for the cosines and for the copies' terms.
    terms = id_matrix([m.vector.ids for m in members], [m.vector.weights for m in members])
    cosines = row_products(terms, first, second)
    scores = np.array([round(c, 6) for c in cosines.tolist()], np.float64)
    gaps = publication_gaps(members, first, second)
    reason = np.full(len(pairs), VERIFIED, dtype=object)
    low = scores < config.min_score
    with np.errstate(invalid="ignore"):  # NaN: a time is unknown, never too far apart
        far = ~low & (gaps > config.max_days_apart)
    checked = np.flatnonzero(~low & ~far & (scores < config.certain_score))
    few = np.zeros(len(pairs), bool)
    if len(checked):
        shared = _shared_detail_counts(members, first[checked], second[checked])
        short = (shared >= 0) & (shared < config.min_shared_details)
        if detail_max_df is not None and short.any():
            links = _copy_links(terms, first, second, scores, config.copy_score, copies, copy_candidates)
            retry = np.flatnonzero(short)
            if len(links):
                a, b = first[checked[retry]], second[checked[retry]]
                shared[retry] += _details_counted_once(members, terms, a, b, links, detail_max_df)
                short = (shared >= 0) & (shared < config.min_shared_details)
        few[checked] = short
    reason[low], reason[far], reason[few] = LOW_SCORE, TOO_FAR_APART, FEW_DETAILS
    return PairScores(first, second, scores, gaps, reason)


def score_pair(first: ArticleSketch, second: ArticleSketch, config: VerifyConfig) -> ScoredPair:
    """Scores a candidate pair; the result is ordered by id whatever the argument order."""
    members = [first, second]
    return score_pairs(members, np.array([[0, 1]]), config).scored_pair(members, 0)


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
