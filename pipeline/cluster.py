"""Verified pairs -> stories: pure functions, no Beam.

Clustering is average linkage over the sparse graph of verified pairs: two groups merge
only while the *average* similarity over all their cross pairs (missing pairs count as 0)
stays at or above the threshold. Single linkage (connected components) would let one
article that shares a little with two stories glue them together; average linkage needs
most members of both groups to agree, so a bridging article joins one story at most.

One case average linkage alone gets wrong: a page carrying two stories (a news roundup)
is similar to both, joins the closer one, and so mixes two stories. After the merges, an
article whose average similarity to *another* multi-article story also reaches the
threshold, while no other member of its own story has any verified pair with that story,
is such a bridge: the two stories meet only through it. It is taken out and stands alone
(``detach_bridges``). Two related stories (a story and its follow-up) share pairs, so an
article close to both stays where it is.

Short articles (a headline alone, a one-line alert: fewer than ``cluster.short_terms``
TF-IDF terms) come last. Their few terms make their cosines unsteady, and one that merged
first with the rewrite whose opening line it repeats would hold that rewrite apart from its
story. So the other articles are clustered first, without them; then each short article
joins the story it is closest to on average (at the same threshold), or another short
article, or stays alone, and the stories formed never meet through it.

Connected components come first: average linkage never merges across them (an average at
or above the threshold needs at least one pair at or above it), so each component is
clustered on its own, in parallel, and a component's size bounds the work.

Example:
    >>> average_linkage(3, {(0, 1): 0.9, (1, 2): 0.2}, threshold=0.5)
    [0, 0, 2]
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence


class UnionFind:
    """Disjoint sets over hashable items; each set is named by its smallest member."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def add(self, item: str) -> None:
        self._parent.setdefault(item, item)

    def find(self, item: str) -> str:
        self.add(item)
        root = item
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[item] != root:
            self._parent[item], item = root, self._parent[item]
        return root

    def union(self, first: str, second: str) -> None:
        root_a, root_b = self.find(first), self.find(second)
        if root_a != root_b:
            # The smaller id becomes the root, so component names do not depend on order.
            low, high = sorted((root_a, root_b))
            self._parent[high] = low

    def components(self) -> dict[str, str]:
        """Maps every item to the smallest member of its set."""
        return {item: self.find(item) for item in self._parent}


