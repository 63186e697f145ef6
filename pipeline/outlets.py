"""Stage 6: per story, the representative article, sentence alignments and what each outlet added.

Within a story every sentence of every article is aligned with the sentences of every
article from *another* outlet (``pipeline.align``): its counterpart there is the sentence
that covers it best, and the alignment score is that coverage (the weighted share of the
sentence's content words, names and figures found in the counterpart). A sentence is
*shared* with an outlet when the coverage reaches ``sentences.match_threshold``, and
*unique* to its own outlet when no other outlet's article reaches it; its ``novelty`` is 1
minus its best coverage. Several articles of one outlet (updates of a story) are never
compared with each other for uniqueness: their sentences are unique only against other
outlets. A story that continues one of earlier runs is described with its articles of those
runs (``state.ReadEarlierArticles``): this run's sentences are aligned with theirs too, so
that what an outlet added is judged against the whole story; those articles are not
described again and are never the representative. Headings and sentences under
``sentences.min_words`` words are aligned but never reported as unique, nor is the title
repeated as the first line of the text; the story's first sentence is compared without its
wire dateline ("WASHINGTON (Reuters) - "), which says where the story was filed, not what
happened (``compared_sentences``); a sentence an article repeats word for word (a pull
quote) is reported once, at its first position; a sentence without a comparable term (only
stop words and attribution: "That I can tell you.") is unique only when no other outlet's
article has the same words, and a line without any word (a row of dashes) never; boilerplate
never reaches this stage (``text.strip_boilerplate``).

The representative is chosen by ``sentences.representative``:

- ``medoid`` (default): the article that covers the others best, the medoid of the
  alignment graph: for each candidate, the sum over the other outlets' articles of the
  share of their reportable sentences that have a counterpart in it; an article with no
  reportable sentence (a headline-only alert) only when no article has one; when no article
  covers another (a story from one outlet), the longest;
- ``earliest``: the first published;
- ``longest``: the most words after clean-up.

Ties go to the earliest published (unknown times last), then the smallest id. An identical
copy covers its original completely.

``clusters.outlet_coverage`` gives, per outlet, the share of its reportable sentences that
have a counterpart in the representative (1.0 for the representative's own text; other
articles of the representative's outlet are compared with it for this figure; null for an
outlet whose articles have no reportable sentence).
"""

from __future__ import annotations

import json
import logging
import pickle
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

import apache_beam as beam
import numpy as np
import pyarrow as pa
from apache_beam.metrics import Metrics

from pipeline.align import SentenceFeatures, StorySentences, dateline_length, sentence_features
from pipeline.config import SentenceConfig
from pipeline.features import TermVector, id_matrix
from pipeline.records import AnalysedArticle
from pipeline.spill import Spilled, SpillReader, SpillWriter
from pipeline.text import is_heading, normalise, same_outlet_key, split_sentences, word_count
from schemas.tables import INTERNAL_TABLES, TABLES, compact_schema, narrow_schema

# A story with more articles than this compares each article with its closest ones only.
# Each article is aligned with at most this many other-outlet articles, the closest first:
# alignment costs (articles x compared x sentences^2), and the closest rewrites decide anyway.
_LOG = logging.getLogger(__name__)

MAX_COMPARED_ARTICLES = 10
REPRESENTATIVE_RULES = ("medoid", "earliest", "longest")


def outlet_key(analysed: AnalysedArticle) -> str:
    """The outlet as compared (``same_outlet_key``). Articles without one count as an outlet
    of their own (a key that no named outlet has, even one whose name starts with a NUL)."""
    article = analysed.article
    return f"\x01{same_outlet_key(article.outlet)}" if article.outlet else f"\x00{article.id}"


def outlet_names(members: list[AnalysedArticle]) -> dict[str, str]:
    """``outlet_key`` -> the name as the story's first article (by id) with that key spells it."""
    names: dict[str, str] = {}
    for member in sorted(members, key=lambda m: m.article.id):
        if member.article.outlet:
            names.setdefault(outlet_key(member), member.article.outlet)
    return names


