"""The two reference methods the evaluation command measures the pipeline against.

Both are deliberately plain (Python, NumPy and datasketch; no Beam) so that their figures
can be trusted as the yardsticks in ``shared/eval/FORMAT.md``:

- ``verbatim_minhash``: the usual near-duplicate detector. Word 5-shingles, datasketch
  ``MinHash`` and ``MinHashLSH``, every LSH candidate joined by union-find with no check.
  It finds copies, not rewrites: two outlets rewriting one wire story share few five-word
  runs, so its recall on stories is close to zero. That is the gap this project exists for.
- ``tfidf_all_pairs``: scikit-learn's ``TfidfVectorizer`` defaults that FORMAT.md names
  (English stop words, sublinear tf, smoothed idf, max_df 0.5, L2 norm), cosine over all
  pairs and average linkage. Good, but quadratic: it refuses corpora above ``max_articles``.

Labels are the smallest article id of each cluster, so singletons are labelled by
themselves and the labels do not depend on the input order.

Example:
    >>> articles = [("a", "one two three four five six"), ("b", "one two three four five six!")]
    >>> verbatim_minhash(articles).labels
    {'a': 'a', 'b': 'a'}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipeline.cluster import UnionFind, average_linkage
from pipeline.features import STOP_WORDS, idf

_PUNCTUATION = re.compile(r"[^\w\s]")
# scikit-learn's default token_pattern: runs of two or more word characters.
_SKLEARN_TOKEN = re.compile(r"(?u)\b\w\w+\b")
# Vocabulary columns multiplied per matrix product, to bound the dense block's memory.
_TERMS_PER_BLOCK = 2048


class MinHashBaseline(NamedTuple):
    """What ``verbatim_minhash`` found: a cluster label per id and the LSH candidate pairs."""

    labels: dict[str, str]
    candidates: list[tuple[str, str]]


def _check_unique_ids(articles: Sequence[tuple[str, str]]) -> None:
    ids = [article_id for article_id, _ in articles]
    if len(set(ids)) != len(ids):
        repeated = sorted(article_id for article_id, count in Counter(ids).items() if count > 1)
        raise ValueError(f"article ids must be unique; repeated: {repeated[:5]}")


def word_shingles(text: str, size: int) -> set[str]:
    """Distinct runs of ``size`` words of the lower-cased text, punctuation removed.

    A text shorter than ``size`` words gives one shingle of all its words, so that short
    texts can still match their exact copies; an empty text gives no shingle.
    """
    words = _PUNCTUATION.sub("", text.lower()).split()
    if 0 < len(words) < size:
        return {" ".join(words)}
    return {" ".join(words[start : start + size]) for start in range(len(words) - size + 1)}


def _labels_from_groups(ids: Sequence[str], sets: UnionFind) -> dict[str, str]:
    components = sets.components()
    return {article_id: components.get(article_id, article_id) for article_id in ids}


def verbatim_minhash(
    articles: Sequence[tuple[str, str]],
    num_perm: int = 128,
    threshold: float = 0.5,
    shingle: int = 5,
    seed: int = 1,
) -> MinHashBaseline:
    """Near-duplicate clusters from MinHash LSH over word shingles, without verification.

    Args:
        articles: ``(id, text)`` pairs with unique ids.
        num_perm: MinHash permutations; datasketch picks the bands and rows for
            ``threshold`` from it (``MinHashLSH.b`` and ``.r``).
        threshold: the Jaccard similarity LSH aims at. At the defaults datasketch uses 25
            bands of 5 rows, so a pair of shingle Jaccard s becomes a candidate with
            probability 1 - (1 - s^5)^25: 0.06 at s = 0.3, 0.55 at 0.5, 0.99 at 0.7.
        shingle: words per shingle.
        seed: the MinHash permutation seed.

    The sketches use datasketch's default permutation scheme (``affine32`` since datasketch
    2.0). The FORMAT.md row for this method was measured with the older ``legacy`` scheme;
    on the dev corpus the two differ by one candidate pair (3 against 4).

    Returns:
        Labels for every id (articles without a shingle stay alone) and the sorted,
        distinct candidate pairs ``(a, b)`` with ``a < b``.
    """
    if num_perm < 2:
        raise ValueError(f"num_perm must be at least 2, got {num_perm}")
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be between 0 and 1 (exclusive), got {threshold}")
    if shingle < 1:
        raise ValueError(f"shingle must be at least 1 word, got {shingle}")
    _check_unique_ids(articles)
    shingled = [(article_id, word_shingles(text, shingle)) for article_id, text in articles]
    # An empty MinHash has all values at the maximum, so every empty text would collide
    # with every other one; such articles are left out of the index instead.
    shingled = [(article_id, shingles) for article_id, shingles in shingled if shingles]
    sketches = MinHash.generator(
        ([text.encode("utf-8") for text in shingles] for _, shingles in shingled),
        num_perm=num_perm,
        seed=seed,
    )
    index = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sketches_by_id = {}
    with index.insertion_session() as session:
        for (article_id, _), sketch in zip(shingled, sketches, strict=True):
            session.insert(article_id, sketch)
            sketches_by_id[article_id] = sketch
    candidates = set()
    for article_id, sketch in sketches_by_id.items():
        for other_id in index.query(sketch):
            if other_id != article_id:
                candidates.add((min(article_id, other_id), max(article_id, other_id)))
    sets = UnionFind()
    for first, second in candidates:
        sets.union(first, second)
    labels = _labels_from_groups([article_id for article_id, _ in articles], sets)
    return MinHashBaseline(labels=labels, candidates=sorted(candidates))


def tfidf_vectors(texts: Sequence[str], max_df: float = 0.5) -> list[dict[int, float]]:
    """L2-normalised TF-IDF vectors as scikit-learn's ``TfidfVectorizer`` makes them.

    Settings: ``token_pattern=r"(?u)\\b\\w\\w+\\b"`` on lower-cased text, the project's English
    stop words, ``max_df`` (terms in more than that share of the documents are dropped),
    ``sublinear_tf`` (1 + ln tf) and ``smooth_idf`` (ln((N + 1) / (df + 1)) + 1). Each
    vector maps a vocabulary index to its weight; a text with no term gets an empty vector.
    """
    token_counts = [
        Counter(token for token in _SKLEARN_TOKEN.findall(text.lower()) if token not in STOP_WORDS)
        for text in texts
    ]
    document_frequency = Counter(term for counts in token_counts for term in counts)
    most_documents = max_df * len(texts)
    kept_terms = sorted(term for term, df in document_frequency.items() if df <= most_documents)
    vocabulary = {term: position for position, term in enumerate(kept_terms)}
    term_idf = idf(np.array([document_frequency[term] for term in vocabulary], dtype=np.int64), len(texts))
    vectors = []
    for counts in token_counts:
        weights = {
            vocabulary[term]: (1.0 + np.log(count)) * term_idf[vocabulary[term]]
            for term, count in counts.items()
            if term in vocabulary
        }
        norm = float(np.sqrt(sum(weight * weight for weight in weights.values())))
        vectors.append({term: float(weight / norm) for term, weight in weights.items()})
    return vectors


def _cosine_matrix(vectors: Sequence[dict[int, float]]) -> np.ndarray:
    """All-pairs cosine of normalised sparse vectors, as a dense (n, n) float64 matrix.

    Terms in a single document add nothing off the diagonal and are skipped, so the
    diagonal is not 1 and must not be read; the other terms are multiplied in dense blocks
    of vocabulary columns, so memory stays at n * n plus one n * ``_TERMS_PER_BLOCK`` block
    however large the vocabulary is.
    """
    rows = np.fromiter((row for row, vector in enumerate(vectors) for _ in vector), dtype=np.int64)
    columns = np.fromiter((term for vector in vectors for term in vector), dtype=np.int64)
    weights = np.fromiter((weight for vector in vectors for weight in vector.values()), dtype=np.float64)
    shared_terms = np.flatnonzero(np.bincount(columns, minlength=1) > 1)
    remapped = np.full(int(columns.max(initial=-1)) + 1, -1, dtype=np.int64)
    remapped[shared_terms] = np.arange(len(shared_terms))
    keep = remapped[columns] >= 0 if len(columns) else np.zeros(0, dtype=bool)
    rows, columns, weights = rows[keep], remapped[columns[keep]], weights[keep]
    order = np.argsort(columns, kind="stable")
    rows, columns, weights = rows[order], columns[order], weights[order]
    similarity = np.zeros((len(vectors), len(vectors)), dtype=np.float64)
    for start in range(0, len(shared_terms), _TERMS_PER_BLOCK):
        low, high = np.searchsorted(columns, [start, start + _TERMS_PER_BLOCK])
        block = np.zeros((len(vectors), _TERMS_PER_BLOCK), dtype=np.float64)
        block[rows[low:high], columns[low:high] - start] = weights[low:high]
        similarity += block @ block.T
    return similarity


def tfidf_all_pairs(
    articles: Sequence[tuple[str, str]], cut: float = 0.2, max_articles: int = 5000
) -> dict[str, str] | None:
    """Stories from all-pairs TF-IDF cosine and average linkage at ``cut`` (FORMAT.md).

    Every pair with a positive cosine is an edge for ``pipeline.cluster.average_linkage``.
    Average linkage never merges two groups with no pair at or above the cut between them,
    so the graph is split first into components joined by pairs at or above the cut, and
    each is clustered alone with all its positive pairs: the same clusters as one run over
    the whole graph, without holding every pair of the corpus in a Python dict.

    Args:
        articles: ``(id, text)`` pairs with unique ids.
        cut: the average cosine at or above which two groups merge.
        max_articles: the largest corpus accepted; the method is quadratic in time and
            memory (an n * n matrix of float64).

    Returns:
        A story label per id (the smallest id of its story), or None when there are more
        than ``max_articles`` articles; the caller should report that it was skipped.
    """
    if not 0.0 < cut <= 1.0:
        raise ValueError(f"cut must be in (0, 1], got {cut}")
    if len(articles) > max_articles:
        return None
    _check_unique_ids(articles)
    # Sorted ids make the linkage's tie-breaking, and so the result, independent of input order.
    ordered = sorted(articles)
    ids = [article_id for article_id, _ in ordered]
    similarity = _cosine_matrix(tfidf_vectors([text for _, text in ordered]))
    strong_first, strong_second = np.nonzero(np.triu(similarity >= cut, k=1))
    sets = UnionFind()
    for first, second in zip(strong_first.tolist(), strong_second.tolist(), strict=True):
        sets.union(ids[first], ids[second])
    components: dict[str, list[int]] = {}
    for position, article_id in enumerate(ids):
        components.setdefault(sets.find(article_id), []).append(position)
    labels: dict[str, str] = {}
    for members in components.values():
        within = similarity[np.ix_(members, members)]
        first_indices, second_indices = np.nonzero(np.triu(within > 0.0, k=1))
        edges = {
            (i, j): float(within[i, j])
            for i, j in zip(first_indices.tolist(), second_indices.tolist(), strict=True)
        }
        # average_linkage names a cluster by its smallest local index, which is its smallest id.
        for local, root in enumerate(average_linkage(len(members), edges, cut)):
            labels[ids[members[local]]] = ids[members[root]]
    return labels
