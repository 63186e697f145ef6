"""The public composite transform: articles in, story tables out.

``DetectStories`` is what the command runs, and what a user applies inside their own Beam
pipeline::

    tables = articles | DetectStories(config)
    tables["clusters"] | beam.Map(print)

The stages, in order (each its own module with a pure core):

    analyse   normalise, strip boilerplate, split sentences, count terms
    dedupe    collapse identical texts to one canonical article
    sketch    document frequencies, TF-IDF vectors, MinHash of salient terms
    lsh       band keys -> buckets -> candidate pairs (bucket cap)
    verify    score every candidate (TF-IDF cosine, publication gap)
    stories   components + average linkage -> cluster ids
    outlets   representative, sentence alignments, unique sentences per outlet
"""

from __future__ import annotations

import logging

import apache_beam as beam

from pipeline.analyse import REJECTS, AnalyseArticles
from pipeline.config import Config
from pipeline.dedupe import DUPLICATES, CollapseExactDuplicates
from pipeline.lsh import GenerateCandidates, band_parameters
from pipeline.outlets import DescribeStories
from pipeline.records import Reject, ScoredPair
from pipeline.sketch import CountDocumentFrequencies, SketchArticles
from pipeline.stories import ClusterStories
from pipeline.verify import VerifyCandidates

_LOG = logging.getLogger(__name__)


def pair_row(pair: ScoredPair) -> dict:
    return {
        "article_a": pair.a,
        "article_b": pair.b,
        "score": pair.score,
        "days_apart": None if pair.days_apart is None else round(pair.days_apart, 6),
        "verified": pair.verified,
        "reason": pair.reason,
    }


def reject_row(reject: Reject) -> dict:
    return {
        "source_file": reject.source,
        "source_record": reject.record,
        "reason": reject.reason,
        "detail": reject.detail,
        "raw": reject.raw,
    }


class DetectStories(beam.PTransform):
    """PCollection[Article] -> dict of table name -> PCollection of row dicts.

    Tables: articles, clusters, representatives, unique_sentences, sentence_alignments,
    pairs and rejects (articles that failed analysis; reading rejects are the reader's).
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        self._config = config
        self.bands, self.rows = band_parameters(config.lsh.threshold, config.lsh.num_perm)
        _LOG.info(
            "LSH: %d bands x %d rows for threshold %.3f with %d permutations",
            self.bands,
            self.rows,
            config.lsh.threshold,
            config.lsh.num_perm,
        )

    def expand(self, articles):
        config = self._config
        analysed = articles | "Analyse" >> AnalyseArticles(config.features.kinds)
        collapsed = analysed.analysed | "Dedupe" >> CollapseExactDuplicates()
        canonical, duplicates = collapsed.canonical, collapsed[DUPLICATES]
        frequencies = canonical | "DocumentFrequencies" >> CountDocumentFrequencies(config.features.df_buckets)
        sketches = (canonical, frequencies) | "Sketch" >> SketchArticles(config)
        candidates = sketches | "Candidates" >> GenerateCandidates(self.bands, self.rows, config.lsh.bucket_cap)
        scored = (candidates, sketches) | "Verify" >> VerifyCandidates(config.verify)
        verified = scored | "KeepVerified" >> beam.Filter(lambda pair: pair.verified)
        canonical_ids = canonical | "CanonicalIds" >> beam.Map(lambda item: item.article.id)
        assignments = (canonical_ids, verified, duplicates) | "Cluster" >> ClusterStories(config.cluster.threshold)
        tables = (analysed.analysed, assignments, frequencies) | "Describe" >> DescribeStories(config.sentences)
        tables["pairs"] = (
            (scored, duplicates) | "AllPairs" >> beam.Flatten() | "PairRows" >> beam.Map(pair_row)
        )
        tables["rejects"] = analysed[REJECTS] | "RejectRows" >> beam.Map(reject_row)
        return tables
