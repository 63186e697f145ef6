"""Stage 5: verified pairs -> stories (one ``cluster_id`` per article), in Beam.

1. Connected components of the verified-pair graph, found with union-find over the edges
   only (a few per article, never the articles themselves).
2. Each component is split by average linkage (``cluster.cluster_component``) on its own
   worker: a bridging article cannot chain two stories together.
3. Articles with no verified pair are stories of one; exact duplicates take the story of
   their canonical copy. Cluster ids derive from the story's smallest article id, so the
   same input gives the same ids on any runner and with any number of workers.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from pipeline.cluster import cluster_component, cluster_id, connected_components


class _EdgesByComponentFn(beam.DoFn):
    """All verified edges at once -> (component root, edge) for every edge."""

    def __init__(self) -> None:
        self._components = Metrics.counter("cluster", "components")

    def process(self, edges):
        components = connected_components((a, b) for a, b, _ in edges)
        self._components.inc(len(set(components.values())))
        for edge in edges:
            yield components[edge[0]], edge


class _SplitComponentFn(beam.DoFn):
    def __init__(self, threshold: float) -> None:
        self._threshold = threshold
        self._stories = Metrics.counter("cluster", "multi_article_stories")
        self._component_size = Metrics.distribution("cluster", "component_size")

    def process(self, keyed):
        _, edges = keyed
        edges = list(edges)
        members = sorted({a for a, _, _ in edges} | {b for _, b, _ in edges})
        self._component_size.update(len(members))
        for story in cluster_component(members, edges, self._threshold):
            if len(story) > 1:
                self._stories.inc()
            story_id = cluster_id(story)
            for article_id in story:
                yield article_id, story_id


def _assign_or_singleton(keyed):
    article_id, grouped = keyed
    assigned = list(grouped["assigned"])
    if not list(grouped["present"]):
        return
    yield article_id, (assigned[0] if assigned else cluster_id([article_id]))


def _assign_duplicates(keyed):
    _, grouped = keyed
    stories = list(grouped["story"])
    if stories:
        for duplicate in grouped["duplicates"]:
            yield duplicate, stories[0]


class ClusterStories(beam.PTransform):
    """(canonical ids, verified pairs, exact-duplicate pairs) -> (article id, cluster id)."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self._threshold = threshold

    def expand(self, inputs):
        canonical_ids, verified_pairs, duplicate_pairs = inputs
        assigned = (
            verified_pairs
            | "AsEdges" >> beam.Map(lambda pair: (pair.a, pair.b, pair.score))
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
