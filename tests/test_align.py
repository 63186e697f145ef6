"""Sentence alignment: coverage and mutual similarity on hand-made paraphrases."""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest

from pipeline.align import (
    StorySentences,
    best_matches,
    comparable_terms,
    coverage,
    dateline_length,
    paraphrase_score,
    sentence_features,
    sentence_similarity,
)
from pipeline.config import SentenceConfig
from pipeline.sentence_eval import msrp_scores, msrp_sweep
from pipeline.text import normalise, split_sentences

from .conftest import SEEDS, SHARED_EVAL

# The unique-sentence threshold of the default config (docs/sentences.md).
MATCH_THRESHOLD = SentenceConfig.match_threshold


def features(text: str):
    return sentence_features(text)


def test_attribution_change_still_matches():
    # "Trump said" vs "the President declared": speech verbs are dropped, the content aligns.
    said = features("Trump said U.S. troops will not be sent to Ukraine.")
    declared = features("No American troops will be sent to Ukraine, the President declared.")
    assert coverage(said, declared) == pytest.approx(0.8)  # trump / presid are the only misses
    assert sentence_similarity(said, declared) >= MATCH_THRESHOLD


def test_speech_verbs_are_not_content():
    assert comparable_terms("Leavitt said, told, stated and declared it.") == [("leavitt", 1.0)]


def test_reordered_clauses_score_as_the_original():
    first = features("After talks in Alaska, Putin agreed to security guarantees for Ukraine, Trump said.")
    second = features("Trump said Putin agreed to security guarantees for Ukraine after their Alaska talks.")
    assert sentence_similarity(first, second) == pytest.approx(1.0)


def test_shortened_quote_is_covered_by_the_full_quote():
    full = features(
        "\"European nations are going to take a lot of the burden. We're going to help them "
        "and we're going to make it very secure,\" he said."
    )
    short = features('"We\'re going to help them and make it very secure," Trump said.')
    assert coverage(short, full) >= 0.75
    # The full quote says more than the short one, so the reverse coverage is lower and the
    # two are not paraphrases of each other.
    assert coverage(full, short) < coverage(short, full)
    # The short quote's best counterpart is the full one, not a sentence on another subject.
    unrelated = features("The Donbas region holds coal reserves and heavy industry.")
    [(best, score)] = best_matches([short], [unrelated, full])
    assert best == 1 and score == pytest.approx(coverage(short, full))


def test_unrelated_sentences_score_low():
    score = paraphrase_score(
        "The Donbas region is vital for its coal reserves and industrial activities.",
        "White House press secretary Karoline Leavitt reinforced the message on Tuesday.",
    )
    assert score < 0.1


def test_chinese_japanese_and_thai_paraphrases_align_by_character_bigrams():
    paraphrases = [
        (
            "首趟列车G8601次于上午9时从成都东站驶出,车上载有近600名旅客。",
            "首发列车G8601次上午9时驶出成都东站,载客近600人。",
        ),
        (
            "線状降水帯や台風の予測精度の向上が期待されている。",
            "台風や線状降水帯の予測精度が上がると期待される。",
        ),
        ("คลื่นลมบริเวณอ่าวไทยตอนล่างจะมีกำลังแรง", "ส่วนอ่าวไทยตอนล่างจะมีคลื่นลมกำลังแรง"),
    ]
    for first, second in paraphrases:
        assert paraphrase_score(normalise(first), normalise(second)) >= MATCH_THRESHOLD, first
    assert paraphrase_score("事件没有造成人员受伤。", "首趟列车上载有近600名旅客。") < 0.1
    # Thai vowels and tone marks, and Japanese voicing marks, tell words apart: they are kept.
    assert comparable_terms("かがく") == [("かが", 1.0), ("がく", 1.0)]


def test_synonyms_places_and_spellings_align():
    first = features("Kyiv wants to purchase $90 billion of weapons, the Ukrainian leader said.")
    second = features("Zelenskyy's government plans to buy 90 billion dollars in US arms for Ukraine.")
    terms = dict(first.terms)
    assert terms["ukrain"] == 1.0 and terms["90"] == 2.0 and "buy" in terms  # purchase -> buy
    assert (
        coverage(features("Zelensky met European leaders."), features("Zelenskyy met European leaders."))
        == 1.0
    )
    assert coverage(first, second) >= MATCH_THRESHOLD


