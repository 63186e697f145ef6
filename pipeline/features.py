"""Paraphrase-robust feature sets of an article: pure functions, no Beam.

Rewrites of one wire story share few exact word runs but keep the same content words,
names and numbers, and many of the same two-word phrases ("security guarantees",
"karoline leavitt"). An article becomes a bag of three kinds of terms:

- ``word``: a content word (stop words dropped), lower-cased, its Latin accents dropped
  and lightly stemmed;
- ``name``: a capitalised word that does not start a sentence (people, places, bodies),
  which counts a second time because names separate stories that share a topic;
- ``pair``: two adjacent content words, which separates same-topic stories better than
  single words do.

Chinese, Japanese and Thai are written without spaces between words, and there is no word
segmenter here: a run of their letters gives overlapping character trigrams as its ``word``
terms (``pair``: two adjacent trigrams; no ``name``: these scripts have no capitals).

Terms are weighted by sublinear TF-IDF (document frequencies from a pipeline pass) and
compared by cosine. The few highest-weighted terms of an article (its *salient terms*)
are the set that MinHash LSH samples to propose candidate pairs. Its *details* are the
terms that occur in very few articles of the run (a story's names, numbers and phrases,
not its topic's vocabulary): rewrites of one story share several, an article on the same
topic shares almost none, which the verifier checks (``detail_ids``).

Example:
    >>> content_words("The U.S. troops won't be sent, Trump said.")
    ['u.', 'troop', 'sent', 'trump', 'said']
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import snowballstemmer
from scipy import sparse

from pipeline.text import NO_SPACE_LETTERS, NO_SPACE_RUN, no_space_ngrams, split_sentences

STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost alone along already also
    although always am among amongst an and another any anyhow anyone anything anyway anywhere
    are around as at be became because become becomes becoming been before beforehand behind
    being below beside besides between beyond both but by can cannot could did do does doing
    done down due during each either else elsewhere enough even ever every everyone
    everything everywhere except few for former formerly from further had has have having he
    hence her here hereafter hereby herein hers herself him himself his how however i if in
    indeed into is it its itself just last latter least less many may me meanwhile might mine
    more moreover most mostly much must my myself namely neither never nevertheless next no
    nobody none noone nor not nothing now nowhere of off often on once one only onto or other
    others otherwise our ours ourselves out over own per perhaps please rather re same seem
    seemed seeming seems several she should since so some somehow someone something sometime
    sometimes somewhere still such than that the their theirs them themselves then thence
    there thereafter thereby therefore therein thereupon these they this those though through
    throughout thru thus to together too toward towards under until up upon us very via was we
    well were what whatever when whence whenever where whereafter whereas whereby wherein
    whereupon wherever whether which while whither who whoever whole whom whose why will with
    within without would yet you your yours yourself yourselves 's 't s t don't didn't doesn't
    isn't aren't wasn't weren't won't wouldn't can't couldn't shouldn't it's he's she's that's
    there's they're we're i'm i've we've they've you're let's mr mrs ms
    """.split()
)
# A word: a letter, then letters and digits, with single inner apostrophes, dots or hyphens
# ("o'brien", "u.s", "long-standing"); a number: digits with inner commas or dots ("1,250.5").
# Written as runs of characters rather than one character at a time with a look-ahead at
# each, which is a third faster to match and finds the same tokens.
# A run of letters of a script written without spaces is a token of its own, which
# ``no_space_ngrams`` cuts into character trigrams: two stories on one topic share many of
# the bigrams of its vocabulary (on tests/data/no_space_scripts.jsonl, trigrams score the
# same-topic stories 0.05-0.17 and the rewrites 0.27-0.57; bigrams 0.10-0.33 and 0.37-0.70,
# which merges the Japanese and the Thai stories on one topic).
NO_SPACE_NGRAM = 3
_TOKEN = re.compile(
    rf"[^\W\d_{NO_SPACE_LETTERS}][^\W_{NO_SPACE_LETTERS}]*(?:['.\-][^\W_{NO_SPACE_LETTERS}]+)*"
    rf"|\d+(?:[,.]\d+)*|[{NO_SPACE_LETTERS}]+"
)
FEATURE_KINDS = ("word", "name", "pair")
_STEMMER = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) English stem: 'troops' -> 'troop', 'assured' -> 'assur'."""
    return _STEMMER.stemWord(word)


def _is_latin(char: str) -> bool:
    """Basic Latin, Latin-1, Latin Extended-A/B and Vietnamese's Latin Extended Additional."""
    code = ord(char)
    return code < 0x0250 or 0x1E00 <= code < 0x1F00


