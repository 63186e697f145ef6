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
from itertools import combinations
from typing import NamedTuple

import numpy as np
from scipy import sparse

from pipeline.config import SentenceConfig
from pipeline.features import STOP_WORDS, stem
from pipeline.text import NO_SPACE_LETTERS, NO_SPACE_RUN, no_space_ngrams

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

# A run of letters of a script written without spaces is a token of its own, which
# ``no_space_ngrams`` cuts into character bigrams: a paraphrased sentence keeps more of its
# bigrams than of its trigrams (which compare articles, pipeline/features.py).
_TOKEN = re.compile(
    rf"\$?\d+(?:[.,]\d+)*%?|[^\W\d_{NO_SPACE_LETTERS}]+(?:['.][^\W\d_{NO_SPACE_LETTERS}]+)*|[{NO_SPACE_LETTERS}]+"
)


# A wire dateline before a story's first words: a place in capitals ("WASHINGTON", "KYIV,
# Ukraine", "LONDON, Nov 25", "WASHINGTON D.C."), a place and a state's initials
# ("Washington, DC") or an agency alone ("(CNN)"), an agency in brackets after the place
# ("(Reuters)", "(dpa)"), then a spaced dash, or a colon, and a capital. The dash must be spaced
# ("MOSCOW-backed forces") and what follows must start a sentence ("LONDON BRIDGE - a
# history"), and a place takes at most four words, so a paragraph in capitals is not one. A
# label in capitals before a colon ("UPDATE: ") is taken too: it is no content either.
_CAPS_WORD = r"[A-Z][A-Z.'’-]*[A-Z.]"
DATELINE = re.compile(
    rf"""
    (?!FILE\b)  # the AP's "FILE - In this photo ...": a caption, not a place
    (?:
        {_CAPS_WORD}(?:\s{_CAPS_WORD}){{0,3}}  # WASHINGTON, NEW YORK, WASHINGTON D.C.
        (?:,\s[A-Z][\w.'’]*(?:\s[A-Z][\w.'’]*){{0,2}})?  # , Ukraine / , Mo. / , South Korea
      | [A-Z][a-z]+(?:\s[A-Z][a-z]+){{0,2}},\s(?:[A-Z]\.?){{2}}(?=[\s,(])  # Washington, DC
      | (?=\()  # (CNN) alone
    )
    (?:,\s(?:[A-Z][a-z]{{2,8}}\.?\s\d{{1,2}}|\d{{1,2}}\.?\s[A-Z][a-z]{{2,8}}))?  # , Nov 25 / , 25. November
    (?:\s?\([A-Za-z][\w.&'’ -]{{0,30}}\))?  # (Reuters)
    (?:\s(?:--|[-–—])\s|(?<=[A-Z.]):\s)
    (?=["'“‘]?[A-Z0-9])
    """,
    re.VERBOSE,
)


def dateline_length(sentence: str) -> int:
    """The length of the wire dateline that starts ``sentence`` (0 when none): where a story
    is datelined, its first sentence is compared without it (``outlets.compared_sentences``).

    Example:
        >>> sentence = "KYIV, Ukraine (AP) - Russia fired 14 missiles."
        >>> sentence[dateline_length(sentence):]
        'Russia fired 14 missiles.'
        >>> dateline_length("MOSCOW-backed forces fired 14 missiles.")
        0
    """
    found = DATELINE.match(sentence)
    return found.end() if found else 0


def _drop_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fold(text: str) -> str:
    """Drops accents, so "Carón" meets "Caron"; not the marks of a script written without
    spaces, which tell its words apart (Thai vowels and tones, Japanese voicing: "か" / "が")."""
    if text.isascii():
        return text
    folded: list[str] = []
    start = 0
    for run in NO_SPACE_RUN.finditer(text):
        folded += (_drop_accents(text[start : run.start()]), run.group())
        start = run.end()
    if not folded:
        return _drop_accents(text)
    folded.append(_drop_accents(text[start:]))
    return "".join(folded)


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
        if end == start + 1:
            # A term of its own (most of them): its weight times a share of 1.0 is its weight.
            weighted.append((terms[start][0], terms[start][1]))
        else:
            share = 1.0 / (end - start)
            weighted.extend((term, weight * share) for term, weight, _, _ in terms[start:end])
        start = end
    return weighted


