"""Stage 1: clean each article, split it into sentences and count its terms.

The pure core is ``analyse_article``; ``AnalyseArticles`` runs it in Beam and turns any
exception on one article into a reject row (reason ``error_<ExceptionType>``) instead of a
failed job, so one poison record cannot stop a day's run. An article whose text as read has
fewer words (``pipeline.text.word_count``) than ``input.min_words`` is a reject too (reason
``too_short``), beside the reader's ``too_long``; so is one of which nothing is left once
markup and boilerplate are removed (reason ``empty_text``, as the reader's for a blank text):
kept, every such article would have the same (empty) clean text and become an exact duplicate
of the others, one story of unrelated pages.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from pipeline.features import TermCounts, sentence_term_counts
from pipeline.records import AnalysedArticle, Article, Reject
from pipeline.text import normalise, repair_mojibake, split_sentences, strip_boilerplate, word_count
from pipeline.wording import noun

REJECTS = "rejects"


def analyse_article(article: Article, kinds: tuple[str, ...]) -> AnalysedArticle:
    """Normalises, strips boilerplate, splits sentences and counts terms of one article."""
    clean, removed = strip_boilerplate(normalise(article.text))
    sentences = tuple(split_sentences(clean))
    terms = TermCounts.of(sentence_term_counts(sentences, kinds))
    # The raw text is not needed past this point (the sentences are the clean text); dropping
    # it keeps every later shuffle about a third smaller. The outlet and title are shown as
    # read, but not as mis-decoded: "SÃ¼ddeutsche" would be another outlet than "Süddeutsche".
    return AnalysedArticle(
        article._replace(
            text="",
            outlet=article.outlet and repair_mojibake(article.outlet),
            title=article.title and repair_mojibake(article.title),
        ),
        sentences,
        tuple(removed),
        terms,
        content_hash(clean),
    )


def content_hash(clean: str) -> str:
    """The hash of an article's clean text, spacing and case ignored: identical clean texts are
    exact duplicates, whatever their ids or outlets (``articles.content_hash``)."""
    return hashlib.sha1(" ".join(clean.split()).lower().encode("utf-8")).hexdigest()


def empty_after_cleaning(analysed: AnalysedArticle, raw: str) -> Reject | None:
    """The reject of an article whose clean text is empty (markup, entities, invisible
    characters or boilerplate only: a page scraped without its story), else None."""
    if analysed.sentences:
        return None
    article = analysed.article
    removed = f" ({len(analysed.boilerplate)} boilerplate line(s))" if analysed.boilerplate else ""
    return Reject(
        source=article.source,
        record=article.record,
        reason="empty_text",
        detail=f"nothing is left of the text once markup and boilerplate are removed{removed}",
        raw=raw[:1000],
    )


def reaches_matching(article: Article, min_words: int) -> bool:
    """Whether the analysis stage keeps ``article`` (``analysis_reject`` would be None),
    without counting its terms."""
    if too_short(article, min_words) is not None:
        return False
    return bool(split_sentences(strip_boilerplate(normalise(article.text))[0]))


def first_kept(articles: Iterable[Article], min_words: int) -> Article:
    """Of the records of one id, in (source, record) order, the article: the first that the
    analysis keeps, else the first. A record of nothing but markup or boilerplate (a page
    scraped before its story loaded) does not take the id from the full one sent after it."""
    records = list(articles)
    if len(records) > 1:
        for article in records:
            if reaches_matching(article, min_words):
                return article
    return records[0]


def too_short(article: Article, min_words: int) -> Reject | None:
    """The reject of an article with fewer than ``min_words`` words, else None."""
    words = word_count(article.text)
    if words >= min_words:
        return None
    return Reject(
        source=article.source,
        record=article.record,
        reason="too_short",
        detail=f"text has {words:,} {noun(words, 'word')}, fewer than input.min_words={min_words:,}",
        raw=article.text[:1000],
    )


def analysis_reject(article: Article, analysed: AnalysedArticle, min_words: int) -> Reject | None:
    """Why the analysis stage rejects an article it could analyse (``too_short``, then
    ``empty_text``), or None when the article goes on to matching."""
    return too_short(article, min_words) or empty_after_cleaning(analysed, article.text)


class _AnalyseFn(beam.DoFn):
    def __init__(self, kinds: tuple[str, ...], min_words: int) -> None:
        self._kinds = kinds
        self._min_words = min_words
        self._too_short = Metrics.counter("analyse", "rejected_too_short")
        self._empty = Metrics.counter("analyse", "rejected_empty_text")
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
        # After analysis, so that a text analysis cannot take is reported as error_<Type>.
        reject = analysis_reject(article, analysed, self._min_words)
        if reject is not None:
            (self._too_short if reject.reason == "too_short" else self._empty).inc()
            yield pvalue.TaggedOutput(REJECTS, reject)
            return
        self._analysed.inc()
        self._boilerplate.inc(len(analysed.boilerplate))
        if not analysed.terms:
            self._no_terms.inc()
        yield analysed


class AnalyseArticles(beam.PTransform):
    """Articles -> AnalysedArticle (main output) and Reject (output ``rejects``)."""

    def __init__(self, kinds: tuple[str, ...], min_words: int = 1) -> None:
        super().__init__()
        self._kinds = kinds
        self._min_words = min_words

    def expand(self, articles):
        return articles | "Analyse" >> beam.ParDo(_AnalyseFn(self._kinds, self._min_words)).with_outputs(
            REJECTS, main="analysed"
        )