def _tie_break(analysed: AnalysedArticle) -> tuple:
    published = analysed.article.published_us
    return (published is None, published or 0, analysed.article.id)


def clean_words(analysed: AnalysedArticle) -> int:
    """Words of the article after clean-up (boilerplate removed)."""
    return sum(map(word_count, analysed.sentences))


def choose_representative(
    members: list[AnalysedArticle],
    coverage: dict[str, float],
    rule: str,
    with_content: Collection[str] | None = None,
) -> str:
    """Picks the representative article id by ``rule`` (see the module docstring).

    ``coverage`` maps an article id to how well it covers the other articles (``medoid``).
    ``with_content``: the ids of articles with a reportable sentence; ``medoid`` prefers them,
    since an article with nothing to be found in it (a headline-only alert) covers others
    without being covered. Ties go to the earliest published (unknown times last), then the
    smallest id.
    """
    if rule not in REPRESENTATIVE_RULES:
        raise ValueError(f"unknown representative rule {rule!r}; choose one of {REPRESENTATIVE_RULES}")
    if rule == "earliest":
        return min(members, key=_tie_break).article.id
    if rule == "longest":
        return min(members, key=lambda m: (-clean_words(m), *_tie_break(m))).article.id

    def medoid_key(member: AnalysedArticle) -> tuple:
        empty = with_content is not None and member.article.id not in with_content
        return (empty, -round(coverage.get(member.article.id, 0.0), 9), *_tie_break(member))

    if not any(coverage.get(member.article.id) for member in members):
        # Nothing covers anything (one outlet's updates are never compared): the longest,
        # not the earliest, which is often a first short alert; of the articles with a
        # reportable sentence when there are any.
        candidates = [m for m in members if with_content is None or m.article.id in with_content]
        return choose_representative(candidates or members, coverage, "longest")
    return min(members, key=medoid_key).article.id


def reportable(sentence: str, min_words: int) -> bool:
    return word_count(sentence) >= min_words and not is_heading(sentence)


def _folded(sentence: str) -> str:
    return " ".join(sentence.split()).casefold()


def title_sentences(sentences: Sequence[str], title: str | None) -> int:
    """How many of the first ``sentences`` are the article's ``title`` repeated as the first
    line of its text (0 when none): a headline, never reported, even one ending in "?" or "!"."""
    heading = split_sentences(normalise(title)) if title else []
    first = sentences[: len(heading)]
    return len(heading) if heading and list(map(_folded, first)) == list(map(_folded, heading)) else 0


def compared_sentences(sentences: Sequence[str], title: str | None) -> list[str]:
    """The article's sentences as they are compared and judged reportable: the first sentence
    of the story (after the title repeated and any headings) without its wire dateline
    (``align.dateline_length``). A dateline says where and by whom the story was filed, not
    what happened; left in, "WASHINGTON (Reuters) - The Senate voted ..." is no longer the
    other outlets' "The Senate voted ...", and is reported as something Reuters added. The
    tables still show the sentence as the outlet wrote it."""
    compared = list(sentences)
    first = title_sentences(sentences, title)
    while first < len(compared) and is_heading(compared[first]):
        first += 1
    if first < len(compared):
        compared[first] = compared[first][dateline_length(compared[first]) :]
    return compared


def reportable_flags(sentences: Sequence[str], title: str | None, min_words: int) -> np.ndarray:
    """Which sentences of an article may be reported as unique (and count for coverage):
    ``reportable`` ones, except the title repeated at the top of the text; the first sentence
    is judged without its dateline (``compared_sentences``)."""
    flags = np.array([reportable(s, min_words) for s in compared_sentences(sentences, title)], bool)
    flags[: title_sentences(sentences, title)] = False
    return flags


