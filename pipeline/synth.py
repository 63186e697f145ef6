"""A synthetic, labelled news corpus: wire stories, outlets' rewrites and same-topic distractors.

Benchmarks need corpora of any size with a known answer. ``generate`` streams articles as
JSON-ready rows (``id``, ``outlet``, ``title``, ``published_at``, ``url``, ``text``, ``story``
and the extra fields ``role`` and ``follows``), deterministic for a seed, in publication
order, holding only about two days of articles in memory at a time.

How the corpus is made:

- **Vocabulary.** Content words, surnames, places and organisations are made up from
  syllables (so no real corpus is copied), mixed with a small hand-written list of English
  news words with synonyms ("talks" / "negotiations", "warned" / "cautioned") and the
  function words that make sentences read as sentences. Global word frequencies are Zipf.
- **Topics.** Each topic has its own cast of people (a title, a first name, a surname),
  places, organisations and a few hundred topic words; a few prominent people appear in
  every topic. Topic popularity is Zipf.
- **Stories.** Stories arrive as a Poisson process over the period (``articles_per_day``
  articles a day on average, so a larger corpus covers more days at the same density).
  A story has a topic, 2-5 people from the topic's cast, places, organisations, its own
  *event* words and numbers, and a size drawn from a truncated Zipf law
  ``P(k) ~ k ** -size_exponent`` (with the default 2.0: about 60% of stories are single
  articles, 15% pairs, and a few have dozens of articles). A share of stories
  (``follow_up_rate``) are follow-ups of a recent story on the same topic: same people,
  places and organisations, part of its event words, new details. Every story shares
  names and vocabulary with the other stories on its topic: those are the distractors.
- **Wire text.** Each story has a wire text of 300-1,500 words (log-uniform) of sentences
  built from clause templates, with attributions ("..., Anna Varnik said.") and quotes.
- **Articles.** A story's first article is the wire copy itself (published by a wire
  agency) half of the time; the others are outlets' versions published within two days
  (exponential delay, mean ``mean_delay_hours``). Most are rewrites: sentences dropped
  and moved, second clauses cut, words replaced by synonyms, attributions restyled
  ("X said" -> "according to X" / "X told reporters" / "X added"), outlet-specific
  background sentences added (same topic, same cast), new paragraphing, and the outlet's
  own headline. Some (``copy_rate``) are verbatim syndicated copies. Every outlet adds its
  boilerplate: "Read more:" prompts, newsletter prompts, related-link lists naming other
  stories on the topic, contact and copyright lines, "contributed to this report" lines.

Row fields beyond the reader's: ``story`` (the true label), ``role`` (``wire``, ``rewrite``
or ``copy``) and ``follows`` (the story a follow-up continues, else null).

Command (about 3 s per 10,000 articles)::

    python -m pipeline.synth --articles 10000 --seed 1 --output corpus.jsonl

Example:
    >>> rows = list(generate(50, seed=7))
    >>> len(rows), rows[0]["id"], sorted(rows[0])[:4]
    (50, 'syn-0000000', ['follows', 'id', 'outlet', 'published_at'])
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import functools
import heapq
import json
import os
import re
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SynthOptions:
    """The shape of a synthetic corpus; every value is checked on construction."""

    articles_per_day: float = 274.0
    start: str = "2024-01-01"
    topics: int = 150
    max_story_size: int = 60
    size_exponent: float = 2.0
    follow_up_rate: float = 0.2
    wire_words: tuple[int, int] = (300, 1500)
    wire_first_rate: float = 0.5
    copy_rate: float = 0.06
    mean_delay_hours: float = 6.0
    max_delay_hours: float = 48.0
    outlets: int = 80

    def __post_init__(self) -> None:
        checks = [
            # Fewer than one a day puts a large corpus's dates past the year 9999 (1e-9: 751414).
            (1 <= self.articles_per_day <= 1e6, "articles_per_day must be from 1 to 1,000,000"),
            (self.topics >= 1, "topics must be at least 1"),
            (self.max_story_size >= 1, "max_story_size must be at least 1"),
            (self.size_exponent > 0, "size_exponent must be positive (2.0 gives mostly singletons)"),
            (0 <= self.follow_up_rate <= 1, "follow_up_rate must be between 0 and 1"),
            (
                50 <= self.wire_words[0] <= self.wire_words[1],
                "wire_words must be (low, high) with 50 <= low <= high",
            ),
            (0 <= self.wire_first_rate <= 1, "wire_first_rate must be between 0 and 1"),
            (0 <= self.copy_rate <= 1, "copy_rate must be between 0 and 1"),
            (
                0 < self.mean_delay_hours <= self.max_delay_hours,
                "need 0 < mean_delay_hours <= max_delay_hours",
            ),
            (self.outlets >= 2, "outlets must be at least 2"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
        try:
            dt.date.fromisoformat(self.start)
        except ValueError:
            raise ValueError(f"start must be an ISO date such as 2024-01-01, got {self.start!r}") from None


# --- The hand-written part of the vocabulary ----------------------------------------------

_DETERMINERS = ("the", "the", "the", "the", "a", "a", "its", "their", "this", "each", "another")
_PREPOSITIONS = (
    "in",
    "on",
    "at",
    "for",
    "with",
    "after",
    "over",
    "against",
    "from",
    "near",
    "across",
    "under",
)
_CONNECTORS = ("and", "but", "while", "as", "after", "because", "although", "since", "before", "when")
_UNITS = (
    "percent",
    "people",
    "million",
    "billion",
    "dollars",
    "euros",
    "kilometres",
    "tonnes",
    "votes",
    "homes",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TITLES = (
    "President", "Minister", "Governor", "Senator", "Mayor", "Judge", "General", "Chairman",
    "Director", "Commissioner", "Ambassador", "Spokesman", "Prosecutor", "Chancellor",
)  # fmt: skip
_ORG_KINDS = (
    "Ministry", "Council", "Agency", "Party", "Bank", "Court", "Commission", "Authority",
    "Group", "Union", "Institute", "Federation", "Assembly", "Corporation",
)  # fmt: skip
_FIRST_NAMES = (
    "Anna", "Maria", "Elena", "Sofia", "Laura", "Nadia", "Irene", "Clara", "Marta", "Julia",
    "Grace", "Helen", "Amira", "Leila", "Priya", "Mei", "Yuki", "Ines", "Rosa", "Olga",
    "John", "David", "Peter", "Michael", "Thomas", "Daniel", "Paul", "Mark", "James", "Robert",
    "Ahmed", "Omar", "Carlos", "Diego", "Luis", "Ivan", "Pavel", "Kenji", "Ravi", "Samuel",
    "Felix", "Hugo", "Oscar", "Victor", "Stefan", "Karim", "Tomas", "Andrei", "Lukas", "Jonas",
)  # fmt: skip
_OUTLET_KINDS = (
    "Herald", "Tribune", "Post", "Times", "Ledger", "Gazette", "Observer", "Chronicle", "Courier",
    "Journal", "Record", "Dispatch", "Sentinel", "Express", "Standard", "Monitor", "Examiner", "Daily",
)  # fmt: skip
_WIRE_AGENCIES = ("Allied Press Wire", "Continental News Agency", "Meridian Wire Service")
# English news words with synonyms: every story uses them, rewrites swap them.
_ENGLISH_NOUNS = (
    ("officials", "authorities"), ("plan", "proposal", "scheme"), ("talks", "negotiations", "discussions"),
    ("agreement", "deal", "accord"), ("country", "nation"), ("government", "administration"),
    ("attack", "assault"), ("protest", "demonstration", "rally"), ("decision", "ruling"),
    ("increase", "rise"), ("meeting", "summit"), ("report", "study"), ("company", "firm"),
    ("crisis", "emergency"), ("election", "vote"), ("investigation", "inquiry", "probe"),
    ("law", "legislation"), ("residents", "citizens"), ("cost", "price"), ("conflict", "war"),
    ("leaders",), ("week",), ("month",), ("year",), ("statement",), ("support",), ("security",),
)  # fmt: skip
_ENGLISH_VERBS = (
    ("announced", "unveiled"), ("warned", "cautioned"), ("rejected", "dismissed"),
    ("approved", "backed", "endorsed"), ("criticised", "condemned"), ("increased", "raised", "boosted"),
    ("reduced", "cut", "lowered"), ("launched", "started", "began"), ("planned", "intended"),
    ("agreed", "accepted"), ("arrested", "detained"), ("sought", "requested"), ("urged", "pressed"),
)  # fmt: skip
_ENGLISH_ADJECTIVES = (
    ("major", "significant", "big"), ("new", "fresh"), ("serious", "severe"), ("key", "crucial", "vital"),
    ("local", "regional"), ("senior", "top"), ("international", "global"), ("economic", "financial"),
    ("military", "armed"), ("early", "initial"), ("political",), ("public",), ("national",),
)  # fmt: skip
_ATTRIBUTION = ("said", "according", "to", "told", "reporters", "in", "a", "statement", "added")

# Clause templates. Slots: D determiner, A optional adjective, N noun, V verb, P preposition,
# X a person (optional title and first name, surname), L place, O organisation ("the" name kind),
# M number, U unit, W weekday, E English noun, G English verb, "," a comma; lower-case words
# are literal.
_CLAUSES = (
    "D A N V D A N P D A N",
    "X V D A N P L",
    "X V P D A N of O",
    "O has V D A N P M U",
    "D A N P L V M U on W",
    "D N of L V to V D A N",
    "X was V on W after D A N V",
    "in L , D A N V that D N would V D A N",
    "D A N is expected to V D N by M U",
    "M U were V P L after D A N",
    "X and X V D A N with O",
    "E in L G D A N of D N",
    "D A N V P D N of X",
    "X V that O had V D A N",
    "D N V M U , D A N V",
    "the N of D A N V D N P L on W",
    "D A E V D A N P L",
    "X G D E over D A N",
)
_SECOND_CLAUSES = (
    "D A N V P D N",
    "X V D A N",
    "O V D A N P M U",
    "it V D A N P L",
    "D A E G D N",
    "the N V P L on W",
    "M U V",
)
_HEADLINES = ("X V D A N P L", "O G A N P L", "L N V M U", "X G E over N")
# Attribution tails: SPF / SPL stand for the speaker's first name and surname; six slots each.
_TAIL_STYLES = (
    (",", "SPF", "SPL", "said", "", ""),
    (",", "according", "to", "SPF", "SPL", ""),
    (",", "SPL", "told", "reporters", "", ""),
    (",", "SPL", "said", "in", "a", "statement"),
    (",", "SPL", "added", "", "", ""),
    (",", "said", "SPL", "", "", ""),
)
_QUOTE_STYLES = np.array([0, 2, 3, 4, 5])  # "according to" does not follow a quote
_TAIL_WIDTH = 6

# Special tokens. Words are spelled with a leading space and punctuation without, so a text
# is one "".join (``_render``); a separator ends an article when many are spelled at once.
EMPTY, COMMA, PERIOD, PERIOD_PARAGRAPH, QUOTE_OPEN, QUOTE_CLOSE, SEPARATOR = range(7)
_SPECIALS = ("", ",", ".", ".\n\n", ' "', ',"', "\x00")

# Slot codes (negative, so that template arrays can hold literal token ids as well).
(
    _D, _A, _N, _V, _P, _PT, _PF, _PL, _L, _ON, _OK, _M, _U, _W, _E, _G, _C, _SPF, _SPL,
) = range(-1, -20, -1)  # fmt: skip
_LETTER_CODES = {
    "D": _D,
    "A": _A,
    "N": _N,
    "V": _V,
    "P": _P,
    "L": _L,
    "M": _M,
    "U": _U,
    "W": _W,
    "E": _E,
    "G": _G,
}

# Token parts: what a token is within its sentence.
_BODY, _CLAUSE2, _PUNCT, _TAIL0 = 0, 1, 2, 3  # tail slots are _TAIL0 .. _TAIL0 + 5


def _fixed_words() -> list[str]:
    words: list[str] = list(_SPECIALS)
    literal: set[str] = set()
    for template in (*_CLAUSES, *_SECOND_CLAUSES, *_HEADLINES, *(" ".join(t) for t in _TAIL_STYLES)):
        literal.update(w for w in template.split() if w.islower() and w.isalpha())
    lists = (
        _DETERMINERS, _PREPOSITIONS, _CONNECTORS, _UNITS, _WEEKDAYS, _TITLES, _ORG_KINDS, _FIRST_NAMES,
        _ATTRIBUTION, ("the",), tuple(sorted(literal)),
        tuple(w for g in _ENGLISH_NOUNS + _ENGLISH_VERBS + _ENGLISH_ADJECTIVES for w in g),
    )  # fmt: skip
    for group in lists:
        for word in group:
            if word not in words:
                words.append(word)
    return words


_FIXED = _fixed_words()
_FIXED_ID = {word: position for position, word in enumerate(_FIXED)}


def _ids(words: Sequence[str]) -> np.ndarray:
    return np.array([_FIXED_ID[w] for w in words], dtype=np.int64)


def _parse(template: str) -> tuple[int, ...]:
    codes: list[int] = []
    for item in template.split():
        if item == "X":
            codes += [_PT, _PF, _PL]
        elif item == "O":
            codes += [_FIXED_ID["the"], _ON, _OK]
        elif item == ",":
            codes.append(COMMA)
        elif item in _LETTER_CODES:
            codes.append(_LETTER_CODES[item])
        else:
            codes.append(_FIXED_ID[item])
    return tuple(codes)


_CLAUSE_CODES = tuple(_parse(t) for t in _CLAUSES)
_SECOND_CODES = tuple(_parse(t) for t in _SECOND_CLAUSES)
_HEADLINE_CODES = tuple(_parse(t) for t in _HEADLINES)
_TAIL_CODES = np.array(
    [
        [{"SPF": _SPF, "SPL": _SPL, "": EMPTY, ",": COMMA}.get(w, _FIXED_ID.get(w, 0)) for w in s]
        for s in _TAIL_STYLES
    ],
    dtype=np.int64,
)

# Pieces a sentence is assembled from, stored flat: [quote] clause [", and" clause] [tail] "."
_QUOTE_PIECE, _TAIL_PIECE, _PERIOD_PIECE, _SEPARATOR_PIECE = 0, 1, 2, 3
_PIECES: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((QUOTE_OPEN,), (_PUNCT,)),
    ((EMPTY,) * _TAIL_WIDTH, tuple(range(_TAIL0, _TAIL0 + _TAIL_WIDTH))),
    ((PERIOD,), (_PUNCT,)),
    ((SEPARATOR,), (_PUNCT,)),
]
_FIRST_CLAUSE_PIECE = len(_PIECES)
_PIECES += [(codes, (_BODY,) * len(codes)) for codes in _CLAUSE_CODES]
_FIRST_SECOND_PIECE = len(_PIECES)
_PIECES += [((COMMA, _C, *codes), (_CLAUSE2,) * (len(codes) + 2)) for codes in _SECOND_CODES]
_FIRST_HEADLINE_PIECE = len(_PIECES)
_PIECES += [(codes, (_BODY,) * len(codes)) for codes in _HEADLINE_CODES]
_PIECE_CODES = np.array([c for codes, _ in _PIECES for c in codes], dtype=np.int64)
_PIECE_PARTS = np.array([p for _, parts in _PIECES for p in parts], dtype=np.int8)
_PIECE_LENGTH = np.array([len(codes) for codes, _ in _PIECES], dtype=np.int64)
_PIECE_START = np.concatenate([[0], np.cumsum(_PIECE_LENGTH)[:-1]])

# Slots drawn uniformly from a fixed list, stored flat by slot code.
_UNIFORM_LISTS = {
    _D: _DETERMINERS, _P: _PREPOSITIONS, _C: _CONNECTORS, _U: _UNITS, _W: _WEEKDAYS,
    _E: tuple(w for g in _ENGLISH_NOUNS for w in g), _G: tuple(w for g in _ENGLISH_VERBS for w in g),
}  # fmt: skip
_CODE_COUNT = 20  # slot codes are -1 .. -19; arrays below are indexed by -code
_UNIFORM_FLAT = np.concatenate([_ids(words) for words in _UNIFORM_LISTS.values()])
_UNIFORM_LENGTH = np.zeros(_CODE_COUNT, dtype=np.int64)
_UNIFORM_OFFSET = np.zeros(_CODE_COUNT, dtype=np.int64)
for _position, (_code, _words) in enumerate(_UNIFORM_LISTS.items()):
    _UNIFORM_LENGTH[-_code] = len(_words)
    _UNIFORM_OFFSET[-_code] = sum(len(w) for w in list(_UNIFORM_LISTS.values())[:_position])

# Slots drawn from a mixture of the story's own words (event), its topic's and everyone's.
# MIX_KIND maps a slot code to its row in the pools: noun, verb, adjective, place, number.
_MIX_KIND = np.full(_CODE_COUNT, -1, dtype=np.int64)
for _kind, _code in enumerate((_N, _V, _A, _L, _M)):
    _MIX_KIND[-_code] = _kind
# (event, topic) weights per kind; the rest is global. Row 0: the wire; row 1: an outlet's
# background sentences, which talk about the topic rather than the event.
_MIX_WEIGHTS = np.array(
    [
        [[0.45, 0.30], [0.45, 0.30], [0.45, 0.30], [0.80, 0.20], [0.75, 0.0]],
        [[0.0, 0.60], [0.0, 0.60], [0.0, 0.60], [0.30, 0.70], [0.20, 0.0]],
    ]
)
_OWN_PERSON = np.array([0.85, 0.35])  # share of mentioned people from the story's own cast
_ENGLISH_SHARE = 0.3  # of global nouns, verbs and adjectives: the hand-written English words
_NO_ADJECTIVE = 0.45  # share of optional adjective slots left empty

# --- Synthetic words ------------------------------------------------------------------------

_ONSETS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr pr tr st sl sp sh ch th bl cl fl gl pl".split()
_VOWELS = "a e i o u a e i o u a e i o ai ea ou".split()
_CODAS = ["", "", "", "", "n", "r", "l", "s", "m", "t", "k", "nd", "rt", "st", "ng", "x"]
_SURNAME_ENDINGS = ["", "", "", "son", "ova", "ez", "ski", "ini", "berg", "ic", "ani", "ard"]
_PLACE_ENDINGS = ["", "ia", "burg", "ton", "grad", "stan", "port", "ville", "a", "mouth", "field"]
_ADJECTIVE_ENDINGS = ["al", "ive", "ous", "ic", "ful", "ant", "ary"]


def _made_up_words(
    rng: np.random.Generator, count: int, endings: Sequence[str], taken: set[str]
) -> list[str]:
    """``count`` distinct pronounceable words of two (mostly) or three syllables."""
    words: list[str] = []
    while len(words) < count:
        batch = count - len(words) + 64
        syllables = np.where(rng.random(batch) < 0.65, 2, 3)
        onsets = rng.integers(len(_ONSETS), size=(batch, 3))
        vowels = rng.integers(len(_VOWELS), size=(batch, 3))
        codas = rng.integers(len(_CODAS), size=batch)
        ending = rng.integers(len(endings), size=batch)
        for i in range(batch):
            stem = "".join(_ONSETS[onsets[i, s]] + _VOWELS[vowels[i, s]] for s in range(syllables[i]))
            word = stem + _CODAS[codas[i]] + endings[ending[i]]
            if word not in taken and len(word) >= 4:
                taken.add(word)
                words.append(word)
                if len(words) == count:
                    break
    return words


def _number_words(rng: np.random.Generator) -> list[str]:
    small = [str(n) for n in range(2, 100)]
    large = [f"{n:,}" for n in rng.integers(100, 90_000, size=1500)]
    decimals = [f"{n / 10:.1f}" for n in rng.integers(11, 999, size=400)]
    years = [str(y) for y in range(1990, 2031)]
    return list(dict.fromkeys(small + large + decimals + years))


def _pick(rng: np.random.Generator, ids: np.ndarray, count: int) -> np.ndarray:
    """``count`` uniform draws from ``ids`` (``rng.choice`` costs several times more per call)."""
    return ids[(rng.random(count) * len(ids)).astype(np.int64)]


@functools.lru_cache(maxsize=64)
def _zipf_cdf(count: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return np.cumsum(weights) / weights.sum()


def _zipf_pick(rng: np.random.Generator, count: int, size: int, exponent: float = 1.0) -> np.ndarray:
    """``size`` draws from 0 .. count - 1 with P(i) ~ 1 / (i + 1) ** exponent."""
    return np.minimum(np.searchsorted(_zipf_cdf(count, exponent), rng.random(size)), count - 1)


class _Flat:
    """Id lists (a story's, a topic's, a word class's) stored flat, for vectorised draws."""

    def __init__(self, lists: Sequence[np.ndarray]) -> None:
        self.flat = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
        self.count = np.array([len(ids) for ids in lists], dtype=np.int64)
        self.offset = np.concatenate([[0], np.cumsum(self.count)[:-1]]).astype(np.int64)

    def uniform(self, row: np.ndarray, draw: np.ndarray) -> np.ndarray:
        return self.flat[self.offset[row] + (draw * self.count[row]).astype(np.int64)]


class _Vocabulary:
    """Token ids and their spellings; the capitalised form of token ``t`` is ``t + size``."""

    NOUNS, VERBS, ADJECTIVES = 9000, 3500, 3500
    SURNAMES, PLACES, ORG_NAMES = 4000, 1500, 800

    def __init__(self, rng: np.random.Generator) -> None:
        taken = {w.lower() for w in _FIXED}
        groups = {
            "noun": _made_up_words(rng, self.NOUNS, [""], taken),
            "verb": [w + "ed" for w in _made_up_words(rng, self.VERBS, [""], taken)],
            "adjective": _made_up_words(rng, self.ADJECTIVES, _ADJECTIVE_ENDINGS, taken),
            "surname": [w.capitalize() for w in _made_up_words(rng, self.SURNAMES, _SURNAME_ENDINGS, taken)],
            "place": [w.capitalize() for w in _made_up_words(rng, self.PLACES, _PLACE_ENDINGS, taken)],
            "org": [w.capitalize() for w in _made_up_words(rng, self.ORG_NAMES, [""], taken)],
            "number": _number_words(rng),
        }
        words = list(_FIXED)
        ranges = {}
        for name, group in groups.items():
            ranges[name] = np.arange(len(words), len(words) + len(group))
            words.extend(group)
        self.size = len(words)
        self.words = words
        # Spellings: " word", " Word", and "Word" for the first word inside a quotation.
        spelled = list(_SPECIALS) + [" " + w for w in words[len(_SPECIALS) :]]
        capitalised = [w[:2].upper() + w[2:] for w in spelled]
        self.render = np.array(spelled + capitalised + [w.lstrip(" ") for w in capitalised], dtype=object)
        self.surnames, self.places, self.org_names = ranges["surname"], ranges["place"], ranges["org"]
        self.numbers = ranges["number"]
        self.first_names, self.titles, self.org_kinds = _ids(_FIRST_NAMES), _ids(_TITLES), _ids(_ORG_KINDS)
        # Zipf frequencies over each made-up word class: a random order, weight 1 / rank ** 1.05.
        self.by_rank = {name: rng.permutation(ranges[name]) for name in ("noun", "verb", "adjective")}
        cdfs = [_zipf_cdf(len(self.by_rank[name]), 1.05) for name in ("noun", "verb", "adjective")]
        # Global draws for the five mixture kinds through one searchsorted: kind k owns [k, k + 1).
        places_cdf = np.linspace(0, 1, len(self.places) + 1)[1:]
        numbers_cdf = np.linspace(0, 1, len(self.numbers) + 1)[1:]
        self._global_cdf = np.concatenate(
            [cdf + kind for kind, cdf in enumerate([*cdfs, places_cdf, numbers_cdf])]
        )
        self._global_ids = np.concatenate(
            [self.by_rank["noun"], self.by_rank["verb"], self.by_rank["adjective"], self.places, self.numbers]
        )
        self.english = _Flat(
            [
                _ids([w for g in words_ for w in g])
                for words_ in (_ENGLISH_NOUNS, _ENGLISH_VERBS, _ENGLISH_ADJECTIVES)
            ]
            + [self.places[:1], self.numbers[:1]]
        )
        self.synonyms = self._synonym_table(rng)
        self.has_synonym = (self.synonyms != np.arange(self.size)[:, None]).any(axis=1)

    def _synonym_table(self, rng: np.random.Generator) -> np.ndarray:
        """(size, 2) alternative ids per token; a token without synonyms maps to itself."""
        table = np.repeat(np.arange(self.size)[:, None], 2, axis=1)
        groups = [_ids(g) for g in _ENGLISH_NOUNS + _ENGLISH_VERBS + _ENGLISH_ADJECTIVES if len(g) > 1]
        # About 40% of made-up content words get a synonym group of two or three words.
        for ids in self.by_rank.values():
            shuffled = rng.permutation(ids)[: int(0.4 * len(ids))]
            widths = rng.integers(2, 4, size=len(shuffled) // 2)
            bounds = np.cumsum(widths)
            groups += np.split(shuffled, bounds[bounds < len(shuffled)])
        for group in groups:
            if len(group) < 2:
                continue
            for offset, token in enumerate(group):
                table[token] = [group[(offset + 1) % len(group)], group[(offset - 1) % len(group)]]
        return table

    def global_draw(self, kinds: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self._global_cdf, kinds + uniform)
        return self._global_ids[np.minimum(index, len(self._global_ids) - 1)]


# --- Topics, stories, outlets ---------------------------------------------------------------

_KINDS = 5  # word lists of a topic or a story: nouns, verbs, adjectives, places, numbers


@dataclass
class _Topic:
    people: np.ndarray  # (n, 3): title (or EMPTY), first name, surname
    orgs: np.ndarray  # (n, 2): name, kind
    words: list[np.ndarray]  # its nouns, verbs, adjectives, places (numbers: a placeholder)
    recent: deque  # recent stories, for follow-ups
    headlines: deque  # recent headlines, for related-link lists


@dataclass
class _Story:
    index: int
    label: str
    topic: _Topic
    time: float  # days since the start
    people: np.ndarray
    orgs: np.ndarray
    words: list[np.ndarray]  # the event's own nouns, verbs, adjectives, places and numbers
    follows: str | None


def _people(rng: np.random.Generator, vocab: _Vocabulary, count: int) -> np.ndarray:
    titles = np.where(rng.random(count) < 0.6, _pick(rng, vocab.titles, count), EMPTY)
    return np.stack([titles, _pick(rng, vocab.first_names, count), _pick(rng, vocab.surnames, count)], axis=1)


def _own_words(rng: np.random.Generator, ranked: np.ndarray, count: int) -> np.ndarray:
    """Words outside the 300 commonest of their class: what a topic or an event is about."""
    return _pick(rng, ranked[300:], count)


def _make_topics(rng: np.random.Generator, vocab: _Vocabulary, count: int) -> list[_Topic]:
    celebrities = _people(rng, vocab, 40)
    topics = []
    for _ in range(count):
        people = np.concatenate([_people(rng, vocab, 24), celebrities[rng.permutation(40)[:4]]])
        orgs = np.stack([_pick(rng, vocab.org_names, 6), _pick(rng, vocab.org_kinds, 6)], axis=1)
        words = [
            _own_words(rng, vocab.by_rank["noun"], 150),
            _own_words(rng, vocab.by_rank["verb"], 50),
            _own_words(rng, vocab.by_rank["adjective"], 50),
            _pick(rng, vocab.places, 8),
            vocab.numbers[:1],  # never drawn: numbers are the event's or anyone's
        ]
        topics.append(_Topic(people, orgs, words, deque(maxlen=8), deque(maxlen=12)))
    return topics


def _new_story(
    rng: np.random.Generator,
    vocab: _Vocabulary,
    topic: _Topic,
    index: int,
    clock: float,
    follow_up_rate: float,
) -> _Story:
    label = f"story-{index:06d}"
    draw = rng.random(48)  # one call: a story needs a few dozen numbers
    numbers = vocab.numbers[(draw[:6] * len(vocab.numbers)).astype(np.int64)]
    own = [  # event words: 20 nouns, 8 verbs, 8 adjectives, none among the 300 commonest
        ranked[300 + (draw[start : start + count] * (len(ranked) - 300)).astype(np.int64)]
        for ranked, start, count in zip(vocab.by_rank.values(), (6, 26, 34), (20, 8, 8), strict=True)
    ]
    earlier = [story for story in topic.recent if clock - story.time >= 0.25]
    if earlier and draw[42] < follow_up_rate:
        # A follow-up: the same people, places and organisations, part of the earlier
        # event's words, new details and numbers.
        previous = earlier[int(draw[43] * len(earlier))]
        carried = rng.random(36) < 0.4
        words = [
            np.where(carried[start : start + len(old)], old, new)
            for old, new, start in zip(previous.words[:3], own, (0, 20, 28), strict=True)
        ]
        words += [previous.words[3], numbers]
        return _Story(index, label, topic, clock, previous.people, previous.orgs, words, previous.label)
    mentioned = _zipf_pick(rng, len(topic.people), 2 + int(draw[44] * 4), 0.8)
    people = topic.people[sorted(set(mentioned.tolist()), key=mentioned.tolist().index)]
    orgs = topic.orgs[rng.permutation(len(topic.orgs))[: 1 + int(draw[45] * 2)]]
    places = topic.words[3][rng.permutation(len(topic.words[3]))[: 1 + int(draw[46] * 3)]]
    return _Story(index, label, topic, clock, people, orgs, [*own, places, numbers], None)


@dataclass(frozen=True)
class _Outlet:
    """An outlet's name and how often it adds each kind of boilerplate."""

    name: str
    domain: str
    read_more: float
    newsletter: float
    link_list: float
    contact: float
    copyright: float
    contributed: float


def _make_outlets(rng: np.random.Generator, vocab: _Vocabulary, count: int) -> list[_Outlet]:
    outlets: list[_Outlet] = []
    names: set[str] = set()
    while len(outlets) < count:
        place = vocab.words[int(_pick(rng, vocab.places, 1)[0])]
        kind = _OUTLET_KINDS[int(rng.random() * len(_OUTLET_KINDS))]
        name = f"The {place} {kind}" if rng.random() < 0.7 else f"{place} {kind}"
        if name in names:
            continue
        names.add(name)
        rates = rng.random(6) * np.array([0.6, 0.8, 0.7, 0.5, 0.6, 0.4])
        outlets.append(_Outlet(name, f"{place}{kind}".lower() + ".com", *map(float, rates)))
    return outlets


# --- Texts of a block of stories, as token arrays ----------------------------------------------
#
# Stories are made in blocks of about a hundred: every NumPy call then works on a whole
# block's tokens, which is what makes 100,000 articles take seconds rather than minutes.


def _gather(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices of consecutive ranges ``starts[i] .. starts[i] + lengths[i] - 1``, in order."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(total)


# A story's own people are mentioned with Zipf frequencies (the protagonist most): cumulative
# weights by cast size (1 to 5), compared against a uniform draw.
_CAST_CDF = np.ones((6, 5))
for _size in range(1, 6):
    _CAST_CDF[_size, :_size] = _zipf_cdf(_size, 1.0)


def _cast_member(row_count: np.ndarray, draw: np.ndarray) -> np.ndarray:
    return np.minimum((draw[:, None] >= _CAST_CDF[row_count]).sum(axis=1), row_count - 1)


@dataclass
class _Block:
    """The token rows (sentences and headlines) of a block of stories.

    Story ``i`` owns wire sentences ``wire[i] .. background[i] - 1``, background sentences
    ``background[i] .. headline[i] - 1`` and headlines ``headline[i] .. wire[i + 1] - 1``; the
    last row is a lone separator.
    """

    tokens: np.ndarray
    part: np.ndarray
    start: np.ndarray  # per row, plus the end
    quote: np.ndarray  # per row
    speaker: np.ndarray  # per row: (first name, surname) ids, EMPTY when not attributed
    style: np.ndarray  # per row: the wire's attribution style, -1 when not attributed
    words: np.ndarray  # per row: words (tokens neither empty nor punctuation)
    wire: np.ndarray
    background: np.ndarray
    headline: np.ndarray
    separator: int


def _compose(
    rng: np.random.Generator,
    vocab: _Vocabulary,
    stories: Sequence[_Story],
    wire_sentences: np.ndarray,
    background_sentences: np.ndarray,
    headlines: np.ndarray,
) -> _Block:
    """Draws the wire texts, outlets' background sentences and headlines of many stories."""
    per_story = np.stack([wire_sentences, background_sentences, headlines], axis=1)
    rows_per_story = per_story.sum(axis=1)
    row_story = np.repeat(np.arange(len(stories)), rows_per_story)
    # Row kinds: 0 a wire sentence, 1 a background sentence, 2 a headline.
    row_kind = np.concatenate([np.repeat([0, 1, 2], counts) for counts in per_story])
    rows = len(row_story)
    sentence = row_kind < 2
    draw = rng.random((6, rows))
    attributed = sentence & (draw[0] < 0.35)
    quoted = attributed & (draw[1] < 0.35)
    pieces = np.full((rows + 1, 5), -1, dtype=np.int64)
    pieces[:rows, 0] = np.where(quoted, _QUOTE_PIECE, -1)
    pieces[:rows, 1] = np.where(
        sentence,
        _FIRST_CLAUSE_PIECE + (draw[2] * len(_CLAUSE_CODES)).astype(np.int64),
        _FIRST_HEADLINE_PIECE + (draw[2] * len(_HEADLINE_CODES)).astype(np.int64),
    )
    pieces[:rows, 2] = np.where(
        sentence & (draw[3] < 0.35), _FIRST_SECOND_PIECE + (draw[4] * len(_SECOND_CODES)).astype(np.int64), -1
    )
    pieces[:rows, 3] = np.where(attributed, _TAIL_PIECE, -1)
    pieces[:rows, 4] = np.where(sentence, _PERIOD_PIECE, -1)
    pieces[rows, 1] = _SEPARATOR_PIECE
    lengths = np.where(pieces >= 0, _PIECE_LENGTH[pieces], 0)
    row_length = lengths.sum(axis=1)
    present = pieces[pieces >= 0]
    index = _gather(_PIECE_START[present], _PIECE_LENGTH[present])
    codes, parts = _PIECE_CODES[index], _PIECE_PARTS[index]
    start = np.concatenate([[0], np.cumsum(row_length)])
    token_story = np.repeat(np.append(row_story, 0), row_length)
    token_background = np.repeat(np.append(row_kind == 1, False).astype(np.int64), row_length)
    cast = _Flat([story.people for story in stories])
    tokens = _fill(rng, vocab, codes, token_story, token_background, stories, cast)
    # Capitalise the first word of every sentence and headline (unspaced after an opening quote).
    first = start[:-2] + quoted
    for _ in range(2):  # a person's title and first name may be empty
        first += tokens[first] == EMPTY
    variant = vocab.size * (1 + quoted)
    tokens[first] = np.where(
        tokens[first] >= len(_SPECIALS), tokens[first] % vocab.size + variant, tokens[first]
    )
    speakers = cast.flat[cast.offset[row_story] + _cast_member(cast.count[row_story], draw[5])][:, 1:]
    speaker = np.where(attributed[:, None], speakers, EMPTY)
    style = np.where(attributed, np.where(rng.random(rows) < 0.85, 0, 4), -1)
    words = np.add.reduceat((tokens >= len(_SPECIALS)).astype(np.int64), start[:-1])
    firsts = np.concatenate([[0], np.cumsum(rows_per_story)])[:-1]
    return _Block(
        tokens,
        parts,
        start,
        np.append(quoted, False),
        np.vstack([speaker, [[EMPTY, EMPTY]]]),
        np.append(style, -1),
        words,
        firsts,
        firsts + wire_sentences,
        firsts + wire_sentences + background_sentences,
        rows,
    )


def _fill(
    rng: np.random.Generator,
    vocab: _Vocabulary,
    codes: np.ndarray,
    token_story: np.ndarray,
    token_background: np.ndarray,
    stories: Sequence[_Story],
    cast: _Flat,
) -> np.ndarray:
    """Replaces every slot code with a token id, drawing from each token's own story."""
    tokens = codes.copy()
    slots = np.flatnonzero(codes < 0)
    code, story = -codes[slots], token_story[slots]
    uniform = rng.random((4, len(slots)))
    # Function words, units, weekdays and English words: uniform over fixed lists.
    listed = _UNIFORM_LENGTH[code] > 0
    tokens[slots[listed]] = _UNIFORM_FLAT[
        _UNIFORM_OFFSET[code[listed]] + (uniform[0, listed] * _UNIFORM_LENGTH[code[listed]]).astype(np.int64)
    ]
    # Nouns, verbs, adjectives, places, numbers: the event's, the topic's or anyone's.
    mixed = _MIX_KIND[code] >= 0
    where, kind, row = slots[mixed], _MIX_KIND[code[mixed]], story[mixed] * _KINDS + _MIX_KIND[code[mixed]]
    weights = _MIX_WEIGHTS[token_background[where], kind]
    source, pick = uniform[1, mixed], uniform[0, mixed]
    drawn = vocab.global_draw(kind, pick)
    english = (kind < 3) & (uniform[2, mixed] < _ENGLISH_SHARE)
    drawn = np.where(english, vocab.english.uniform(np.minimum(kind, 2), pick), drawn)
    topical = _Flat([words for s in stories for words in s.topic.words])
    drawn = np.where(source < weights[:, 0] + weights[:, 1], topical.uniform(row, pick), drawn)
    own = _Flat([words for s in stories for words in s.words])
    drawn = np.where(source < weights[:, 0], own.uniform(row, pick), drawn)
    drawn = np.where((kind == 2) & (uniform[3, mixed] < _NO_ADJECTIVE), EMPTY, drawn)
    tokens[where] = drawn
    # People: title and first name are optional; the surname is always there.
    is_surname = code == -_PL
    surnames, owner = slots[is_surname], story[is_surname]
    if len(surnames):
        topic_people = _Flat([s.topic.people for s in stories])
        own_person = uniform[1, is_surname] < _OWN_PERSON[token_background[surnames]]
        mine = cast.flat[cast.offset[owner] + _cast_member(cast.count[owner], uniform[3, is_surname])]
        people = np.where(own_person[:, None], mine, topic_people.uniform(owner, uniform[0, is_surname]))
        form = uniform[2, is_surname]  # title and full name, full name, or surname only
        tokens[surnames] = people[:, 2]
        tokens[surnames - 1] = np.where(form < 0.6, people[:, 1], EMPTY)
        tokens[surnames - 2] = np.where(form < 0.3, people[:, 0], EMPTY)
    is_org = code == -_ON
    organisations, owner = slots[is_org], story[is_org]
    if len(organisations):
        own_orgs = _Flat([s.orgs for s in stories])
        topic_orgs = _Flat([s.topic.orgs for s in stories])
        orgs = np.where(
            (uniform[1, is_org] < 0.8)[:, None],
            own_orgs.uniform(owner, uniform[0, is_org]),
            topic_orgs.uniform(owner, uniform[0, is_org]),
        )
        tokens[organisations] = orgs[:, 0]
        tokens[organisations + 1] = orgs[:, 1]
    return tokens


# --- Rewriting ------------------------------------------------------------------------------


@dataclass
class _Edits:
    """What the outlets do to a block's texts: for every article, the rows it keeps in its
    order (then a separator), which second clauses it cuts, how it attributes, how much it
    rewords and how often it starts a paragraph. Entry arrays run over all articles."""

    rows: np.ndarray
    article: np.ndarray
    cut_second_clause: np.ndarray
    style: np.ndarray
    synonym_rate: np.ndarray  # per article
    paragraph_rate: np.ndarray  # per article


def _edit(
    rng: np.random.Generator,
    block: _Block,
    story: np.ndarray,
    rewrite: np.ndarray,
    extra_first: np.ndarray,
    extra_count: np.ndarray,
    min_words: int,
) -> _Edits:
    """Drops, moves and rewords wire sentences and adds each rewrite's background rows.

    ``story``: each article's story in the block; ``rewrite``: False for the wire and for
    verbatim copies, which keep the wire as it is; ``extra_first`` / ``extra_count``: each
    article's own background rows.
    """
    articles = len(story)
    first = block.wire[story]
    count = block.background[story] - first
    knobs = rng.random((articles, 8))
    keep_rate = np.where(rewrite, 0.45 + 0.5 * knobs[:, 0], 1.0)
    lead_kept = ~rewrite | (knobs[:, 1] < 0.9)
    moves = np.where(rewrite & (knobs[:, 2] < 0.6), rng.poisson(2.0, size=articles), 0)
    move_rate = moves / np.maximum(count - 1, 1)
    restyle_rate = np.where(rewrite, 0.2 + 0.6 * knobs[:, 3], 0.0)
    cut_rate = np.where(rewrite, 0.4 * knobs[:, 4], 0.0)
    synonym_rate = np.where(rewrite, 0.1 + 0.4 * knobs[:, 5], 0.0)
    paragraph_rate = np.where(rewrite, 0.2 + 0.3 * knobs[:, 6], 0.3)

    # Wire sentences: kept at the article's rate, the lead nearly always.
    article = np.repeat(np.arange(articles), count)
    rows = _gather(first, count)
    position = rows - np.repeat(first, count)
    lead = position == 0
    draw = rng.random((3, len(rows)))
    keep = np.where(lead, lead_kept[article], draw[0] < keep_rate[article])
    # Put dropped sentences back, earliest first, until the article has ``min_words`` words.
    extra_count = np.where(rewrite, extra_count, 0)
    extra_article = np.repeat(np.arange(articles), extra_count)
    extra_rows = _gather(extra_first, extra_count)
    words = block.words[rows]
    have = np.bincount(article, weights=words * keep, minlength=articles) + np.bincount(
        extra_article, weights=block.words[extra_rows], minlength=articles
    )
    dropped_words = np.where(keep, 0, words)
    running = np.cumsum(dropped_words)
    before = np.concatenate([[0], running])[np.repeat(np.cumsum(count) - count, count)]
    keep |= (running - before - dropped_words) < (min_words - have)[article]
    # Moved sentences land anywhere after the lead; the outlet's own sentences too, mostly late.
    key = np.where((draw[1] < move_rate[article]) & ~lead, 0.5 + draw[2] * (count[article] - 1), position)
    key = np.where(lead, -1.0, key)
    extra_key = 0.5 + (count[extra_article] - 0.5) * (1 - rng.random(len(extra_rows)) ** 2)
    all_article = np.concatenate([article[keep], extra_article, np.arange(articles)])
    all_rows = np.concatenate([rows[keep], extra_rows, np.full(articles, block.separator)])
    all_keys = np.concatenate([key[keep], extra_key, np.full(articles, np.inf)])
    order = np.lexsort((all_keys, all_article))
    rows, article = all_rows[order], all_article[order]
    # Attributions restyled ("according to X", "X told reporters"), second clauses cut.
    draw = rng.random((3, len(rows)))
    restyled = np.where(
        block.quote[rows],
        _QUOTE_STYLES[(draw[0] * len(_QUOTE_STYLES)).astype(np.int64)],
        (draw[0] * len(_TAIL_STYLES)).astype(np.int64),
    )
    style = np.where(draw[1] < restyle_rate[article], restyled, np.maximum(block.style[rows], 0))
    return _Edits(rows, article, draw[2] < cut_rate[article], style, synonym_rate, paragraph_rate)


def _render(rng: np.random.Generator, vocab: _Vocabulary, block: _Block, edits: _Edits) -> list[str]:
    """Applies the edits to the block's rows and spells out every article, all at once."""
    order = edits.rows
    lengths = block.start[order + 1] - block.start[order]
    index = _gather(block.start[order], lengths)
    entry = np.repeat(np.arange(len(order)), lengths)
    article = edits.article[entry]
    tokens, part = block.tokens[index], block.part[index]
    tail = part >= _TAIL0
    slot, owner = part[tail] - _TAIL0, entry[tail]
    codes = _TAIL_CODES[edits.style[owner], slot]
    codes = np.where((slot == 0) & block.quote[order[owner]], QUOTE_CLOSE, codes)
    codes = np.where(codes == _SPF, block.speaker[order[owner], 0], codes)
    tokens[tail] = np.where(codes == _SPL, block.speaker[order[owner], 1], codes)
    draw = rng.random((2, len(tokens)))
    base = tokens % vocab.size
    swap = (part <= _CLAUSE2) & vocab.has_synonym[base] & (draw[0] < edits.synonym_rate[article])
    capital = tokens[swap] - base[swap]  # keeps the spelling variant
    tokens[swap] = vocab.synonyms[base[swap], (draw[1][swap] < 0.5).astype(np.int64)] + capital
    tokens[(tokens == PERIOD) & (draw[1] < edits.paragraph_rate[article])] = PERIOD_PARAGRAPH
    keep = (tokens != EMPTY) & ~((part == _CLAUSE2) & edits.cut_second_clause[entry])
    spelled = "".join(vocab.render[tokens[keep]].tolist()).replace("\n\n ", "\n\n")
    return [text.strip() for text in spelled.split("\x00")[:-1]]


def _headlines(vocab: _Vocabulary, block: _Block) -> list[list[str]]:
    """Each story's headlines: the wire's first, then one per article."""
    stops = np.append(block.wire[1:], block.separator)
    counts = stops - block.headline
    rows = _gather(block.headline, counts)
    lengths = block.start[rows + 1] - block.start[rows]
    words = vocab.render[block.tokens[_gather(block.start[rows], lengths)]].tolist()
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    titles = ["".join(words[bounds[k] : bounds[k + 1]]).strip() for k in range(len(rows))]
    firsts = np.concatenate([[0], np.cumsum(counts)]).tolist()
    return [titles[firsts[story] : firsts[story + 1]] for story in range(len(counts))]


# --- Boilerplate ------------------------------------------------------------------------------


def _boilerplate(
    rng: np.random.Generator, outlet: _Outlet, related: Sequence[str], reporter: tuple[str, str]
) -> tuple[list[str], list[str]]:
    """(lines to put between paragraphs, lines to append) for one article of an outlet."""
    middle, end = [], []
    first, last = reporter
    draw = rng.random(6)
    if related and draw[0] < outlet.read_more:
        middle.append(f"Read more: {related[int(rng.random() * len(related))]}")
    if draw[1] < outlet.contributed:
        end.append(f"{first} {last} contributed reporting for {outlet.name}.")
    if draw[2] < outlet.newsletter:
        end.append(
            f"Sign up for the {outlet.name} morning newsletter to get the top stories in your inbox daily."
        )
    if len(related) >= 2 and draw[3] < outlet.link_list:
        picks = rng.permutation(len(related))[:3]
        end.append(f"More stories from {outlet.name}\n" + "\n".join(f"- {related[int(i)]}" for i in picks))
    if draw[4] < outlet.contact:
        end.append(f"Write to {first} {last} at {first.lower()}.{last.lower()}@{outlet.domain}")
    if draw[5] < outlet.copyright:
        end.append(f"Copyright {outlet.name}. All rights reserved.")
    return middle, end


def _with_boilerplate(text: str, middle: list[str], end: list[str], rng: np.random.Generator) -> str:
    if middle:
        paragraphs = text.split("\n\n")
        for line in middle:
            paragraphs.insert(1 + int(rng.random() * len(paragraphs)), line)
        text = "\n\n".join(paragraphs)
    return "\n\n".join([text, *end])


# --- The corpus -----------------------------------------------------------------------------


def story_size_distribution(options: SynthOptions | None = None) -> dict[int, float]:
    """P(story size = k): the truncated Zipf law ``k ** -size_exponent`` stories are drawn from.

    Example:
        >>> round(story_size_distribution()[1], 3), round(story_size_distribution()[2], 3)
        (0.614, 0.154)
    """
    options = options or SynthOptions()
    sizes = np.arange(1, options.max_story_size + 1, dtype=np.float64)
    weights = sizes**-options.size_exponent
    return {int(k): float(w) for k, w in zip(sizes, weights / weights.sum(), strict=True)}


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


def _choose(cdf: list[float], draw: float) -> int:
    """The index a uniform draw falls to under a cumulative distribution."""
    return min(bisect.bisect_right(cdf, draw), len(cdf) - 1)


_BLOCK_STORIES = 128
# Mean words per generated wire sentence (whitespace-separated, as measured on generated wires),
# for sizing wire texts: with 17.0 the wires came out at 0.8 times their drawn length.
_WORDS_PER_SENTENCE = 13.6


def generate(
    num_articles: int, seed: int = 1, options: SynthOptions | None = None
) -> Iterator[dict[str, Any]]:
    """Yields ``num_articles`` labelled article rows, in publication order.

    Args:
        num_articles: how many articles in all (the last story may be cut short).
        seed: the same seed and options give the same rows.
        options: the corpus shape; ``SynthOptions()`` by default.

    Example:
        >>> row = next(generate(5, seed=3))
        >>> row["id"], row["role"] in {"wire", "rewrite", "copy"}, row["published_at"][:11]
        ('syn-0000000', True, '2024-01-01T')
    """
    if num_articles < 0:
        raise ValueError(f"num_articles must be zero or more, got {num_articles}")
    if seed < 0:  # NumPy's own message, "expected non-negative integer", names no argument
        raise ValueError(f"seed must be zero or more, got {seed}")
    options = options or SynthOptions()
    rng = np.random.default_rng(seed)
    vocab = _Vocabulary(rng)
    topics = _make_topics(rng, vocab, options.topics)
    topic_cdf = _zipf_cdf(options.topics, 0.8).tolist()
    outlets = _make_outlets(rng, vocab, options.outlets)
    outlet_cdf = _zipf_cdf(options.outlets, 0.7).tolist()
    wires = [
        _Outlet(name, name.lower().replace(" ", "") + ".com", 0.0, 0.0, 0.0, 0.0, 0.5, 0.0)
        for name in _WIRE_AGENCIES
    ]
    distribution = story_size_distribution(options)
    size_cdf = np.cumsum(list(distribution.values())).tolist()
    mean_size = sum(k * p for k, p in distribution.items())
    start = dt.datetime.fromisoformat(options.start).replace(tzinfo=dt.UTC).timestamp()
    stories_per_day = options.articles_per_day / mean_size
    low, high = np.log(options.wire_words[0]), np.log(options.wire_words[1])

    pending: list[tuple[float, int, dict[str, Any]]] = []  # a heap by publication time
    emitted = created = 0
    clock = 0.0  # days since the start
    story_count = 0
    while created < num_articles:
        stories: list[_Story] = []
        sizes: list[int] = []
        planned = created
        while len(stories) < _BLOCK_STORIES and planned < num_articles:
            clock += float(rng.exponential(1.0 / stories_per_day))
            size_pick, topic_pick = rng.random(2)
            sizes.append(min(_choose(size_cdf, size_pick) + 1, num_articles - planned))
            topic = topics[_choose(topic_cdf, topic_pick)]
            story = _new_story(rng, vocab, topic, story_count, clock, options.follow_up_rate)
            topic.recent.append(story)
            stories.append(story)
            story_count += 1
            planned += sizes[-1]
        # Nothing made from now on is published before this block's first story: release the rest.
        while pending and pending[0][0] <= stories[0].time:
            yield _finish(heapq.heappop(pending), emitted, start)
            emitted += 1
        articles = planned - created
        extras = rng.poisson(2.5, size=articles)  # background sentences per article
        story_of_article = np.repeat(np.arange(len(stories)), sizes)
        words = np.exp(rng.uniform(low, high, size=len(stories)))
        block = _compose(
            rng,
            vocab,
            stories,
            np.maximum(3, np.round(words / _WORDS_PER_SENTENCE)).astype(np.int64),
            np.bincount(story_of_article, weights=extras, minlength=len(stories)).astype(np.int64),
            np.array(sizes) + 1,
        )
        headlines = _headlines(vocab, block)
        draws = rng.random((articles, 6))
        delays = np.minimum(rng.exponential(options.mean_delay_hours, size=articles), options.max_delay_hours)
        rewrite = np.zeros(articles, dtype=bool)
        rows: list[tuple[float, dict[str, Any]]] = []
        boilerplate: list[tuple[list[str], list[str]]] = []
        article = 0
        for position, story in enumerate(stories):
            related = list(story.topic.headlines)
            for member in range(sizes[position]):
                wire_pick, outlet_pick, copy_pick, first_pick, last_pick, _ = draws[article]
                if member == 0 and wire_pick < options.wire_first_rate:
                    outlet, role, published = wires[int(outlet_pick * len(wires))], "wire", story.time
                else:
                    outlet = outlets[_choose(outlet_cdf, outlet_pick)]
                    published = story.time + (member > 0) * float(delays[article]) / 24
                    role = "copy" if copy_pick < options.copy_rate else "rewrite"
                rewrite[article] = role == "rewrite"
                title = headlines[position][member + 1 if role == "rewrite" else 0]
                reporter = (
                    _FIRST_NAMES[int(first_pick * len(_FIRST_NAMES))],
                    vocab.words[int(vocab.surnames[int(last_pick * len(vocab.surnames))])],
                )
                row = {
                    "outlet": outlet.name,
                    "title": title,
                    "url": f"https://www.{outlet.domain}/{_slug(title)}-{story.index:06d}{member:02d}",
                    "text": "",
                    "story": story.label,
                    "role": role,
                    "follows": story.follows,
                }
                rows.append((published, row))
                boilerplate.append(_boilerplate(rng, outlet, related, reporter))
                article += 1
            story.topic.headlines.append(headlines[position][0])
        # Each article's background rows follow those of the story's earlier articles.
        extras_before = np.concatenate([[0], np.cumsum(extras)])[:-1]
        story_first_article = np.cumsum(sizes) - sizes
        extra_first = (
            block.background[story_of_article]
            + extras_before
            - extras_before[story_first_article][story_of_article]
        )
        edits = _edit(rng, block, story_of_article, rewrite, extra_first, extras, options.wire_words[0])
        texts = _render(rng, vocab, block, edits)
        for (published, row), text, (middle, end) in zip(rows, texts, boilerplate, strict=True):
            row["text"] = _with_boilerplate(text, middle, end, rng)
            heapq.heappush(pending, (published, created, row))
            created += 1
    while pending:
        yield _finish(heapq.heappop(pending), emitted, start)
        emitted += 1


def _finish(item: tuple[float, int, dict[str, Any]], position: int, start: float) -> dict[str, Any]:
    published, _, row = item
    moment = time.gmtime(start + round(published * 86_400))
    return {
        "id": f"syn-{position:07d}",
        "outlet": row["outlet"],
        "title": row["title"],
        "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", moment),
        "url": row["url"],
        "text": row["text"],
        "story": row["story"],
        "role": row["role"],
        "follows": row["follows"],
    }


def write_jsonl(
    path: str | Path, num_articles: int, seed: int = 1, options: SynthOptions | None = None
) -> dict:
    """Streams a corpus to a JSON Lines file; returns a summary (articles, stories, seconds)."""
    started = time.perf_counter()
    stories: set[str] = set()
    roles: dict[str, int] = {}
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in generate(num_articles, seed, options):
            handle.write(json.dumps(row))  # the corpus is ASCII: the escaping encoder is the fast one
            handle.write("\n")
            stories.add(row["story"])
            roles[row["role"]] = roles.get(row["role"], 0) + 1
            count += 1
    return {
        "path": str(path),
        "articles": count,
        "stories": len(stories),
        "roles": dict(sorted(roles.items())),
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 3),
    }


def read_labels(path: str | Path) -> dict[str, str]:
    """Article id -> story label of a corpus file written by ``write_jsonl``."""
    labels = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            labels[row["id"]] = row["story"]
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.synth", description="Write a synthetic labelled news corpus as JSON Lines."
    )
    parser.add_argument("--articles", type=int, required=True, help="number of articles")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--output", required=True, help="JSON Lines file to write")
    parser.add_argument(
        "--articles-per-day",
        type=float,
        default=SynthOptions.articles_per_day,
        help=f"mean articles per day (default {SynthOptions.articles_per_day:g})",
    )
    args = parser.parse_args(argv)
    if args.articles < 0:
        parser.error("--articles must be zero or more")
    if args.seed < 0:
        parser.error("--seed must be zero or more")
    try:
        options = SynthOptions(articles_per_day=args.articles_per_day)
    except ValueError as error:
        parser.error(str(error))
    folder = os.path.dirname(args.output) or "."
    if os.path.isdir(args.output) or not os.path.isdir(folder):
        parser.error(f"--output {args.output}: name a file in an existing folder")
    print(json.dumps(write_jsonl(args.output, args.articles, args.seed, options)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