def fold_accents(word: str) -> str:
    """Drops the accents of Latin letters, so "Raúl" meets "Raul" and "Nguyễn" "Nguyen".

    Outlets spell one name with and without accents (the dev corpus has Raúl/Raul,
    JonBenét/JonBenet, Bélanger/Belanger inside one story). Marks on other scripts are kept:
    there they tell words apart.

    Example:
        >>> fold_accents("Peñalosa"), fold_accents("Tâmega"), fold_accents("й")
        ('Penalosa', 'Tamega', 'й')
    """
    if word.isascii():
        return word
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", word):
        if unicodedata.combining(char) and kept and _is_latin(kept[-1]):
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _normal_word(token: str) -> str:
    word = fold_accents(token.lower())
    if word.endswith("'s"):
        word = word[:-2]
    return word


def _tokens(text: str) -> list[str]:
    tokens = _TOKEN.findall(text)
    if not text.isascii() and NO_SPACE_RUN.search(text):
        return no_space_ngrams(tokens, NO_SPACE_NGRAM)
    return tokens


def content_words(text: str) -> list[str]:
    """Stemmed content words of a text, in order (stop words and 1-letter words dropped)."""
    words = []
    for token in _tokens(text):
        word = _normal_word(token)
        if len(word) > 1 and word not in STOP_WORDS:
            words.append(stem(word))
    return words


def term_counts(text: str, kinds: Iterable[str] = FEATURE_KINDS) -> Counter[str]:
    """Counts the article's terms of the chosen kinds (see the module docstring)."""
    return sentence_term_counts(split_sentences(text), kinds)


# token -> (stem, its name term if the token is capitalised, else None), or None for a stop
# word: a corpus repeats its words, so each is normalised and stemmed once per worker.
_TOKEN_TERMS: dict[str, tuple[str, str | None] | None] = {}
_TOKEN_TERMS_LIMIT = 500_000
_UNSEEN = ("", None)


def _token_term(token: str) -> tuple[str, str | None] | None:
    word = _normal_word(token)
    if len(word) < 2 or word in STOP_WORDS:
        return None
    return stem(word), "N:" + word if token[0].isupper() else None


def sentence_term_counts(sentences: Iterable[str], kinds: Iterable[str] = FEATURE_KINDS) -> Counter[str]:
    """``term_counts`` of a text already split into sentences (pairs never cross a sentence)."""
    kinds = set(kinds)
    words, names, pairs = "word" in kinds, "name" in kinds, "pair" in kinds
    cache = _TOKEN_TERMS
    found: list[str] = []
    for sentence in sentences:
        previous: str | None = None
        for position, token in enumerate(_tokens(sentence)):
            known = cache.get(token, _UNSEEN)
            if known is _UNSEEN:
                known = _token_term(token)
                if len(cache) < _TOKEN_TERMS_LIMIT:
                    cache[token] = known
            if known is None:
                previous = None
                continue
            term, name = known
            if words:
                found.append(term)
            if names and name is not None and position > 0:
                found.append(name)
            if pairs and previous is not None:
                found.append(previous + " " + term)
            previous = term
    return Counter(found)


class TermCounts(Mapping[str, int]):
    """An article's term counts, in ``sentence_term_counts``'s order, kept as one string of
    its terms and an array of their counts.

    Beam pickles an analysed article about four times before it is sketched (the dedupe
    shuffle, the sketch step's batches and the sizes it estimates by encoding), and a dict
    of a few hundred terms takes about a hundred microseconds to pickle and rebuild each
    time; one string and one array take a few. ``weigh_terms`` and ``term_buckets`` read the
    terms in order without a dict; one is built only when a term is looked up.
    """

    __slots__ = ("_joined", "_counts", "_lookup")

    # Never in a term: a term is a token of word characters and inner punctuation, "N:" and
    # a token, or two stems joined by a space.
    _SEPARATOR = "\n"

    def __init__(self, joined: str, counts: np.ndarray) -> None:
        terms = joined.count(self._SEPARATOR) + 1 if joined or len(counts) else 0
        if terms != len(counts):
            raise ValueError(f"{len(counts)} counts for {terms} terms (a term cannot contain a line break)")
        self._joined = joined
        self._counts = counts
        self._lookup: dict[str, int] | None = None

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> TermCounts:
        return cls(cls._SEPARATOR.join(counts), np.fromiter(counts.values(), np.int32, len(counts)))

    def terms(self) -> list[str]:
        return self._joined.split(self._SEPARATOR) if len(self._counts) else []

    @property
    def counts(self) -> np.ndarray:
        """The counts, in the order of ``terms()``."""
        return self._counts

    def __getitem__(self, term: str) -> int:
        if self._lookup is None:
            self._lookup = dict(zip(self.terms(), self._counts.tolist(), strict=True))
        return self._lookup[term]

    def __iter__(self) -> Iterator[str]:
        return iter(self.terms())

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"TermCounts({dict(zip(self.terms(), self._counts.tolist(), strict=True))!r})"

    def __reduce__(self):
        return (_unpacked_term_counts, (self._joined, packed_array(self._counts)))


