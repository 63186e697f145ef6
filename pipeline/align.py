"""Sentence alignment between articles of one story: pure functions, no Beam.

A sentence becomes a weighted set of *comparable terms* (``sentence_features``), computed
once per sentence:

- content words, lower-cased and Snowball-stemmed, stop words dropped;
- a hand-written normalisation of general news vocabulary that outlets swap freely:
  attribution verbs ("said", "declared", "told", "stated") are dropped, so "Trump said X"
  and "the President declared X" align on X; near-synonyms share one key ("rose" /
  "climbed" / "gained", "deal" / "agreement" / "pact", "gun" / "pistol"); demonyms,
  capitals and spellings of a country share one key ("U.S." / "American" / "Washington",
  "Kremlin" / "Moscow" / "Russian"); weekday and relative-day words ("Tuesday",
  "yesterday") share one key at half weight, because rewrites change them;
- numbers, with thousands separators, currency and percent signs removed ("$90 billion"
  and "90 billion" agree), weighted twice: a figure is a fact;
- a run of capitalised words names one thing ("French President Emmanuel Macron"): its
  terms share a weight of 1, so a long name does not outweigh what is said about it.

The basic score is directional: ``coverage(x, y)`` is the weighted share of x's terms
found in y. A term is found when y has the same key, or a key with the same first five
letters that is at most a quarter longer ("Zelensky" / "Zelenskyy", "deploy" /
"deploying"). Coverage is insensitive to word order (reordered clauses), to words y adds
(a shortened quote is fully covered by the full one) and to attribution.

- ``coverage(x, y)`` answers "is x's content reported in y?", which is the unique-sentence
  question: a sentence is shared with another outlet when some sentence of that outlet's
  article covers it at ``sentences.match_threshold`` or more.
- ``sentence_similarity(a, b)`` is the *mutual* coverage, ``min(coverage(a, b),
  coverage(b, a))``: two sentences are paraphrases when each covers the other. This is
  what the Microsoft Research Paraphrase Corpus measures (``pipeline.sentence_eval``),
  at the same threshold.

Example:
    >>> said = sentence_features("Trump said U.S. troops won't be sent to Ukraine.")
    >>> declared = sentence_features("No American troops will be sent to Ukraine, the President declared.")
    >>> round(coverage(said, declared), 2), round(sentence_similarity(said, declared), 2)
    (0.8, 0.8)
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from pipeline.features import STOP_WORDS, stem

# --- the hand-written news vocabulary ------------------------------------------------------

# Speech and attribution verbs: how outlets vary "X said". Never content.
ATTRIBUTION_WORDS = frozenset(
    """
    say said says saying tell told tells telling stated declare declared declares
    add added adds note noted notes explain explained explains according report reported
    reports insist insisted insists claim claimed claims assert asserted asserts announce
    announced announces confirm confirmed confirms suggest suggested suggests comment commented
    remark remarked respond responded responds reply replied replies mention mentioned mentions
    acknowledge acknowledged acknowledges indicate indicated indicates emphasize emphasized
    emphasizes emphasise emphasised stress stressed stresses reiterate reiterated reiterates
    affirm affirmed write writes wrote
    """.split()
)

# Near-synonyms of general news writing: one group per line (an indented line continues the
# group above), keyed by its first word.
SYNONYM_GROUPS = """
rise rose risen rising rises gain gained gains climb climbed climbs jump jumped jumps increase
    increased increases advance advanced advances surge surged surges soar soared rally rallied grow
    grew grown growth higher boost boosted raise raised hike hiked
fall fell fallen falling falls drop dropped drops decline declined declines slip slipped slips
    lose lost loss losses shed sheds slide slid slides tumble tumbled plunge plunged sink sank slump
    slumped decrease decreased ease eased retreat retreated lower dip dipped
buy bought buying buys purchase purchased purchases purchasing acquire acquired acquires
    acquisition takeover
sell sold selling sells
company companies firm firms corporation corporations
begin began begun begins start started starts launch launched launches
end ended ends finish finished conclude concluded close closed closes settle settled
kill killed killing killings dead death deaths die died dying fatal
injure injured injuries injury wound wounded hurt
arrest arrested arrests detain detained detention custody
charge charged charges accuse accused accusation indict indicted indictment allege alleged
    allegation allegations
