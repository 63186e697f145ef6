"""TestPipeline tests of the Beam stages not covered elsewhere."""

from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.pipeline import PipelineVisitor
from apache_beam.testing.util import assert_that, equal_to

from pipeline import write as write_module
from pipeline.analyse import REJECTS, AnalyseArticles, analyse_article
from pipeline.cluster import cluster_id
from pipeline.config import ClusterConfig, Config, OutputConfig, VerifyConfig
from pipeline.dedupe import DUPLICATES, CollapseExactDuplicates
from pipeline.detect import DetectStories
from pipeline.features import FEATURE_KINDS, TermVector, term_vector, weigh_terms
from pipeline.records import Article, ArticleSketch, Prior, ScoredPair, StoryAssignment
from pipeline.sketch import CountDocumentFrequencies, SketchArticles
from pipeline.stories import ClusterStories
from pipeline.verify import MICROSECONDS_PER_DAY
from pipeline.windows import WINDOW_PARTS
from pipeline.write import (
    SCHEMAS,
    SPILL_FOLDER,
    WriteTable,
    WriteTables,
    read_spilled,
    rows_per_group,
    shard_of,
    with_table_schema,
    write_sorted,
)
from schemas.tables import compact_schema, narrow_schema

from .conftest import ROOT, beam_test_pipeline

FIXTURE = ROOT / "tests" / "data" / "fixture" / "articles.jsonl"

WIRE = "Officials said on Monday that the bridge over the river will reopen next week after repairs."


def test_analyse_article_cleans_and_counts():
    analysed = analyse_article(
        Article("a", "Rain fell.\nRead more: other things\nIt stopped."), FEATURE_KINDS
    )
    assert analysed.sentences == ("Rain fell.", "It stopped.")
    assert analysed.boilerplate == (("prompt", "Read more: other things"),)
    assert analysed.terms["rain"] == 1
    assert analysed.article.text == ""  # the sentences carry the clean text on


def test_analyse_turns_a_poison_record_into_a_reject(pipeline):
    poison = Article("bad", None, source="in.jsonl", record=3)  # type: ignore[arg-type]
    with pipeline as p:
        results = p | beam.Create([Article("ok", WIRE), poison]) | AnalyseArticles(FEATURE_KINDS)
        assert_that(
            results.analysed | "Ids" >> beam.Map(lambda a: a.article.id), equal_to(["ok"]), label="kept"
        )
        # The reason names the exception (error_AttributeError: None has no text methods).
        reasons = results[REJECTS] | "Reasons" >> beam.Map(lambda r: (r.source, r.record, r.reason[:6]))
        assert_that(reasons, equal_to([("in.jsonl", 3, "error_")]), label="rejected")


def test_analyse_rejects_articles_under_min_words(pipeline):
    short = Article("short", "Bridge  reopens\nMonday.", source="in.jsonl", record=2)
    one_word = Article("one_word", "Breaking", source="in.jsonl", record=3)
    with pipeline as p:
        articles = p | beam.Create([Article("ok", WIRE), short, one_word])
        results = articles | AnalyseArticles(FEATURE_KINDS, min_words=4)
        assert_that(
            results.analysed | "Ids" >> beam.Map(lambda a: a.article.id), equal_to(["ok"]), label="kept"
        )
        rejects = results[REJECTS] | "Rows" >> beam.Map(lambda r: (r.source, r.record, r.reason, r.detail))
        expected = [
            ("in.jsonl", 2, "too_short", "text has 3 words, fewer than input.min_words=4"),
            ("in.jsonl", 3, "too_short", "text has 1 word, fewer than input.min_words=4"),  # not "1 words"
        ]
        assert_that(rejects, equal_to(expected), label="rejected")


