from __future__ import annotations

import itertools

from pipeline.cluster import average_linkage, cluster_component, cluster_id, connected_components


def test_average_linkage_merges_by_average_not_single_link():
    # 0-1 strong; 2 links weakly to 1 only: the average 0.35/2 < 0.3 keeps it apart.
    assert average_linkage(3, {(0, 1): 0.9, (1, 2): 0.35}, 0.3) == [0, 0, 2]
    assert average_linkage(3, {(0, 1): 0.9, (1, 2): 0.35, (0, 2): 0.3}, 0.3) == [0, 0, 0]


def test_bridge_article_does_not_chain_two_stories():
    story_a = {(0, 1): 0.8, (0, 2): 0.8, (1, 2): 0.8}
    story_b = {(3, 4): 0.8, (3, 5): 0.8, (4, 5): 0.8}
    bridge = {(0, 6): 0.5, (1, 6): 0.5, (2, 6): 0.5, (3, 6): 0.45, (4, 6): 0.45}
    labels = average_linkage(7, {**story_a, **story_b, **bridge}, 0.3)
    assert labels[:3] == [0, 0, 0] and labels[3:6] == [3, 3, 3]
    assert labels[6] not in (0, 3), "a page that carries both stories belongs to neither"


def test_an_article_close_to_one_story_only_stays_in_it():
    story_a = {(0, 1): 0.8, (0, 2): 0.8, (1, 2): 0.8}
    story_b = {(3, 4): 0.8, (3, 5): 0.8, (4, 5): 0.8}
    member = {(0, 6): 0.5, (1, 6): 0.5, (2, 6): 0.5, (3, 6): 0.2}
    labels = average_linkage(7, {**story_a, **story_b, **member}, 0.3)
    assert labels[6] == labels[0]


def test_locked_groups_absorb_new_nodes_but_never_merge():
    labels = average_linkage(4, {(0, 1): 0.9, (0, 2): 0.9, (1, 2): 0.9, (2, 3): 0.1}, 0.5, groups=[[0], [1]])
    assert labels[0] != labels[1]
    assert labels[2] in (labels[0], labels[1])


def test_cluster_component_with_prior_stories():
    stories = cluster_component(
        ["a", "b", "c", "d"], [("a", "c", 0.9), ("b", "c", 0.8), ("b", "d", 0.9)], 0.5, {"a": "S1", "b": "S2"}
    )
    assert stories == [["a", "c"], ["b", "d"]]


# Five rewrites of one story (cosines about 0.2) and a headline that repeats b's first line.
REWRITES = [(x, y, 0.2) for i, x in enumerate("abcde") for y in "abcde"[i + 1 :]]
HEADLINE = [("alert", "b", 0.223)]


def test_a_short_article_never_holds_a_rewrite_apart_from_its_story():
    # Merged first with b, the headline made b a bridge between itself and the story.
    assert cluster_component(["alert", *"abcde"], REWRITES + HEADLINE, 0.16) == [
        ["a", "c", "d", "e"],
        ["alert"],
        ["b"],
    ]
    stories = cluster_component(["alert", *"abcde"], REWRITES + HEADLINE, 0.16, short={"alert"})
    assert stories == [list("abcde"), ["alert"]]


def test_a_short_article_joins_the_story_it_is_close_to_or_another_short_one():
    close = [("alert", x, 0.3) for x in "abcde"]
    stories = cluster_component(
        ["alert", *"abcde", "flash"], REWRITES + close, 0.16, short={"alert", "flash"}
    )
    assert stories == [["a", "alert", "b", "c", "d", "e"], ["flash"]]
    alone = [("alert", "flash", 0.5)]
    stories = cluster_component(
        ["alert", *"abcde", "flash"], REWRITES + alone, 0.16, short={"alert", "flash"}
    )
    assert stories == [list("abcde"), ["alert", "flash"]]


def test_components_and_ids_are_order_independent():
    first = connected_components([("b", "c"), ("a", "b"), ("x", "y")])
    second = connected_components([("x", "y"), ("a", "b"), ("b", "c")])
    assert first == second == {"a": "a", "b": "a", "c": "a", "x": "x", "y": "x"}
    assert cluster_id(["b", "a"]) == cluster_id(["a", "b"]) != cluster_id(["b"])
    assert cluster_id(["a"]).startswith("s_") and len(cluster_id(["a"])) == 18


def test_stories_do_not_depend_on_the_order_of_the_pairs():
    """A component's pairs come from a shuffle in any order: the float sums that decide a
    bridge (here x's mean to the four b's, on the cut to the last bit) must not follow it."""
    to_story = [0.157771, 0.120666, 0.193279, 0.168284]
    story = [("a", "x", 0.9)] + [(f"b{i}", f"b{j}", 0.8) for i in range(4) for j in range(i + 1, 4)]
    ids = ["a", "x", "b0", "b1", "b2", "b3"]
    found = {
        str(cluster_component(ids, story + [("x", f"b{i}", to_story[i]) for i in order], 0.16))
        for order in itertools.permutations(range(4))
    }
    assert len(found) == 1


def test_a_short_article_never_joins_an_article_of_its_own_story_to_another():
    """x, not short, has no pair with the story of a and b, so it is a story of one: a
    headline close to both stories does not bring x into the other (it was all one story).
    Close to both, the headline is a page carrying two stories and stands alone."""
    pairs = [("a", "b", 0.6), ("headline", "x", 0.9), ("a", "headline", 0.5), ("b", "headline", 0.5)]
    stories = cluster_component(["a", "b", "headline", "x"], pairs, 0.16, short={"headline"})
    assert stories == [["a", "b"], ["headline"], ["x"]]
    only_x = [("headline", "x", 0.9), ("a", "b", 0.6)]
    stories = cluster_component(["a", "b", "headline", "x"], only_x, 0.16, short={"headline"})
    assert stories == [["a", "b"], ["headline", "x"]]