convict convicted conviction guilty
jail jailed prison imprisoned imprisonment
sue sued suing lawsuit lawsuits
help helped helping helps assist assisted assistance aid aided support supported
try tried trying tries attempt attempted attempts seek sought seeking seeks
ask asked asking asks request requested requesting requests
need needs needed require required requires necessary
allow allowed allows permit permitted permits
ban banned bans prohibit prohibited bar barred
reject rejected rejects refuse refused refuses dismiss dismissed deny denied denies oppose
    opposed
approve approved approves approval endorse endorsed backed
law laws legislation bill bills
talk talks discuss discussed discussion discussions negotiate negotiated negotiation
    negotiations
deal deals agreement agreements accord pact treaty
war conflict fighting hostilities
troop troops soldier soldiers force forces
gun guns pistol pistols rifle rifles weapon weapons firearm firearms
big large major huge
small little minor
quick quickly fast rapid rapidly swift swiftly
percent pct
million millions mln
billion billions bn
profit profits earnings
revenue revenues turnover
share shares stock stocks
spokesman spokeswoman spokesperson spokesmen representative
official officials authorities
investigate investigated investigating investigation investigations probe probes inquiry
leader leaders chief head
government administration
country countries nation nations
car cars vehicle vehicles automobile
child children kid kids
doctor doctors physician physicians
plan plans planned planning intend intends intended propose proposed proposes proposal
expect expects expected anticipate anticipated forecast forecasts predict predicted estimate
    estimated estimates
