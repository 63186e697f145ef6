"""What each outlet added: representative rule (with ties), unique sentences, outlet coverage,
the DescribeStories transform, and unique-sentence precision/recall on the hand-labelled seeds."""

from __future__ import annotations

import datetime as dt
import json
import pickle
import textwrap

import apache_beam as beam
import numpy as np
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.util import assert_that, equal_to

from pipeline import config as config_module
from pipeline.analyse import analyse_article
from pipeline.config import SentenceConfig
from pipeline.features import FEATURE_KINDS, TermVector, term_vector, weigh_terms
from pipeline.outlets import (
    MAX_COMPARED_ARTICLES,
    STORY_TABLES,
    DescribeStories,
    PackedMember,
    _alignment_batch,
    choose_representative,
    compared_articles,
    compared_sentences,
    describe_story,
    reportable_flags,
    unpack_sentences,
)
from pipeline.read import parse_file
from pipeline.records import AnalysedArticle, Article
from pipeline.run import run_job
from pipeline.sentence_eval import load_unique_gold, sentence_key, unique_sentence_scores
from pipeline.text import normalise, split_sentences
from schemas.tables import TABLES, compact_schema, narrow_schema

from .conftest import ROOT, SEEDS, SHARED_EVAL

# The unique-sentence threshold of the default config (docs/sentences.md).
MATCH_THRESHOLD = SentenceConfig.match_threshold
CONFIG = SentenceConfig(match_threshold=MATCH_THRESHOLD, representative="medoid", min_words=4)
GOLD_PATH = ROOT / "tests" / "data" / "seeds_unique_gold.jsonl"
EVAL_GOLD_PATH = ROOT / "tests" / "data" / "eval_unique_gold.jsonl"
DF_TABLE = np.zeros(1024, dtype=np.int64)


def analysed(article_id: str, text: str, outlet: str | None = None, published: int | None = None):
    return analyse_article(Article(article_id, text, outlet=outlet, published_us=published), FEATURE_KINDS)


def vector_of(member, num_documents: int) -> TermVector:
    return term_vector(*weigh_terms(member.terms, DF_TABLE, num_documents)[1:])


def describe(members, config=CONFIG, story_id="s1"):
    members = sorted(members, key=lambda m: m.article.id)
    vectors = [vector_of(m, len(members)) for m in members]
    rows = describe_story(story_id, members, vectors, config)
    # A story's alignments come as one record batch, ids dictionary-encoded and positions in
    # 16 bits; as dicts here.
    assert rows["sentence_alignments"].schema.equals(narrow_schema(TABLES["sentence_alignments"]))
    rows["sentence_alignments"] = rows["sentence_alignments"].to_pylist()
    return rows


# --- the representative rule -----------------------------------------------------------------

SHORT = "Troops will not be sent to Ukraine."
LONG = "Troops will not be sent to Ukraine. Leavitt repeated the message to reporters later on Tuesday."


@pytest.mark.parametrize(
    ("rule", "members", "coverage", "expected"),
    [
        # medoid: the best coverage wins ...
        ("medoid", [("a", SHORT, 20), ("b", SHORT, 10)], {"a": 2.0, "b": 1.0}, "a"),
        # ... a tie goes to the earliest published ...
        ("medoid", [("a", SHORT, 20), ("b", SHORT, 10)], {"a": 1.0, "b": 1.0}, "b"),
        # ... then to the smallest id; an unknown time counts as latest.
        ("medoid", [("b", SHORT, 10), ("a", SHORT, 10), ("c", SHORT, None)], {"a": 1, "b": 1, "c": 1}, "a"),
        ("medoid", [("a", SHORT, None), ("b", SHORT, 30)], {"a": 1.0, "b": 1.0}, "b"),
        # ... and when nothing covers anything (one outlet's updates), the longest.
        ("medoid", [("a", SHORT, 10), ("b", LONG, 20)], {}, "b"),
        ("medoid", [("a", SHORT, 10), ("b", LONG, 20)], {"a": 0.0, "b": 0.0}, "b"),
        ("earliest", [("a", SHORT, 20), ("b", SHORT, 10)], {}, "b"),
        ("earliest", [("b", SHORT, 10), ("a", SHORT, 10)], {}, "a"),
        ("earliest", [("a", SHORT, None), ("b", SHORT, 30)], {}, "b"),
        ("earliest", [("b", SHORT, None), ("a", SHORT, None)], {}, "a"),
        ("longest", [("a", SHORT, 10), ("b", LONG, 20)], {}, "b"),
        ("longest", [("a", LONG, 20), ("b", LONG, 10)], {}, "b"),
        ("longest", [("b", LONG, 10), ("a", LONG, 10)], {}, "a"),
    ],
)
def test_representative_rule_and_ties(rule, members, coverage, expected):
    articles = [analysed(article_id, text, published=published) for article_id, text, published in members]
    assert choose_representative(articles, coverage, rule) == expected