def test_analyse_counts_the_words_of_chinese_japanese_and_thai_by_their_letters(pipeline):
    # Written without spaces, a sentence was one "word": under input.min_words=4 it was rejected.
    articles = [
        Article("zh", "成渝中线高铁今天开通。", source="in.jsonl", record=1),  # 9 letters: 5 words
        Article("ja", "H3ロケット打ち上げ成功。", source="in.jsonl", record=2),  # 10 letters: 5 words
        Article("th", "ฝนตกหนัก", source="in.jsonl", record=3),  # 8 letters and marks: 2 words
    ]
    with pipeline as p:
        results = p | beam.Create(articles) | AnalyseArticles(FEATURE_KINDS, min_words=4)
        assert_that(
            results.analysed | "Ids" >> beam.Map(lambda a: a.article.id), equal_to(["zh", "ja"]), label="kept"
        )
        rejects = results[REJECTS] | "Rows" >> beam.Map(lambda r: (r.record, r.reason, r.detail))
        expected = (3, "too_short", "text has 2 words, fewer than input.min_words=4")
        assert_that(rejects, equal_to([expected]), label="rejected")


def test_analyse_rejects_articles_with_nothing_left_after_cleaning(pipeline):
    # Pages scraped without their story: kept, they would all be one story of exact duplicates.
    empty = [
        Article("markup", "<p>&nbsp;</p><br/>", source="in.jsonl", record=2),
        Article("invisible", "\u200b\ufeff", source="in.jsonl", record=3),
        Article("credit", "Photo: Reuters", source="in.jsonl", record=4),
        Article("marks", "\u200f\u2060\u00ad \u202e\u2066", source="in.jsonl", record=5),
    ]
    with pipeline as p:
        results = p | beam.Create([Article("ok", WIRE), *empty]) | AnalyseArticles(FEATURE_KINDS)
        assert_that(
            results.analysed | "Ids" >> beam.Map(lambda a: a.article.id), equal_to(["ok"]), label="kept"
        )
        rejects = results[REJECTS] | "Rows" >> beam.Map(lambda r: (r.record, r.reason, r.detail, r.raw))
        nothing_left = "nothing is left of the text once markup and boilerplate are removed"
        expected = [
            (2, "empty_text", nothing_left, "<p>&nbsp;</p><br/>"),
            (3, "empty_text", nothing_left, "\u200b\ufeff"),
            (4, "empty_text", f"{nothing_left} (1 boilerplate line(s))", "Photo: Reuters"),
            (5, "empty_text", nothing_left, "\u200f\u2060\u00ad \u202e\u2066"),
        ]
        assert_that(rejects, equal_to(expected), label="rejected")


def test_exact_duplicates_collapse_to_the_smallest_id(pipeline):
    articles = [analyse_article(Article(i, WIRE), FEATURE_KINDS) for i in ("c", "a", "b")]
    other = analyse_article(Article("z", "Something else entirely happened today."), FEATURE_KINDS)
    with pipeline as p:
        collapsed = p | beam.Create([*articles, other]) | CollapseExactDuplicates(max_days_apart=7)
        canonical = collapsed.canonical | "Ids" >> beam.Map(lambda a: a.article.id)
        assert_that(canonical, equal_to(["a", "z"]), label="canonical")
        pairs = collapsed[DUPLICATES] | "Pairs" >> beam.Map(lambda pair: (pair.a, pair.b, pair.reason))
        assert_that(
            pairs, equal_to([("a", "b", "exact_duplicate"), ("a", "c", "exact_duplicate")]), label="dups"
        )


def test_exact_duplicates_further_apart_than_a_story_are_not_collapsed(pipeline):
    day = MICROSECONDS_PER_DAY
    copies = [
        analyse_article(Article(article_id, WIRE, published_us=published), FEATURE_KINDS)
        for article_id, published in (("a", 40 * day), ("b", None), ("c", 0), ("d", 3 * day), ("e", 42 * day))
    ]
    with pipeline as p:
        collapsed = p | beam.Create(copies) | CollapseExactDuplicates(max_days_apart=7)
        canonical = collapsed.canonical | "Ids" >> beam.Map(lambda a: a.article.id)
        # Days 0 and 3 (and the undated copy) are one run, days 40 and 42 another.
        assert_that(canonical, equal_to(["a", "b"]), label="canonical")
        pairs = collapsed[DUPLICATES] | "Pairs" >> beam.Map(lambda pair: (pair.a, pair.b, pair.days_apart))
        assert_that(pairs, equal_to([("b", "c", None), ("b", "d", None), ("a", "e", 2.0)]), label="dups")