def test_a_changed_figure_lowers_the_score():
    original = "Russian forces fired 14 missiles overnight."
    rewrite, changed = (
        "Overnight, Russia's forces fired 14 missiles.",
        "Overnight, Russia's forces fired 40 missiles.",
    )
    assert (
        paraphrase_score(original, rewrite) == paraphrase_score(original, rewrite, story_weights=False) == 1.0
    )
    # Plain weights: the figure weighs two of the six units.
    assert paraphrase_score(original, changed, story_weights=False) == pytest.approx(4 / 6)
    # Story weights: the four shared units are in both texts (ln 2 each), the figure in one
    # (ln 3): a changed figure is a particular fact, and it costs more.
    shared, figure = 4 * np.log(2), 2 * np.log(3)
    assert paraphrase_score(original, changed) == pytest.approx(shared / (shared + figure), abs=1e-9)


def test_a_figure_that_shares_its_first_digits_is_still_a_changed_figure():
    # The prefix rule is for spellings and inflections of words: numbers match only
    # themselves, so ten thousand is not a hundred thousand.
    original = features("Police said 10,000 people marched in Lyon.")
    assert coverage(original, features("Police said 100,000 people marched in Lyon.")) == pytest.approx(4 / 6)
    assert coverage(original, features("Police said 20,000 people marched in Lyon.")) == pytest.approx(4 / 6)
    changed = features("The fund holds $1,234,999.")
    assert coverage(features("The fund holds $1,234,567."), changed) == pytest.approx(2 / 4)
    story = StorySentences([[original], [features("Police said 100,000 people marched in Lyon.")]])
    assert story.best_matches(0, [1])[1][1].tolist() == [pytest.approx(4 / 6)]


def test_story_weights_make_what_every_text_says_count_less():
    topic = "Ukraine peace talks"
    sentences = [
        [features(f"{topic} continued in Geneva.")],
        [features(f"{topic} resumed on Monday.")],
        [features(f"{topic} went on in Geneva.")],
    ]
    plain = StorySentences(sentences)
    weighted = StorySentences(sentences, story_weights=True)
    # A term's factor is ln(1 + 3 texts / texts with it): the topic's three words are in all
    # three (ln 2), "Geneva" in two (ln 2.5), "resumed" and "Monday" (half weight) in one (ln 4).
    topic_only = weighted.best_matches(1, [0])[0][1][0]
    assert plain.best_matches(1, [0])[0][1][0] == pytest.approx(3 / 4.5, abs=1e-9)
    assert topic_only == pytest.approx(3 * np.log(2) / (3 * np.log(2) + 1.5 * np.log(4)), abs=1e-9)
    with_place = weighted.best_matches(0, [2])[2][1][0]
    found = 3 * np.log(2) + np.log(2.5)
    assert with_place == pytest.approx(found / (found + np.log(4)), abs=1e-9)
    # Plain weights rate the topic-only pair 0.67; story weights put it well below the pair
    # that also shares the place.
    assert topic_only < with_place - 0.15
    # A copy of a text does not make its terms commoner: texts are counted, not articles.
    copied = StorySentences([*sentences, sentences[0]], texts=["a", "b", "c", "a"], story_weights=True)
    assert copied.best_matches(1, [0])[0][1][0] == topic_only
    with pytest.raises(ValueError, match="one key per article"):
        StorySentences(sentences, texts=["a"], story_weights=True)


def test_a_window_covers_a_sentence_that_a_rewrite_split_in_two():
    whole = features("Macron suggested Geneva and Switzerland offered Bern as venues.")
    split = [
        features("Officials met on Monday."),
        features("Macron suggested Geneva."),
        features("Switzerland offered Bern as a venue."),
        features("Markets closed higher."),
    ]
    alone = StorySentences([[whole], split])
    windowed = StorySentences([[whole], split], window=1)
    best_alone, score_alone = alone.best_matches(0, [1])[1]
    best_windowed, score_windowed = windowed.best_matches(0, [1])[1]
    assert score_alone[0] == pytest.approx(4 / 6, abs=1e-9) and score_windowed[0] == 1.0
    # The counterpart reported is the sentence of the best window that covers most alone.
    assert best_windowed[0] == best_alone[0] == 2
    # Neighbours are taken within an article only, never across two.
    across = StorySentences([[whole], split[:2], split[2:]], window=1).best_matches(0, [1, 2])
    assert across[1][1][0] == pytest.approx(2 / 6, abs=1e-9) and across[2][1][0] == pytest.approx(
        4 / 6, abs=1e-9
    )
    with pytest.raises(ValueError, match="window"):
        StorySentences([[whole]], window=-1)


