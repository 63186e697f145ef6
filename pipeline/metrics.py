"""Clustering evaluation against labelled stories: pure functions, no Beam.

Every measure takes ``truth`` (article id -> true story label) and ``predicted`` (article id
-> predicted cluster id) over the same ids, and is computed from the contingency table
(how many articles each true story shares with each predicted cluster), never by listing
article pairs: a pair count is ``n * (n - 1) / 2`` of a cell, a row or a column, so 100,000
articles cost one pass over the ids.

- ``pairwise``: precision, recall and F1 over unordered article pairs; a pair is predicted
  when both articles share a cluster and true when both share a story.
- ``adjusted_rand_index``: the Rand index corrected for chance (Hubert & Arabie 1985,
  "Comparing partitions", Journal of Classification 2:193-218); 1 for identical
  partitions, about 0 for random ones, negative below chance.
- ``bcubed``: per-article precision and recall averaged over articles (Bagga & Baldwin
  1998, "Entity-based cross-document coreferencing using the vector space model").
- ``pair_recall`` / ``pair_precision``: how many true pairs a list of pairs covers (LSH
  candidate recall) and how many listed pairs are true (verifier precision).

Conventions for empty cases, so that no measure divides by zero: a precision with nothing
predicted is 1.0 (nothing claimed, nothing wrong), a recall with nothing to find is 1.0, an
F1 whose precision and recall are both 0 is 0.0, and the adjusted Rand index of two
partitions that are the same trivial partition (all singletons, or one cluster, or fewer
than two articles) is 1.0.

Example:
    >>> truth = {"a": "s1", "b": "s1", "c": "s2"}
    >>> pairwise(truth, {"a": "x", "b": "x", "c": "x"})["precision"]
    0.3333333333333333
    >>> adjusted_rand_index(truth, {"a": "p", "b": "p", "c": "q"})
    1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

SOURCE_PREFIXES = (("basil", "basil"), ("mn-", "multinews"))
OTHER_SOURCE = "other"


def _pair_count(size: int) -> int:
    """Unordered pairs among ``size`` items."""
    return size * (size - 1) // 2


def _ratio(numerator: float, denominator: float, empty: float) -> float:
    return numerator / denominator if denominator else empty


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _contingency(
    truth: Mapping[str, str], predicted: Mapping[str, str]
) -> tuple[Counter[tuple[str, str]], Counter[str], Counter[str]]:
    """Cell, story and cluster sizes; raises if the two mappings do not cover the same ids."""
    if truth.keys() != predicted.keys():
        missing = len(truth.keys() - predicted.keys())
        extra = len(predicted.keys() - truth.keys())
        raise ValueError(
            f"truth and predicted must label the same ids: {missing} ids have no prediction and "
            f"{extra} predicted ids have no truth label (use subset() to restrict both to one id set)"
        )
    cells = Counter((story, predicted[article_id]) for article_id, story in truth.items())
    story_sizes = Counter(truth.values())
    cluster_sizes = Counter(predicted.values())
    return cells, story_sizes, cluster_sizes


def pairwise(truth: Mapping[str, str], predicted: Mapping[str, str]) -> dict[str, float]:
    """Precision, recall and F1 over unordered article pairs.

    Args:
        truth: article id -> true story label.
        predicted: article id -> predicted cluster id, for the same ids.

    Returns:
        ``tp`` (pairs in one story and one cluster), ``fp`` (one cluster, different stories),
        ``fn`` (one story, different clusters), ``precision`` (1.0 when no pair is predicted),
        ``recall`` (1.0 when no pair is true) and ``f1``.

    Example:
        >>> pairwise({"a": "s", "b": "s", "c": "t"}, {"a": "x", "b": "y", "c": "y"})["fp"]
        1
    """
    cells, story_sizes, cluster_sizes = _contingency(truth, predicted)
    tp = sum(_pair_count(size) for size in cells.values())
    predicted_pairs = sum(_pair_count(size) for size in cluster_sizes.values())
    true_pairs = sum(_pair_count(size) for size in story_sizes.values())
    precision = _ratio(tp, predicted_pairs, empty=1.0)
    recall = _ratio(tp, true_pairs, empty=1.0)
    return {
        "tp": tp,
        "fp": predicted_pairs - tp,
        "fn": true_pairs - tp,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
    }


def adjusted_rand_index(truth: Mapping[str, str], predicted: Mapping[str, str]) -> float:
    """The adjusted Rand index of Hubert & Arabie (1985), from the contingency table.

    With ``index`` the pairs joined by both partitions, ``a`` and ``b`` the pairs joined by
    the truth and by the prediction, and ``N`` all pairs, the expected index under random
    labelling with the same cluster sizes is ``a * b / N`` and the maximum is ``(a + b) / 2``::

        ARI = (index - a * b / N) / ((a + b) / 2 - a * b / N)

    computed here in integers, multiplied through by ``2 N``, so it is exact up to the last
    division. The denominator is 0 only when both partitions are the same trivial partition
    (all singletons or one cluster); that agreement scores 1.0.

    Example:
        >>> adjusted_rand_index({"a": "0", "b": "0", "c": "1", "d": "2"},
        ...                     {"a": "0", "b": "0", "c": "1", "d": "1"})
        0.5714285714285714
    """
    cells, story_sizes, cluster_sizes = _contingency(truth, predicted)
    index = sum(_pair_count(size) for size in cells.values())
    true_pairs = sum(_pair_count(size) for size in story_sizes.values())
    predicted_pairs = sum(_pair_count(size) for size in cluster_sizes.values())
    all_pairs = _pair_count(len(truth))
    numerator = 2 * (index * all_pairs - true_pairs * predicted_pairs)
    denominator = (true_pairs + predicted_pairs) * all_pairs - 2 * true_pairs * predicted_pairs
    return numerator / denominator if denominator else 1.0


def bcubed(truth: Mapping[str, str], predicted: Mapping[str, str]) -> dict[str, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin 1998).

    An article's precision is the share of its predicted cluster that belongs to its story,
    its recall the share of its story that is in its predicted cluster; both are averaged
    over articles, and F1 is the harmonic mean of the two averages. Every article in a
    contingency cell of size ``n`` with cluster size ``c`` has precision ``n / c``, so the
    cell contributes ``n * n / c`` to the sum, and likewise for recall with the story size.
    With no articles, all three are 1.0.
    """
    cells, story_sizes, cluster_sizes = _contingency(truth, predicted)
    if not cells:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    articles = len(truth)
    precision = sum(size * size / cluster_sizes[cluster] for (_, cluster), size in cells.items()) / articles
    recall = sum(size * size / story_sizes[story] for (story, _), size in cells.items()) / articles
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