def test_sketches_carry_vectors_and_signatures(pipeline):
    analysed = [
        analyse_article(Article("a", WIRE), FEATURE_KINDS),
        analyse_article(
            Article("b", "The bridge over the river reopens next week, officials said Monday."), FEATURE_KINDS
        ),
    ]
    config = Config()

    def check(sketches):
        by_id = {sketch.id: sketch for sketch in sketches}
        assert sorted(by_id) == ["a", "b"]
        assert by_id["a"].signature.shape == (config.lsh.num_perm,)
        assert 0.2 < by_id["a"].vector.cosine(by_id["b"].vector) < 1.0

    with pipeline as p:
        items = p | beam.Create(analysed)
        frequencies = items | CountDocumentFrequencies(config.features.df_buckets)
        counts = frequencies | beam.Map(lambda item: (item[0], int(np.count_nonzero(item[1]) > 0)))
        assert_that(counts, equal_to([(2, 1)]), label="frequencies")
        sketches = (items, frequencies) | SketchArticles(config)
        assert_that(sketches | beam.combiners.ToList(), lambda lists: check(lists[0]), label="sketches")


def _sketch(article_id, weights, prior=None):
    values = np.asarray(weights, dtype=np.float32)
    vector = TermVector(np.arange(len(values), dtype=np.uint32), values / np.linalg.norm(values))
    return ArticleSketch(article_id, None, None, vector, np.zeros(2, np.uint32), prior)


def test_cluster_stories_assigns_every_article(pipeline):
    prior = Prior("s_old", "2025-08-18")
    sketches = [
        _sketch("a", [1, 0, 0, 0]),
        _sketch("b", [1, 0.1, 0, 0]),
        _sketch("c", [1, 0, 0, 0.05]),  # LSH missed a-c: the component scores it anyway
        _sketch("d", [0, 0, 1, 0]),
        _sketch("e", [0, 1, 0, 0]),
        _sketch("old", [0, 0, 1, 0.1], prior),
    ]
    verified = [
        ScoredPair("a", "b", 0.99, None, True, "verified"),
        ScoredPair("b", "c", 0.99, None, True, "verified"),
        ScoredPair("d", "old", 0.99, None, True, "verified", None, prior),
    ]
    duplicates = [ScoredPair("a", "a2", 1.0, None, True, "exact_duplicate")]
    with pipeline as p:
        ids = p | "Ids" >> beam.Create(["a", "b", "c", "d", "e"])
        stories = (
            ids,
            p | "Verified" >> beam.Create(verified),
            p | "Duplicates" >> beam.Create(duplicates),
            p | "Sketches" >> beam.Create(sketches),
            p | "Resent" >> beam.Create([("e", Prior("s_e_before", "2025-08-17", in_run=True))]),
        ) | ClusterStories(ClusterConfig(threshold=0.9), VerifyConfig(min_score=0.5))
        abc = StoryAssignment(cluster_id(["a"]))
        expected = [
            ("a", abc),
            ("b", abc),
            ("c", abc),
            ("a2", abc),
            ("d", StoryAssignment("s_old", "2025-08-18")),
            ("e", StoryAssignment("s_e_before", "2025-08-17")),
        ]
        assert_that(stories["assignments"], equal_to(expected), label="assignments")
        found = stories["component_pairs"] | beam.Map(lambda pair: (pair.a, pair.b, pair.verified))
        assert_that(found, equal_to([("a", "c", True)]), label="component pairs")
        # Every sketch, in a component or not, anchor or not, goes on to the later steps.
        passed_on = stories["sketches"] | beam.MapTuple(lambda article_id, sketch: (article_id, sketch.id))
        assert_that(passed_on, equal_to([(s.id, s.id) for s in sketches]), label="sketches")


def _steps(pipeline: beam.Pipeline) -> list:
    """The pipeline's steps (its leaf transforms), in the order the graph lists them."""
    steps: list = []

    class Steps(PipelineVisitor):
        def visit_transform(self, node) -> None:
            steps.append(node)

    pipeline.visit(Steps())
    return steps


def _consumers(pipeline: beam.Pipeline, producer: str) -> set[str]:
    """The steps that read the main output of the step labelled ``producer``."""
    steps = _steps(pipeline)
    output = next(node for node in steps if node.full_label == producer).outputs[None]
    return {
        node.full_label
        for node in steps
        if output in node.inputs or any(side.pvalue is output for side in node.side_inputs)
    }