show showed shown shows reveal revealed reveals
warn warned warning warns
criticize criticized criticise criticised criticism condemn condemned blast blasted slam slammed
praise praised hail hailed
threaten threatened threatens threat threats
hire hired hiring employ employed recruit recruited
job jobs employment
worker workers employee employees staff
meet met meeting meetings
visit visited visits tour toured trip
believe believes believed think thinks thought
attack attacked attacks assault assaulted raid raided
bomb bombs bombing bombings explosion explosions explode exploded
money funds funding cash
pay paid payment payments
salary salaries wage wages
cut cuts cutting reduce reduced reduces reduction slash slashed trim trimmed
year years annual annually yearly
month months monthly
week weeks weekly
"""
# Demonyms, capitals and other names of a country, so "Russian" and "Kremlin" meet "Russia".
PLACE_NAMES = """
us: us u.s u.s.a usa america american americans washington
uk: uk u.k britain british london
russia: russian russians moscow kremlin
ukraine: ukrainian ukrainians kyiv kiev
china: chinese beijing
japan: japanese tokyo
france: french paris
germany: german germans berlin
italy: italian rome
spain: spanish madrid
netherlands: dutch
switzerland: swiss
sweden: swedish
norway: norwegian
denmark: danish
finland: finnish
poland: polish
greece: greek
turkey: turkish
ireland: irish
scotland: scottish
wales: welsh
canada: canadian
mexico: mexican
brazil: brazilian
india: indian
pakistan: pakistani
afghanistan: afghan
iran: iranian tehran
iraq: iraqi baghdad
syria: syrian
israel: israeli israelis
palestine: palestinian palestinians
egypt: egyptian
korea: korean
vietnam: vietnamese
philippines: filipino
australia: australian
europe: european europeans
"""
PLACE_ALIASES = {
    alias: country
    for line in PLACE_NAMES.strip().splitlines()
    for country, aliases in [line.split(":")]
    for alias in aliases.split()
}
DAY_WORDS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow tonight".split()
)
DAY_KEY = "<day>"

NUMBER_WEIGHT = 2.0  # a figure is a fact: a changed number is a changed sentence
DAY_WEIGHT = 0.5  # rewrites turn "Tuesday" into "yesterday"; it should not decide a match
PREFIX_LETTERS = 5  # soft match: same first five letters ...
PREFIX_MIN_RATIO = 0.75  # ... and the shorter key at least 3/4 of the longer one


def _synonyms(groups: str) -> dict[str, str]:
    """Stem of each listed word -> stem of its group's first word (so unlisted inflections
    of a listed word, such as "increasing", join the group too)."""
    table: dict[str, str] = {}
    for group in re.split(r"\n(?! )", groups.strip()):
        words = group.split()
        for word in words:
            table.setdefault(stem(word), stem(words[0]))
    return table


SYNONYMS = _synonyms(SYNONYM_GROUPS)
# Two-word names of a country, read as one.
PLACE_PAIRS = {("united", "states"): "us", ("united", "kingdom"): "uk", ("great", "britain"): "uk"}

_TOKEN = re.compile(r"\$?\d+(?:[.,]\d+)*%?|[^\W\d_]+(?:['.][^\W\d_]+)*")


def _fold(text: str) -> str:
    """Drops accents, so "Carón" meets "Caron"."""
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def comparable_terms(sentence: str) -> list[tuple[str, float]]:
    """The sentence's comparable terms, in order, with their weights (see the module docstring).

    A run of capitalised words names one thing ("French President Emmanuel Macron"), so its
    terms share a weight of 1 between them instead of counting once each.

    Example:
        >>> comparable_terms("On Tuesday, Russian forces fired 14 missiles.")
        [('<day>', 0.5), ('russia', 1.0), ('troop', 1.0), ('fire', 1.0), ('14', 2.0), ('missil', 1.0)]
        >>> comparable_terms("French President Emmanuel Macron suggested Geneva.")
        [('franc', 0.25), ('presid', 0.25), ('emmanuel', 0.25), ('macron', 0.25), ('geneva', 1.0)]
    """
    terms = _token_terms(sentence)
    weighted: list[tuple[str, float]] = []
    start = 0
    while start < len(terms):
        end = start + 1
        if terms[start][3]:
            while end < len(terms) and terms[end][3] and terms[end][2] == terms[end - 1][2] + 1:
                end += 1
        share = 1.0 / (end - start)
        weighted.extend((term, weight * share) for term, weight, _, _ in terms[start:end])
        start = end
    return weighted


def _token_terms(sentence: str) -> list[tuple[str, float, int, bool]]:
    """(term, weight, token position, is a capitalised word) for each comparable token."""
    tokens = _TOKEN.findall(_fold(sentence))
    terms: list[tuple[str, float, int, bool]] = []
    for position, token in enumerate(tokens):
        word = token.lower()
        if word.endswith("'s"):
            word = word[:-2]
        following = tokens[position + 1].lower() if position + 1 < len(tokens) else ""
        capitalised = token[0].isupper()
        if (word, following) in PLACE_PAIRS:
            terms.append((PLACE_PAIRS[word, following], 1.0, position, capitalised))
        elif position and (tokens[position - 1].lower(), word) in PLACE_PAIRS:
            continue
        elif word[0] == "$" or word[0].isdigit():
            terms.append((word.lstrip("$").rstrip("%").replace(",", ""), NUMBER_WEIGHT, position, False))
        elif word == "per" and following == "cent":
            continue
        elif word == "cent" and position and tokens[position - 1].lower() == "per":
            terms.append(("percent", 1.0, position, False))
        elif word == "us" and token != "US":
            continue  # the pronoun, not the country
        elif word in PLACE_ALIASES:
            terms.append((stem(PLACE_ALIASES[word]), 1.0, position, capitalised))
        elif word in ATTRIBUTION_WORDS:
            if word in ("added", "adds") and following[:1].isdigit():
                terms.append(("rise", 1.0, position, False))  # "the index added 3 points"
        elif len(word) < 2 or word in STOP_WORDS:
            continue
        elif word in DAY_WORDS:
            terms.append((DAY_KEY, DAY_WEIGHT, position, False))
        else:
            term = stem(word)
            terms.append((SYNONYMS.get(term, term), 1.0, position, capitalised))
    return terms


class SentenceFeatures(NamedTuple):
    """What alignment needs of one sentence, computed once.

    ``terms``: term -> weight; ``total``: their sum; ``long_terms``: (term, weight, first
    letters, length) of the terms long enough for a soft match; ``by_prefix``: first letters
    -> lengths of this sentence's terms that start with them.
    """

    terms: dict[str, float]
    total: float
    long_terms: tuple[tuple[str, float, str, int], ...]
    by_prefix: dict[str, tuple[int, ...]]


def sentence_features(sentence: str) -> SentenceFeatures:
    terms: dict[str, float] = {}
    for term, weight in comparable_terms(sentence):
        terms[term] = max(weight, terms.get(term, 0.0))
    long_terms = tuple(
        (term, weight, term[:PREFIX_LETTERS], len(term))
        for term, weight in terms.items()
        if len(term) >= PREFIX_LETTERS
    )
    by_prefix: dict[str, list[int]] = {}
    for _, _, prefix, length in long_terms:
        by_prefix.setdefault(prefix, []).append(length)
    return SentenceFeatures(
        terms,
        sum(terms.values()),
        long_terms,
        {prefix: tuple(lengths) for prefix, lengths in by_prefix.items()},
    )


def coverage(sentence: SentenceFeatures, other: SentenceFeatures) -> float:
    """Weighted share of ``sentence``'s terms found in ``other`` (0 when either has none)."""
    if not sentence.total or not other.total:
        return 0.0
    other_terms, other_prefixes = other.terms, other.by_prefix
    # Summed in the sentence's own term order, so a score is the same float in every worker
    # (a set's order changes with the process's hash seed, and so would the last bits).
    found = sum(weight for term, weight in sentence.terms.items() if term in other_terms)
    for term, weight, prefix, length in sentence.long_terms:
        lengths = other_prefixes.get(prefix)
        if lengths is None or term in other_terms:
            continue
        for n in lengths:
            # Same first letters, and the shorter at least PREFIX_MIN_RATIO of the longer.
            if (n if n < length else length) >= PREFIX_MIN_RATIO * (length if n < length else n):
                found += weight
                break
    return found / sentence.total


