"""The output tables' schemas: one ``pyarrow.schema`` per table, every column documented.

The writers are given these schemas explicitly, so a table's columns and types never
depend on the data of a particular run. ``TABLES`` is the list the pipeline writes.
"""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


def _field(name: str, data_type: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, data_type, nullable=nullable, metadata={"doc": doc})


ARTICLES = pa.schema(
    [
        _field("article_id", pa.string(), "The article's id from the input.", nullable=False),
        _field(
            "cluster_id",
            pa.string(),
            "The story this article belongs to (a story of one if unmatched).",
            False,
        ),
        _field(
            "outlet",
            pa.string(),
            "Publishing outlet, if the input gave one (a .txt file: its stem, unless its sidecar gives one).",
        ),
        _field(
            "title",
            pa.string(),
            "Headline, if the input gave one (a .txt file: its stem, unless its sidecar gives one).",
        ),
        _field("published_at", TIMESTAMP, "Publication time in UTC; null when missing or unparseable."),
        _field("url", pa.string(), "Article URL, if the input gave one."),
        _field("source_file", pa.string(), "Input file the article was read from."),
        _field(
            "source_record",
            pa.int64(),
            "1-based line (JSON Lines) or row (Parquet) in that file; 1 for a .txt file.",
        ),
        _field("num_sentences", pa.int32(), "Sentences after boilerplate was stripped."),
        _field(
            "boilerplate_lines",
            pa.int32(),
            "Lines, or sentences of a paragraph, removed as boilerplate (prompts, link lists, contacts).",
        ),
        _field(
            "duplicate_of",
            pa.string(),
            "Id of the identical article of the same run that this one copies, else null (a copy of "
            "an earlier run's article is matched as a rewrite, by its pair's score).",
        ),
        _field(
            "content_hash",
            pa.string(),
            "SHA-1 of the article's text after clean-up, spacing and case ignored: identical texts "
            "share it (absent in partitions written before 2026-11-28).",
        ),
        _field("is_representative", pa.bool_(), "True for the article chosen to represent its story.", False),
        _field(
            "similarity_to_representative",
            pa.float64(),
            "TF-IDF cosine with the story's representative article (1.0 for the representative).",
        ),
    ]
)

CLUSTERS = pa.schema(
    [
        _field("cluster_id", pa.string(), "Story id, stable for the same input and config.", False),
        _field("size", pa.int32(), "Number of articles in the story.", False),
        _field(
            "num_outlets", pa.int32(), "Number of distinct outlets (articles without one count apart).", False
        ),
        _field("outlets", pa.list_(pa.string()), "Distinct named outlets, sorted."),
        _field("representative_id", pa.string(), "Article chosen to represent the story.", False),
        _field(
            "first_seen_run_date",
            pa.date32(),
            "Run date on which the story was first published (an earlier day if it continues).",
        ),
        _field("first_published_at", TIMESTAMP, "Earliest publication time among the articles."),
        _field("last_published_at", TIMESTAMP, "Latest publication time among the articles."),
        _field(
            "outlet_coverage",
            pa.list_(
                pa.struct(
                    [
                        ("outlet", pa.string()),
                        ("shared_with_representative", pa.float64()),
                        ("article_id", pa.string()),
                    ]
                )
            ),
            "Per outlet: share of its sentences that have a counterpart in the representative "
            "(null when the outlet's articles have no reportable sentence; the list is empty for a "
            "story of one article). An article without an "
            "outlet counts as an outlet of its own: its entry has a null outlet and its article_id "
            "(null for a named outlet; absent in partitions written before 2026-11-26).",
        ),
    ]
)

REPRESENTATIVES = pa.schema(
    [
        _field("cluster_id", pa.string(), "Story id.", False),
        _field("article_id", pa.string(), "The representative article.", False),
        _field("outlet", pa.string(), "Its outlet."),
        _field("title", pa.string(), "Its headline."),
        _field("published_at", TIMESTAMP, "Its publication time."),
        _field(
            "text",
            pa.string(),
            "Its text after clean-up (boilerplate removed), one sentence per line: line i + 1 "
            "(split on '\\n' only) is its sentence_index i in unique_sentences and sentence_alignments.",
            False,
        ),
    ]
)