def test_the_edges_reach_the_component_step_through_no_side_input(pipeline):
    """The list of every verified pair is the component step's main input. A side input on
    its way (Beam's default for an empty list comes through one) would be cached by the SDK
    worker and keep the whole list in memory for the stages after clustering."""
    articles = pipeline | "Articles" >> beam.Create([Article("a", WIRE)])
    _ = articles | "Detect" >> DetectStories(Config(), dt.date(2025, 8, 19))
    steps = _steps(pipeline)
    component_step = next(node for node in steps if node.full_label.startswith("Detect/Cluster/ByComponent/"))
    producers = [edges.producer.full_label for edges in component_step.inputs]
    assert producers == ["Detect/Cluster/AllEdges/AllEdges/UnKey"]
    listing = [node for node in steps if node.full_label.startswith("Detect/Cluster/AllEdges/")]
    assert listing
    assert [node.full_label for node in listing if node.side_inputs] == []


def test_the_pair_rows_are_spilled_where_they_are_made(pipeline, tmp_path):
    """Each part of the pair rows (LSH's window parts, exact copies, pairs found in
    components) is spilled by a step that reads it straight from the step that makes it;
    only the spilled files' paths are flattened. A Flatten of the rows would be held by the
    in-process runner from LSH until the last part, after clustering, is made."""
    articles = pipeline | "Articles" >> beam.Create([Article("a", WIRE)])
    tables = articles | "Detect" >> DetectStories(Config(), dt.date(2025, 8, 19))
    _ = tables | "Write" >> WriteTables(str(tmp_path), OutputConfig())
    spill = "Write/Write pairs/SpillByShard"
    spills = [node for node in _steps(pipeline) if node.full_label.startswith(spill)]
    producers = sorted(part.producer.full_label for node in spills for part in node.inputs)
    assert producers == [
        "Detect/FoundByDedupe",
        "Detect/FoundInComponent",
        *(f"Detect/MatchInWindows/MatchWindow{part}/ParDo(_MatchWindowFn)" for part in range(WINDOW_PARTS)),
    ]


def test_what_waits_for_describing_on_disk_gives_the_same_tables(tmp_path):
    """With a spill folder the analysed articles and their vectors wait for describing in
    files there (one of each for the bundle), and the tables are those of a run without."""
    fixture = [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines()][:12]
    articles = [Article(row["id"], row["text"], row.get("outlet"), row.get("title")) for row in fixture]
    for name, spill_dir in (("shuffle", None), ("disk", str(tmp_path / "spill"))):
        with beam_test_pipeline() as p:
            tables = (
                p | beam.Create(articles) | DetectStories(Config(), dt.date(2025, 8, 19), spill_dir=spill_dir)
            )
            _ = tables | WriteTables(str(tmp_path / name), OutputConfig())
    spilled = sorted(path.suffix for path in (tmp_path / "spill").iterdir())
    assert spilled == [".members", ".vectors"]
    for table in ("articles", "clusters", "unique_sentences", "sentence_alignments", "state"):
        on_disk = pq.read_table(tmp_path / "disk" / table)
        assert on_disk.num_rows and on_disk.equals(pq.read_table(tmp_path / "shuffle" / table)), table


@pytest.mark.parametrize("with_state", [False, True])
def test_only_matching_and_clustering_read_the_sketches(with_state, pipeline):
    """The in-process runner holds a step's input from when it is made until the step runs:
    read by steps after clustering, every sketch would wait in memory through LSH and
    clustering, the run's highest point. They get the sketches from clustering instead."""
    articles = pipeline | "Articles" >> beam.Create([Article("a", WIRE)])
    prior = pipeline | "Anchors" >> beam.Create([_sketch("old", [1, 0, 0, 0], Prior("s_old", "2025-08-18"))])
    _ = articles | "Detect" >> DetectStories(Config(), dt.date(2025, 8, 19), prior if with_state else None)
    # The sketches: as sketched, marked when an earlier run published them, with the anchors.
    made = ["Detect/Sketch/Sketch", *(("Detect/MarkResent", "Detect/WithAnchors") if with_state else ())]
    readers = set().union(*(_consumers(pipeline, step) for step in made)) - {*made, "Detect/KeyNew"}
    assert {
        step for step in readers if not step.startswith(("Detect/MatchInWindows/", "Detect/Cluster/"))
    } == set()


