"""Stage 5: verified pairs -> stories (one ``cluster_id`` per article), in Beam.

1. Connected components of the verified-pair graph, found with union-find over the edges
   only (a few per article, never the articles themselves).
2. Each component is split by average linkage (``cluster.cluster_component``) on its own
   worker: a bridging article cannot chain two stories together. Before that, every pair
   inside a component of up to ``cluster.max_scored_component`` articles is scored and
   verified exactly, so a pair that LSH did not propose still counts with its real
   similarity instead of 0 (those pairs are reported in ``pairs`` as ``found_by =
   component``). LSH only has to connect a story, not to find all of its pairs.
3. Articles with no verified pair are stories of one; exact duplicates take the story of
   their canonical copy. Cluster ids derive from the story's smallest article id, so the
   same input gives the same ids on any runner and with any number of workers.

Articles of earlier runs (from the state) take part as locked anchors: a new article that
joins one of their stories gets that story's published id; the anchors themselves are not
re-assigned, and two published stories are never merged. When a verified pair touches one
anchor, the whole published story (every anchor with its id) joins the component, so new
articles join it by their average over all its members, as they would in one run, and not
through the one anchor LSH happened to pair them with.
"""

from __future__ import annotations

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from pipeline.cluster import cluster_component, cluster_id, connected_components
from pipeline.config import ClusterConfig, VerifyConfig
from pipeline.records import StoryAssignment
from pipeline.verify import score_pairs

COMPONENT_PAIRS = "component_pairs"


class _EdgesByComponentFn(beam.DoFn):
    """All verified edges at once -> (component root, edge) for every edge.

    ``anchor_stories``: published story id -> its anchors' ids; a story touched by an edge
    joins that edge's component whole.
    """

    def __init__(self) -> None:
        self._components = Metrics.counter("cluster", "components")

    def process(self, edges, anchor_stories):
        touched = sorted(
            {
                prior.cluster_id
                for edge in edges
                for prior in (edge.a_prior, edge.b_prior)
                if prior is not None
            }
        )
        links = [(edge.a, edge.b) for edge in edges]
        for story in touched:
            members = anchor_stories.get(story, ())
            links.extend((members[0], member) for member in members[1:])
        components = connected_components(links)
        self._components.inc(len(set(components.values())))
        for edge in edges:
            yield components[edge.a], edge
        for member, root in components.items():
            yield beam.pvalue.TaggedOutput(MEMBERS, (member, root))


MEMBERS = "members"
SKETCHES = "sketches"


def _sketch_by_component(keyed):
    article_id, grouped = keyed
    roots = list(grouped["root"])
    for sketch in grouped["sketch"]:
        # Every sketch leaves here for the steps after clustering (output ``SKETCHES``):
        # joined to their inputs from the sketch stage on, a copy of each would wait in
        # memory through LSH and clustering, the run's peak.
        yield beam.pvalue.TaggedOutput(SKETCHES, (article_id, sketch))
        if roots:
            yield roots[0], sketch


