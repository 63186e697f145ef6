from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
from apache_beam import Create, FlatMap, Flatten, Map
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.util import assert_that, equal_to

from pipeline import windows
from pipeline.config import OutputConfig, VerifyConfig
from pipeline.features import TermVector
from pipeline.records import ArticleSketch, Prior
from pipeline.signatures import BatchMinHasher
from pipeline.windows import (
    PAIR_ROWS,
    UNDATED,
    WINDOW_PARTS,
    MatchInWindows,
    window_candidates,
    window_keys,
    window_part,
)
from pipeline.write import WriteTable
from schemas.tables import TABLES, compact_schema

DAY = 86_400 * 1_000_000
SAME = [1, 2]  # one shared band value makes a candidate (2 bands of 1 row)


def _sketch(article_id, signature, day=None, prior=None, weights=(1.0, 1.0)):
    values = np.asarray(weights, dtype=np.float32)
    vector = TermVector(np.arange(len(values), dtype=np.uint32), values / np.linalg.norm(values))
    published = None if day is None else int(day * DAY)
    return ArticleSketch(article_id, None, published, vector, np.array(signature, dtype=np.uint64), prior)


def _ids(own, neighbours, *rules):
    members, pairs = window_candidates(own, neighbours, *rules)
    return sorted((members[i].id, members[j].id) for i, j in pairs.tolist())


def test_window_keys_own_block_and_previous_window():
    assert window_keys(None, 7) == [(UNDATED, True)]
    assert window_keys(int(15 * DAY), 7) == [("block-2", True), ("block-1", False)]
    assert window_keys(int(14 * DAY), 7) == [("block-2", True), ("block-1", False)]


def test_a_window_key_has_one_part():
    """Every copy of a window's key (own articles and neighbours) is grouped in the same
    part, whatever process computes it: the part is a CRC of the key, not Python's hash."""
    keys = [f"block-{block}" for block in range(100)]
    script = f"from pipeline.windows import window_part; print([window_part(key) for key in {keys!r}])"
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.stdout.strip() == str([window_part(key) for key in keys])
    parts = [window_part(key) for key in keys]
    assert set(parts) == set(range(WINDOW_PARTS))
    assert window_part(UNDATED, 1) == 0


def test_window_candidates_rules():
    own = [_sketch("a", SAME, 14), _sketch("b", SAME, 20.5)]
    neighbours = [
        _sketch("c", SAME, 21.5),  # 7.5 days after a: too far; 1 day after b
        _sketch("d", SAME, 27),  # neighbour-neighbour pairs belong to the next window
        _sketch("old", SAME, 15, Prior("s_x", "2025-01-01")),
    ]
    assert _ids(own, neighbours, 2, 1, 10, 7) == [
        ("a", "b"),
        ("a", "old"),
        ("b", "c"),
        ("b", "d"),
        ("b", "old"),
    ]


def test_window_candidates_skip_two_anchors_and_need_a_shared_band():
    prior = Prior("s_x", "2025-01-01")
    own = [_sketch("p", SAME, 1, prior), _sketch("q", SAME, 1, prior), _sketch("r", [7, 8], 1)]
    assert _ids(own, [], 2, 1, 10, 7) == []


def test_every_pair_within_the_limit_is_proposed_exactly_once(pipeline):
    """Over random times, the windows propose each pair at most 7 days apart once, and no other."""
    rng = np.random.default_rng(5)
    days = rng.uniform(0, 60, size=40).round(3).tolist()
    sketches = [_sketch(f"x{i:02d}", SAME, day) for i, day in enumerate(days)]
    sketches += [_sketch("u1", SAME), _sketch("u2", SAME)]
    expected = sorted(
        tuple(sorted((first.id, second.id)))
        for i, first in enumerate(sketches)
        for second in sketches[i + 1 :]
        if first.published_us is None
        or second.published_us is None
        or abs(first.published_us - second.published_us) <= 7 * DAY
    )
    # The windows are grouped and matched in parts: these fall in several.
    keys = {key for sketch in sketches for key, _ in window_keys(sketch.published_us, 7)}
    assert len({window_part(key) for key in keys}) > 2
    with pipeline as p:
        scored = (
            p | Create(sketches) | MatchInWindows(2, 1, 1000, VerifyConfig(min_score=0.5, max_days_apart=7))
        )
        rows = _pair_batches(scored) | FlatMap(lambda batch: batch.to_pylist())
        ids = rows | Map(lambda row: (row["article_a"], row["article_b"]))
        assert_that(ids, equal_to(expected))


def _pair_batches(scored):
    """The pair rows' batches of every part of the windows, in one PCollection."""
    assert isinstance(scored[PAIR_ROWS], tuple) and len(scored[PAIR_ROWS]) == windows.WINDOW_PARTS
    return scored[PAIR_ROWS] | "AllPairRows" >> Flatten()