def _new_article_beside_anchors(p, sketches, verified):
    """ClusterStories over one new article ("new") and anchors of published stories."""
    return (
        p | "Ids" >> beam.Create(["new"]),
        p | "Verified" >> beam.Create(verified),
        p | "Duplicates" >> beam.Create([]),
        p | "Sketches" >> beam.Create(sketches),
        p | "Resent" >> beam.Create([]),
    ) | ClusterStories(ClusterConfig(threshold=0.5), VerifyConfig(min_score=0.5))


def test_a_new_article_joins_a_published_story_by_its_average_over_the_whole_story(pipeline):
    """LSH paired "new" with one anchor of a three-article published story, and with no
    anchor of another. Only the first story's other anchors come into the component: "new"
    shares little with them, so its average over that story stays under the threshold and
    it stands alone, as it would in one run over all the days."""
    story, other = Prior("s_story", "2025-08-18"), Prior("s_other", "2025-08-18")
    sketches = [
        _sketch("new", [1, 1, 0, 0, 0]),
        _sketch("old1", [1, 1, 0.1, 0, 0], story),
        _sketch("old2", [0, 0.1, 1, 0, 0], story),
        _sketch("old3", [0, 0.1, 0, 1, 0], story),
        _sketch("far", [0, 0, 0, 0, 1], other),
    ]
    verified = [ScoredPair("new", "old1", 0.99, None, True, "verified", None, story)]
    with pipeline as p:
        stories = _new_article_beside_anchors(p, sketches, verified)
        assert_that(
            stories["assignments"], equal_to([("new", StoryAssignment(cluster_id(["new"])))]), label="alone"
        )
        scored = stories["component_pairs"] | beam.Map(lambda pair: (pair.a, pair.b))
        assert_that(scored, equal_to([]), label="no other anchor verified")


def test_a_new_article_close_to_most_of_a_published_story_joins_it(pipeline):
    story = Prior("s_story", "2025-08-18")
    sketches = [
        _sketch("new", [1, 1, 0]),
        _sketch("old1", [1, 1, 0.1], story),
        _sketch("old2", [1, 0.9, 0.2], story),
        _sketch("old3", [0, 0, 1], story),
    ]
    verified = [ScoredPair("new", "old1", 0.99, None, True, "verified", None, story)]
    with pipeline as p:
        stories = _new_article_beside_anchors(p, sketches, verified)
        assert_that(
            stories["assignments"],
            equal_to([("new", StoryAssignment("s_story", "2025-08-18"))]),
            label="joins",
        )
        scored = stories["component_pairs"] | beam.Map(lambda pair: (pair.a, pair.b))
        assert_that(scored, equal_to([("new", "old2")]), label="the story's other anchor scored")


def test_write_table_writes_every_shard_sorted(pipeline, tmp_path):
    rows = [
        {"source_file": "b", "source_record": 2, "reason": "x", "detail": None, "raw": ""},
        {"source_file": "a", "source_record": 9, "reason": "y", "detail": "d", "raw": ""},
    ]
    config = OutputConfig(num_shards=3)
    with pipeline as p:
        written = p | beam.Create(rows) | WriteTable("rejects", str(tmp_path), config)
        totals = written | beam.CombinePerKey(sum)
        assert_that(totals, equal_to([("rejects", 2)]))
    files = sorted((tmp_path / "rejects").glob("*.parquet"))
    assert [f.name for f in files] == [f"part-0000{i}-of-00003.parquet" for i in range(3)]
    tables = [pq.read_table(f) for f in files]
    assert sum(t.num_rows for t in tables) == 2
    assert all(
        pq.ParquetFile(f).metadata.row_group(0).column(0).compression == "ZSTD"
        for f in files
        if pq.ParquetFile(f).metadata.num_rows
    )