def _distinct_pairs(pairs: Iterable[tuple[str, ...]]) -> set[tuple[str, str]]:
    """Unordered, deduplicated pairs without self-pairs; fields after the two ids are ignored."""
    distinct = set()
    for first, second, *_ in pairs:
        if first != second:
            distinct.add((first, second) if first < second else (second, first))
    return distinct


def _split_labelled(
    truth: Mapping[str, str], pairs: Iterable[tuple[str, ...]]
) -> tuple[list[tuple[str, str]], int]:
    """Distinct pairs whose two ids both have a truth label, and the number of the others."""
    labelled, unlabelled = [], 0
    for first, second in _distinct_pairs(pairs):
        if first in truth and second in truth:
            labelled.append((first, second))
        else:
            unlabelled += 1
    return labelled, unlabelled


def pair_recall(truth: Mapping[str, str], pairs: Iterable[tuple[str, ...]]) -> dict[str, float]:
    """The share of true same-story pairs that appear in ``pairs`` (LSH candidate recall).

    Pairs are unordered and counted once; self-pairs are dropped, and pairs with an id the
    truth does not label are skipped and counted as ``unlabelled``. Extra fields after the
    two ids (a score, a decision) are ignored, so scored pair records can be passed as is.

    Returns:
        ``recall`` (1.0 when the truth has no same-story pair), ``found`` (true pairs present),
        ``true_pairs`` (all same-story pairs of the truth), ``pairs`` (distinct labelled pairs
        given) and ``unlabelled``.
    """
    labelled, unlabelled = _split_labelled(truth, pairs)
    found = sum(1 for first, second in labelled if truth[first] == truth[second])
    true_pairs = sum(_pair_count(size) for size in Counter(truth.values()).values())
    return {
        "recall": _ratio(found, true_pairs, empty=1.0),
        "found": found,
        "true_pairs": true_pairs,
        "pairs": len(labelled),
        "unlabelled": unlabelled,
    }