class _SplitComponentFn(beam.DoFn):
    def __init__(self, cluster: ClusterConfig, verify: VerifyConfig, detail_max_df: int | None) -> None:
        self._threshold = cluster.threshold
        self._max_scored = cluster.max_scored_component
        self._short_terms = cluster.short_terms
        self._verify = verify
        self._detail_max_df = detail_max_df
        self._stories = Metrics.counter("cluster", "multi_article_stories")
        self._component_size = Metrics.distribution("cluster", "component_size")
        self._too_big = Metrics.counter("cluster", "components_too_big_to_score")

    def _score_all_pairs(self, edges, sketches):
        """Verified pairs among all members of a component, LSH candidates or not."""
        known = {(edge.a, edge.b) for edge in edges}
        sketches = sorted(sketches, key=lambda sketch: sketch.id)
        pairs = [
            (i, j)
            for i, first in enumerate(sketches)
            for j in range(i + 1, len(sketches))
            if (first.id, sketches[j].id) not in known and (first.prior is None or sketches[j].prior is None)
        ]
        known_copies, anchor_pairs = self._copies(edges, sketches)
        scores = score_pairs(
            sketches,
            np.array(pairs, dtype=np.int64),
            self._verify,
            self._detail_max_df,
            known_copies,
            anchor_pairs,
        )
        return scores.verified(sketches)

    def _copies(self, edges, sketches) -> tuple[np.ndarray | None, np.ndarray | None]:
        """The pairs of a component's members that its pairs to score leave out, for the
        detail check's copies: the known pairs that are copies, and the pairs of two earlier
        runs' anchors (never scored: an earlier run published them), copies where their
        cosine says so. None where the check does not use them."""
        if self._detail_max_df is None:
            return None, None
        copy_score = self._verify.copy_score
        position = {sketch.id: index for index, sketch in enumerate(sketches)}
        known = [(position[edge.a], position[edge.b]) for edge in edges if edge.score >= copy_score]
        anchors = np.flatnonzero([sketch.prior is not None for sketch in sketches])
        anchor_pairs = np.stack([anchors[side] for side in np.triu_indices(len(anchors), 1)], axis=1)
        return np.array(known, np.int64).reshape(-1, 2), anchor_pairs

    def process(self, keyed):
        _, grouped = keyed
        edges = list(grouped["edge"])
        sketches = list(grouped["sketch"])
        if len(sketches) <= self._max_scored:
            # Unverified pairs count 0 in the linkage; only the verified ones are new facts
            # (an unverified pair may be an LSH candidate already in the pairs table).
            extra = self._score_all_pairs(edges, sketches)
            for pair in extra:
                yield beam.pvalue.TaggedOutput(COMPONENT_PAIRS, pair)
            edges.extend(extra)
        else:
            self._too_big.inc()
        priors = {sketch.id: sketch.prior for sketch in sketches if sketch.prior is not None}
        members = sorted(sketch.id for sketch in sketches)
        self._component_size.update(len(members))
        stories = cluster_component(
            members,
            ((edge.a, edge.b, edge.score) for edge in edges),
            self._threshold,
            {article_id: prior.cluster_id for article_id, prior in priors.items()},
            short={sketch.id for sketch in sketches if len(sketch.vector) < self._short_terms},
        )
        for story in stories:
            anchors = sorted((priors[i] for i in story if i in priors), key=lambda prior: prior.cluster_id)
            assignment = (
                StoryAssignment(anchors[0].cluster_id, anchors[0].first_seen_run_date)
                if anchors
                else (StoryAssignment(cluster_id(story)))
            )
            new_members = [i for i in story if i not in priors or priors[i].in_run]
            if len(new_members) > 1 or (new_members and anchors):
                self._stories.inc()
            for article_id in new_members:
                yield article_id, assignment


def _published_story(priors) -> list[StoryAssignment]:
    """The published stories of ``priors``, in a fixed order (the smallest id first)."""
    return sorted({StoryAssignment(prior.cluster_id, prior.first_seen_run_date) for prior in priors})


def _assign_or_singleton(keyed):
    article_id, grouped = keyed
    if not list(grouped["present"]):
        return
    # An article sent again keeps its story; so does a canonical copy whose identical
    # duplicate was sent again (the copies are one text, so one story).
    resent = _published_story(grouped["resent"]) or _published_story(grouped["copy_resent"])
    assigned = resent or list(grouped["assigned"])
    yield article_id, (assigned[0] if assigned else StoryAssignment(cluster_id([article_id])))


def _resent_to_canonical(keyed):
    """(duplicate id, {canonical, resent}) -> (canonical id, Prior) of a duplicate sent again."""
    _, grouped = keyed
    for canonical in grouped["canonical"]:
        for prior in grouped["resent"]:
            yield canonical, prior


def _assign_duplicates(keyed):
    _, grouped = keyed
    stories = list(grouped["story"])
    if stories:
        for duplicate in grouped["duplicates"]:
            yield duplicate, stories[0]


def _keep_resent_story(keyed):
    """A duplicate sent again keeps its published story, whatever its canonical copy's."""
    article_id, grouped = keyed
    stories = list(grouped["story"])
    if stories:
        resent = _published_story(grouped["resent"])
        yield article_id, (resent[0] if resent else stories[0])