def test_write_table_takes_record_batches_and_dicts_alike(pipeline, tmp_path):
    schema = SCHEMAS["rejects"]
    rows = [
        {"source_file": f"f{i % 7}", "source_record": i, "reason": "r", "detail": None, "raw": ""}
        for i in range(40)
    ]
    batch = pa.RecordBatch.from_pylist(rows[:30], schema=schema)  # as a story's alignments come
    config = OutputConfig(num_shards=3)
    with pipeline as p:
        written = p | beam.Create([batch, *rows[30:]]) | WriteTable("rejects", str(tmp_path), config)
        assert_that(written | beam.CombinePerKey(sum), equal_to([("rejects", 40)]))
    read_back = []
    for shard in range(3):
        table = pq.read_table(tmp_path / "rejects" / f"part-0000{shard}-of-00003.parquet").to_pylist()
        assert all(shard_of(row, "rejects", 3) == shard for row in table)
        keys = [(row["source_file"], row["source_record"]) for row in table]
        assert keys == sorted(keys)
        read_back.extend(table)
    assert sorted(read_back, key=lambda row: row["source_record"]) == rows


def test_rows_wait_for_the_writer_on_disk(pipeline, tmp_path):
    """The shuffle before the writer carries paths: each bundle's rows of a shard are in an
    Arrow IPC file under ``_spill/<table>``, one per shard and layout (alignments come
    dictionary-encoded, each story's batch with dictionaries of its own), and the written
    table holds every row of them once."""
    schema = SCHEMAS["sentence_alignments"]

    def story(name: str, articles: int) -> list[dict]:
        return [
            {
                "cluster_id": name,
                "article_id": f"{name}-{article}",
                "sentence_index": 0,
                "matched_article_id": f"{name}-x",
                "matched_sentence_index": 1,
                "score": 0.5,
            }
            for article in range(articles)
        ]

    compact = [
        pa.RecordBatch.from_pylist(story(f"s{i}", 3 + i), schema=compact_schema(schema)) for i in range(4)
    ]
    plain = story("p", 2)
    with pipeline as p:
        written = (
            p
            | beam.Create([*compact, *plain])
            | WriteTable("sentence_alignments", str(tmp_path), OutputConfig())
        )
        assert_that(written, equal_to([("sentence_alignments", 20)]))
    spilled = sorted((tmp_path / SPILL_FOLDER / "sentence_alignments").glob("*.arrow"))
    assert len(spilled) == 2  # one shard, two layouts
    rows = [row for path in spilled for batch in read_spilled(str(path)) for row in batch.to_pylist()]
    assert len(rows) == 20
    table = pq.read_table(tmp_path / "sentence_alignments" / "part-00000-of-00001.parquet")
    assert table.schema.equals(schema)
    expected = sorted(
        plain + [row for i in range(4) for row in story(f"s{i}", 3 + i)], key=lambda r: r["article_id"]
    )
    assert table.to_pylist() == expected


def test_story_batches_are_written_sorted_one_at_a_time(tmp_path):
    """A table that arrives one story per batch (sentence alignments) is sorted batch by
    batch and written in story order: the same file content as sorting every row at once."""
    schema = SCHEMAS["sentence_alignments"]
    rng = np.random.default_rng(7)
    batches, everything = [], []
    for story in ("s_c", "s_a", "s_b"):
        rows = [
            {
                "cluster_id": story,
                "article_id": f"{story}-{article}",
                "sentence_index": sentence,
                "matched_article_id": f"{story}-{1 - article}",
                "matched_sentence_index": 0,
                "score": 0.5,
            }
            for article in (0, 1)
            for sentence in range(4)
        ]
        everything += rows
        shuffled = [rows[i] for i in rng.permutation(len(rows))]
        batches.append(pa.RecordBatch.from_pylist(shuffled, schema=schema))
    config = OutputConfig(row_group_size=5)
    assert write_sorted(str(tmp_path / "stories.parquet"), list(batches), "sentence_alignments", config) == 24
    mixed = [pa.RecordBatch.from_pylist(everything, schema=schema)]  # several stories: sorted at once
    assert write_sorted(str(tmp_path / "mixed.parquet"), mixed, "sentence_alignments", config) == 24
    assert mixed == []  # its rows were not held twice
    assert write_sorted(str(tmp_path / "empty.parquet"), [], "sentence_alignments", config) == 0
    assert pq.read_table(tmp_path / "empty.parquet").schema == SCHEMAS["sentence_alignments"]
    expected = sorted(everything, key=lambda r: (r["cluster_id"], r["article_id"], r["sentence_index"]))
    for name in ("stories", "mixed"):
        assert pq.read_table(tmp_path / f"{name}.parquet").to_pylist() == expected
        assert _row_groups(tmp_path / f"{name}.parquet") == [5, 5, 5, 5, 4]


