"""Sentence alignment between articles of one story: pure functions, no Beam.

Each sentence becomes a set of stemmed content words and names (``features``); two
sentences match by the Dice coefficient of those sets. Attribution verbs and other words
that outlets swap freely ("said", "declared", "told") are dropped, so "Trump said X" and
"the President declared X" still align on X.

Example:
    >>> round(sentence_similarity(sentence_terms("Trump said troops won't go."),
    ...                           sentence_terms("Troops won't go, Trump declared.")), 2)
    1.0
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.features import content_words

ATTRIBUTION_WORDS = frozenset(
    stem
    for stem in """
    said say says told tell declar stat state added add noted note explain explained
    according report reported reporter insist insisted claim claimed assert asserted
    announc announced confirm confirmed suggest suggested
    """.split()
)


def sentence_terms(sentence: str) -> frozenset[str]:
    """The comparable content of a sentence: content words minus attribution verbs."""
    return frozenset(word for word in content_words(sentence) if word not in ATTRIBUTION_WORDS)


def sentence_similarity(first: frozenset[str], second: frozenset[str]) -> float:
    """Dice coefficient of two sentences' term sets (0 when either is empty)."""
    if not first or not second:
        return 0.0
    return 2.0 * len(first & second) / (len(first) + len(second))


def best_matches(
    sentences: Sequence[frozenset[str]], others: Sequence[frozenset[str]]
) -> list[tuple[int, float]]:
    """For each sentence, the index of its most similar sentence in ``others`` and the score.

    Ties go to the earlier sentence; with no candidates the index is -1 and the score 0.
    """
    matches = []
    for terms in sentences:
        best_index, best_score = -1, 0.0
        for index, other in enumerate(others):
            score = sentence_similarity(terms, other)
            if score > best_score:
                best_index, best_score = index, score
        matches.append((best_index, best_score))
    return matches