def compared_articles(
    outlets: list[str], hashes: list[str], vectors: list[TermVector], limit: int, described: int | None = None
) -> list[list[int]]:
    """For each article (of the first ``described``, default all), the articles of other
    outlets it is aligned with (ascending positions).

    All of them, or in a story with more than ``limit`` such articles, the ``limit`` closest
    by TF-IDF cosine (rounded to 9 decimals; ties: the earlier position). Identical texts
    have identical vectors, so cosines are computed once per pair of distinct texts, as
    sparse row products, and a story of thousands of copies costs time linear in its size.
    """
    count = len(outlets)
    described = count if described is None else described
    per_outlet: dict[str, int] = defaultdict(int)
    for outlet in outlets:
        per_outlet[outlet] += 1
    groups: dict[str, list[int]] = defaultdict(list)  # text -> positions, ascending
    for position, text in enumerate(hashes):
        groups[text].append(position)
    texts = list(groups)
    ranked = [x for x in range(described) if count - per_outlet[outlets[x]] > limit]
    cosines = _text_cosines([vectors[groups[text][0]] for text in texts], [hashes[x] for x in ranked], texts)
    compared = []
    for x in range(described):
        if count - per_outlet[outlets[x]] <= limit:
            compared.append([y for y in range(count) if outlets[y] != outlets[x]])
            continue
        similarity = cosines[hashes[x]]
        chosen: list[int] = []
        for i in sorted(range(len(texts)), key=lambda i: (-similarity[i], groups[texts[i]][0])):
            for y in groups[texts[i]]:
                if len(chosen) == limit:
                    break
                if outlets[y] != outlets[x]:
                    chosen.append(y)
        compared.append(sorted(chosen))
    return compared


# Rows of the text-by-text cosine matrix computed at once: bounds its memory in a story of
# thousands of distinct texts.
_COSINE_ROWS = 256


def _text_cosines(vectors: list[TermVector], needed: list[str], texts: list[str]) -> dict[str, np.ndarray]:
    """text -> its cosine with every text (in the order of ``texts``; 1.0 with itself), for
    the ``needed`` texts; ``vectors`` has one vector per text."""
    position = {text: i for i, text in enumerate(texts)}
    rows = sorted({position[text] for text in needed})
    if not rows:
        return {}
    matrix = id_matrix([v.ids for v in vectors], [v.weights for v in vectors])
    transposed = matrix.T.tocsr()
    cosines: dict[str, np.ndarray] = {}
    for start in range(0, len(rows), _COSINE_ROWS):
        block = rows[start : start + _COSINE_ROWS]
        products = np.round((matrix[block] @ transposed).toarray(), 9)
        for k, i in enumerate(block):
            products[k, i] = 1.0
            cosines[texts[i]] = products[k]
    return cosines


Matches = dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]


def _align(story: StorySentences, hashes: list[str], x: int, others: list[int]) -> Matches:
    """(x, y) -> (index of the best counterpart in article y of each sentence of article x,
    its coverage), for every y in ``others`` (an identical copy: each sentence itself)."""
    size = story.size(x)
    copies = [y for y in others if hashes[y] == hashes[x]]
    found = story.best_matches(x, [y for y in others if hashes[y] != hashes[x]])
    found.update((y, (np.arange(size), np.ones(size))) for y in copies)
    return {(x, y): found[y] for y in others}


ALIGNMENT_SCHEMA = compact_schema(TABLES["sentence_alignments"])
# A story's alignments as they nearly always travel: 16-bit positions and dictionary indices
# (``narrow_schema``); ALIGNMENT_SCHEMA when a story or an article is too big for them.
NARROW_ALIGNMENT_SCHEMA = narrow_schema(TABLES["sentence_alignments"])
_NARROW_LIMIT = int(np.iinfo(np.int16).max)