# Words whose term depends on their neighbours or on their case: read in context.
_CONTEXT_WORDS = frozenset({w for pair in PLACE_PAIRS for w in pair} | {"per", "cent", "us", "added", "adds"})
_SKIP = ("", 0.0, False)
# What ``_token_term`` gives a token whose term ``_token_terms`` reads in context.
_IN_CONTEXT = ("", -1.0, False)
# token (as written) -> ``_token_term``: a story repeats most of its words, so each is
# classified once per worker, not once per use.
_TOKEN_TERMS: dict[str, tuple[str, float, bool]] = {}
_TOKEN_TERMS_LIMIT = 500_000


def _word_term(word: str) -> tuple[str, float, bool]:
    """The term of a word that needs no context (``_SKIP`` when it is not content)."""
    if word[0] == "$" or word[0].isdigit():
        return word.lstrip("$").rstrip("%").replace(",", ""), NUMBER_WEIGHT, False
    if word in PLACE_ALIASES:
        return stem(PLACE_ALIASES[word]), 1.0, True
    if word in ATTRIBUTION_WORDS or len(word) < 2 or word in STOP_WORDS:
        return _SKIP
    if word in DAY_WORDS:
        return DAY_KEY, DAY_WEIGHT, False
    term = stem(word)
    return SYNONYMS.get(term, term), 1.0, True


def _token_word(token: str) -> str:
    word = token.lower()
    return word[:-2] if word.endswith("'s") else word


def _token_term(token: str) -> tuple[str, float, bool]:
    """(term, weight, is a capitalised word that can be part of a name) of a token that needs
    no context (``_SKIP`` when it is not content), or ``_IN_CONTEXT``."""
    word = _token_word(token)
    if word in _CONTEXT_WORDS:
        return _IN_CONTEXT
    term, weight, can_name = _word_term(word)
    return term, weight, can_name and token[0].isupper()


def _token_terms(sentence: str) -> list[tuple[str, float, int, bool]]:
    """(term, weight, token position, is a capitalised word) for each comparable token."""
    folded = _fold(sentence)
    tokens = _TOKEN.findall(folded)
    if not folded.isascii() and NO_SPACE_RUN.search(folded):
        tokens = no_space_ngrams(tokens, 2)
    terms: list[tuple[str, float, int, bool]] = []
    cache = _TOKEN_TERMS
    for position, token in enumerate(tokens):
        known = cache.get(token)
        if known is None:
            known = _token_term(token)
            if len(cache) < _TOKEN_TERMS_LIMIT:
                cache[token] = known
        if known is not _IN_CONTEXT:
            if known[1]:
                terms.append((known[0], known[1], position, known[2]))
            continue
        word = _token_word(token)
        following = tokens[position + 1].lower() if position + 1 < len(tokens) else ""
        if (word, following) in PLACE_PAIRS:
            terms.append((PLACE_PAIRS[word, following], 1.0, position, token[0].isupper()))
        elif (position and (tokens[position - 1].lower(), word) in PLACE_PAIRS) or (
            word == "per" and following == "cent"
        ):
            continue  # the second word of a country's name; "per" of "per cent"
        elif word == "cent" and position and tokens[position - 1].lower() == "per":
            terms.append(("percent", 1.0, position, False))
        elif word == "us" and token != "US":
            continue  # the pronoun, not the country
        elif word in ("added", "adds"):
            if following[:1].isdigit():
                terms.append(("rise", 1.0, position, False))  # "the index added 3 points"
        else:
            term, weight, can_name = _word_term(word)
            if weight:
                terms.append((term, weight, position, can_name and token[0].isupper()))
    return terms