def test_longest_counts_words_after_boilerplate_is_stripped():
    padded = analysed("a", SHORT + "\n" + "\n".join(f"Read more: headline number {i}" for i in range(20)))
    assert choose_representative([padded, analysed("b", LONG)], {}, "longest") == "b"


def test_unknown_representative_rule_is_refused():
    with pytest.raises(ValueError, match="medoid"):
        choose_representative([analysed("a", SHORT)], {}, "shortest")


# --- unique sentences and outlet coverage ------------------------------------------------------

WIRE_FIRST = (
    "President Trump ruled out sending American troops to Ukraine on Tuesday. "
    "The announcement came after talks with European leaders at the White House."
)
WIRE_UPDATE = (
    "President Trump ruled out sending American troops to Ukraine on Tuesday. "
    "The announcement came after talks with European leaders at the White House. "
    "Switzerland offered Geneva as a venue for a summit between Putin and Zelensky."
)
PAPER = (
    "No US soldiers will be deployed to Ukraine, the President said on Tuesday. "
    "Russia fired hundreds of drones at Kharkiv overnight, local officials reported."
)


def two_outlets():
    return [
        analysed("w1", WIRE_FIRST, outlet="Wire", published=10),
        analysed("w2", WIRE_UPDATE, outlet="Wire", published=20),
        analysed("p1", PAPER, outlet="Paper", published=15),
    ]


def test_an_outlets_updates_are_unique_only_against_other_outlets():
    rows = describe(two_outlets())
    unique = {(row["article_id"], row["sentence_index"]) for row in rows["unique_sentences"]}
    # The White House sentence is in both wire articles but not in the paper: unique in both.
    # The Swiss offer is only in the update. The troops sentence is shared with the paper.
    # The paper's drone sentence is in no wire article.
    assert unique == {("w1", 1), ("w2", 1), ("w2", 2), ("p1", 1)}
    for row in rows["unique_sentences"]:
        assert 1.0 - MATCH_THRESHOLD < row["novelty"] <= 1.0
    pairs = {(row["article_id"], row["matched_article_id"]) for row in rows["sentence_alignments"]}
    assert pairs == {("w1", "p1"), ("w2", "p1"), ("p1", "w1"), ("p1", "w2")}  # never w1 <-> w2


# A scraped page that put its prompts on the line of a paragraph (as many of the dev corpus's
# pages do): no rule holds for the whole line.
PAPER_WITH_PROMPTS = (
    PAPER + " Sign up for our free daily newsletter to get the news in your inbox. Download the "
    "Daily Paper app now! Jane Doe can be reached at jdoe@dailypaper.com."
)


def test_prompts_on_the_line_of_a_paragraph_are_never_what_an_outlet_added():
    members = [
        analysed("w1", WIRE_FIRST, outlet="Wire", published=10),
        analysed("p1", PAPER_WITH_PROMPTS, outlet="Paper", published=15),
    ]
    rows = describe(members)
    unique = {(row["article_id"], row["sentence"]) for row in rows["unique_sentences"]}
    assert unique == {
        ("w1", "The announcement came after talks with European leaders at the White House."),
        ("p1", "Russia fired hundreds of drones at Kharkiv overnight, local officials reported."),
    }
    assert {row["article_id"]: row["boilerplate_lines"] for row in rows["articles"]}["p1"] == 3


def test_alignment_rows_are_traceable_scores():
    rows = describe(two_outlets())
    troops = [r for r in rows["sentence_alignments"] if r["article_id"] == "p1" and r["sentence_index"] == 0]
    assert [(r["matched_article_id"], r["matched_sentence_index"]) for r in troops] == [("w1", 0), ("w2", 0)]
    assert all(MATCH_THRESHOLD <= r["score"] <= 1.0 for r in troops)


def test_outlet_names_that_differ_only_in_case_or_spacing_are_one_outlet():
    # "Wire" and "wire " are one outlet's updates: never compared with each other, one outlet.
    members = [
        analysed("w1", WIRE_FIRST, outlet="Wire", published=10),
        analysed("w2", WIRE_UPDATE, outlet=" wire ", published=20),
        analysed("p1", PAPER, outlet="Paper", published=15),
    ]
    rows = describe(members)
    assert {(r["article_id"], r["sentence_index"]) for r in rows["unique_sentences"]} == {
        ("w1", 1),
        ("w2", 1),
        ("w2", 2),
        ("p1", 1),
    }
    (cluster,) = rows["clusters"]
    assert cluster["num_outlets"] == 2 and cluster["outlets"] == ["Paper", "Wire"]
    assert [item["outlet"] for item in cluster["outlet_coverage"]] == ["Paper", "Wire"]
    assert not {(r["article_id"], r["matched_article_id"]) for r in rows["sentence_alignments"]} & {
        ("w1", "w2"),
        ("w2", "w1"),
    }


