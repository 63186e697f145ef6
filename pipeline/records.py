"""The typed records that travel between stages, defined once.

Articles are identified by their stable string ``id`` everywhere; nothing depends on the
position of a row in a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from pipeline.features import PackedArray, TermVector, packed_array, unpacked_array


class Article(NamedTuple):
    """One valid input article. ``published_us``: microseconds since the epoch (UTC) or None."""

    id: str
    text: str
    outlet: str | None = None
    title: str | None = None
    published_us: int | None = None
    url: str | None = None
    source: str = ""
    record: int = 0


class Reject(NamedTuple):
    """An input record that could not be used, with a reason code and a human detail."""

    source: str
    record: int
    reason: str
    detail: str
    raw: str


class AnalysedArticle(NamedTuple):
    """An article after clean-up: its sentences, boilerplate removed and term counts."""

    article: Article
    sentences: tuple[str, ...]
    boilerplate: tuple[tuple[str, str], ...]
    terms: Mapping[str, int]  # features.TermCounts once analysed
    content_hash: str


class Prior(NamedTuple):
    """The published story of an article from an earlier run (read from the state).

    ``in_run`` marks an article of this run that an earlier run already published (a feed
    that sends it again): it keeps its story, and is assigned like any article of the run.
    """

    cluster_id: str
    first_seen_run_date: str
    in_run: bool = False


class ArticleSketch(NamedTuple):
    """What candidate generation and verification need of an article, kept compact.

    ``prior`` is set for articles of earlier runs, which only serve as anchors to match.
    ``details``: sorted ids of the article's rare terms (``features.detail_ids``); None when
    unknown (an anchor from a state written before details existed), which skips the check.
    ``frequencies``: the document frequency of each term of ``vector``, in its order, capped
    at 255 (``features.term_frequencies``), with which the check counts a term's near-copies
    once; None for an anchor (a pair's shared terms are the other article's too).
    """

    id: str
    outlet: str | None
    published_us: int | None
    vector: TermVector
    signature: np.ndarray
    prior: Prior | None = None
    details: np.ndarray | None = None
    frequencies: np.ndarray | None = None

    def __reduce__(self):
        # Its arrays as raw bytes (``features.packed_array``; the vector packs its own): a
        # sketch crosses most shuffles.
        details = None if self.details is None else packed_array(self.details)
        frequencies = None if self.frequencies is None else packed_array(self.frequencies)
        fields = (self.id, self.outlet, self.published_us, self.vector, packed_array(self.signature))
        return (_unpacked_sketch, (*fields, self.prior, details, frequencies))


def _unpacked_sketch(
    article_id: str,
    outlet: str | None,
    published_us: int | None,
    vector: TermVector,
    signature: PackedArray,
    prior: Prior | None,
    details: PackedArray | None,
    frequencies: PackedArray | None = None,
) -> ArticleSketch:
    unpacked_details = None if details is None else unpacked_array(details)
    unpacked_frequencies = None if frequencies is None else unpacked_array(frequencies)
    fields = (article_id, outlet, published_us, vector, unpacked_array(signature), prior)
    return ArticleSketch(*fields, unpacked_details, unpacked_frequencies)


class ScoredPair(NamedTuple):
    """A candidate pair and the verifier's decision; ``a < b`` by id."""

    a: str
    b: str
    score: float
    days_apart: float | None
    verified: bool
    reason: str
    a_prior: Prior | None = None
    b_prior: Prior | None = None


class StoryAssignment(NamedTuple):
    """The story an article of this run belongs to; ``first_seen_run_date`` is None for
    a story that starts in this run."""

    cluster_id: str
    first_seen_run_date: str | None = None