class SentenceFeatures(NamedTuple):
    """What alignment needs of one sentence, computed once: ``terms``, term -> weight, and
    ``total``, their sum."""

    terms: dict[str, float]
    total: float


def sentence_features(sentence: str) -> SentenceFeatures:
    terms: dict[str, float] = {}
    for term, weight in comparable_terms(sentence):
        if weight > terms.get(term, 0.0):
            terms[term] = weight
    return SentenceFeatures(terms, sum(terms.values()))


def terms_match(term: str, other: str) -> bool:
    """The same term, or long terms with the same first letters whose lengths differ by at
    most a quarter ("zelensky" / "zelenskyy", "deploy" / "deploying"). A number matches only
    itself: "10000" is not "100000", nor "1234567" "1234999"."""
    if term == other:
        return True
    shorter, longer = sorted((len(term), len(other)))
    return (
        shorter >= PREFIX_LETTERS
        and not term[0].isdigit()
        and term[:PREFIX_LETTERS] == other[:PREFIX_LETTERS]
        and shorter >= PREFIX_MIN_RATIO * longer
    )


def coverage(sentence: SentenceFeatures, other: SentenceFeatures) -> float:
    """Weighted share of ``sentence``'s terms found in ``other`` (0 when either has none).

    The reference definition, one pair at a time; a story is aligned with ``StorySentences``.
    """
    if not sentence.total or not other.total:
        return 0.0
    found = 0.0
    for term, weight in sentence.terms.items():
        if term in other.terms or any(terms_match(term, theirs) for theirs in other.terms):
            found += weight
    return found / sentence.total


def sentence_similarity(first: SentenceFeatures, second: SentenceFeatures) -> float:
    """Mutual coverage: the smaller of the two directional coverages (symmetric)."""
    return min(coverage(first, second), coverage(second, first))


def paraphrase_score(first: str, second: str, story_weights: bool = SentenceConfig.story_weights) -> float:
    """Mutual coverage of two raw sentences, as the pipeline scores them in a story of these
    two (for evaluation on sentence-pair corpora): with ``story_weights`` (by default as
    ``sentences.story_weights``), a term the two share weighs less than one only one has;
    without, this is ``sentence_similarity``."""
    features = [sentence_features(first), sentence_features(second)]
    if not story_weights:
        return sentence_similarity(*features)
    story = StorySentences([[features[0]], [features[1]]], story_weights=True)
    return min(float(story.best_matches(0, [1])[1][1][0]), float(story.best_matches(1, [0])[0][1][0]))


def _term_matches(vocabulary: Sequence[str]) -> sparse.csr_matrix:
    """``terms_match`` between the terms of a sorted vocabulary, as a symmetric 0/1 matrix."""
    rows = list(range(len(vocabulary)))
    cols = list(rows)
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for index, term in enumerate(vocabulary):
        if len(term) >= PREFIX_LETTERS:
            by_prefix[term[:PREFIX_LETTERS]].append(index)
    for group in by_prefix.values():
        for a, b in combinations(group, 2):
            if terms_match(vocabulary[a], vocabulary[b]):
                rows += (a, b)
                cols += (b, a)
    size = len(vocabulary)
    return sparse.csr_matrix((np.ones(len(rows), np.float64), (rows, cols)), shape=(size, size))


