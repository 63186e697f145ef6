"""Stage 1: clean each article, split it into sentences and count its terms.

The pure core is ``analyse_article``; ``AnalyseArticles`` runs it in Beam and turns any
exception on one article into a reject row (reason ``error_<ExceptionType>``) instead of a
failed job, so one poison record cannot stop a day's run.
"""

from __future__ import annotations

import hashlib

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.features import sentence_term_counts
from pipeline.records import AnalysedArticle, Article, Reject
from pipeline.text import normalise, split_sentences, strip_boilerplate

REJECTS = "rejects"


def analyse_article(article: Article, kinds: tuple[str, ...]) -> AnalysedArticle:
    """Normalises, strips boilerplate, splits sentences and counts terms of one article."""
    clean, removed = strip_boilerplate(normalise(article.text))
    sentences = tuple(split_sentences(clean))
    terms = dict(sentence_term_counts(sentences, kinds))
    # Identical clean texts are exact duplicates, whatever their ids or outlets.
    content_hash = hashlib.sha1(" ".join(clean.split()).lower().encode("utf-8")).hexdigest()
    # The raw text is not needed past this point (the sentences are the clean text); dropping
    # it keeps every later shuffle about a third smaller.
    return AnalysedArticle(article._replace(text=""), sentences, tuple(removed), terms, content_hash)


class _AnalyseFn(beam.DoFn):
    def __init__(self, kinds: tuple[str, ...]) -> None:
        self._kinds = kinds
        self._analysed = Metrics.counter("analyse", "articles")
        self._boilerplate = Metrics.counter("analyse", "boilerplate_lines_stripped")
        self._failed = Metrics.counter("analyse", "failed")
        self._no_terms = Metrics.counter("analyse", "articles_without_terms")

    def process(self, article: Article):
        try:
            analysed = analyse_article(article, self._kinds)
        except Exception as error:  # noqa: BLE001 - any failure on one record becomes a reject
            self._failed.inc()
            yield pvalue.TaggedOutput(
                REJECTS,
                Reject(
                    source=article.source,
                    record=article.record,
                    reason=f"error_{type(error).__name__}",
                    detail=f"analysing article {article.id!r} raised {type(error).__name__}: {error}"[:500],
                    raw=str(article.text)[:1000],
                ),
            )
            return
        self._analysed.inc()
        self._boilerplate.inc(len(analysed.boilerplate))
        if not analysed.terms:
            self._no_terms.inc()
        yield analysed


class AnalyseArticles(beam.PTransform):
    """Articles -> AnalysedArticle (main output) and Reject (output ``rejects``)."""

    def __init__(self, kinds: tuple[str, ...]) -> None:
        super().__init__()
        self._kinds = kinds

    def expand(self, articles):
        return articles | "Analyse" >> beam.ParDo(_AnalyseFn(self._kinds)).with_outputs(
            REJECTS, main="analysed"
        )