def _unpacked_term_counts(joined: str, counts: PackedArray) -> TermCounts:
    return TermCounts(joined, unpacked_array(counts))


def terms_and_counts(counts: Mapping[str, int]) -> tuple[list[str], np.ndarray]:
    """The terms of ``counts`` in order, and their counts as an array (a dict's as float64)."""
    if isinstance(counts, TermCounts):
        return counts.terms(), counts.counts
    terms = list(counts)
    return terms, np.fromiter((counts[term] for term in terms), np.float64, len(terms))


def term_id(term: str) -> int:
    """A stable 32-bit id of a term (the same in every worker and every run)."""
    return zlib.crc32(term.encode("utf-8"))


def term_ids(terms: Iterable[str]) -> np.ndarray:
    """``term_id`` of each term, as a uint32 array."""
    crc32 = zlib.crc32
    return np.array([crc32(term.encode("utf-8")) for term in terms], dtype=np.uint32)


def idf(document_frequency: np.ndarray | int, num_documents: int) -> np.ndarray:
    """Smoothed inverse document frequency, ln((N + 1) / (df + 1)) + 1, as in scikit-learn."""
    return np.log((num_documents + 1) / (np.asarray(document_frequency, dtype=np.float64) + 1)) + 1.0


PackedArray = tuple[str, tuple[int, ...], bytearray]


def packed_array(array: np.ndarray) -> PackedArray:
    """An array as (dtype, shape, raw bytes), to pickle: Beam pickles each sketch about ten
    times (shuffles, and the sizes it estimates by encoding), and raw bytes pickle and
    unpickle about four times faster than numpy's own reduction of a small array."""
    return array.dtype.str, array.shape, bytearray(array.tobytes())


def unpacked_array(packed: PackedArray) -> np.ndarray:
    """The array of ``packed_array``, writable like any unpickled array."""
    dtype, shape, data = packed
    array = np.frombuffer(data, dtype=dtype)
    return array if len(shape) == 1 else array.reshape(shape)


def _unpacked_vector(ids: PackedArray, weights: PackedArray) -> TermVector:
    return TermVector(unpacked_array(ids), unpacked_array(weights))


class TermVector:
    """An L2-normalised sparse TF-IDF vector: sorted term ids and their weights."""

    __slots__ = ("ids", "weights")

    def __init__(self, ids: np.ndarray, weights: np.ndarray) -> None:
        self.ids = ids
        self.weights = weights

    def __reduce__(self):  # compact pickling between Beam stages
        return (_unpacked_vector, (packed_array(self.ids), packed_array(self.weights)))

    def __len__(self) -> int:
        return len(self.ids)

    def cosine(self, other: TermVector) -> float:
        _, mine, theirs = np.intersect1d(self.ids, other.ids, assume_unique=True, return_indices=True)
        # Summed in float64, as ``row_products`` does, so both give the same rounded score.
        return float(np.dot(self.weights[mine].astype(np.float64), other.weights[theirs].astype(np.float64)))


def id_matrix(ids: Sequence[np.ndarray], weights: Sequence[np.ndarray]) -> sparse.csr_matrix:
    """One sparse row per article over the ids the articles have (each row's ids sorted)."""
    columns = np.unique(np.concatenate([np.zeros(0, np.uint32), *ids]), return_inverse=True)[1]
    indptr = np.concatenate([[0], np.cumsum([len(row) for row in ids])])
    values = np.concatenate([np.zeros(0), *weights]).astype(np.float64)
    return sparse.csr_matrix((values, columns, indptr), shape=(len(ids), int(columns.max(initial=0)) + 1))


