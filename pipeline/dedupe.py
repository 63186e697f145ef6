"""Stage 2a: collapse articles whose cleaned text is identical.

Identical copies would all land in the same LSH buckets (one giant bucket per band) and
make average linkage work quadratically for nothing. Instead each group of identical
texts keeps one canonical article (the smallest id), which goes on through matching;
every other copy is linked to it by an ``exact_duplicate`` pair with score 1.0 and later
takes the canonical article's story.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.records import ScoredPair
from pipeline.verify import EXACT_DUPLICATE

DUPLICATES = "duplicates"


class _KeepCanonicalFn(beam.DoFn):
    def __init__(self) -> None:
        self._duplicates = Metrics.counter("dedupe", "exact_duplicates")

    def process(self, keyed):
        _, group = keyed
        canonical = None
        others: list[str] = []
        for analysed in group:
            if canonical is None or analysed.article.id < canonical.article.id:
                if canonical is not None:
                    others.append(canonical.article.id)
                canonical = analysed
            else:
                others.append(analysed.article.id)
        yield canonical
        for other in sorted(others):
            self._duplicates.inc()
            yield pvalue.TaggedOutput(
                DUPLICATES, ScoredPair(canonical.article.id, other, 1.0, None, True, EXACT_DUPLICATE)
            )


class CollapseExactDuplicates(beam.PTransform):
    """AnalysedArticle -> canonical AnalysedArticle (main) and exact-duplicate ScoredPairs."""

    def expand(self, analysed):
        return (
            analysed
            | "KeyByContent" >> beam.Map(lambda item: (item.content_hash, item))
            | "GroupIdentical" >> beam.GroupByKey()
            | "KeepCanonical" >> beam.ParDo(_KeepCanonicalFn()).with_outputs(DUPLICATES, main="canonical")
        )