def test_match_in_windows_scores_candidates(pipeline):
    config = VerifyConfig(min_score=0.5, max_days_apart=7)
    sketches = [
        _sketch("a", SAME, 0),
        _sketch("b", SAME, 2),
        _sketch("c", [1, 9], 3, weights=(1.0, 0.0001)),
        _sketch("d", [5, 6], 1),  # no shared band: never a candidate
        _sketch("u", [4, 2]),  # undated: matched against every window
        _sketch("e", [8, 9], 3, weights=(0.0001, 1.0)),  # a candidate of c's, far from it
    ]
    verified = [("a", "b"), ("a", "c"), ("b", "c"), ("a", "u"), ("b", "u")]
    with pipeline as p:
        scored = p | Create(sketches) | MatchInWindows(2, 1, 10, config)
        rows = _pair_batches(scored) | FlatMap(lambda batch: batch.to_pylist())
        reasons = rows | Map(lambda row: (row["article_a"], row["article_b"], row["reason"], row["found_by"]))
        expected_rows = [(a, b, "verified", "lsh") for a, b in verified] + [("c", "e", "low_score", "lsh")]
        assert_that(reasons, equal_to(expected_rows), label="every candidate's row")
        kept = scored["verified"] | Map(lambda pair: (pair.a, pair.b))
        assert_that(kept, equal_to(verified), label="verified pairs")


def test_pair_rows_leave_in_batches_of_bounded_size(pipeline, monkeypatch):
    monkeypatch.setattr(windows, "_PAIR_BATCH_ROWS", 2)
    sketches = [_sketch(f"x{i}", SAME, i * 0.1) for i in range(5)]  # 10 candidates, one window
    with pipeline as p:
        scored = (
            p | Create(sketches) | MatchInWindows(2, 1, 10, VerifyConfig(min_score=0.5, max_days_apart=7))
        )
        batches = _pair_batches(scored)
        sizes = batches | Map(lambda batch: batch.num_rows)
        assert_that(sizes, equal_to([2, 2, 2, 2, 2]), label="batch sizes")
        rows = batches | FlatMap(lambda batch: batch.to_pylist())
        ids = rows | Map(lambda row: (row["article_a"], row["article_b"]))
        expected = [(f"x{i}", f"x{j}") for i in range(5) for j in range(i + 1, 5)]
        assert_that(ids, equal_to(expected), label="every candidate once")


def test_pair_rows_wait_dictionary_encoded_and_are_written_in_the_table_schema(pipeline, tmp_path):
    """The rows wait for the writer with their strings dictionary-encoded (half the bytes);
    the file has the table's plain schema and the same rows."""
    sketches = [_sketch(f"x{i}", SAME, i * 0.1) for i in range(4)] + [_sketch("y", [7, 8], 0.5)]
    with pipeline as p:
        scored = (
            p | Create(sketches) | MatchInWindows(2, 1, 10, VerifyConfig(min_score=0.5, max_days_apart=7))
        )
        compact_pairs = compact_schema(TABLES["pairs"])
        compact = _pair_batches(scored) | Map(lambda batch: batch.schema.equals(compact_pairs))
        assert_that(compact, equal_to([True]), label="compact batches")
        _ = scored[PAIR_ROWS] | WriteTable("pairs", str(tmp_path), OutputConfig())
    written = pq.read_table(tmp_path / "pairs" / "part-00000-of-00001.parquet")
    assert written.schema.equals(TABLES["pairs"])
    expected = [
        (f"x{i}", f"x{j}", 1.0, round((j - i) * 0.1, 6), True, "verified", "lsh")
        for i in range(4)
        for j in range(i + 1, 4)
    ]
    assert [tuple(row.values()) for row in written.to_pylist()] == expected


def test_bucket_counters_count_each_window_bucket_once(pipeline):
    """A bucket counts in the window that owns one of its articles: the window before, where
    they are all neighbours (their pairs are not its to propose), neither skips nor counts it."""
    # One block; bands 0 and 1 are buckets of 4, band 2 differs (one signature would be banded once).
    sketches = [_sketch(f"x{i}", [*SAME, i], 10 + i * 0.1) for i in range(4)]
    _ = pipeline | Create(sketches) | MatchInWindows(3, 1, 3, VerifyConfig(min_score=0.5, max_days_apart=7))
    result = pipeline.run()
    result.wait_until_finish()
    counters: dict[str, int] = {}  # summed over the steps that match the window parts
    for counter in result.metrics().query(MetricsFilter().with_namespace("lsh"))["counters"]:
        counters[counter.key.metric.name] = counters.get(counter.key.metric.name, 0) + counter.committed
    assert counters["oversized_buckets_skipped"] == 2
    assert counters["oversized_bucket_members"] == 8
    assert counters["shared_buckets"] == 2


def test_articles_without_terms_are_never_candidates():
    """An article with no term (punctuation, emoji, stop words only) has the empty set's
    MinHash, the same in every band as every other such article's, and a cosine of 0 with
    anything: it proposes no pair, so a window's many empty texts are not all paired."""
    empty = BatchMinHasher(num_perm=2, seed=1).signatures([[]])[0]
    own = [_sketch(f"e{i}", empty, 1, weights=()) for i in range(3)] + [_sketch("a", SAME, 1)]
    neighbours = [_sketch("e9", empty, 8, weights=()), _sketch("b", SAME, 8)]
    assert _ids(own, neighbours, 2, 1, 10, 7) == [("a", "b")]