def _alignment_batch(
    story_id: str, members: list[AnalysedArticle], compared: list[list[int]], matches: Matches
) -> pa.RecordBatch:
    """The ``sentence_alignments`` rows of a story, built column by column, its ids
    dictionary-encoded (``NARROW_ALIGNMENT_SCHEMA``; ``ALIGNMENT_SCHEMA`` when the story has
    more than 32,767 articles or an article more than 32,767 sentences): a sentence with no
    counterpart in an article (nothing shared) has no row for it."""
    articles, matched, sentence_index, matched_index, scores = [], [], [], [], []
    for x, others in enumerate(compared):
        for y in others:  # ascending positions, i.e. ascending ids
            best, score = matches[(x, y)]
            kept = np.flatnonzero(best >= 0)
            articles.append(np.full(len(kept), x))
            matched.append(np.full(len(kept), y))
            sentence_index.append(kept)
            matched_index.append(best[kept])
            scores.append(score[kept])

    def joined(parts: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    ids = pa.array([member.article.id for member in members], pa.string())
    longest = max((len(member.sentences) for member in members), default=0)
    narrow = len(members) <= _NARROW_LIMIT and longest <= _NARROW_LIMIT
    dtype = np.int16 if narrow else np.int32
    positions = joined(articles, dtype)
    return pa.RecordBatch.from_arrays(
        [
            pa.DictionaryArray.from_arrays(np.zeros(len(positions), dtype), pa.array([story_id])),
            pa.DictionaryArray.from_arrays(positions, ids),
            pa.array(joined(sentence_index, dtype)),
            pa.DictionaryArray.from_arrays(joined(matched, dtype), ids),
            pa.array(joined(matched_index, dtype)),
            pa.array(np.round(joined(scores, np.float64), 6)),
        ],
        schema=NARROW_ALIGNMENT_SCHEMA if narrow else ALIGNMENT_SCHEMA,
    )


def describe_story(
    story_id: str,
    members: list[AnalysedArticle],
    vectors: list[TermVector],
    config: SentenceConfig,
    earlier: Sequence[AnalysedArticle] = (),
    earlier_vectors: Sequence[TermVector] = (),
) -> dict[str, Any]:
    """All output of one story: lists of row dicts for ``articles``, ``clusters``,
    ``representatives`` and ``unique_sentences``, and one Arrow record batch of its
    ``sentence_alignments`` (ids dictionary-encoded). ``members`` and ``vectors`` are
    parallel and sorted by id.

    ``earlier`` (with ``earlier_vectors``): the story's articles of earlier runs, which
    this run's articles continue. Their sentences count as the story's: this run's sentences
    are aligned with them and are unique only if no other outlet's article has them, this
    run's or earlier; they are not described again (no rows of their own) and cannot be the
    representative, which stands for this run's articles."""
    threshold = config.match_threshold
    count = len(members)
    everyone = [*members, *earlier]
    outlets = [outlet_key(member) for member in everyone]
    known: dict[str, SentenceFeatures] = {}  # copies and rewrites repeat sentences verbatim
    # A story of one article (a fifth of all articles in a day's news) aligns nothing.
    aligned = everyone if len(everyone) > 1 else []
    # As compared: the first sentence without its dateline (its row shows it as written).
    compared_texts = [compared_sentences(m.sentences, m.article.title) for m in aligned]
    story = StorySentences(
        [
            [known.get(s) or known.setdefault(s, sentence_features(s)) for s in texts]
            for texts in compared_texts
        ],
        texts=[m.content_hash for m in aligned],  # an exact copy does not make a term commoner
        story_weights=config.story_weights,
        window=config.context_window,
    )
    eligible = [reportable_flags(m.sentences, m.article.title, config.min_words) for m in members]
    first_copy: dict[str, str] = {}
    for member in members:
        first_copy.setdefault(member.content_hash, member.article.id)

    # matches[(x, y)] = best counterpart in article y of each sentence of article x, for every
    # y of another outlet (the closest MAX_COMPARED_ARTICLES of them in a very large story).
    hashes = [member.content_hash for member in everyone]
    compared = compared_articles(outlets, hashes, [*vectors, *earlier_vectors], MAX_COMPARED_ARTICLES, count)
    matches: Matches = {}
    for x, others in enumerate(compared):
        if others:
            matches.update(_align(story, hashes, x, others))

    coverage: dict[str, float] = defaultdict(float)
    for (x, y), (_, scores) in matches.items():
        if eligible[x].any():
            coverage[everyone[y].article.id] += float(np.mean(scores[eligible[x]] >= threshold))
    with_content = {m.article.id for m, flags in zip(members, eligible, strict=True) if flags.any()}
    representative = choose_representative(members, coverage, config.representative, with_content)
    rep_index = next(i for i, m in enumerate(members) if m.article.id == representative)

    rows: dict[str, Any] = defaultdict(list)
    for x, member in enumerate(members):
        article = member.article
        original = first_copy[member.content_hash]
        rows["articles"].append(
            {
                **article_row(story_id, member),
                "duplicate_of": None if original == article.id else original,
                "is_representative": x == rep_index,
                "similarity_to_representative": 1.0
                if x == rep_index
                else round(vectors[x].cosine(vectors[rep_index]), 6),
            }
        )
        if not compared[x]:
            continue  # a story with a single outlet: nothing to compare against
        best = np.max([matches[(x, y)][1] for y in compared[x]], axis=0)
        _match_termless_by_text(best, compared_texts[x], [compared_texts[y] for y in compared[x]], known)
        reported: set[str] = set()  # a sentence repeated in one article (a pull quote): once
        for i in np.flatnonzero(eligible[x] & (best < threshold)).tolist():
            if member.sentences[i] in reported:
                continue
            reported.add(member.sentences[i])
            rows["unique_sentences"].append(
                {
                    "cluster_id": story_id,
                    "outlet": article.outlet,
                    "article_id": article.id,
                    "sentence_index": i,
                    "sentence": member.sentences[i],
                    # from the score as sentence_alignments holds it (numpy's rounding: on a
                    # half, Python's round can differ by 1e-6), so the two agree exactly
                    "novelty": round(1.0 - float(np.round(best[i], 6)), 6),
                }
            )
    rows["sentence_alignments"] = _alignment_batch(story_id, everyone, compared, matches)

    shared_by_outlet: dict[str, list[bool]] = defaultdict(list)
    for x in range(count):
        if x == rep_index:
            shared = np.ones(len(members[x].sentences), dtype=bool)
        else:
            # Articles of the representative's own outlet (and, in a story over the comparison
            # limit, articles that were not aligned with it) are compared with it here only.
            found = matches.get((x, rep_index)) or _align(story, hashes, x, [rep_index])[(x, rep_index)]
            shared = found[1] >= threshold
        shared_by_outlet[outlets[x]].extend(shared[eligible[x]].tolist())
    names = outlet_names(members)
    coverage_rows = [
        {
            "outlet": None if key.startswith("\x00") else names[key],
            # null: the outlet has no sentence to compare (a headline-only alert)
            "shared_with_representative": round(sum(flags) / len(flags), 6) if flags else None,
            # an article without an outlet is an outlet of its own: say which one
            "article_id": key[1:] if key.startswith("\x00") else None,
        }
        for key, flags in sorted(shared_by_outlet.items())
        if count > 1
    ]
    rows["clusters"].append(cluster_row(story_id, members, members[rep_index], coverage_rows))
    rows["representatives"].append(representative_row(story_id, members[rep_index]))
    return rows


def _plain_text(sentence: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", sentence.lower()))


def _match_termless_by_text(
    best: np.ndarray,
    sentences: list[str],
    others: list[list[str]],
    known: dict[str, SentenceFeatures],
) -> None:
    """A sentence without a comparable term ("That I can tell you.", a row of dashes) matches
    nothing by coverage: it counts as found (score 1) where another article has the same words,
    or when it has no word at all, so that only a new one is reported unique. ``sentences``
    and ``others`` are as compared (``compared_sentences``)."""
    others_text: set[str] | None = None
    for i, sentence in enumerate(sentences):
        if known[sentence].total == 0:
            plain = _plain_text(sentence)
            if others_text is None:
                others_text = {_plain_text(s) for other in others for s in other}
            if not plain or plain in others_text:
                best[i] = 1.0


def cluster_row(
    story_id: str, members: list[AnalysedArticle], rep: AnalysedArticle, coverage: list[dict[str, Any]]
) -> dict[str, Any]:
    published = [m.article.published_us for m in members if m.article.published_us is not None]
    return {
        "cluster_id": story_id,
        "size": len(members),
        "num_outlets": len({outlet_key(m) for m in members}),
        "outlets": sorted(outlet_names(members).values()),
        "representative_id": rep.article.id,
        "first_published_at": min(published) if published else None,
        "last_published_at": max(published) if published else None,
        "outlet_coverage": coverage,
    }


def representative_row(story_id: str, rep: AnalysedArticle) -> dict[str, Any]:
    return {
        "cluster_id": story_id,
        "article_id": rep.article.id,
        "outlet": rep.article.outlet,
        "title": rep.article.title,
        "published_at": rep.article.published_us,
        "text": "\n".join(rep.sentences),
    }


def undescribed_story(story_id: str, members: list[AnalysedArticle]) -> dict[str, Any]:
    """The rows of a story whose description failed: every article, and the story's
    ``clusters`` and ``representatives`` rows with the earliest article as representative
    and no coverage, so that no article points to a missing story."""
    earliest = choose_representative(members, {}, "earliest")
    rep = next(member for member in members if member.article.id == earliest)
    articles = [article_row(story_id, member) for member in members]
    for row in articles:
        row["is_representative"] = row["article_id"] == rep.article.id
    return {
        "articles": articles,
        "clusters": [cluster_row(story_id, members, rep, [])],
        "representatives": [representative_row(story_id, rep)],
    }


def article_row(story_id: str, member: AnalysedArticle) -> dict[str, Any]:
    """An ``articles`` row from the article alone (what describing its story adds is left
    empty); the whole row of an article whose story could not be described."""
    article = member.article
    return {
        "article_id": article.id,
        "cluster_id": story_id,
        "outlet": article.outlet,
        "title": article.title,
        "published_at": article.published_us,
        "url": article.url,
        "source_file": article.source,
        "source_record": article.record,
        "num_sentences": len(member.sentences),
        "boilerplate_lines": len(member.boilerplate),
        "duplicate_of": None,
        "content_hash": member.content_hash,
        "is_representative": False,
        "similarity_to_representative": None,
    }


def _copies_vectors(
    members: Sequence[AnalysedArticle], vectors: Sequence[TermVector | None]
) -> list[TermVector | None]:
    """Each article's TF-IDF vector: an exact copy has none of its own (only the canonical
    copy is sketched) and takes that of its identical text in the story; None where no
    article with its text has one."""
    by_text = {m.content_hash: v for m, v in zip(members, vectors, strict=True) if v is not None}
    return [by_text.get(m.content_hash) if v is None else v for m, v in zip(members, vectors, strict=True)]


def _with_copies_vectors(
    members: list[AnalysedArticle], vectors: list[TermVector | None]
) -> list[TermVector]:
    """``_copies_vectors``, where every article must have one."""
    filled = []
    for member, vector in zip(members, _copies_vectors(members, vectors), strict=True):
        if vector is None:
            raise ValueError(f"no TF-IDF vector for {member.article.id!r} (it could not be sketched)")
        filled.append(vector)
    return filled


def _earlier_compared(
    members: list[AnalysedArticle], vectors: list[TermVector], earlier: list[tuple[AnalysedArticle, Any]]
) -> tuple[list[AnalysedArticle], list[TermVector]]:
    """The story's articles of earlier runs to compare with, sorted by id, and their
    vectors: not an article this run reads again (it is one of ``members``), and not one
    left without a vector (its anchor was not read), which is counted."""
    ids = {member.article.id for member in members}
    kept = sorted(
        (item for item in earlier if item[0].article.id not in ids), key=lambda item: item[0].article.id
    )
    before = [m for m, _ in kept]
    filled = _copies_vectors([*members, *before], [*vectors, *(v for _, v in kept)])[len(members) :]
    missing = filled.count(None)
    if missing:
        Metrics.counter("outlets", "earlier_articles_without_vector").inc(missing)
    compared = [(m, v) for m, v in zip(before, filled, strict=True) if v is not None]
    return [m for m, _ in compared], [v for _, v in compared]


def pack_sentences(sentences: Sequence[str]) -> tuple[bytes, int]:
    """An article's sentences as ``state_sentences`` keeps them: (zstd-compressed JSON list,
    its size). Every article of a run waits for the writer in this form: a third of the text."""
    encoded = json.dumps(list(sentences), ensure_ascii=False).encode("utf-8")
    return pa.compress(encoded, codec="zstd", asbytes=True), len(encoded)


def unpack_sentences(data: bytes, size: int) -> tuple[str, ...]:
    return tuple(json.loads(pa.decompress(data, size, codec="zstd", asbytes=True)))


def state_sentences_batch(story_id: str, members: list[AnalysedArticle]) -> pa.RecordBatch:
    """The ``state_sentences`` rows of a story's articles of this run: what a later run that
    continues the story compares its own articles with."""
    rows = []
    for m in members:
        packed, size = pack_sentences(m.sentences)
        rows.append(
            {
                "article_id": m.article.id,
                "cluster_id": story_id,
                "outlet": m.article.outlet,
                "title": m.article.title,
                "published_at": m.article.published_us,
                "content_hash": m.content_hash,
                "sentences": packed,
                "sentences_size": size,
            }
        )
    return pa.RecordBatch.from_pylist(rows, schema=INTERNAL_TABLES["state_sentences"])


class _DescribeFn(beam.DoFn):
    def __init__(self, config: SentenceConfig) -> None:
        self._config = config
        self._unique = Metrics.counter("outlets", "unique_sentences")
        self._stories = Metrics.counter("outlets", "stories")
        self._failed = Metrics.counter("outlets", "stories_failed")
        self._continued = Metrics.counter("outlets", "stories_continued")

    def start_bundle(self):
        self._spilled = SpillReader()

    def finish_bundle(self):
        self._spilled.close()

    def _read(self, value):
        """A member or vector, read back from disk if it waited there (``spill``)."""
        return self._spilled.read(value) if isinstance(value, Spilled) else value

    def process(self, keyed):
        story_id, grouped = keyed
        current, earlier = [], []
        for packed, vector, of_earlier_run in grouped:
            (earlier if of_earlier_run else current).append((packed, vector))
        if not current:
            return  # a story of earlier runs that no article of this run continues: not unpacked
        unpacked = [(self._read(packed).unpack(), self._read(vector)) for packed, vector in current]
        earlier = [(packed.unpack(), vector) for packed, vector in earlier]
        members, vectors = zip(*sorted(unpacked, key=lambda item: item[0].article.id), strict=True)
        members = list(members)
        try:
            filled = _with_copies_vectors(members, list(vectors))
            before, before_vectors = _earlier_compared(members, filled, earlier)
            if before:
                self._continued.inc()
            rows = describe_story(story_id, members, filled, self._config, before, before_vectors)
        except Exception as error:  # noqa: BLE001 - one bad story must not fail the day's run
            # Its articles and story are still written (counts reconcile, no article points to
            # a missing story); only the alignment and what each outlet added are missing.
            self._failed.inc()
            _LOG.error("describing story %s failed (%s: %s)", story_id, type(error).__name__, error)
            rows = undescribed_story(story_id, members)
        yield beam.pvalue.TaggedOutput("state_sentences", state_sentences_batch(story_id, members))
        self._stories.inc()
        self._unique.inc(len(rows.get("unique_sentences", [])))
        alignments = rows.pop("sentence_alignments", None)
        if alignments is not None and alignments.num_rows:  # millions of rows: one batch per story
            yield beam.pvalue.TaggedOutput("sentence_alignments", alignments)
        for table, table_rows in rows.items():
            for row in table_rows:
                yield beam.pvalue.TaggedOutput(table, row)


STORY_TABLES = (
    "articles",
    "clusters",
    "representatives",
    "unique_sentences",
    "sentence_alignments",
    "state_sentences",
)


def _join_story(keyed):
    _, grouped = keyed
    stories = list(grouped["story"])
    vector = next(iter(grouped["vector"]), None)
    for member in grouped["article"]:
        yield stories[0], (member, vector, False)


class PackedMember(NamedTuple):
    """An analysed article without its term counts (what describing its story needs of it),
    pickled and compressed with zstd: about 2 KB, against 4.7 KB pickled and 7.8 KB as
    Python objects (its ~40 sentences are as many strings). Every article waits from
    analysis until its story is described: on disk with a spill folder
    (``_SpillMembersFn``), otherwise in the story join and the grouping by story."""

    size: int
    data: bytes

    @classmethod
    def of(cls, analysed: AnalysedArticle) -> PackedMember:
        pickled = pickle.dumps(analysed._replace(terms={}), protocol=pickle.HIGHEST_PROTOCOL)
        return cls(len(pickled), pa.compress(pickled, codec="zstd", asbytes=True))

    def unpack(self) -> AnalysedArticle:
        return pickle.loads(pa.decompress(self.data, self.size, codec="zstd", asbytes=True))


def _story_member(analysed: AnalysedArticle) -> tuple[str, PackedMember]:
    return analysed.article.id, PackedMember.of(analysed)


class _SpillMembersFn(beam.DoFn):
    """AnalysedArticle -> (article id, Spilled PackedMember): every article waits from
    analysis, through LSH and clustering, until its story is known; on disk, not in the
    in-process runner's memory (about 0.2 GB at 100,000 articles; ``spill``)."""

    def __init__(self, spill_dir: str) -> None:
        self._spill_dir = spill_dir
        self._spilled = Metrics.counter("outlets", "articles_waited_on_disk")

    def start_bundle(self):
        self._writer = SpillWriter(self._spill_dir, "members")

    def process(self, analysed: AnalysedArticle):
        yield analysed.article.id, self._writer.write(PackedMember.of(analysed))
        self._spilled.inc()

    def finish_bundle(self):
        self._writer.close()


class DescribeStories(beam.PTransform):
    """(AnalysedArticle, (article id, cluster id), (article id, TF-IDF vector)[, earlier])
    -> story table rows.

    ``earlier`` (optional): (cluster id, (PackedMember, TF-IDF vector or None, True)) of
    articles of earlier runs (``state.ReadEarlierArticles``): a story of this run is
    described with those of its id as ``describe_story``'s ``earlier``; the others are
    left alone.

    The vectors are the sketches' (``ArticleSketch.vector``): an exact copy, which is not
    sketched, takes its canonical copy's, in the same story. An article left without one
    (it could not be sketched) fails its story alone: the story's articles, its ``clusters``
    row and its earliest article as representative are written without the analysis
    (``undescribed_story``), and ``outlets/stories_failed`` counts it.

    ``spill_dir`` (optional): a folder where the articles wait for their stories on disk
    (``_SpillMembersFn``), for a runner that would hold them in memory (the in-process
    one); the folder is the caller's to remove. Without it they wait in the shuffle. A
    vector may come ``spill.Spilled`` too.

    Returns a dict of PCollections, one per table in ``STORY_TABLES``: row dicts, except
    ``sentence_alignments``, which holds one Arrow record batch per story (its rows, in the
    table's schema with ids dictionary-encoded: ``ALIGNMENT_SCHEMA``), because a story of n
    articles has about 30 n^2 of them, and ``state_sentences``, one batch per story (what a
    later run needs of its articles, ``state_sentences_batch``).
    """

    def __init__(self, config: SentenceConfig, spill_dir: str | None = None) -> None:
        super().__init__()
        self._config = config
        self._spill_dir = spill_dir

    def expand(self, inputs):
        analysed, assignments, vectors, *earlier = inputs
        if self._spill_dir is None:
            keyed = analysed | "KeyById" >> beam.Map(_story_member)
        else:
            keyed = analysed | "SpillById" >> beam.ParDo(_SpillMembersFn(self._spill_dir))
        members = (
            {
                "article": keyed,
                "vector": vectors,
                "story": assignments,
            }
            | "JoinStory" >> beam.CoGroupByKey()
            | "KeyByStory" >> beam.FlatMap(_join_story)
        )
        if earlier:
            members = (members, *earlier) | "WithEarlier" >> beam.Flatten()
        by_story = members | "GroupStories" >> beam.GroupByKey()
        results = by_story | "Describe" >> beam.ParDo(_DescribeFn(self._config)).with_outputs(*STORY_TABLES)
        return {table: results[table] for table in STORY_TABLES}