def test_an_outlet_named_like_an_article_without_one_is_another_outlet():
    # An outlet name starting with a NUL (as JSON allows) is not the article without an
    # outlet whose id follows it: three outlets, each compared with the two others.
    members = [
        analysed("w1", WIRE_FIRST),
        analysed("w2", WIRE_UPDATE, outlet="\x00w1"),
        analysed("p1", PAPER, outlet="Paper"),
    ]
    rows = describe(members)
    (cluster,) = rows["clusters"]
    assert cluster["num_outlets"] == 3
    assert {(r["article_id"], r["matched_article_id"]) for r in rows["sentence_alignments"]} >= {
        ("w1", "w2"),
        ("w2", "w1"),
    }
    entries = {(item["outlet"], item["article_id"]) for item in cluster["outlet_coverage"]}
    assert entries == {(None, "w1"), ("\x00w1", None), ("Paper", None)}


def test_representative_and_outlet_coverage():
    rows = describe(two_outlets())
    (cluster,) = rows["clusters"]
    # p1 has a counterpart for half of each wire article's sentences (1/2 + 1/3); each wire
    # article covers half of the paper's: the paper is the medoid.
    assert cluster["representative_id"] == "p1"
    coverage = {item["outlet"]: item["shared_with_representative"] for item in cluster["outlet_coverage"]}
    # Wire: 1 of 2 sentences of w1 and 1 of 3 of w2 are found in p1 -> 2 of 5.
    assert coverage == {"Paper": 1.0, "Wire": pytest.approx(0.4)}
    assert [r["article_id"] for r in rows["articles"] if r["is_representative"]] == ["p1"]


def test_outlet_coverage_compares_the_representatives_own_outlet_with_it():
    members = two_outlets()
    rows = describe(members, SentenceConfig(match_threshold=MATCH_THRESHOLD, representative="earliest"))
    (cluster,) = rows["clusters"]
    assert cluster["representative_id"] == "w1"
    coverage = {item["outlet"]: item["shared_with_representative"] for item in cluster["outlet_coverage"]}
    # Wire: w1 itself (2 of 2) and w2 against w1 (2 of 3) -> 4 of 5; Paper: 1 of 2.
    assert coverage == {"Wire": pytest.approx(0.8), "Paper": pytest.approx(0.5)}


def test_the_longest_fallback_skips_articles_without_a_reportable_sentence():
    # One outlet's updates (nothing covers anything): the longest article, but a list of
    # headlines (no reportable sentence), however long, only when no article has one.
    headlines = "\n".join(
        [
            "President Trump rules out sending American troops to Ukraine after White House talks",
            "European leaders meet Trump at the White House to discuss security guarantees",
            "Switzerland offers Geneva as a venue for a summit between Putin and Zelensky",
        ]
    )
    members = [
        analysed("w1", headlines, outlet="Wire", published=10),
        analysed("w2", WIRE_FIRST, outlet="Wire", published=20),
    ]
    rows = describe(members)
    (cluster,) = rows["clusters"]
    assert cluster["representative_id"] == "w2"
    assert choose_representative(members, {}, "medoid", with_content={"w2"}) == "w2"
    assert choose_representative(members, {}, "medoid", with_content=set()) == "w1"


def test_an_outlet_without_reportable_sentences_still_gets_its_story_described():
    # A headline-only alert (lines under min_words) and a symbols-only copy: nothing to align,
    # yet the story keeps its cluster and representative rows.
    wire = "Apple recalled 40,000 toasters in Ohio on Monday after fires. Regulators opened an inquiry."
    alert = "Apple recalls 40,000 toasters\nOhio fires prompt recall"
    rows = describe([analysed("a1", wire, outlet="Wire"), analysed("a2", alert, outlet="Blog")])
    (cluster,) = rows["clusters"]
    coverage = {item["outlet"]: item["shared_with_representative"] for item in cluster["outlet_coverage"]}
    assert coverage == {"Blog": None, "Wire": 1.0} and cluster["representative_id"] == "a1"
    symbols = describe([analysed("e1", "🔥🔥 !!!", outlet="A"), analysed("e2", "🔥🔥 !!!", outlet="B")])
    assert [c["size"] for c in symbols["clusters"]] == [2] and symbols["unique_sentences"] == []


def test_sentences_without_comparable_terms_are_matched_by_their_words():
    # Only stop words and attribution: coverage finds nothing, so the same words elsewhere
    # decide, and a line of no word at all is never reported.
    said, own = '"This is not over yet," she said.', "And that is all I can say about it now."
    dashes = "- - - - - - - - - - - - - - - . . . ."
    rows = describe(
        [
            analysed("w1", f"{WIRE_FIRST}\n{said}\n{dashes}", outlet="Wire"),
            analysed("p1", f"{PAPER}\n{said}\n{own}", outlet="Paper"),
        ]
    )
    unique = {(row["article_id"], row["sentence"]): row["novelty"] for row in rows["unique_sentences"]}
    assert ("p1", own) in unique and unique[("p1", own)] == 1.0
    assert not {sentence for _, sentence in unique} & {said, dashes}


