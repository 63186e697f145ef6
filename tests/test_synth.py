"""The synthetic corpus generator: determinism, labels, story sizes, rewrites, and one real run."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict

import pyarrow.parquet as pq
import pytest

from pipeline import config as config_module
from pipeline.metrics import evaluate_clustering
from pipeline.run import run_job
from pipeline.synth import SynthOptions, generate, main, read_labels, story_size_distribution, write_jsonl
from pipeline.text import normalise, strip_boilerplate

FIELDS = {"id", "outlet", "title", "published_at", "url", "text", "story", "role", "follows"}
ROLES = {"wire", "rewrite", "copy"}
_WORD = re.compile(r"[A-Za-z]+")


@pytest.fixture(scope="module")
def corpus() -> list[dict]:
    return list(generate(3000, seed=11))


def by_story(rows: list[dict]) -> dict[str, list[dict]]:
    stories: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        stories[row["story"]].append(row)
    return stories


def words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def clean_sentences(text: str) -> list[str]:
    clean, _ = strip_boilerplate(normalise(text))
    return [
        line for paragraph in clean.split("\n") for line in re.split(r"(?<=[.!?\"])\s+", paragraph) if line
    ]


# --- Determinism and shape --------------------------------------------------------------------


def test_same_seed_same_rows_and_other_seed_other_rows():
    first = list(generate(400, seed=5))
    assert first == list(generate(400, seed=5))
    assert [row["text"] for row in first] != [row["text"] for row in generate(400, seed=6)]


def test_rows_have_the_reader_fields_unique_ids_and_publication_order(corpus):
    assert len(corpus) == 3000
    assert all(set(row) == FIELDS for row in corpus)
    assert len({row["id"] for row in corpus}) == len(corpus)
    assert {row["role"] for row in corpus} == ROLES
    published = [row["published_at"] for row in corpus]
    assert published == sorted(published)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", moment) for moment in published)
    assert all(row["url"].startswith("https://www.") for row in corpus)


def test_generation_streams_instead_of_building_the_corpus_first():
    started = time.process_time()  # CPU time: a shared machine's load does not inflate it
    first = next(generate(10**9, seed=1))  # a billion articles: only the first block is made
    assert first["id"] == "syn-0000000"
    assert time.process_time() - started < 10


def test_options_are_checked_on_construction():
    with pytest.raises(ValueError, match="size_exponent"):
        SynthOptions(size_exponent=0)
    with pytest.raises(ValueError, match="ISO date"):
        SynthOptions(start="yesterday")
    with pytest.raises(ValueError, match="num_articles"):
        next(generate(-1))


# --- Labels -------------------------------------------------------------------------------------


def test_labels_are_consistent(corpus):
    stories = by_story(corpus)
    labels = {row["story"] for row in corpus}
    for members in stories.values():
        # At most one wire original per story, published first; the others within two days.
        wires = [row for row in members if row["role"] == "wire"]
        assert len(wires) <= 1
        times = sorted(row["published_at"] for row in members)
        if wires:
            assert wires[0]["published_at"] == times[0]
        first = _epoch(times[0])
        assert all(_epoch(moment) - first <= 48 * 3600 for moment in times)
        # A follow-up names an existing story, never itself.
        follows = {row["follows"] for row in members}
        assert len(follows) == 1
        (followed,) = follows
        assert followed is None or (followed in labels and followed != members[0]["story"])
    assert any(row["follows"] for row in corpus)


def _epoch(moment: str) -> float:
    return time.mktime(time.strptime(moment, "%Y-%m-%dT%H:%M:%SZ"))


def test_story_sizes_follow_the_truncated_zipf_law(corpus):
    sizes = Counter(len(members) for members in by_story(corpus).values())
    stories = sum(sizes.values())
    expected = story_size_distribution()
    # Many singletons and pairs, a long tail of large stories.
    assert sizes[1] / stories == pytest.approx(expected[1], abs=0.05)
    assert sizes[2] / stories == pytest.approx(expected[2], abs=0.04)
    assert sizes[1] > sizes[2] > sizes[3] > sizes[5]
    assert max(sizes) >= 20
    assert sum(count for size, count in sizes.items() if size >= 10) / stories < 0.1


def test_size_distribution_is_a_distribution():
    distribution = story_size_distribution(SynthOptions(max_story_size=10, size_exponent=1.5))
    assert sorted(distribution) == list(range(1, 11))
    assert sum(distribution.values()) == pytest.approx(1.0)
    assert distribution[1] > distribution[2] > distribution[10]


# --- Texts --------------------------------------------------------------------------------------


def test_wire_texts_have_news_lengths(corpus):
    lengths = [len(row["text"].split()) for row in corpus if row["role"] == "wire"]
    assert min(lengths) >= 200
    assert max(lengths) <= 1800
    assert 400 <= sorted(lengths)[len(lengths) // 2] <= 1000


def test_wire_texts_are_300_to_1500_words_log_uniform(corpus):
    # SynthOptions.wire_words = (300, 1500), drawn log-uniform: the median is sqrt(300 * 1500)
    # = 671 words; whole sentences allow a little over either end, not a fifth under both.
    lengths = sorted(
        len(row["text"].split("\n\nCopyright")[0].split()) for row in corpus if row["role"] == "wire"
    )
    median = lengths[len(lengths) // 2]
    assert 0.9 * 671 <= median <= 1.1 * 671, median
    assert sum(length < 300 for length in lengths) <= 0.05 * len(lengths)
    assert lengths[-1] <= 1650


def test_rewrites_differ_from_the_wire_but_share_its_content(corpus):
    checked = 0
    for members in by_story(corpus).values():
        wire = next((row for row in members if row["role"] == "wire"), None)
        if wire is None:
            continue
        wire_sentences = set(clean_sentences(wire["text"]))
        for rewrite in (row for row in members if row["role"] == "rewrite"):
            sentences = clean_sentences(rewrite["text"])
            verbatim = sum(sentence in wire_sentences for sentence in sentences) / len(sentences)
            overlap = len(words(rewrite["text"]) & words(wire["text"])) / len(words(rewrite["text"]))
            assert rewrite["text"] != wire["text"]
            assert verbatim < 0.95  # sentences reworded, restyled, added
            assert overlap > 0.5  # ... but most of the words are the wire's
            checked += 1
        if checked >= 200:
            break
    assert checked >= 100


def test_copies_equal_the_wire_once_boilerplate_is_stripped(corpus):
    """A syndicated copy is the wire text plus the outlet's boilerplate and credit line."""

    def content(row: dict) -> list[str]:
        return [s for s in clean_sentences(row["text"]) if "contributed reporting for" not in s]

    checked = 0
    for members in by_story(corpus).values():
        wire = next((row for row in members if row["role"] == "wire"), None)
        for copy in (row for row in members if row["role"] == "copy"):
            if wire is not None:
                assert content(copy) == content(wire)
                checked += 1
    assert checked > 5