def test_number_and_unit_normalisation():
    assert comparable_terms("Prices rose 5 per cent, to $1,200.") == [
        ("price", 1.0),
        ("rise", 1.0),
        ("5", 2.0),
        ("percent", 1.0),
        ("1200", 2.0),
    ]
    assert comparable_terms("The index added 3 points.") == [
        ("index", 1.0),
        ("rise", 1.0),
        ("3", 2.0),
        ("point", 1.0),
    ]
    # "us" the pronoun is not the country; "US", "U.S." and "United States" are.
    assert comparable_terms("Tell us more.") == []
    assert {t for t, _ in comparable_terms("The US, the U.S. and the United States.")} == {"us"}


def test_a_name_counts_once_however_long():
    terms = comparable_terms("French President Emmanuel Macron suggested Geneva.")
    assert sum(weight for _, weight in terms[:4]) == pytest.approx(1.0)
    assert terms[-1] == ("geneva", 1.0)


# Wire datelines in the styles of the agencies and papers that rewrite each other's stories,
# as the sentence splitter sees them (``normalise`` makes every dash a hyphen) and as written.
DATELINES = [
    "WASHINGTON (AP) — ",
    "KYIV, Ukraine (AP) — ",
    "LONDON, Nov 25 (Reuters) - ",
    "PARIS (AFP) - ",
    "BERLIN, 25. November (dpa) - ",
    "NEW YORK -- ",
    "Washington, DC — ",
    "(CNN) — ",
    "GENEVA: ",
    "MOSCOW — ",
    "WASHINGTON D.C. - ",
    "FLORENCE, Italy, Feb. 25 (UPI) - ",
    "MONDAY, July 2 (HealthDay News) - ",
    "OSAN AIR BASE, South Korea - ",
]


@pytest.mark.parametrize("dateline", DATELINES)
def test_a_wire_dateline_is_recognised_in_each_style(dateline):
    for sentence in (dateline + "The Senate voted 68-30 on Tuesday.", dateline + '"We will vote," he said.'):
        assert sentence[dateline_length(sentence) :] == sentence[len(dateline) :]
        normalised = normalise(sentence)
        assert normalised[dateline_length(normalised) :] == sentence[len(dateline) :]


@pytest.mark.parametrize(
    "sentence",
    [
        "LONDON BRIDGE — a history",  # a heading: no sentence follows the dash
        "MOSCOW-backed forces shelled the town on Tuesday.",  # no space around the dash
        "U.S. officials — who asked not to be named — said talks would resume.",
        "FILE - In this July 12, 2018 file photo, Peter Strzok testifies.",  # an AP caption
        "However, Trump - who spoke first - said talks would resume.",
        "THE SENATE VOTED ON TUESDAY TO PASS - THE BILL",  # a paragraph in capitals
        "The Senate voted (68-30) - A bill passed.",
        "Senate voted: The bill passed.",
    ],
)
def test_prose_that_starts_with_a_capitalised_word_and_a_dash_is_no_dateline(sentence):
    assert dateline_length(sentence) == 0


def test_best_matches_ties_and_empty_candidates():
    sentence = features("Troops will not be sent.")
    twin = features("Troops will not be sent.")
    assert best_matches([sentence], [twin, twin]) == [(0, 1.0)]  # ties go to the earlier one
    assert best_matches([sentence], []) == [(-1, 0.0)]
    assert best_matches([sentence], [features("Markets closed higher.")]) == [(-1, 0.0)]
    assert best_matches([features("But you never know.")], [twin]) == [(-1, 0.0)]


def test_empty_sentences_score_zero():
    assert coverage(features(""), features("Troops will not be sent.")) == 0.0
    assert sentence_similarity(features("The."), features("The.")) == 0.0