def connected_components(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Maps every article on an edge to its component's smallest article id."""
    sets = UnionFind()
    for first, second in edges:
        sets.union(first, second)
    return sets.components()


def average_linkage(
    num_nodes: int,
    similarities: Mapping[tuple[int, int], float],
    threshold: float,
    groups: Sequence[Sequence[int]] = (),
) -> list[int]:
    """Average-linkage clusters of nodes 0..n-1 given sparse pair similarities.

    ``groups`` are sets of nodes that start merged and *locked*: stories published by an
    earlier run. A locked group can absorb new nodes but never merges with another locked
    group, because a published cluster id never changes.

    Returns each node's cluster label (nodes with the same label form a story). Merges are
    taken best first; ties go to the smaller (i, j), and similarities are summed in the order
    of their pairs, not of the mapping, so the result is deterministic.
    """
    # Pairs come from a shuffle in any order: float sums (of a locked group's links, of a
    # node's similarity to another story) taken in that order could end on either side of
    # the threshold.
    similarities = dict(sorted(similarities.items()))
    links: list[dict[int, float]] = [{} for _ in range(num_nodes)]
    size = [1] * num_nodes
    members: list[list[int]] = [[node] for node in range(num_nodes)]
    locked = [False] * num_nodes
    owner = list(range(num_nodes))
    for group in groups:
        root = min(group)
        locked[root] = True
        for node in group:
            if node != root:
                members[root].append(node)
                members[node] = []
                owner[node] = root
        size[root] = len(group)
    for (i, j), similarity in similarities.items():
        i, j = owner[i], owner[j]
        if i == j:
            continue
        links[i][j] = links[i].get(j, 0.0) + similarity
        links[j][i] = links[j].get(i, 0.0) + similarity

    def average(i: int, j: int) -> float:
        return links[i][j] / (size[i] * size[j])

    heap = [(-average(i, j), i, j) for i in range(num_nodes) for j in links[i] if i < j]
    heapq.heapify(heap)
    while heap:
        negative_average, i, j = heapq.heappop(heap)
        if -negative_average < threshold:
            break
        if not members[i] or not members[j] or j not in links[i] or (locked[i] and locked[j]):
            continue
        if average(i, j) != -negative_average:
            continue  # stale: one side has grown since this entry was pushed
        keep, gone = min(i, j), max(i, j)
        for neighbour, total in links[gone].items():
            if neighbour == keep:
                continue
            links[keep][neighbour] = links[keep].get(neighbour, 0.0) + total
            links[neighbour][keep] = links[keep][neighbour]
            del links[neighbour][gone]
        del links[keep][gone]
        links[gone] = {}
        size[keep] += size[gone]
        locked[keep] = locked[keep] or locked[gone]
        members[keep].extend(members[gone])
        members[gone] = []
        for neighbour in links[keep]:
            low, high = min(keep, neighbour), max(keep, neighbour)
            heapq.heappush(heap, (-average(low, high), low, high))
    labels = [0] * num_nodes
    for root, group in enumerate(members):
        for node in group:
            labels[node] = root
    fixed = {node for group in groups for node in group}
    return detach_bridges(labels, similarities, threshold, fixed)


def detach_bridges(
    labels: list[int], similarities: Mapping[tuple[int, int], float], threshold: float, fixed: set[int]
) -> list[int]:
    """Takes out every node that alone joins its story to another story of two or more.

    A node's average similarity to a story counts missing pairs as 0, as in the linkage.
    Nodes in ``fixed`` (published by earlier runs) are never moved.
    """
    sizes: dict[int, int] = {}
    for label in labels:
        sizes[label] = sizes.get(label, 0) + 1
    totals: dict[tuple[int, int], float] = {}  # (node, other story) -> summed similarity
    node_pairs: dict[tuple[int, int], int] = {}  # (node, other story) -> pairs
    story_pairs: dict[tuple[int, int], int] = {}  # (story, other story) -> pairs
    for (i, j), similarity in similarities.items():
        if labels[i] != labels[j] and similarity > 0:
            for node, other in ((i, labels[j]), (j, labels[i])):
                totals[(node, other)] = totals.get((node, other), 0.0) + similarity
                node_pairs[(node, other)] = node_pairs.get((node, other), 0) + 1
                story_pairs[(labels[node], other)] = story_pairs.get((labels[node], other), 0) + 1
    detached = list(labels)
    for (node, story), total in sorted(totals.items()):
        own = labels[node]
        if (
            node not in fixed
            and sizes[own] > 1
            and sizes[story] > 1
            and total / sizes[story] >= threshold
            and story_pairs[(own, story)] == node_pairs[(node, story)]  # the stories meet only here
        ):
            detached[node] = len(labels) + node  # a label no story uses
    return detached


def cluster_component(
    article_ids: Sequence[str],
    pairs: Iterable[tuple[str, str, float]],
    threshold: float,
    prior_stories: Mapping[str, str] | None = None,
    short: Collection[str] = (),
) -> list[list[str]]:
    """Splits one connected component into stories; each story's ids are sorted.

    ``prior_stories`` maps articles published by earlier runs to their story id; those
    stories start merged and locked (see ``average_linkage``). ``short`` articles (a
    headline, a one-line alert) join the stories the others form, or one another, but never
    shape them (see the module docstring).
    """
    ids = sorted(set(article_ids))
    index = {article_id: position for position, article_id in enumerate(ids)}
    similarities: dict[tuple[int, int], float] = {}
    for a, b, score in pairs:
        i, j = sorted((index[a], index[b]))
        similarities[(i, j)] = max(score, similarities.get((i, j), 0.0))
    groups: dict[str, list[int]] = {}
    for article_id, story in sorted((prior_stories or {}).items()):
        if article_id in index:
            groups.setdefault(story, []).append(index[article_id])
    short_nodes = {index[article_id] for article_id in short if article_id in index}
    if short_nodes:
        labels = _short_ones_last(len(ids), similarities, threshold, list(groups.values()), short_nodes)
    else:
        labels = average_linkage(len(ids), similarities, threshold, list(groups.values()))
    stories: dict[int, list[str]] = {}
    for position, label in enumerate(labels):
        stories.setdefault(label, []).append(ids[position])
    return sorted(stories.values())


def _short_ones_last(
    num_nodes: int,
    similarities: Mapping[tuple[int, int], float],
    threshold: float,
    groups: list[list[int]],
    short: set[int],
) -> list[int]:
    """Average linkage over the articles that are not short, then the short ones joining
    the stories formed (locked, so that no two of them meet through a short article) or one
    another, by their own pairs only."""
    full = {pair: score for pair, score in similarities.items() if not short & set(pair)}
    labels = average_linkage(num_nodes, full, threshold, groups)
    formed: dict[int, list[int]] = {}
    for node, label in enumerate(labels):
        formed.setdefault(label, []).append(node)
    published = {node for group in groups for node in group}
    # Every story with an article that is not short is locked, a story of one included: a
    # short article joins one story, never brings another (not even one article) into it.
    locked = [nodes for nodes in formed.values() if set(nodes) - short or published & set(nodes)]
    joining = {pair: score for pair, score in similarities.items() if short & set(pair)}
    return average_linkage(num_nodes, joining, threshold, locked)


def cluster_id(member_ids: Iterable[str]) -> str:
    """A deterministic story id derived from the story's smallest article id."""
    anchor = min(member_ids)
    return "s_" + hashlib.sha1(anchor.encode("utf-8")).hexdigest()[:16]
