"""Clustering measures on small examples worked out by hand (the arithmetic is in comments)."""

from __future__ import annotations

import random

import pytest

from pipeline.metrics import (
    adjusted_rand_index,
    bcubed,
    by_source,
    evaluate_clustering,
    pair_precision,
    pair_recall,
    pairwise,
    subset,
)

# Stories A = {a, b, c}, B = {d, e}, C = {f}.
TRUTH = {"a": "A", "b": "A", "c": "A", "d": "B", "e": "B", "f": "C"}
# Clusters X = {a, b, c, d}, Y = {e}, Z = {f}.
PREDICTED = {"a": "X", "b": "X", "c": "X", "d": "X", "e": "Y", "f": "Z"}


def labels(sequence: list[int]) -> dict[str, str]:
    """Turns a list of cluster numbers into an id -> label mapping (ids 'i0', 'i1', ...)."""
    return {f"i{position}": str(label) for position, label in enumerate(sequence)}


def test_pairwise_hand_example():
    # True pairs: A has C(3,2) = 3, B has 1, C has 0 -> 4.
    # Predicted pairs: X has C(4,2) = 6 -> 6.
    # Cells: (A,X) = 3 articles -> 3 pairs, (B,X) = 1, (B,Y) = 1, (C,Z) = 1 -> tp = 3.
    # fp = 6 - 3 = 3 (ad, bd, cd); fn = 4 - 3 = 1 (de).
    # P = 3/6 = 0.5, R = 3/4 = 0.75, F1 = 2 * 0.5 * 0.75 / 1.25 = 0.6.
    result = pairwise(TRUTH, PREDICTED)
    assert (result["tp"], result["fp"], result["fn"]) == (3, 3, 1)
    assert result["precision"] == pytest.approx(0.5)
    assert result["recall"] == pytest.approx(0.75)
    assert result["f1"] == pytest.approx(0.6)


def test_pairwise_conventions_for_empty_cases():
    # All singletons predicted: no predicted pair -> precision 1.0 by convention; 4 true
    # pairs missed -> recall 0, F1 0.
    singletons = {article_id: article_id for article_id in TRUTH}
    result = pairwise(TRUTH, singletons)
    assert (result["tp"], result["fp"], result["fn"]) == (0, 0, 4)
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 0.0, 0.0)
    # No true pair and none predicted: nothing claimed, nothing to find.
    result = pairwise({"a": "A", "b": "B"}, {"a": "x", "b": "y"})
    assert (result["precision"], result["recall"], result["f1"]) == (1.0, 1.0, 1.0)


def test_pairwise_rejects_different_id_sets():
    with pytest.raises(ValueError, match="same ids"):
        pairwise({"a": "A", "b": "A"}, {"a": "x"})


def test_ari_perfect_clustering_is_one_whatever_the_label_names():
    renamed = {"a": "p", "b": "p", "c": "p", "d": "q", "e": "q", "f": "r"}
    assert adjusted_rand_index(TRUTH, renamed) == 1.0


def test_ari_hand_example():
    # truth [0,0,0,1,1,1], predicted [0,0,1,1,2,2] (the scikit-learn user guide example).
    # True pairs a = 3 + 3 = 6; predicted pairs b = 1 + 1 + 1 = 3; all pairs N = C(6,2) = 15.
    # Cells (0,0)=2, (0,1)=1, (1,1)=1, (1,2)=2 -> index = 1 + 1 = 2.
    # Expected = a*b/N = 18/15 = 1.2; max = (a+b)/2 = 4.5.
    # ARI = (2 - 1.2) / (4.5 - 1.2) = 0.8 / 3.3 = 0.2424...
    ari = adjusted_rand_index(labels([0, 0, 0, 1, 1, 1]), labels([0, 0, 1, 1, 2, 2]))
    assert ari == pytest.approx(0.8 / 3.3)


def test_ari_textbook_values():
    # truth [0,0,1,2], predicted [0,0,1,1]: a = 1, b = 2, index = 1, N = 6.
    # Expected = 2/6 = 1/3, max = 1.5 -> ARI = (2/3) / (7/6) = 4/7 = 0.5714.
    assert adjusted_rand_index(labels([0, 0, 1, 2]), labels([0, 0, 1, 1])) == pytest.approx(4 / 7)
    # truth [0,0,1,1], predicted [0,1,0,1]: a = 2, b = 2, index = 0, N = 6.
    # Expected = 4/6, max = 2 -> ARI = (-2/3) / (4/3) = -0.5 (worse than chance).
    assert adjusted_rand_index(labels([0, 0, 1, 1]), labels([0, 1, 0, 1])) == pytest.approx(-0.5)


def test_ari_trivial_partitions():
    # Both all singletons, or both one cluster: identical partitions, denominator 0 -> 1.0.
    assert adjusted_rand_index(labels([0, 1, 2]), labels([5, 6, 7])) == 1.0
    assert adjusted_rand_index(labels([0, 0, 0]), labels([1, 1, 1])) == 1.0
    assert adjusted_rand_index({}, {}) == 1.0
    # Truth one story, prediction all singletons: a = 3, b = 0, index = 0 -> 0 / 1.5 = 0.
    assert adjusted_rand_index(labels([0, 0, 0]), labels([0, 1, 2])) == 0.0


def test_ari_matches_scikit_learn_on_random_labels():
    metrics = pytest.importorskip("sklearn.metrics")
    generator = random.Random(7)
    for _ in range(20):
        size = generator.randint(2, 60)
        truth = [generator.randint(0, 6) for _ in range(size)]
        predicted = [generator.randint(0, 9) for _ in range(size)]
        expected = metrics.adjusted_rand_score(truth, predicted)
        assert adjusted_rand_index(labels(truth), labels(predicted)) == pytest.approx(expected, abs=1e-12)