def pair_precision(truth: Mapping[str, str], pairs: Iterable[tuple[str, ...]]) -> dict[str, float]:
    """The share of the given pairs whose two articles are in one story (verifier precision).

    Pairs are treated as in ``pair_recall``.

    Returns:
        ``precision`` (1.0 when no labelled pair is given), ``same_story``, ``pairs`` (distinct
        labelled pairs given) and ``unlabelled``.
    """
    labelled, unlabelled = _split_labelled(truth, pairs)
    same_story = sum(1 for first, second in labelled if truth[first] == truth[second])
    return {
        "precision": _ratio(same_story, len(labelled), empty=1.0),
        "same_story": same_story,
        "pairs": len(labelled),
        "unlabelled": unlabelled,
    }


def subset(mapping: Mapping[str, str], ids: Iterable[str]) -> dict[str, str]:
    """The entries of ``mapping`` for ``ids``; raises KeyError for an id it lacks.

    Restricting both truth and prediction to one source's ids measures that source alone:
    its pairwise recall is the recall over its own true pairs, and its precision counts only
    predicted pairs with both ends inside the subset (wrong merges with other sources are
    not seen there; read precision over the whole corpus).
    """
    return {article_id: mapping[article_id] for article_id in ids}


def evaluate_clustering(truth: Mapping[str, str], predicted: Mapping[str, str]) -> dict:
    """All clustering measures of one prediction, as a JSON-ready dict.

    Returns:
        ``articles``, ``clusters_true`` (stories), ``clusters_found`` (predicted clusters,
        singletons included), ``ari``, ``pairwise`` (see ``pairwise``) and ``bcubed``.
    """
    return {
        "articles": len(truth),
        "clusters_true": len(set(truth.values())),
        "clusters_found": len(set(predicted.values())),
        "ari": adjusted_rand_index(truth, predicted),
        "pairwise": pairwise(truth, predicted),
        "bcubed": bcubed(truth, predicted),
    }


def by_source(ids: Iterable[str]) -> dict[str, list[str]]:
    """Groups article ids by the data set named by their id prefix.

    The source is read from the id alone: ``basil...`` is BASIL, ``mn-...`` is Multi-News
    (the prefixes the evaluation files use), anything else is ``other``. Only non-empty
    groups are returned, in the order basil, multinews, other; ids keep their input order.

    Example:
        >>> by_source(["mn-validation-0-0", "basil-x_1", "wire-7"])
        {'basil': ['basil-x_1'], 'multinews': ['mn-validation-0-0'], 'other': ['wire-7']}
    """
    groups: dict[str, list[str]] = {name: [] for _, name in SOURCE_PREFIXES}
    groups[OTHER_SOURCE] = []
    for article_id in ids:
        matches = (name for prefix, name in SOURCE_PREFIXES if article_id.startswith(prefix))
        groups[next(matches, OTHER_SOURCE)].append(article_id)
    return {name: members for name, members in groups.items() if members}
