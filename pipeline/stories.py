"""Stage 5: verified pairs -> stories (one ``cluster_id`` per article), in Beam.

1. Connected components of the verified-pair graph, found with union-find over the edges
   only (a few per article, never the articles themselves).
2. Each component is split by average linkage (``cluster.cluster_component``) on its own
   worker: a bridging article cannot chain two stories together.
3. Articles with no verified pair are stories of one; exact duplicates take the story of
   their canonical copy. Cluster ids derive from the story's smallest article id, so the
   same input gives the same ids on any runner and with any number of workers.

Articles of earlier runs (from the state) take part as locked anchors: a new article that
joins one of their stories gets that story's published id; the anchors themselves are not
re-assigned, and two published stories are never merged.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.cluster import cluster_component, cluster_id, connected_components
from pipeline.records import StoryAssignment


class _EdgesByComponentFn(beam.DoFn):
    """All verified edges at once -> (component root, edge) for every edge."""

    def __init__(self) -> None:
        self._components = Metrics.counter("cluster", "components")

    def process(self, edges):
        components = connected_components((edge.a, edge.b) for edge in edges)
        self._components.inc(len(set(components.values())))
        for edge in edges:
            yield components[edge.a], edge


class _SplitComponentFn(beam.DoFn):
    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._stories = Metrics.counter("cluster", "multi_article_stories")
        self._component_size = Metrics.distribution("cluster", "component_size")

    def process(self, keyed):
        _, edges = keyed
        edges = list(edges)
        priors = {}
        for edge in edges:
            if edge.a_prior is not None:
                priors[edge.a] = edge.a_prior
            if edge.b_prior is not None:
                priors[edge.b] = edge.b_prior
        members = sorted({edge.a for edge in edges} | {edge.b for edge in edges})
        self._component_size.update(len(members))
        stories = cluster_component(
            members,
            ((edge.a, edge.b, edge.score) for edge in edges),
            self._threshold,
            {article_id: prior.cluster_id for article_id, prior in priors.items()},
        )
        for story in stories:
            anchors = sorted((priors[i] for i in story if i in priors), key=lambda prior: prior.cluster_id)
            assignment = (
                StoryAssignment(anchors[0].cluster_id, anchors[0].first_seen_run_date)
                if anchors
                else (StoryAssignment(cluster_id(story)))
            )
            new_members = [article_id for article_id in story if article_id not in priors]
            if len(new_members) > 1 or (new_members and anchors):
                self._stories.inc()
            for article_id in new_members:
                yield article_id, assignment


def _assign_or_singleton(keyed):
    article_id, grouped = keyed
    assigned = list(grouped["assigned"])
    if not list(grouped["present"]):
        return
    yield article_id, (assigned[0] if assigned else StoryAssignment(cluster_id([article_id])))


def _assign_duplicates(keyed):
    _, grouped = keyed
    stories = list(grouped["story"])
    if stories:
        for duplicate in grouped["duplicates"]:
            yield duplicate, stories[0]


class ClusterStories(beam.PTransform):
    """(canonical ids, verified pairs, exact-duplicate pairs) -> (article id, StoryAssignment).

    Only articles of this run are assigned; anchors from earlier runs are not.
    """

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self._threshold = threshold

    def expand(self, inputs):
        canonical_ids, verified_pairs, duplicate_pairs = inputs
        assigned = (
            verified_pairs
            | "AllEdges" >> beam.combiners.ToList()
            | "ByComponent" >> beam.ParDo(_EdgesByComponentFn())
            | "GroupComponents" >> beam.GroupByKey()
            | "AverageLinkage" >> beam.ParDo(_SplitComponentFn(self._threshold))
        )
        canonical = (
            {"assigned": assigned, "present": canonical_ids | "KeyIds" >> beam.Map(lambda i: (i, True))}
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
        return (canonical, duplicates) | "AllAssignments" >> beam.Flatten()