def test_bcubed_hand_example():
    # Per-article precision = share of its cluster in its story:
    #   a, b, c in X = {a,b,c,d}: 3/4 each; d in X: 1/4; e in Y = {e}: 1; f in Z: 1.
    #   mean = (3 * 3/4 + 1/4 + 1 + 1) / 6 = (9/4 + 1/4 + 2) / 6 = 4.5 / 6 = 0.75.
    # Per-article recall = share of its story in its cluster:
    #   a, b, c: A = {a,b,c} all in X: 1 each; d: B = {d,e}, only d in X: 1/2; e: 1/2; f: 1.
    #   mean = (3 + 1/2 + 1/2 + 1) / 6 = 5 / 6.
    # F1 = 2 * 0.75 * 5/6 / (0.75 + 5/6) = 1.25 / (19/12) = 15/19.
    result = bcubed(TRUTH, PREDICTED)
    assert result["precision"] == pytest.approx(0.75)
    assert result["recall"] == pytest.approx(5 / 6)
    assert result["f1"] == pytest.approx(15 / 19)


def test_bcubed_one_big_cluster():
    # Story A = {a,b,c,d}, B = {e}; everything predicted in one cluster of 5.
    # Precision: a..d 4/5 each, e 1/5 -> (16/5 + 1/5) / 5 = 17/25 = 0.68; recall 1 for all.
    # F1 = 2 * 0.68 / 1.68 = 0.8095...
    truth = {"a": "A", "b": "A", "c": "A", "d": "A", "e": "B"}
    result = bcubed(truth, dict.fromkeys(truth, "X"))
    assert result["precision"] == pytest.approx(17 / 25)
    assert result["recall"] == pytest.approx(1.0)
    assert result["f1"] == pytest.approx(2 * 0.68 / 1.68)


def test_pair_recall_and_precision():
    # Given pairs, deduplicated and unordered: {a,b}, {a,d}, {d,e}; (b,a) repeats {a,b},
    # (a,a) is a self-pair, (a,zz) has an unlabelled id.
    # Same-story among them: ab (A), de (B) -> 2. True pairs of TRUTH: 4 (ab, ac, bc, de).
    # Recall = 2/4 = 0.5; precision = 2/3.
    pairs = [("a", "b"), ("b", "a"), ("a", "d"), ("d", "e"), ("a", "a"), ("a", "zz")]
    recall = pair_recall(TRUTH, pairs)
    assert recall == {"recall": 0.5, "found": 2, "true_pairs": 4, "pairs": 3, "unlabelled": 1}
    precision = pair_precision(TRUTH, pairs)
    assert precision["precision"] == pytest.approx(2 / 3)
    assert (precision["same_story"], precision["pairs"], precision["unlabelled"]) == (2, 3, 1)


def test_pair_measures_accept_scored_records_and_empty_input():
    scored = [("a", "c", 0.91, True), ("c", "f", 0.40, False)]
    # ac is one story (A), cf is not -> 1 found of 4 true pairs; precision 1/2.
    assert pair_recall(TRUTH, scored)["recall"] == pytest.approx(0.25)
    assert pair_precision(TRUTH, scored)["precision"] == pytest.approx(0.5)
    assert pair_precision(TRUTH, [])["precision"] == 1.0
    assert pair_recall({"a": "A", "b": "B"}, [])["recall"] == 1.0


def test_subset_restricts_both_sides_and_refuses_unknown_ids():
    ids = ["d", "e"]
    restricted = pairwise(subset(TRUTH, ids), subset(PREDICTED, ids))
    # Inside {d, e}: one true pair (de), split across X and Y -> recall 0, no predicted pair.
    assert (restricted["tp"], restricted["fn"], restricted["precision"]) == (0, 1, 1.0)
    with pytest.raises(KeyError):
        subset(TRUTH, ["a", "nope"])


def test_evaluate_clustering_bundles_everything():
    result = evaluate_clustering(TRUTH, PREDICTED)
    assert (result["articles"], result["clusters_true"], result["clusters_found"]) == (6, 3, 3)
    assert result["pairwise"] == pairwise(TRUTH, PREDICTED)
    assert result["bcubed"] == bcubed(TRUTH, PREDICTED)
    assert result["ari"] == adjusted_rand_index(TRUTH, PREDICTED)


def test_pairwise_scales_to_many_articles():
    # 100,000 articles in 20,000 stories of 5; prediction merges stories two by two.
    # True pairs: 20,000 * C(5,2) = 200,000. Predicted: 10,000 * C(10,2) = 450,000.
    # tp = 200,000 (every true pair stays together) -> P = 200/450, R = 1.
    truth = {f"n{i}": f"s{i // 5}" for i in range(100_000)}
    predicted = {f"n{i}": f"c{i // 10}" for i in range(100_000)}
    result = pairwise(truth, predicted)
    assert result["tp"] == 200_000
    assert result["precision"] == pytest.approx(200 / 450)
    assert result["recall"] == 1.0


def test_by_source_groups_by_id_prefix():
    ids = ["mn-validation-0-0", "basil-2b95_1", "wire-7", "mn-validation-3-1", "basil-2b95_2"]
    assert by_source(ids) == {
        "basil": ["basil-2b95_1", "basil-2b95_2"],
        "multinews": ["mn-validation-0-0", "mn-validation-3-1"],
        "other": ["wire-7"],
    }
    # Empty groups are left out; "mn" without the dash is not Multi-News.
    assert by_source(["mnx-1"]) == {"other": ["mnx-1"]}