# --- evaluation on sentence-pair corpora ------------------------------------------------------


def test_msrp_scores_on_a_small_file(tmp_path):
    rows = [
        (
            "Trump said troops will not go to Ukraine.",
            "Troops will not go to Ukraine, the President declared.",
            1,
        ),
        ("Russia fired 14 missiles.", "Russia fired 40 missiles.", 0),
        ("Markets closed higher on Friday.", "The Donbas region holds coal.", 0),
        ("Leavitt repeated the message.", "The message was repeated by the press secretary.", 1),
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("\n".join(json.dumps({"a": a, "b": b, "label": label}) for a, b, label in rows) + "\n")
    plain = functools.partial(paraphrase_score, story_weights=False)
    scores = msrp_scores(path, MATCH_THRESHOLD, plain)
    # Plain weights: scores 0.75, 0.6 (the changed figure: 3 of 5 units), 0.0 and 0.5 (min of
    # 2/3 and 2/4): three predicted equivalent, one of them wrongly.
    assert (scores["pairs"], scores["positives"], scores["predicted_positive"]) == (4, 2, 3)
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == 1.0
    assert [s["predicted_positive"] for s in msrp_sweep(path, [0.0, 0.55, 0.9], plain)] == [4, 2, 0]


def test_msrp_rows_must_have_a_label(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"a": "x", "b": "y"}\n')
    with pytest.raises(ValueError, match="label"):
        msrp_scores(path, 0.5)


def test_msrp_train_accuracy_at_the_match_threshold():
    assert (SHARED_EVAL / "msrp_train.jsonl").exists(), "the MSRP pairs are expected in ../shared/eval"
    scores = msrp_scores(SHARED_EVAL / "msrp_train.jsonl", MATCH_THRESHOLD)
    print(f"\nMSRP train at {MATCH_THRESHOLD}: accuracy {scores['accuracy']:.4f} f1 {scores['f1']:.4f}")
    assert scores["pairs"] == 4076
    # Issue 4 asks for 0.76; this lexical matcher reaches 0.7328 here (docs/sentences.md).
    assert scores["accuracy"] >= 0.73
    assert scores["f1"] >= 0.81


def test_best_matches_equals_coverage_of_every_pair():
    """The sparse-matrix alignment returns what scoring every pair with ``coverage`` does."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    assert len(texts) >= 2
    articles = [[features(s) for s in split_sentences(normalise(text))] for text in texts]
    for mine, theirs in ((articles[0], articles[1]), (articles[2], articles[0]), (articles[1], [])):
        expected = []
        for sentence in mine:
            scores = [coverage(sentence, other) for other in theirs]
            best = max(range(len(scores)), key=lambda i: (scores[i], -i), default=-1)
            expected.append((best, scores[best]) if best >= 0 and scores[best] > 0 else (-1, 0.0))
        found = best_matches(mine, theirs)
        assert [j for j, _ in found] == [j for j, _ in expected]
        # Scores are rounded to 9 decimals.
        assert [score for _, score in found] == pytest.approx([score for _, score in expected], abs=1e-9)


def test_scores_against_few_or_most_sentences_of_a_story_are_the_same_floats():
    # Against a short article only the compared rows are gathered; against most of the story
    # the product runs over every sentence and the columns are taken from it. Both must give
    # the same floats, or a story's alignments would depend on which articles it compares.
    facts = [
        "Troops will not be sent to Ukraine, Macron said on Tuesday.",
        "The French president met Zelensky in Paris for three hours.",
        "Markets rose 2.5 per cent after the talks in Geneva.",
        "Officials in Kyiv said 14 missiles were fired overnight.",
        "The European Union promised $90 billion in new aid.",
        "Zelenskyy's office said the deal was close.",
    ]
    long_article = [sentence_features(s) for s in facts * 3]
    short_article = [sentence_features("No French troops for Ukraine, Macron declared.")]
    mine = [sentence_features(s) for s in reversed(facts)]
    story = StorySentences([mine, short_article, long_article], story_weights=True, window=1)
    few = story.best_matches(0, [1])[1]
    most = story.best_matches(0, [1, 2])[1]
    assert few[0].tolist() == most[0].tolist()
    assert few[1].tolist() == most[1].tolist()
