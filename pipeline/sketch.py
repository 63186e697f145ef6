"""Stage 2: document frequencies, TF-IDF vectors and MinHash signatures.

Document frequencies are counted in one pass over the corpus into a fixed table of
``features.df_buckets`` counters indexed by a stable hash of each term (the hashing trick:
a few MB whatever the vocabulary, so it travels to every worker as a side input). Each
article then becomes an ``ArticleSketch``: for verification, its normalised TF-IDF vector
and its details (the ids of its terms found in at most ``features.detail_max_df``
articles); for LSH, the MinHash signature of its ``features.salient_terms``
highest-weighted terms. Signatures are computed for batches of articles at once.
"""

from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from pipeline.config import Config
from pipeline.features import (
    detail_ids,
    found_only_here,
    salient_terms,
    term_buckets,
    term_frequencies,
    term_vector,
    weigh_terms,
)
from pipeline.records import AnalysedArticle, ArticleSketch
from pipeline.signatures import BatchMinHasher

_LOG = logging.getLogger(__name__)


class DocumentFrequencyFn(beam.CombineFn):
    """Sums per-article term-bucket sets into (document count, df table)."""

    def __init__(self, num_buckets: int) -> None:
        self._num_buckets = num_buckets

    def create_accumulator(self):
        return 0, None

    def add_input(self, accumulator, buckets: np.ndarray):
        count, table = accumulator
        if table is None:
            table = np.zeros(self._num_buckets, dtype=np.uint32)
        table[buckets] += 1
        return count + 1, table

    def merge_accumulators(self, accumulators):
        count, table = 0, None
        for other_count, other_table in accumulators:
            count += other_count
            if other_table is not None:
                table = other_table.copy() if table is None else table + other_table
        return count, table

    def extract_output(self, accumulator):
        count, table = accumulator
        if table is None:
            table = np.zeros(self._num_buckets, dtype=np.uint32)
        return count, table


def add_frequencies(first: tuple[int, np.ndarray], second: tuple[int, np.ndarray]) -> tuple[int, np.ndarray]:
    """The document frequencies of two sets of articles together."""
    return first[0] + second[0], first[1] + second[1]


class _SketchBatchFn(beam.DoFn):
    """Turns a batch of analysed articles into sketches with one MinHash matrix operation."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._hasher: BatchMinHasher | None = None
        self._sketched = Metrics.counter("sketch", "articles")
        self._failed = Metrics.counter("sketch", "failed_unmatchable")

    def setup(self) -> None:
        # Permutations depend only on (num_perm, seed): build them once per worker.
        self._hasher = BatchMinHasher(self._config.lsh.num_perm, self._config.lsh.seed)

    def process(self, batch: list[AnalysedArticle], frequencies):
        assert self._hasher is not None
        num_documents, df_table = frequencies
        kept, vectors, details, frequencies_of, salient_sets = [], [], [], [], []
        for analysed in batch:
            try:
                terms, ids, weights = weigh_terms(analysed.terms, df_table, num_documents)
                vector = term_vector(ids, weights)
                rare = detail_ids(ids, df_table, self._config.features.detail_max_df)
                counted = term_frequencies(vector.ids, df_table)
            except (ValueError, TypeError, OverflowError) as error:
                # The article stays in the output as a story of one; it just cannot be matched.
                self._failed.inc()
                _LOG.warning("cannot sketch article %r: %s", analysed.article.id, error)
                continue
            kept.append(analysed)
            vectors.append(vector)
            details.append(rare)
            frequencies_of.append(counted)
            alone = found_only_here(ids, df_table)
            salient_sets.append(salient_terms(terms, weights, self._config.features.salient_terms, alone))
        signatures = self._hasher.signatures(salient_sets)
        rows = zip(kept, vectors, details, frequencies_of, signatures, strict=True)
        for analysed, vector, rare, counted, signature in rows:
            self._sketched.inc()
            article = analysed.article
            yield ArticleSketch(
                article.id,
                article.outlet,
                article.published_us,
                vector,
                signature,
                details=rare,
                frequencies=counted,
            )


class CountDocumentFrequencies(beam.PTransform):
    """AnalysedArticle -> a single (document count, df table) element."""

    def __init__(self, num_buckets: int) -> None:
        super().__init__()
        self._num_buckets = num_buckets

    def expand(self, analysed):
        num_buckets = self._num_buckets
        return (
            analysed
            | "TermBuckets" >> beam.Map(lambda item: term_buckets(item.terms, num_buckets))
            | "SumBuckets" >> beam.CombineGlobally(DocumentFrequencyFn(num_buckets))
        )


class SketchArticles(beam.PTransform):
    """(AnalysedArticle, frequencies) -> ArticleSketch; frequencies travel as a side input."""

    def __init__(self, config: Config) -> None:
        super().__init__()
        self._config = config

    def expand(self, inputs):
        analysed, frequencies = inputs
        return (
            analysed
            | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=512)
            | "Sketch" >> beam.ParDo(_SketchBatchFn(self._config), beam.pvalue.AsSingleton(frequencies))
        )
