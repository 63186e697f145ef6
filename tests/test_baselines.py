"""The reference methods on small synthetic articles with a known story structure."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.baselines import (
    MinHashBaseline,
    _cosine_matrix,
    tfidf_all_pairs,
    tfidf_vectors,
    verbatim_minhash,
    word_shingles,
)
from pipeline.features import STOP_WORDS

WIRE_COPY = (
    "The city council voted on Tuesday to approve a new budget for the harbour bridge repairs, "
    "ending months of debate over how to pay for the work. Council members said the repairs "
    "would begin in the spring and last about two years, with one lane open to traffic at all "
    "times. The mayor welcomed the vote and thanked residents for their patience during the "
    "long negotiations with the state transport agency."
)
# The same wire copy republished with a changed headline word and different punctuation.
REPUBLISHED = WIRE_COPY.replace("Tuesday", "Monday").replace(",", "") + " Reporting by staff."
UNRELATED = (
    "A rare orchid bloomed in the botanical garden greenhouse this week for the first time in "
    "a decade, drawing crowds of visitors who queued for hours. Gardeners said the plant needs "
    "precise humidity and warmth, and that they had nearly given up hope of seeing a flower."
)

# Two topics, three articles each, written with different words so that they share the
# topic's vocabulary but not long word runs.
VOLCANO = [
    ("v1", "The volcano erupted overnight, sending ash and lava over villages; residents evacuated."),
    ("v2", "Lava from the erupting volcano reached villages as residents fled an ash cloud."),
    ("v3", "Ash rose above the volcano while lava threatened villages and residents left."),
]
FOOTBALL = [
    ("f1", "The striker scored twice as the football club won the cup final before a record crowd."),
    ("f2", "A record crowd watched the club win the football cup final with two goals from its striker."),
    ("f3", "Fans celebrated the cup final win; the club's striker scored both goals in the football match."),
]


def test_word_shingles_lower_case_without_punctuation():
    assert word_shingles("One, two. Three four!", 2) == {"one two", "two three", "three four"}
    # Shorter than a shingle: the whole text is one shingle; empty text has none.
    assert word_shingles("Just three words", 5) == {"just three words"}
    assert word_shingles("  ", 5) == set()


def test_verbatim_minhash_joins_near_identical_copies_only():
    result = verbatim_minhash([("copy-b", REPUBLISHED), ("copy-a", WIRE_COPY), ("orchid", UNRELATED)])
    assert isinstance(result, MinHashBaseline)
    # Labels are the smallest id of each cluster.
    assert result.labels == {"copy-a": "copy-a", "copy-b": "copy-a", "orchid": "orchid"}
    assert result.candidates == [("copy-a", "copy-b")]


def test_verbatim_minhash_misses_rewrites():
    # Rewrites of one story share words but hardly any five-word run: no candidates at all.
    result = verbatim_minhash(VOLCANO + FOOTBALL)
    assert result.candidates == []
    assert len(set(result.labels.values())) == 6


def test_verbatim_minhash_keeps_empty_texts_alone():
    # Empty MinHashes would all collide; they are left out of the index.
    result = verbatim_minhash([("a", ""), ("b", ""), ("c", WIRE_COPY)])
    assert result.labels == {"a": "a", "b": "b", "c": "c"}
    assert result.candidates == []


def test_verbatim_minhash_validates_arguments():
    with pytest.raises(ValueError, match="threshold"):
        verbatim_minhash([("a", WIRE_COPY)], threshold=1.5)
    with pytest.raises(ValueError, match="unique"):
        verbatim_minhash([("a", WIRE_COPY), ("a", UNRELATED)])


def test_tfidf_all_pairs_separates_two_topics():
    labels = tfidf_all_pairs(FOOTBALL + VOLCANO, cut=0.2)
    assert labels == {"f1": "f1", "f2": "f1", "f3": "f1", "v1": "v1", "v2": "v1", "v3": "v1"}


def test_tfidf_all_pairs_does_not_depend_on_input_order():
    articles = FOOTBALL + VOLCANO + [("orchid", UNRELATED)]
    assert tfidf_all_pairs(articles) == tfidf_all_pairs(list(reversed(articles)))


def test_tfidf_all_pairs_refuses_large_corpora():
    assert tfidf_all_pairs(FOOTBALL + VOLCANO, max_articles=5) is None
    with pytest.raises(ValueError, match="cut"):
        tfidf_all_pairs(FOOTBALL, cut=0.0)


def test_tfidf_all_pairs_handles_texts_without_terms():
    labels = tfidf_all_pairs([("a", ""), ("b", "the and of"), *VOLCANO, *FOOTBALL])
    assert (labels["a"], labels["b"]) == ("a", "b")
    assert {labels["v1"], labels["v2"], labels["v3"]} == {"v1"}


def test_max_df_drops_terms_in_more_than_half_the_documents():
    # "common" is in 3 of 4 documents (> 0.5) and is dropped; "pair" is in 2 of 4 and kept.
    vectors = tfidf_vectors(["common pair", "common pair", "common", "zebra"])
    assert [len(vector) for vector in vectors] == [1, 1, 0, 1]


# scikit-learn warns that contractions in the stop list ("don't") would tokenise to words
# that are not in it; neither implementation ever sees such tokens, so the warning is moot.
@pytest.mark.filterwarnings("ignore:Your stop_words may be inconsistent")
def test_tfidf_cosines_match_scikit_learn():
    text = pytest.importorskip("sklearn.feature_extraction.text")
    texts = [body for _, body in FOOTBALL + VOLCANO] + [WIRE_COPY, REPUBLISHED, UNRELATED]
    ours = _cosine_matrix(tfidf_vectors(texts))
    matrix = text.TfidfVectorizer(stop_words=sorted(STOP_WORDS), sublinear_tf=True, max_df=0.5).fit_transform(
        texts
    )
    expected = (matrix @ matrix.T).toarray()
    # The diagonal leaves out terms no other document has, so only off-diagonal cells compare.
    off_diagonal = ~np.eye(len(texts), dtype=bool)
    np.testing.assert_allclose(ours[off_diagonal], expected[off_diagonal], atol=1e-12)