def test_a_sentence_an_article_repeats_is_reported_once():
    # A pull quote, or a paragraph a scraper caught twice: one unique sentence, at its first place.
    swiss = "Switzerland offered Geneva as a venue for a summit between Putin and Zelensky."
    rows = describe(
        [
            analysed("w1", f"{WIRE_FIRST}\n{swiss}\nTalks went on.\n{swiss}", outlet="Wire"),
            analysed("p1", PAPER, outlet="Paper"),
        ]
    )
    assert [
        (r["article_id"], r["sentence_index"]) for r in rows["unique_sentences"] if r["sentence"] == swiss
    ] == [("w1", 2)]


def test_the_title_repeated_at_the_top_of_the_text_is_never_unique():
    # A headline ending in "?" or "!" is no heading by its punctuation: the title says it is one.
    title = "Dutch Patriots for Kyiv? The Hague weighs its options!"
    wire = Article("w1", f"{title}\n\n{WIRE_UPDATE}", outlet="Wire", title=title)
    rows = describe([analyse_article(wire, FEATURE_KINDS), analysed("p1", PAPER, outlet="Paper")])
    reported = {r["sentence"] for r in rows["unique_sentences"] if r["article_id"] == "w1"}
    assert reported and not reported & {"Dutch Patriots for Kyiv?", "The Hague weighs its options!"}
    # The same line without a title to match, or in the middle of the text, is still news.
    assert reportable_flags(["Dutch Patriots for Kyiv?"], None, 4).tolist() == [True]
    assert reportable_flags(
        ["A line.", "Dutch Patriots for Kyiv?"], "Dutch Patriots for Kyiv?", 2
    ).tolist() == [
        True,
        True,
    ]


SENATE_STORY = (
    "The Senate passed the aid bill.\n\n"
    "Senators from both parties backed the measure after weeks of talks over border security.\n\n"
    "The House is expected to take up its own version next month, aides said."
)


def test_a_wire_dateline_does_not_make_the_first_sentence_unique(tmp_path):
    # Three outlets' copies of one story that differ only by their datelines: the first
    # sentence is the same news in each, whatever the dateline before it (with "LONDON, Nov
    # 25 (Reuters)" it used to be Reuters' own, novelty 0.667).
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"id": "ap", "outlet": "AP", "text": SENATE_STORY},
        {"id": "reuters", "outlet": "Reuters", "text": "LONDON, Nov 25 (Reuters) - " + SENATE_STORY},
        {"id": "afp", "outlet": "AFP", "text": "PARIS (AFP) - " + SENATE_STORY},
    ]
    feed.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = tmp_path / "out"
    run_job([str(feed)], str(output), config_module.load(), run_date=dt.date(2025, 11, 25))
    assert len(set(pq.read_table(output / "articles").column("cluster_id").to_pylist())) == 1
    assert pq.read_table(output / "unique_sentences").to_pylist() == []
    first_scores = [
        row["score"]
        for row in pq.read_table(output / "sentence_alignments").to_pylist()
        if row["sentence_index"] == 0
    ]
    assert first_scores == [1.0] * 6


def test_a_datelined_sentence_is_compared_without_its_dateline_and_shown_with_it():
    added = "LONDON (Reuters) - Britain's finance minister resigned unexpectedly over the budget."
    rows = describe(
        [
            analysed("ap", SENATE_STORY, outlet="AP"),
            analysed("reuters", f"{added}\n{SENATE_STORY}", outlet="Reuters"),
        ]
    )
    assert [(r["article_id"], r["sentence"]) for r in rows["unique_sentences"]] == [("reuters", added)]
    # Only the story's first sentence, after the title repeated and any headings, has a dateline.
    title = "Senate passes aid bill"
    sentences = [title, "Live updates", "WASHINGTON (AP) - The Senate passed the aid bill.", "PARIS - More."]
    assert compared_sentences(sentences, title) == [
        *sentences[:2],
        "The Senate passed the aid bill.",
        "PARIS - More.",
    ]
    # A headline glued to a dateline (a page that pastes the dateline before the text's own
    # headline) is still a heading, never reported.
    headline = (
        "WASHINGTON (Reuters) - Dark Mofo artist Mike Parr begins 72-hour stint 'buried alive' in Hobart"
    )
    assert reportable_flags([headline, "The Senate passed the aid bill."], None, 4).tolist() == [False, True]


def test_a_story_from_one_outlet_reports_nothing_unique():
    rows = describe([analysed("w1", WIRE_FIRST, outlet="Wire"), analysed("w2", WIRE_UPDATE, outlet="Wire")])
    assert rows["unique_sentences"] == [] and rows["sentence_alignments"] == []