class StorySentences:
    """The sentences of several articles over one vocabulary, to align them all at once.

    ``coverage(x, y)`` for every sentence x of one article and y of others is one sparse
    product: x's weights times "y has a term that finds this term" (``_term_matches``).
    It gives the scores ``coverage`` gives, rounded to 9 decimals (a float sum's last bits
    depend on its order), at a fraction of the per-pair Python cost.

    Two options make it a story's matcher rather than a pair's (docs/sentences.md):

    - ``story_weights``: each term's weight is multiplied by ``ln(1 + texts / texts with
      the term)`` over the story's distinct texts (``texts`` gives each article's text key,
      e.g. its content hash; by default every article is a text of its own). What every
      outlet says (the story's topic words) then counts less than the facts only some
      report, and a sentence is shared by what it shares that is particular.
    - ``window``: a sentence of y counts together with the ``window`` sentences before and
      after it in its article, so a sentence that a rewrite split in two, or merged with
      its neighbour, is still covered. The counterpart reported is the sentence of the best
      window that covers the most on its own.

    Example:
        >>> story = StorySentences([
        ...     [sentence_features("Troops will not be sent to Ukraine.")],
        ...     [sentence_features("Markets closed higher."), sentence_features("No troops for Ukraine.")],
        ... ])
        >>> best, scores = story.best_matches(0, [1])[1]
        >>> best.tolist(), scores.round(3).tolist()
        ([1], [0.667])
    """

    def __init__(
        self,
        articles: Sequence[Sequence[SentenceFeatures]],
        *,
        texts: Sequence[str] | None = None,
        story_weights: bool = False,
        window: int = 0,
    ) -> None:
        if window < 0:
            raise ValueError("window must be 0 or more")
        if texts is not None and len(texts) != len(articles):
            raise ValueError("texts must give one key per article")
        sizes = [len(sentences) for sentences in articles]
        self.offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])
        self.window = window
        vocabulary = sorted({term for sentences in articles for s in sentences for term in s.terms})
        position = {term: i for i, term in enumerate(vocabulary)}
        rows, cols, weights = [], [], []
        row = 0
        for sentences in articles:
            for features in sentences:
                for term, weight in features.terms.items():
                    rows.append(row)
                    cols.append(position[term])
                    weights.append(weight)
                row += 1
        shape = (row, len(vocabulary))
        entries = (np.asarray(rows, np.int64), np.asarray(cols, np.int64))
        values = np.asarray(weights, np.float64)
        if story_weights and weights:  # sentences of symbols only have no terms
            values *= self._story_weights(sizes, *entries, texts)
        self._weights = sparse.csr_matrix((values, entries), shape=shape)
        present = sparse.csr_matrix((np.ones(len(rows)), entries), shape=shape)
        findable = present @ _term_matches(vocabulary)
        findable.data[:] = 1.0
        self._findable = findable.tocsr()
        if window:
            # Each sentence's row, "found in this sentence or a neighbour" (same article), stacked
            # over the rows of "found in this sentence": one product gives both coverages.
            windowed = self._neighbours(sizes, window) @ self._findable
            windowed.data[:] = 1.0
            self._findable = sparse.vstack([windowed, self._findable]).tocsr()
        self._totals = np.asarray(self._weights.sum(axis=1)).ravel()
        self._findable_by_term: sparse.csr_matrix | None = None  # its transpose, when needed

    @staticmethod
    def _story_weights(
        sizes: list[int], rows: np.ndarray, cols: np.ndarray, texts: Sequence[str] | None
    ) -> np.ndarray:
        """``ln(1 + texts / texts with the term)`` for each (row, column) entry's term."""
        keys = list(texts) if texts is not None else list(range(len(sizes)))
        text_of_article = np.unique(keys, return_inverse=True)[1]
        num_texts = int(text_of_article.max()) + 1
        text_of_entry = np.repeat(text_of_article, sizes)[rows]
        num_terms = int(cols.max()) + 1
        in_text = np.unique(text_of_entry * num_terms + cols) % num_terms  # (text, term) pairs
        texts_with_term = np.bincount(in_text, minlength=num_terms)
        return np.log1p(num_texts / texts_with_term)[cols]

    @staticmethod
    def _neighbours(sizes: list[int], window: int) -> sparse.csr_matrix:
        """Sentence-by-sentence 0/1 matrix: each sentence and its neighbours within ``window``
        in the same article."""
        article = np.repeat(np.arange(len(sizes)), sizes)
        count = len(article)
        here = np.arange(count)
        rows, cols = [], []
        for shift in range(-window, window + 1):
            there = here + shift
            inside = (there >= 0) & (there < count)
            inside[inside] &= article[there[inside]] == article[here[inside]]
            rows.append(here[inside])
            cols.append(there[inside])
        ones = np.ones(sum(len(r) for r in rows))
        return sparse.csr_matrix((ones, (np.concatenate(rows), np.concatenate(cols))), shape=(count, count))

    def size(self, article: int) -> int:
        """How many sentences ``article`` has."""
        return int(self.offsets[article + 1] - self.offsets[article])

    def _rows(self, article: int) -> slice:
        return slice(int(self.offsets[article]), int(self.offsets[article + 1]))

    def _coverage(self, mine: slice, columns: np.ndarray) -> np.ndarray:
        if 2 * len(columns) >= self._findable.shape[0]:
            # Most of the story is compared (every story within MAX_COMPARED_ARTICLES): the
            # product with all its sentences, transposed once per story, costs less than
            # gathering the compared rows for every article. Each entry is the same sum, in the
            # same order (that of ``mine``'s terms), so the scores are the same floats.
            if self._findable_by_term is None:
                self._findable_by_term = self._findable.T.tocsr()
            found = (self._weights[mine] @ self._findable_by_term).toarray()[:, columns]
        else:
            found = (self._weights[mine] @ self._findable[columns].T).toarray()
        totals = self._totals[mine]
        scores = np.divide(found, totals[:, None], out=np.zeros_like(found), where=totals[:, None] > 0)
        # Rounded so that equal shares are equal floats whatever the order they were summed
        # in: ties then go to the earlier sentence, and 2/5 is at a 0.4 threshold, not under.
        return scores.round(9)

    def best_matches(self, article: int, others: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For each article in ``others``: the index of its sentence that covers each sentence
        of ``article`` best (with its window), and that coverage, as two arrays (ties: the
        earlier sentence; -1 and 0 when nothing there shares a term with it)."""
        mine = self._rows(article)
        blocks = [self._rows(other) for other in others]
        size = mine.stop - mine.start
        columns = np.concatenate([np.zeros(0, np.int64), *(np.arange(b.start, b.stop) for b in blocks)])
        if self.window:
            both = self._coverage(mine, np.concatenate([columns, columns + self.offsets[-1]]))
            scores, alone = both[:, : len(columns)], both[:, len(columns) :]
        else:
            scores = self._coverage(mine, columns)
        matches = {}
        start = 0
        for other, block in zip(others, blocks, strict=True):
            width = block.stop - block.start
            # An empty article: one column of zeros, i.e. no counterpart for any sentence.
            part = scores[:, start : start + width] if width else np.zeros((size, 1))
            best = part.argmax(axis=1)  # the first of equal scores: the earlier sentence
            best_scores = part[np.arange(size), best]
            if self.window and width:
                # The sentence of the best window that covers the most on its own.
                spread = np.clip(best[:, None] + np.arange(-self.window, self.window + 1), 0, width - 1)
                own = alone[:, start : start + width][np.arange(size)[:, None], spread]
                best = spread[np.arange(size), own.argmax(axis=1)]
            matches[other] = (np.where(best_scores > 0, best, -1), best_scores)
            start += width
        return matches


def best_matches(
    sentences: Sequence[SentenceFeatures], others: Sequence[SentenceFeatures]
) -> list[tuple[int, float]]:
    """For each sentence, the index of the sentence in ``others`` that covers it best, and that
    coverage. Ties go to the earlier sentence; when nothing covers any of it (or ``others`` is
    empty) the index is -1 and the score 0."""
    best, scores = StorySentences([sentences, others]).best_matches(0, [1])[1]
    return [(int(j), float(score)) for j, score in zip(best.tolist(), scores.tolist(), strict=True)]