def _row_groups(path) -> list[int]:
    """Rows in each row group of a Parquet file."""
    metadata = pq.ParquetFile(path).metadata
    return [metadata.row_group(group).num_rows for group in range(metadata.num_row_groups)]


def test_wide_rows_are_written_in_smaller_row_groups(tmp_path, monkeypatch):
    """A row group holds at most about ROW_GROUP_BYTES: output.row_group_size is halved
    until a group of the table's average rows fits, on both of write_sorted's paths, and the
    rows are the same."""
    assert rows_per_group(100_000, 100_000 * 68, 100_000) == 100_000  # alignments: narrow rows
    assert rows_per_group(97_780, 366_000_000, 100_000) == 12_500  # the state at 100,000 articles
    assert rows_per_group(0, 0, 100_000) == 100_000
    assert rows_per_group(3, 30 * write_module.ROW_GROUP_BYTES, 8) == 1

    rng = np.random.default_rng(3)
    state = [
        {
            "article_id": f"a{i:03d}",
            "cluster_id": f"s{i % 7}",
            "first_seen_run_date": dt.date(2025, 11, 23),
            "published_at": None,
            "outlet": "o",
            "signature": rng.integers(0, 2**32, 128, dtype=np.uint32),
            "term_ids": np.arange(200, dtype=np.uint32),
            "term_weights": rng.random(200, dtype=np.float32),
            "detail_ids": np.arange(10, dtype=np.uint32),
        }
        for i in range(40)
    ]
    batches = [
        pa.RecordBatch.from_pylist(state[start : start + 20], schema=SCHEMAS["state"]) for start in (0, 20)
    ]
    row_bytes = sum(batch.nbytes for batch in batches) / 40
    monkeypatch.setattr(write_module, "ROW_GROUP_BYTES", int(10.5 * row_bytes))
    assert (
        write_sorted(str(tmp_path / "state.parquet"), batches, "state", OutputConfig(row_group_size=32)) == 40
    )
    assert _row_groups(tmp_path / "state.parquet") == [8] * 5  # 32 -> 16 -> 8
    table = pq.read_table(tmp_path / "state.parquet")
    assert table.column("article_id").to_pylist() == [
        row["article_id"] for row in sorted(state, key=lambda r: (r["cluster_id"], r["article_id"]))
    ]
    assert table.column("term_weights").to_pylist()[0] == pytest.approx(
        min(state, key=lambda r: (r["cluster_id"], r["article_id"]))["term_weights"].tolist()
    )

    stories = [
        pa.RecordBatch.from_pylist(
            [
                {
                    "cluster_id": story,
                    "article_id": f"{story}-{sentence % 2}",
                    "sentence_index": sentence,
                    "matched_article_id": f"{story}-9",
                    "matched_sentence_index": 0,
                    "score": 0.5,
                }
                for sentence in range(8)
            ],
            schema=SCHEMAS["sentence_alignments"],
        )
        for story in ("s_b", "s_a", "s_c")
    ]
    row_bytes = sum(batch.nbytes for batch in stories) / 24
    monkeypatch.setattr(write_module, "ROW_GROUP_BYTES", int(2.5 * row_bytes))
    config = OutputConfig(row_group_size=16)
    assert write_sorted(str(tmp_path / "stories.parquet"), stories, "sentence_alignments", config) == 24
    assert _row_groups(tmp_path / "stories.parquet") == [2] * 12  # 16 -> 8 -> 4 -> 2
    written = pq.read_table(tmp_path / "stories.parquet")
    assert written.column("cluster_id").to_pylist() == ["s_a"] * 8 + ["s_b"] * 8 + ["s_c"] * 8