def test_a_story_of_one_article_is_its_own_representative_without_alignment():
    rows = describe([analysed("w2", WIRE_UPDATE, outlet="Wire", published=20)])
    assert rows["unique_sentences"] == [] and rows["sentence_alignments"] == []
    (article,) = rows["articles"]
    assert article["is_representative"] and article["similarity_to_representative"] == 1.0
    assert article["num_sentences"] == 3
    (cluster,) = rows["clusters"]
    assert cluster["representative_id"] == "w2"
    assert cluster["size"] == 1 and cluster["outlet_coverage"] == []  # nothing to compare with


def vector(*weights: float) -> TermVector:
    values = np.array(weights, dtype=np.float64)
    return TermVector(
        np.arange(len(values), dtype=np.uint32), (values / np.linalg.norm(values)).astype(np.float32)
    )


def test_a_large_story_compares_each_article_with_its_closest_other_outlets():
    outlets = ["A", "A", "B", "C", "D"]
    hashes = ["h0", "h1", "h2", "h3", "h4"]
    # Article 0 is closest to 3, then 4 and 2 tie (the earlier position wins).
    vectors = [vector(1, 0, 0), vector(1, 1, 0), vector(0, 1, 1), vector(1, 0.1, 0), vector(0, 1, 1)]
    compared = compared_articles(outlets, hashes, vectors, limit=2)
    assert compared[0] == [2, 3]
    assert compared[2] == [1, 4]  # 4 has the same vector (1.0), then 1 (0.5)
    assert all(
        len(others) == 2 and outlets[x] not in {outlets[y] for y in others}
        for x, others in enumerate(compared)
    )
    # Under the limit, every other outlet's article.
    assert compared_articles(outlets, hashes, vectors, limit=4)[0] == [2, 3, 4]


def test_closest_articles_agree_with_pairwise_cosines():
    # The cosines come from one sparse product per block of texts; pair by pair they are
    # TermVector.cosine. 60 articles of 6 outlets, a third of them copies of another.
    rng = np.random.default_rng(7)
    texts = [
        TermVector(
            np.sort(rng.choice(400, size=n, replace=False)).astype(np.uint32),
            (lambda w: (w / np.linalg.norm(w)).astype(np.float32))(rng.random(n)),
        )
        for n in rng.integers(5, 60, size=40)
    ]
    picks = [int(i) for i in rng.integers(0, len(texts), size=60)]
    outlets = [f"o{i % 6}" for i in range(60)]
    hashes = [f"t{i}" for i in picks]
    vectors = [texts[i] for i in picks]
    expected = []
    for x in range(60):
        others = [y for y in range(60) if outlets[y] != outlets[x]]
        similarity = {
            y: 1.0 if hashes[y] == hashes[x] else round(vectors[x].cosine(vectors[y]), 9) for y in others
        }
        first = {}
        for y in others:
            first.setdefault(hashes[y], min(p for p in range(60) if hashes[p] == hashes[y]))
        ranked = sorted(others, key=lambda y: (-similarity[y], first[hashes[y]], y))
        expected.append(sorted(ranked[:MAX_COMPARED_ARTICLES]))
    assert compared_articles(outlets, hashes, vectors, MAX_COMPARED_ARTICLES) == expected


def test_thousands_of_copies_are_compared_in_linear_time():
    count = 3000
    copy = vector(1, 2, 3)
    compared = compared_articles([f"o{i}" for i in range(count)], ["same"] * count, [copy] * count, limit=25)
    assert compared[0] == list(range(1, 26)) and compared[100] == list(range(25))
    members = [analysed(f"copy-{i:04d}", SHORT) for i in range(count)]
    rows = describe(members)
    assert (
        len(rows["sentence_alignments"]) == count * MAX_COMPARED_ARTICLES and rows["unique_sentences"] == []
    )
    assert [r["duplicate_of"] for r in rows["articles"]][:2] == [None, "copy-0000"]


# --- the DescribeStories transform ----------------------------------------------------------


def describe_in_beam(p, members, unsketched: str, spill_dir: str | None = None):
    """DescribeStories over one story "s1" of ``members``, all sketched but ``unsketched``."""
    analysed_articles = p | "Articles" >> beam.Create(members)
    assignments = p | "Stories" >> beam.Create([(m.article.id, "s1") for m in members])
    sketched = [(m.article.id, vector_of(m, len(members))) for m in members if m.article.id != unsketched]
    vectors = p | "Vectors" >> beam.Create(sketched)
    return (analysed_articles, assignments, vectors) | DescribeStories(CONFIG, spill_dir)


