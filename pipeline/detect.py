"""The public composite transform: articles in, story tables out.

``DetectStories`` is what the command runs, and what a user applies inside their own Beam
pipeline::

    tables = articles | DetectStories(config, run_date=datetime.date(2025, 8, 19))
    tables["clusters"] | beam.Map(print)

The stages, in order (each its own module with a pure core):

    analyse   normalise, strip boilerplate, split sentences, count terms
    dedupe    collapse identical texts to one canonical article
    sketch    document frequencies, TF-IDF vectors, MinHash of salient terms
    windows   per publication-time window: LSH buckets -> candidate pairs (bucket cap)
              -> each candidate scored (TF-IDF cosine, publication gap)
    stories   components, all pairs scored inside them, average linkage -> cluster ids
    outlets   representative, sentence alignments, unique sentences per outlet

``prior`` optionally brings sketches of earlier runs' articles (``state``), so that
today's rewrites join the stories they continue; ``earlier`` those articles' sentences
(``state.ReadEarlierArticles``), so that a continued story's sentences are judged against
its earlier articles too; ``prior_frequencies`` brings the earlier runs' document
frequencies (``state.frequency_days`` of them, summed into one element), added to this
run's own. ``spill_dir`` optionally gives a folder where the analysed articles and their
TF-IDF vectors wait on disk for describing (``spill``; the command gives one to the
in-process runner).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.analyse import REJECTS, AnalyseArticles
from pipeline.config import Config
from pipeline.dedupe import DUPLICATES, CollapseExactDuplicates
from pipeline.lsh import band_parameters
from pipeline.outlets import DescribeStories
from pipeline.records import Reject
from pipeline.sketch import CountDocumentFrequencies, SketchArticles, add_frequencies
from pipeline.spill import SpillWriter
from pipeline.state import frequency_row, state_row
from pipeline.stories import SKETCHES, ClusterStories
from pipeline.verify import pair_row
from pipeline.windows import PAIR_ROWS, MatchInWindows

_LOG = logging.getLogger(__name__)


def reject_row(reject: Reject) -> dict:
    return {
        "source_file": reject.source,
        "source_record": reject.record,
        "reason": reject.reason,
        "detail": reject.detail,
        "raw": reject.raw,
    }


RESENT = "resent"


def _anchor_order(sketch):
    """A total order of the copies of one anchor, whatever order they were read in."""
    return (
        sketch.prior.first_seen_run_date,
        sketch.prior.cluster_id,
        sketch.signature.tobytes(),
        sketch.vector.ids.tobytes(),
        sketch.vector.weights.tobytes(),
    )


def _anchors_not_in_run(keyed):
    """Anchors of earlier runs, one per article; an article this run reads again keeps its
    published story (output ``resent``) and its earlier copy is not used as an anchor.

    An article sent again on a later day is in the state of each run that read it: one
    copy is kept, or it would be matched (and reported in ``pairs``) once per copy."""
    article_id, grouped = keyed
    priors = sorted(grouped["prior"], key=_anchor_order)
    if priors and list(grouped["current"]):
        Metrics.counter("state", "articles_read_again").inc()
        yield beam.pvalue.TaggedOutput(RESENT, (article_id, priors[0].prior._replace(in_run=True)))
        return
    yield from priors[:1]


def _mark_resent(keyed):
    _, grouped = keyed
    resent = list(grouped["resent"])
    for sketch in grouped["sketch"]:
        yield sketch._replace(prior=resent[0]) if resent else sketch


def _with_first_seen(keyed, run_date: str):
    _, grouped = keyed
    first_seen = min(grouped["first_seen"], default=run_date)
    for row in grouped["row"]:
        yield {**row, "first_seen_run_date": dt.date.fromisoformat(first_seen)}


VECTORS = "vectors"


def _of_this_run(keyed) -> bool:
    """Whether a keyed sketch is an article of this run (sent again or not), not an anchor."""
    prior = keyed[1].prior
    return prior is None or prior.in_run


class _StateRowsFn(beam.DoFn):
    """State rows, and (output ``VECTORS``) (article id, vector) of every sketch for
    describing; with ``spill_dir`` the vectors wait for describing on disk (``spill``)."""

    def __init__(self, run_date: dt.date, spill_dir: str | None) -> None:
        self._run_date = run_date
        self._spill_dir = spill_dir

    def start_bundle(self):
        self._writer = None if self._spill_dir is None else SpillWriter(self._spill_dir, "vectors")

    def process(self, keyed):
        article_id, grouped = keyed
        assignments = list(grouped["story"])
        for sketch in grouped["sketch"]:
            vector = sketch.vector if self._writer is None else self._writer.write(sketch.vector)
            yield beam.pvalue.TaggedOutput(VECTORS, (article_id, vector))
            if assignments:
                yield state_row(sketch, assignments[0], self._run_date)

    def finish_bundle(self):
        if self._writer is not None:
            self._writer.close()


def _earlier_member(keyed):
    """(story id, (PackedMember, TF-IDF vector or None, True)) of an article of earlier runs,
    with its anchor's vector (an identical copy has no anchor: describing gives it its
    original's). An article sent again on a later day is in the state of each run that read
    it: one copy is kept, the same whatever order they were read in."""
    _, grouped = keyed
    rows = sorted(grouped["article"], key=lambda row: (row[0], row[1].data))
    if not rows:
        return
    vectors = sorted(grouped.get("vector", ()), key=lambda v: (v.ids.tobytes(), v.weights.tobytes()))
    story_id, packed = rows[0]
    yield story_id, (packed, vectors[0] if vectors else None, True)


class DetectStories(beam.PTransform):
    """PCollection[Article] -> dict of table name -> PCollection of row dicts, or of Arrow
    record batches where rows come by the million: one batch per story in
    ``sentence_alignments`` (the table's schema with its ids dictionary-encoded and its
    positions in 16 bits, ``schemas.tables.narrow_schema``, or ``compact_schema`` for a
    story too big for that; ``write.with_table_schema`` decodes both), batches of
    the LSH candidates' rows in ``pairs`` (compact the same way, ``windows.PAIR_ROWS_SCHEMA``).
    ``pairs`` is a tuple of PCollections (LSH's parts, exact copies, pairs found in
    components), for ``write.WriteTable`` to write each out where it is made.

    Tables: articles, clusters, representatives, unique_sentences, sentence_alignments,
    pairs, rejects (articles under ``input.min_words`` words or that failed analysis; reading
    rejects are the reader's), and
    what a later run needs to continue today's stories: state (a row per canonical
    article), state_sentences (a batch per story: its articles' sentences) and
    state_frequencies (this run's own document frequencies, one row).
    """

    def __init__(
        self,
        config: Config,
        run_date: dt.date | None = None,
        prior=None,
        prior_frequencies=None,
        earlier=None,
        spill_dir: str | None = None,
    ) -> None:
        super().__init__()
        self._config = config
        self._run_date = run_date or dt.datetime.now(dt.UTC).date()
        self._prior = prior
        self._prior_frequencies = prior_frequencies
        self._earlier = earlier
        self._spill_dir = spill_dir
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
        run_date = self._run_date
        analysed = articles | "Analyse" >> AnalyseArticles(config.features.kinds, config.input.min_words)
        # Matching needs each article's term counts, not its sentences (only describing does):
        # without them, each article waits in the dedupe and sketch shuffles as ~5 KB, not ~9.
        collapsed = (
            analysed.analysed
            | "WithoutSentences" >> beam.Map(lambda item: item._replace(sentences=(), boilerplate=()))
            | "Dedupe" >> CollapseExactDuplicates(config.verify.max_days_apart)
        )
        canonical, duplicates = collapsed.canonical, collapsed[DUPLICATES]
        own_frequencies = canonical | "DocumentFrequencies" >> CountDocumentFrequencies(
            config.features.df_buckets
        )
        frequencies = own_frequencies
        if self._prior_frequencies is not None:
            frequencies = own_frequencies | "AddPriorFrequencies" >> beam.Map(
                lambda own, priors: functools.reduce(add_frequencies, priors, own),
                beam.pvalue.AsList(self._prior_frequencies),
            )
        own_sketches = (canonical, frequencies) | "Sketch" >> SketchArticles(config)
        sketches = matchable = own_sketches
        resent = articles.pipeline | "NoneResent" >> beam.Create([])
        if self._prior is not None:
            anchors = (
                {
                    "prior": self._prior | "KeyAnchors" >> beam.Map(lambda sketch: (sketch.id, sketch)),
                    "current": analysed.analysed
                    | "KeyCurrent" >> beam.Map(lambda item: (item.article.id, True)),
                }
                | "JoinAnchors" >> beam.CoGroupByKey()
                | "AnchorsNotInRun" >> beam.FlatMap(_anchors_not_in_run).with_outputs(RESENT, main="anchors")
            )
            resent = anchors[RESENT]
            sketches = (
                {
                    "sketch": sketches | "KeyNew" >> beam.Map(lambda sketch: (sketch.id, sketch)),
                    "resent": resent,
                }
                | "JoinResent" >> beam.CoGroupByKey()
                | "MarkResent" >> beam.FlatMap(_mark_resent)
            )
            matchable = (sketches, anchors.anchors) | "WithAnchors" >> beam.Flatten()
        max_df = config.features.detail_max_df
        scored = matchable | "MatchInWindows" >> MatchInWindows(
            self.bands, self.rows, config.lsh.bucket_cap, config.verify, max_df
        )
        verified = scored["verified"]
        canonical_ids = canonical | "CanonicalIds" >> beam.Map(lambda item: item.article.id)
        clustered = (canonical_ids, verified, duplicates, matchable, resent) | "Cluster" >> ClusterStories(
            config.cluster, config.verify, max_df
        )
        assignments = clustered["assignments"]
        story_ids = assignments | "StoryIds" >> beam.Map(lambda item: (item[0], item[1].cluster_id))
        # The state and the vectors come from the sketches as clustering passes them on, so
        # that no copy of them is held through LSH and clustering.
        state_rows = (
            {
                "sketch": clustered[SKETCHES] | "OfThisRun" >> beam.Filter(_of_this_run),
                "story": assignments,
            }
            | "JoinSketchStory" >> beam.CoGroupByKey()
            | "StateRows"
            >> beam.ParDo(_StateRowsFn(run_date, self._spill_dir)).with_outputs(VECTORS, main="rows")
        )
        describe_inputs = [analysed.analysed, story_ids, state_rows[VECTORS]]
        if self._earlier is not None:
            earlier = {"article": self._earlier}
            if self._prior is not None:
                earlier["vector"] = self._prior | "AnchorVectors" >> beam.Map(
                    lambda sketch: (sketch.id, sketch.vector)
                )
            joined = earlier | "JoinEarlierVectors" >> beam.CoGroupByKey()
            describe_inputs.append(joined | "EarlierByStory" >> beam.FlatMap(_earlier_member))
        tables = tuple(describe_inputs) | "Describe" >> DescribeStories(config.sentences, self._spill_dir)

        first_seen = assignments | "FirstSeen" >> beam.Map(
            lambda item: (item[1].cluster_id, item[1].first_seen_run_date or run_date.isoformat())
        )
        tables["clusters"] = (
            {
                "row": tables["clusters"] | "KeyClusters" >> beam.Map(lambda row: (row["cluster_id"], row)),
                "first_seen": first_seen,
            }
            | "JoinFirstSeen" >> beam.CoGroupByKey()
            | "AddFirstSeen" >> beam.FlatMap(_with_first_seen, run_date.isoformat())
        )
        # Not flattened: each part is written out where it is made (``write.WriteTable``).
        tables["pairs"] = (
            *scored[PAIR_ROWS],
            duplicates | "FoundByDedupe" >> beam.Map(pair_row, "exact_duplicate"),
            clustered["component_pairs"] | "FoundInComponent" >> beam.Map(pair_row, "component"),
        )
        tables["rejects"] = analysed[REJECTS] | "RejectRows" >> beam.Map(reject_row)
        tables["state"] = state_rows.rows
        tables["state_frequencies"] = own_frequencies | "FrequencyRow" >> beam.Map(frequency_row)
        return tables