def test_dictionary_encoded_batches_are_written_in_the_table_schema(tmp_path):
    """Alignments travel with their ids dictionary-encoded; the file is as from plain batches."""
    schema = SCHEMAS["sentence_alignments"]
    compact = compact_schema(schema)
    assert [field.type for field in compact] == [
        pa.dictionary(pa.int32(), pa.string()),
        pa.dictionary(pa.int32(), pa.string()),
        pa.int32(),
        pa.dictionary(pa.int32(), pa.string()),
        pa.int32(),
        pa.float64(),
    ]
    rows = [
        {
            "cluster_id": story,
            "article_id": f"{story}-{3 - sentence % 3}",
            "sentence_index": sentence,
            "matched_article_id": f"{story}-9",
            "matched_sentence_index": None if sentence == 2 else 1,
            "score": sentence / 10,
        }
        for story in ("s_b", "s_a")
        for sentence in range(5)
    ]
    config = OutputConfig(row_group_size=4)
    for name, batches in (
        (
            "plain",
            [
                pa.RecordBatch.from_pylist(rows[:5], schema=schema),
                pa.RecordBatch.from_pylist(rows[5:], schema=schema),
            ],
        ),
        (
            "compact",
            [
                pa.RecordBatch.from_pylist(rows[:5], schema=compact),
                pa.RecordBatch.from_pylist(rows[5:], schema=compact),
            ],
        ),
        ("mixed", [pa.RecordBatch.from_pylist(rows, schema=compact)]),
        (
            "narrow",
            [
                pa.RecordBatch.from_pylist(rows[:5], schema=narrow_schema(schema)),
                pa.RecordBatch.from_pylist(rows[5:], schema=compact),
            ],
        ),
    ):
        assert write_sorted(str(tmp_path / f"{name}.parquet"), batches, "sentence_alignments", config) == 10
        written = pq.read_table(tmp_path / f"{name}.parquet")
        assert written.schema.equals(schema)
        assert written.to_pylist() == sorted(
            rows, key=lambda r: (r["cluster_id"], r["article_id"], r["sentence_index"])
        )
    assert with_table_schema(pa.RecordBatch.from_pylist(rows, schema=compact), "sentence_alignments").equals(
        pa.RecordBatch.from_pylist(rows, schema=schema)
    )
    assert [field.type for field in narrow_schema(schema)] == [
        pa.dictionary(pa.int16(), pa.string()),
        pa.dictionary(pa.int16(), pa.string()),
        pa.int16(),
        pa.dictionary(pa.int16(), pa.string()),
        pa.int16(),
        pa.float64(),
    ]
    narrow = pa.RecordBatch.from_pylist(rows, schema=narrow_schema(schema))
    plain = pa.RecordBatch.from_pylist(rows, schema=schema)
    assert with_table_schema(narrow, "sentence_alignments").equals(plain)


def test_write_table_refuses_a_record_batch_of_another_schema(tmp_path):
    batch = pa.RecordBatch.from_pylist([{"x": 1}])
    with pytest.raises(Exception, match="record batch for table rejects"), beam_test_pipeline() as p:
        _ = p | beam.Create([batch]) | WriteTable("rejects", str(tmp_path), OutputConfig())


def test_a_story_that_cannot_be_described_still_writes_its_articles(pipeline):
    from pipeline.config import SentenceConfig
    from pipeline.outlets import DescribeStories

    good = analyse_article(Article("good", WIRE, outlet="A"), FEATURE_KINDS)
    # An article the sketch step could not weigh has no vector: its story cannot be described.
    unsketched = analyse_article(Article("unsketched", WIRE + " More.", outlet="B"), FEATURE_KINDS)
    vector = term_vector(*weigh_terms(good.terms, np.zeros(1024, dtype=np.uint32), 2)[1:])
    with pipeline as p:
        tables = (
            p | "Members" >> beam.Create([good, unsketched]),
            p | "Stories" >> beam.Create([("good", "s_1"), ("unsketched", "s_1")]),
            p | "Vectors" >> beam.Create([("good", vector)]),
        ) | DescribeStories(SentenceConfig())
        ids = tables["articles"] | beam.Map(lambda row: (row["article_id"], row["cluster_id"]))
        assert_that(ids, equal_to([("good", "s_1"), ("unsketched", "s_1")]))