@pytest.mark.parametrize("spilled", [False, True], ids=["in the shuffle", "on disk"])
def test_describe_stories_transform(pipeline, tmp_path, spilled):
    # p2 is an exact copy of p1: only p1 was sketched, and p2 takes its vector.
    members = [*two_outlets(), analysed("p2", PAPER, outlet="Paper copy", published=16)]
    expected = describe(members)
    spill_dir = str(tmp_path / "members") if spilled else None
    with pipeline as p:
        tables = describe_in_beam(p, members, unsketched="p2", spill_dir=spill_dir)
        assert set(tables) == set(STORY_TABLES)
        # A story's alignments arrive as one Arrow record batch, ids dictionary-encoded.
        schema = narrow_schema(TABLES["sentence_alignments"])
        alignment_rows = tables["sentence_alignments"] | "Unbatch" >> beam.FlatMap(
            lambda batch: (
                batch.to_pylist() if batch.schema.equals(schema) else [{"schema": str(batch.schema)}]
            )
        )
        rows = {**tables, "sentence_alignments": alignment_rows}
        for table in ("unique_sentences", "sentence_alignments", "representatives"):
            keyed = rows[table] | f"Key {table}" >> beam.Map(lambda row: tuple(sorted(row.items())))
            assert_that(
                keyed,
                equal_to([tuple(sorted(row.items())) for row in expected[table]]),
                label=f"Check {table}",
            )
        representative = tables["clusters"] | beam.Map(lambda row: row["representative_id"])
        assert_that(representative, equal_to(["p1"]), label="Check representative")
    # On disk: the articles waited there, packed, and only where they are went through the join.
    spilled_bytes = sum(path.stat().st_size for path in (tmp_path / "members").glob("*.members"))
    packed = [pickle.dumps(PackedMember.of(m), protocol=pickle.HIGHEST_PROTOCOL) for m in members]
    assert spilled_bytes == (sum(len(data) for data in packed) if spilled else 0)


def test_a_story_that_cannot_be_described_keeps_its_story_rows(pipeline):
    # w2 has no vector (it could not be sketched): the story fails alone, yet every article
    # points to a clusters row, with the earliest article as representative.
    members = two_outlets()
    with pipeline as p:
        tables = describe_in_beam(p, members, unsketched="w2")
        clusters = tables["clusters"] | "Cluster" >> beam.Map(
            lambda row: (row["cluster_id"], row["size"], row["representative_id"], row["outlet_coverage"])
        )
        earliest = min(members, key=lambda m: m.article.published_us).article.id
        assert_that(clusters, equal_to([("s1", len(members), earliest, [])]), label="Check clusters")
        articles = tables["articles"] | "Article" >> beam.Map(
            lambda row: (row["article_id"], row["cluster_id"], row["is_representative"])
        )
        expected = [(m.article.id, "s1", m.article.id == earliest) for m in members]
        assert_that(articles, equal_to(expected), label="Check articles")
        representatives = tables["representatives"] | "Rep" >> beam.Map(lambda row: row["article_id"])
        assert_that(representatives, equal_to([earliest]), label="Check representatives")
        assert_that(tables["unique_sentences"], equal_to([]), label="Check unique")


# --- a story continued from earlier runs ---------------------------------------------------


def _of(rows: dict, table: str, article_id: str) -> list[dict]:
    return [row for row in rows[table] if row["article_id"] == article_id]


def test_a_continued_story_is_judged_against_its_earlier_articles():
    """Today's paper article continues a story whose wire articles an earlier run published:
    its sentences are judged against theirs, as if all three were described together; the
    wire articles get no rows (their run wrote them) and cannot be the representative."""
    w1, w2, p1 = two_outlets()
    together = describe([w1, w2, p1])
    assert _of(together, "unique_sentences", "p1")  # the paper's drone sentence
    vectors = [vector_of(m, 3) for m in (w1, w2, p1)]
    rows = describe_story("s1", [p1], vectors[2:], CONFIG, [w1, w2], vectors[:2])
    assert rows["unique_sentences"] == _of(together, "unique_sentences", "p1")
    assert rows["sentence_alignments"].to_pylist() == _of(together, "sentence_alignments", "p1")
    assert [row["article_id"] for row in rows["articles"]] == ["p1"]
    assert [(row["size"], row["representative_id"]) for row in rows["clusters"]] == [(1, "p1")]
    # Alone (before), a story of one article was compared with nothing.
    assert describe_story("s1", [p1], vectors[2:], CONFIG)["unique_sentences"] == []


def test_describe_stories_compares_with_the_earlier_articles_of_each_story(pipeline):
    w1, w2, p1 = two_outlets()
    together = describe([w1, w2, p1])
    vector = {m.article.id: vector_of(m, 3) for m in (w1, w2, p1)}

    def earlier(story_id, member):
        return story_id, (PackedMember.of(member), vector[member.article.id], True)

    with pipeline as p:
        tables = (
            p | "Articles" >> beam.Create([p1]),
            p | "Stories" >> beam.Create([("p1", "s1")]),
            p | "Vectors" >> beam.Create([("p1", vector["p1"])]),
            p
            | "Earlier"
            >> beam.Create(
                [
                    earlier("s1", w1),
                    earlier("s1", w2),
                    earlier("s1", p1),  # sent again today: today's copy is described, once
                    earlier("s2", w1),  # a story no article of this run continues: left alone
                ]
            ),
        ) | DescribeStories(CONFIG)
        keyed = tables["unique_sentences"] | "Key" >> beam.Map(lambda row: tuple(sorted(row.items())))
        expected = [tuple(sorted(row.items())) for row in _of(together, "unique_sentences", "p1")]
        assert_that(keyed, equal_to(expected), label="Check unique")
        clusters = tables["clusters"] | "Cluster" >> beam.Map(lambda row: (row["cluster_id"], row["size"]))
        assert_that(clusters, equal_to([("s1", 1)]), label="Check clusters")
        # What a later run needs of today's articles: their sentences, by story.
        kept = tables["state_sentences"] | "Rows" >> beam.FlatMap(
            lambda batch: [
                (r["cluster_id"], r["article_id"], unpack_sentences(r["sentences"], r["sentences_size"]))
                for r in batch.to_pylist()
            ]
        )
        assert_that(kept, equal_to([("s1", "p1", p1.sentences)]), label="Check state")