def sentence_similarity(first: SentenceFeatures, second: SentenceFeatures) -> float:
    """Mutual coverage: the smaller of the two directional coverages (symmetric)."""
    return min(coverage(first, second), coverage(second, first))


def paraphrase_score(first: str, second: str) -> float:
    """``sentence_similarity`` of two raw sentences (for evaluation on sentence-pair corpora)."""
    return sentence_similarity(sentence_features(first), sentence_features(second))


class SentenceIndex(NamedTuple):
    """Postings of one article's sentences: term -> sentence positions, and first letters ->
    (position, lengths of that sentence's terms starting with them)."""

    sentences: Sequence[SentenceFeatures]
    exact: dict[str, list[int]]
    prefixed: dict[str, list[tuple[int, tuple[int, ...]]]]


def sentence_index(sentences: Sequence[SentenceFeatures]) -> SentenceIndex:
    """Indexes an article's sentences once, for every article aligned with it."""
    exact: dict[str, list[int]] = defaultdict(list)
    prefixed: dict[str, list[tuple[int, tuple[int, ...]]]] = defaultdict(list)
    for index, other in enumerate(sentences):
        for term in other.terms:
            exact[term].append(index)
        for prefix, lengths in other.by_prefix.items():
            prefixed[prefix].append((index, lengths))
    return SentenceIndex(sentences, dict(exact), dict(prefixed))


def best_matches(
    sentences: Sequence[SentenceFeatures], others: Sequence[SentenceFeatures] | SentenceIndex
) -> list[tuple[int, float]]:
    """For each sentence, the index of the sentence in ``others`` that covers it best, and that
    coverage. ``others`` may be given already indexed (``sentence_index``).

    Ties go to the earlier sentence; when nothing covers any of it (or ``others`` is empty)
    the index is -1 and the score 0.
    """
    # Coverage accumulated through postings: a sentence meets only the sentences sharing one
    # of its terms (or a term's first letters), and each shared term is added once, in the
    # sentence's own term order, so every score is the same float ``coverage`` returns.
    indexed = others if isinstance(others, SentenceIndex) else sentence_index(others)
    others, exact, prefixed = indexed
    matches = []
    for features in sentences:
        found: dict[int, float] = {}
        for term, weight in features.terms.items():
            for index in exact.get(term, ()):
                found[index] = found.get(index, 0.0) + weight
        for term, weight, prefix, length in features.long_terms:
            for index, lengths in prefixed.get(prefix, ()):
                if term in others[index].terms:
                    continue
                for n in lengths:
                    if (n if n < length else length) >= PREFIX_MIN_RATIO * (length if n < length else n):
                        found[index] = found.get(index, 0.0) + weight
                        break
        best_index, best_score = -1, 0.0
        if features.total:
            for index in sorted(found):
                score = found[index] / features.total
                if score > best_score:
                    best_index, best_score = index, score
        matches.append((best_index, best_score))
    return matches