UNIQUE_SENTENCES = pa.schema(
    [
        _field("cluster_id", pa.string(), "Story id.", False),
        _field("outlet", pa.string(), "Outlet that added the sentence (null if the input named none)."),
        _field("article_id", pa.string(), "Article the sentence is from.", False),
        _field(
            "sentence_index", pa.int32(), "0-based position of the sentence in the cleaned article.", False
        ),
        _field("sentence", pa.string(), "The sentence.", False),
        _field(
            "novelty",
            pa.float64(),
            "1 - best coverage by a sentence of another outlet (higher = newer).",
            False,
        ),
    ]
)

SENTENCE_ALIGNMENTS = pa.schema(
    [
        _field("cluster_id", pa.string(), "Story id.", False),
        _field("article_id", pa.string(), "Article of the sentence.", False),
        _field("sentence_index", pa.int32(), "0-based sentence position in that article.", False),
        _field(
            "matched_article_id",
            pa.string(),
            "Another outlet's article in the same story (in a story continued from earlier runs, "
            "possibly one of those runs' articles).",
            False,
        ),
        _field(
            "matched_sentence_index",
            pa.int32(),
            "Its best-matching sentence (rows exist only when one shares a term).",
        ),
        _field(
            "score",
            pa.float64(),
            "Coverage of this sentence by the matched one and the sentences beside it: weighted share "
            "of its content words, names and figures found there, 0-1 (directional; docs/sentences.md).",
            False,
        ),
    ]
)

PAIRS = pa.schema(
    [
        _field(
            "article_a",
            pa.string(),
            "Smaller article id of the pair (either may be an article of an earlier run that the "
            "run's articles were matched against: join articles by id, not by run_date, taking one "
            "row of an article sent on several days, as docs/cookbook.md's pair_decisions does).",
            False,
        ),
        _field("article_b", pa.string(), "Larger article id of the pair.", False),
        _field("score", pa.float64(), "TF-IDF cosine of the two articles (1.0 for exact duplicates).", False),
        _field("days_apart", pa.float64(), "Days between publication times; null if either is unknown."),
        _field(
            "verified",
            pa.bool_(),
            "True when the pair passed verification: a link for clustering, whose average linkage "
            "may still put the two articles in different stories.",
            False,
        ),
        _field(
            "reason",
            pa.string(),
            "verified, low_score, too_far_apart, few_shared_details or exact_duplicate.",
            False,
        ),
        _field(
            "found_by",
            pa.string(),
            "lsh (a candidate), component (a verified pair found by scoring every pair of a linked "
            "group; the group's pairs that fail are not written) or exact_duplicate.",
            False,
        ),
    ]
)

REJECTS = pa.schema(
    [
        _field("source_file", pa.string(), "Input file of the record.", False),
        _field(
            "source_record",
            pa.int64(),
            "1-based line or row number in that file; 0 for the rest of a file that could not be read.",
            False,
        ),
        _field("reason", pa.string(), "Reason code, e.g. malformed_json, missing_id, duplicate_id.", False),
        _field("detail", pa.string(), "What exactly was wrong, for a person."),
        _field(
            "raw",
            pa.string(),
            "The raw record, first 1,000 characters (empty for unreadable_file; the article's text "
            "for a reject decided after reading: duplicate_id, too_short, empty_text after clean-up, "
            "error_* of the analysis).",
        ),
    ]
)

STATE = pa.schema(
    [
        _field("article_id", pa.string(), "An article of a published run.", False),
        _field("cluster_id", pa.string(), "Its published story id.", False),
        _field("first_seen_run_date", pa.date32(), "Run date the story was first published.", False),
        _field("published_at", TIMESTAMP, "Publication time, for the verifier's time gap."),
        _field("outlet", pa.string(), "Outlet."),
        _field(
            "signature", pa.list_(pa.uint32()), "MinHash signature of its salient terms (for LSH).", False
        ),
        _field("term_ids", pa.list_(pa.uint32()), "Sorted term ids of its TF-IDF vector.", False),
        _field("term_weights", pa.list_(pa.float32()), "The L2-normalised weights of those terms.", False),
        _field("detail_ids", pa.list_(pa.uint32()), "Sorted ids of its rare terms (its details)."),
    ]
)

TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "clusters": CLUSTERS,
    "representatives": REPRESENTATIVES,
    "unique_sentences": UNIQUE_SENTENCES,
    "sentence_alignments": SENTENCE_ALIGNMENTS,
    "pairs": PAIRS,
    "rejects": REJECTS,
}

STATE_FREQUENCIES = pa.schema(
    [
        _field("num_documents", pa.int64(), "Canonical articles the run counted.", False),
        _field("num_buckets", pa.int64(), "Size of the hashed table (features.df_buckets).", False),
        _field("buckets", pa.list_(pa.uint32()), "The table's non-zero buckets, ascending.", False),
        _field("documents", pa.list_(pa.uint32()), "Articles with a term in each of those buckets.", False),
    ]
)

# What describing a story needs of an article of an earlier run, when a later run's
# articles continue the story: its sentences are compared with theirs (unique sentences and
# alignments are judged against the whole story, not only the articles of one day).
STATE_SENTENCES = pa.schema(
    [
        _field("article_id", pa.string(), "An article of a published run.", False),
        _field("cluster_id", pa.string(), "Its published story id.", False),
        _field("outlet", pa.string(), "Outlet."),
        _field("title", pa.string(), "Headline (a title repeated as the text's first line is not compared)."),
        _field("published_at", TIMESTAMP, "Publication time."),
        _field("content_hash", pa.string(), "Hash of its cleaned text (identical copies share it).", False),
        _field(
            "sentences",
            pa.binary(),
            "Its sentences after clean-up, in order: a JSON list of strings, zstd-compressed (a "
            "day's articles' text, carried to the writer and kept in the state at a third of its size).",
            False,
        ),
        _field("sentences_size", pa.int64(), "Bytes of that JSON list before compression.", False),
    ]
)

# Internal tables: written like the others, but into the state folder, not the output.
INTERNAL_TABLES: dict[str, pa.Schema] = {
    "state": STATE,
    "state_frequencies": STATE_FREQUENCIES,
    "state_sentences": STATE_SENTENCES,
}

# The column each table's rows are sorted by, so queries by story read few row groups.
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "articles": ("cluster_id", "article_id"),
    "clusters": ("cluster_id",),
    "representatives": ("cluster_id",),
    "unique_sentences": ("cluster_id", "article_id", "sentence_index"),
    "sentence_alignments": ("cluster_id", "article_id", "sentence_index", "matched_article_id"),
    "pairs": ("article_a", "article_b"),
    "rejects": ("source_file", "source_record", "reason"),
    "state": ("cluster_id", "article_id"),
    "state_frequencies": ("num_documents",),
    "state_sentences": ("cluster_id", "article_id"),
}


def compact_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with its string columns dictionary-encoded: the form in which a stage that
    makes rows by the million (a story's sentence alignments, a window's LSH candidates)
    hands them to the writer, which writes them in ``schema``.

    A story's alignment rows repeat its id and a few article ids in every row: as a
    dictionary each costs 4 bytes a row instead of the string, and the batches that the
    local runner holds until the writer runs shrink by more than half.
    """
    dictionary = pa.dictionary(pa.int32(), pa.string())
    return pa.schema(
        [field.with_type(dictionary) if field.type == pa.string() else field for field in schema],
        metadata=schema.metadata,
    )


def narrow_schema(schema: pa.Schema) -> pa.Schema:
    """``compact_schema`` with 16-bit dictionary indices and 16-bit integers in place of
    32-bit ones: how a story's sentence alignments travel when its articles and their
    sentences number under 32,768 (nearly always). Each row then takes 18 bytes instead of
    28, in every copy the local runner holds on the way to the writer, which casts the
    columns back to ``schema``.
    """
    dictionary = pa.dictionary(pa.int16(), pa.string())
    narrow = {pa.string(): dictionary, pa.int32(): pa.int16()}
    return pa.schema(
        [field.with_type(narrow.get(field.type, field.type)) for field in schema],
        metadata=schema.metadata,
    )