# --- the seeds, against the hand-labelled gold -----------------------------------------------


@pytest.fixture(scope="module")
def seed_rows():
    members = [
        analyse_article(article, FEATURE_KINDS)
        for path in sorted(SEEDS.glob("*.txt"))
        for article in parse_file(str(path), max_chars=1_000_000)
    ]
    return describe(members, story_id="seeds")


def test_unique_sentences_on_the_seeds_against_gold(seed_rows):
    gold = load_unique_gold(GOLD_PATH)
    predicted = [(row["article_id"], row["sentence"]) for row in seed_rows["unique_sentences"]]
    scores = unique_sentence_scores(gold, predicted)
    print(
        f"\nseeds unique sentences at threshold {MATCH_THRESHOLD}: precision {scores['precision']:.3f} "
        f"recall {scores['recall']:.3f} f1 {scores['f1']:.3f} "
        f"(tp {scores['tp']}, fp {scores['fp']}, fn {scores['fn']}, reported {scores['reported']})"
    )
    assert scores["reported_boilerplate"] == scores["reported_headings"] == scores["reported_unlabelled"] == 0
    # Issue 4 asks for 0.85 on both. A lexical matcher does not reach that on these heavily
    # rewritten seeds (docs/sentences.md explains why); these floors pin today's figures
    # (precision 0.604, recall 0.800) so that a regression fails.
    assert scores["recall"] >= 0.75
    assert scores["precision"] >= 0.55


def test_novelty_is_one_minus_the_best_score_in_the_alignments_table(seed_rows):
    # Multi-News 73 has a best score whose own rounding to 6 decimals decides novelty's;
    # Multi-News 205 one of 0.2797025 (to 9 decimals), which Python's round takes up to
    # 0.279703 and numpy's down to 0.279702 (its product with 1e6 is 279702.5 exactly).
    names = ("mn-validation-73", "mn-validation-205")
    with open(SHARED_EVAL / "multinews_dev.jsonl", encoding="utf-8") as lines:
        rows = [row for row in map(json.loads, lines) if row["story"] in names]
    stories = [
        describe([analysed(row["id"], row["text"]) for row in rows if row["story"] == name], story_id=name)
        for name in names
    ]
    for described in (seed_rows, *stories):
        best: dict[tuple[str, int], float] = {}
        for row in described["sentence_alignments"]:
            key = (row["article_id"], row["sentence_index"])
            best[key] = max(best.get(key, 0.0), row["score"])
        unique = described["unique_sentences"]
        assert unique and all(
            row["novelty"] == round(1.0 - best.get((row["article_id"], row["sentence_index"]), 0.0), 6)
            for row in unique
        )


def test_the_issues_examples_on_the_seeds(seed_rows):
    unique = seed_rows["unique_sentences"]
    swiss = [r for r in unique if "Ignazio Cassis" in r["sentence"]]
    geneva = [r for r in unique if "Geneva" in r["sentence"]]
    assert [r["article_id"] for r in swiss + geneva] == ["003_a032d8a8cfd74b53"] * 2
    assert not [r for r in unique if "my assurance" in r["sentence"]]
    assert not [r for r in unique if "Must-Reads" in r["sentence"] or "time.com" in r["sentence"]]
    boilerplate = {r["article_id"]: r["boilerplate_lines"] for r in seed_rows["articles"]}
    assert boilerplate["004_a286c856a8670b15"] == 10 and boilerplate["002_358ad069fbb2d527"] == 1


def test_hard_wrapped_seeds_give_the_same_unique_sentences(seed_rows):
    """A feed that wraps its text at 72 columns is described as if it did not."""
    members = []
    for path in sorted(SEEDS.glob("*.txt")):
        for article in parse_file(str(path), max_chars=1_000_000):
            lines = article.text.split("\n")
            wrapped = "\n".join(textwrap.fill(line, 72) if line else "" for line in lines)
            members.append(analyse_article(article._replace(text=wrapped), FEATURE_KINDS))
    rows = describe(members, story_id="seeds")

    def unique(described):
        return [(r["article_id"], r["sentence_index"], r["sentence"]) for r in described["unique_sentences"]]

    assert unique(rows) == unique(seed_rows)
    assert rows["representatives"] == seed_rows["representatives"]


