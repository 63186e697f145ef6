"""Stage 2a: collapse articles whose cleaned text is identical.

Identical copies would all land in the same LSH buckets (one giant bucket per band) and
make average linkage work quadratically for nothing. Instead each group of identical
texts keeps one canonical article (the smallest id), which goes on through matching;
every other copy is linked to it by an ``exact_duplicate`` pair with score 1.0 and later
takes the canonical article's story.

Two articles further apart than ``verify.max_days_apart`` are never one story, copies
included: identical texts are first split by publication time into runs of at most that
many days from each run's first copy (undated copies join the first run), and each run
collapses on its own. A copy republished weeks later thus goes through matching at its own
time, where that day's rewrites can find it.
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.records import AnalysedArticle, ScoredPair
from pipeline.verify import EXACT_DUPLICATE, MICROSECONDS_PER_DAY

DUPLICATES = "duplicates"


def copy_runs(copies: Iterable[AnalysedArticle], max_days_apart: float) -> list[list[AnalysedArticle]]:
    """Identical texts split into runs of publication time, each within ``max_days_apart``
    days of its first copy (so within that of each other); undated copies join the first."""
    copies = list(copies)
    dated = sorted(
        (copy.article.published_us, copy.article.id, copy)
        for copy in copies
        if copy.article.published_us is not None
    )
    undated = [copy for copy in copies if copy.article.published_us is None]
    limit = max_days_apart * MICROSECONDS_PER_DAY
    runs: list[list[AnalysedArticle]] = []
    run_start = 0
    for published, _, copy in dated:
        if runs and published - run_start <= limit:
            runs[-1].append(copy)
        else:
            runs.append([copy])
            run_start = published
    if not runs:
        runs.append([])
    runs[0].extend(undated)
    return runs


def _days_apart(first: AnalysedArticle, second: AnalysedArticle) -> float | None:
    times = (first.article.published_us, second.article.published_us)
    if times[0] is None or times[1] is None:
        return None
    return abs(times[0] - times[1]) / MICROSECONDS_PER_DAY


class _KeepCanonicalFn(beam.DoFn):
    def __init__(self, max_days_apart: float) -> None:
        self._max_days_apart = max_days_apart
        self._duplicates = Metrics.counter("dedupe", "exact_duplicates")

    def process(self, keyed):
        _, group = keyed
        for run in copy_runs(list(group), self._max_days_apart):
            run.sort(key=lambda copy: copy.article.id)
            canonical = run[0]
            yield canonical
            for other in run[1:]:
                self._duplicates.inc()
                pair = ScoredPair(
                    canonical.article.id,
                    other.article.id,
                    1.0,
                    _days_apart(canonical, other),
                    True,
                    EXACT_DUPLICATE,
                )
                yield pvalue.TaggedOutput(DUPLICATES, pair)


class CollapseExactDuplicates(beam.PTransform):
    """AnalysedArticle -> canonical AnalysedArticle (main) and exact-duplicate ScoredPairs."""

    def __init__(self, max_days_apart: float) -> None:
        super().__init__()
        self._max_days_apart = max_days_apart

    def expand(self, analysed):
        return (
            analysed
            | "KeyByContent" >> beam.Map(lambda item: (item.content_hash, item))
            | "GroupIdentical" >> beam.GroupByKey()
            | "KeepCanonical"
            >> beam.ParDo(_KeepCanonicalFn(self._max_days_apart)).with_outputs(DUPLICATES, main="canonical")
        )