class ClusterStories(beam.PTransform):
    """(canonical ids, verified pairs, exact-duplicate pairs, sketches, resent) -> stories.

    ``resent`` is (article id, Prior) for articles an earlier run already published: they
    keep that story, and their identical copies (``duplicate_pairs``) join it.

    Returns a dict: ``assignments`` (article id, StoryAssignment) for the articles of this
    run (anchors from earlier runs are not re-assigned), ``component_pairs``: the pairs
    scored inside components that LSH had not proposed, and ``sketches``: (article id,
    sketch) for every sketch, anchors included, for the steps that need them after
    clustering.
    """

    def __init__(
        self, cluster: ClusterConfig, verify: VerifyConfig, detail_max_df: int | None = None
    ) -> None:
        """``detail_max_df``: as for ``windows.MatchInWindows``."""
        super().__init__()
        self._cluster = cluster
        self._verify = verify
        self._detail_max_df = detail_max_df

    def expand(self, inputs):
        canonical_ids, verified_pairs, duplicate_pairs, sketches, resent = inputs
        anchor_stories = (
            sketches
            | "Anchors" >> beam.Filter(lambda sketch: sketch.prior is not None)
            | "ByPublishedStory" >> beam.Map(lambda sketch: (sketch.prior.cluster_id, sketch.id))
            | "GroupPublishedStory" >> beam.GroupByKey()
            | "SortAnchors" >> beam.MapTuple(lambda story, ids: (story, sorted(ids)))
        )
        components = (
            verified_pairs
            # No default for no edges: Beam injects it through a side input, and the SDK
            # worker's cache of side inputs kept the list of every edge for later stages.
            | "AllEdges" >> beam.combiners.ToList().without_defaults()
            | "ByComponent"
            >> beam.ParDo(_EdgesByComponentFn(), beam.pvalue.AsDict(anchor_stories)).with_outputs(
                MEMBERS, main="edges"
            )
        )
        component_sketches = (
            {"root": components[MEMBERS], "sketch": sketches | "KeySketch" >> beam.Map(lambda s: (s.id, s))}
            | "JoinMembers" >> beam.CoGroupByKey()
            | "SketchByComponent" >> beam.FlatMap(_sketch_by_component).with_outputs(SKETCHES, main="members")
        )
        split = (
            {"edge": components.edges, "sketch": component_sketches.members}
            | "GroupComponents" >> beam.CoGroupByKey()
            | "AverageLinkage"
            >> beam.ParDo(_SplitComponentFn(self._cluster, self._verify, self._detail_max_df)).with_outputs(
                COMPONENT_PAIRS, main="assigned"
            )
        )
        assigned = split.assigned
        copy_resent = (
            {
                "canonical": duplicate_pairs | "ByDuplicate" >> beam.Map(lambda pair: (pair.b, pair.a)),
                "resent": resent,
            }
            | "JoinResentCopies" >> beam.CoGroupByKey()
            | "ResentToCanonical" >> beam.FlatMap(_resent_to_canonical)
        )
        canonical = (
            {
                "assigned": assigned,
                "present": canonical_ids | "KeyIds" >> beam.Map(lambda i: (i, True)),
                "resent": resent,
                "copy_resent": copy_resent,
            }
            | "JoinAssigned" >> beam.CoGroupByKey()
            | "OrSingleton" >> beam.FlatMap(_assign_or_singleton)
        )
        duplicates = (
            {
                "story": canonical,
                "duplicates": duplicate_pairs | "ByCanonical" >> beam.Map(lambda pair: (pair.a, pair.b)),
            }
            | "JoinDuplicates" >> beam.CoGroupByKey()
            | "DuplicateStories" >> beam.FlatMap(_assign_duplicates)
        )
        duplicates = (
            {"story": duplicates, "resent": resent}
            | "JoinResentDuplicates" >> beam.CoGroupByKey()
            | "KeepResentStory" >> beam.FlatMap(_keep_resent_story)
        )
        return {
            "assignments": (canonical, duplicates) | "AllAssignments" >> beam.Flatten(),
            "component_pairs": split[COMPONENT_PAIRS],
            SKETCHES: component_sketches[SKETCHES],
        }