# --- held-out stories of ../shared/eval, labelled blind (docs/sentences.md) --------------------


def _eval_story_rows(gold_rows):
    """The articles of the gold's stories, from ../shared/eval, as Article records."""
    stories = {row["story"] for row in gold_rows}
    found = []
    for name in ("basil_dev.jsonl", "multinews_dev.jsonl"):
        path = SHARED_EVAL / name
        assert path.exists(), f"the labelled dev corpus is expected in ../shared/eval: {path}"
        with open(path, encoding="utf-8") as lines:
            found += [row for row in map(json.loads, lines) if row["story"] in stories]
    return found


def test_unique_sentences_on_held_out_eval_stories_against_blind_gold():
    gold_rows = [json.loads(line) for line in EVAL_GOLD_PATH.read_text(encoding="utf-8").splitlines()]
    gold = load_unique_gold(EVAL_GOLD_PATH)
    rows = _eval_story_rows(gold_rows)
    # The gold was enumerated with the pipeline's splitter; a changed splitter shows here first.
    for row in rows:
        sentences = split_sentences(normalise(row["text"]))
        labelled = [r for r in gold_rows if r["article_id"] == row["id"]]
        assert [sentence_key(row["id"], s)[1] for s in sentences] == [r["sentence_sha1"] for r in labelled]
    tp = reported = unique = 0
    for story in sorted({row["story"] for row in rows}):
        members = [
            analysed(row["id"], row["text"], outlet=row.get("outlet"))
            for row in rows
            if row["story"] == story
        ]
        predicted = [
            (r["article_id"], r["sentence"]) for r in describe(members, story_id=story)["unique_sentences"]
        ]
        story_gold = {key: label for key, label in gold.items() if key[0] in {m.article.id for m in members}}
        scores = unique_sentence_scores(story_gold, predicted)
        # Every reported sentence is in the gold; boilerplate the stripper misses (a station's
        # "X reports for NBC4 News at 5 p.m.") is reported and counts against precision.
        assert scores["reported_unlabelled"] == 0
        furniture = scores["reported_boilerplate"] + scores["reported_headings"]
        print(
            f"\n{story}: precision {scores['precision']:.3f} recall {scores['recall']:.3f} "
            f"(boilerplate or headings reported: {furniture})"
        )
        tp, reported, unique = (
            tp + scores["tp"],
            reported + scores["reported"],
            unique + scores["gold_unique"],
        )
    precision, recall = tp / reported, tp / unique
    print(
        f"held-out stories, pooled: precision {precision:.3f} recall {recall:.3f} "
        f"(tp {tp}, reported {reported}, gold unique {unique})"
    )
    # Floors under today's figures (precision 0.682, recall 0.779 over nineteen stories), as for
    # the seeds: these stories were labelled after the matcher was built, so they measure how
    # it generalises.
    assert precision >= 0.62 and recall >= 0.75


def test_unique_sentence_scores_counts_kinds_of_mistakes():
    gold = {
        sentence_key("a", "One."): "unique",
        sentence_key("a", "Two."): "shared",
        sentence_key("a", "Head"): "heading",
        sentence_key("b", "Three."): "unique",
    }
    scores = unique_sentence_scores(gold, [("a", " One. "), ("a", "Two."), ("a", "New."), ("z", "Other.")])
    assert (scores["tp"], scores["fp"], scores["fn"]) == (1, 2, 1)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(0.5)
    assert (scores["reported_shared"], scores["reported_unlabelled"]) == (1, 1)
    assert unique_sentence_scores(gold, [])["precision"] == 1.0


def test_alignments_of_an_article_too_long_for_16_bits_travel_in_32():
    long_article = AnalysedArticle(Article("a", ""), ("One.",) * 40_000, (), {}, "h1")
    other = AnalysedArticle(Article("b", ""), ("One.",), (), {}, "h2")
    best = np.full(40_000, -1)
    best[[0, 39_999]] = 0
    matches = {(0, 1): (best, np.full(40_000, 0.5)), (1, 0): (np.array([39_999]), np.array([1.0]))}
    batch = _alignment_batch("s", [long_article, other], [[1], [0]], matches)
    assert batch.schema.equals(compact_schema(TABLES["sentence_alignments"]))
    assert batch.to_pylist()[1:] == [
        {
            "cluster_id": "s",
            "article_id": "a",
            "sentence_index": 39_999,
            "matched_article_id": "b",
            "matched_sentence_index": 0,
            "score": 0.5,
        },
        {
            "cluster_id": "s",
            "article_id": "b",
            "sentence_index": 0,
            "matched_article_id": "a",
            "matched_sentence_index": 39_999,
            "score": 1.0,
        },
    ]