def test_different_stories_on_a_topic_share_names(corpus):
    """Follow-ups reuse the people of the story they follow: distractors, not rewrites."""
    stories = by_story(corpus)
    names = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+")
    shared = 0
    for members in stories.values():
        followed = members[0]["follows"]
        if followed in stories:
            mine = set(names.findall(members[0]["text"]))
            theirs = set(names.findall(stories[followed][0]["text"]))
            shared += len(mine & theirs) >= 2
    assert shared >= 10


def test_outlets_add_boilerplate_that_the_cleaner_removes(corpus):
    prompts = [row for row in corpus if "Read more: " in row["text"] or "Sign up for the " in row["text"]]
    assert len(prompts) > 100
    for row in prompts[:200]:
        clean, removed = strip_boilerplate(normalise(row["text"]))
        assert "Read more:" not in clean
        assert "newsletter" not in clean
        assert removed


# --- Files and the command ------------------------------------------------------------------------


def test_write_jsonl_and_read_labels(tmp_path):
    path = tmp_path / "corpus.jsonl"
    summary = write_jsonl(path, 120, seed=2)
    assert summary["articles"] == 120
    labels = read_labels(path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert labels == {row["id"]: row["story"] for row in rows}
    assert summary["stories"] == len(set(labels.values()))


def test_a_negative_seed_is_refused_by_name(tmp_path, capsys):
    """It was a traceback from NumPy ("expected non-negative integer"), after creating the file."""
    with pytest.raises(ValueError, match="seed must be zero or more"):
        next(generate(5, seed=-1))
    path = tmp_path / "negative.jsonl"
    with pytest.raises(SystemExit) as stopped:
        main(["--articles", "5", "--seed", "-1", "--output", str(path)])
    assert stopped.value.code == 2
    assert "--seed must be zero or more" in capsys.readouterr().err
    assert not path.exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--output", "{tmp}/missing/corpus.jsonl"], "name a file in an existing folder"),  # was a traceback
        (["--output", "{tmp}"], "name a file in an existing folder"),
        (["--articles-per-day", "inf"], "from 1 to 1,000,000"),  # every article at one instant
        (["--articles-per-day", "1e-9"], "from 1 to 1,000,000"),  # dates in the year 751414
    ],
)
def test_a_bad_value_is_refused_by_name(tmp_path, capsys, flags, message):
    flags = [flag.replace("{tmp}", str(tmp_path)) for flag in flags]
    if "--output" not in flags:
        flags += ["--output", str(tmp_path / "corpus.jsonl")]
    with pytest.raises(SystemExit) as stopped:
        main(["--articles", "5", *flags])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == []


def test_command_writes_the_corpus(tmp_path, capsys):
    path = tmp_path / "cli.jsonl"
    assert main(["--articles", "30", "--seed", "4", "--output", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["articles"] == 30
    written = [json.loads(line) for line in path.read_text().splitlines()]
    assert written == list(generate(30, seed=4))


# --- The real pipeline on a small synthetic corpus ------------------------------------------------


def test_pipeline_finds_the_synthetic_stories(tmp_path):
    corpus = tmp_path / "synthetic.jsonl"
    write_jsonl(corpus, 200, seed=3)
    output = tmp_path / "out"
    job = run_job([str(corpus)], str(output), config_module.load())
    assert job.row_counts["articles"] == 200
    table = pq.read_table(output / "articles", columns=["article_id", "cluster_id"]).to_pydict()
    predicted = dict(zip(table["article_id"], table["cluster_id"], strict=True))
    evaluation = evaluate_clustering(read_labels(corpus), predicted)
    assert evaluation["pairwise"]["f1"] >= 0.9, evaluation