def row_products(
    matrix: sparse.csr_matrix, first: np.ndarray, second: np.ndarray, chunk: int = 4096
) -> np.ndarray:
    """The dot product of rows ``first[k]`` and ``second[k]`` for every k, a chunk of pairs
    at a time (which bounds the memory of the row gathers)."""
    products = np.zeros(len(first), np.float64)
    for start in range(0, len(first), chunk):
        end = start + chunk
        rows = matrix[first[start:end]].multiply(matrix[second[start:end]])
        products[start:end] = np.asarray(rows.sum(axis=1)).ravel()
    return products


def weigh_terms(
    counts: Mapping[str, int], df_table: np.ndarray, num_documents: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sublinear TF-IDF weights of an article's terms.

    Returns the terms, their ids and their unnormalised weights, in the order of ``counts``.
    ``df_table`` holds document frequencies by ``term_id & (len(df_table) - 1)``.
    """
    terms, term_counts = terms_and_counts(counts)
    ids = term_ids(terms)
    tf = term_counts.astype(np.float64)
    mask = np.uint32(len(df_table) - 1)
    weights = (1.0 + np.log(tf)) * idf(df_table[ids & mask], num_documents)
    return terms, ids, weights


def term_vector(ids: np.ndarray, weights: np.ndarray) -> TermVector:
    """Builds the normalised vector; id collisions inside one article are summed."""
    if len(ids) == 0:
        return TermVector(np.zeros(0, np.uint32), np.zeros(0, np.float32))
    unique, inverse = np.unique(ids, return_inverse=True)
    summed = np.zeros(len(unique), dtype=np.float64)
    np.add.at(summed, inverse, weights)
    norm = math.sqrt(float(np.dot(summed, summed))) or 1.0
    return TermVector(unique, (summed / norm).astype(np.float32))


FREQUENCY_CAP = 255  # what a byte holds: ``term_frequencies`` stops counting there


def term_frequencies(ids: np.ndarray, df_table: np.ndarray) -> np.ndarray:
    """Each term's document frequency (as in ``weigh_terms``), at most ``FREQUENCY_CAP``: a
    byte a term, for the detail check to count a term's near-copies once (``verify``).

    Example:
        >>> table = np.zeros(1024, np.uint32)
        >>> table[[1, 3]] = [2, 400]
        >>> term_frequencies(np.array([1, 3, 1027], np.uint32), table).tolist()
        [2, 255, 255]
    """
    frequencies = df_table[np.asarray(ids, dtype=np.uint32) & np.uint32(len(df_table) - 1)]
    return np.minimum(frequencies, FREQUENCY_CAP).astype(np.uint8)


def detail_ids(ids: np.ndarray, df_table: np.ndarray, max_df: int) -> np.ndarray:
    """Sorted distinct ids of the terms found in at most ``max_df`` articles of the run.

    ``ids`` are an article's term ids, ``df_table`` the hashed document frequencies (as in
    ``weigh_terms``).

    Example:
        >>> table = np.zeros(1024, np.uint32)
        >>> ids = np.array([3, 1025, 7], np.uint32)  # 1025 falls in bucket 1
        >>> table[[1, 3, 7]] = [2, 40, 5]
        >>> detail_ids(ids, table, 5).tolist()
        [7, 1025]
    """
    mask = np.uint32(len(df_table) - 1)
    rare = np.asarray(ids, dtype=np.uint32)[df_table[ids & mask] <= max_df]
    return np.unique(rare)


def found_only_here(ids: np.ndarray, df_table: np.ndarray) -> np.ndarray:
    """Whether each term is in no other article (document frequency 1, as in ``weigh_terms``)."""
    return df_table[np.asarray(ids, dtype=np.uint32) & np.uint32(len(df_table) - 1)] <= 1


def salient_terms(
    terms: Sequence[str], weights: np.ndarray, k: int, alone: np.ndarray | None = None
) -> list[str]:
    """The k highest-weighted terms; ties broken by the term itself, so the set is stable.

    ``alone`` marks the terms no other article has (``found_only_here``): they come last.
    They weigh the most (a third of the salient terms of the dev corpus's articles), yet
    can never collide with another article in a band: sampling them left two rewrites of
    a small run at cosine 0.5 without a common salient term.
    """
    if not len(terms):
        return []
    last = np.zeros(len(terms), bool) if alone is None else np.asarray(alone, bool)
    order = np.lexsort((np.array(terms, dtype=str), -np.round(np.asarray(weights, np.float64), 9), last))
    return [terms[i] for i in order[:k].tolist()]


def term_buckets(counts: Iterable[str], num_buckets: int) -> np.ndarray:
    """The distinct document-frequency buckets an article's terms fall in."""
    return np.unique(term_ids(counts) & np.uint32(num_buckets - 1))
