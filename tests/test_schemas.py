"""Pins every output table's columns and types: a change here is a change users see."""

from __future__ import annotations

import pyarrow as pa

from schemas.tables import INTERNAL_TABLES, SORT_KEYS, TABLES

EXPECTED = {
    "articles": "article_id:string cluster_id:string outlet:string title:string "
    "published_at:timestamp[us, tz=UTC] url:string source_file:string source_record:int64 "
    "num_sentences:int32 boilerplate_lines:int32 duplicate_of:string content_hash:string "
    "is_representative:bool similarity_to_representative:double",
    "clusters": "cluster_id:string size:int32 num_outlets:int32 outlets:list<item: string> "
    "representative_id:string first_seen_run_date:date32[day] first_published_at:timestamp[us, tz=UTC] "
    "last_published_at:timestamp[us, tz=UTC] "
    "outlet_coverage:list<item: struct<outlet: string, shared_with_representative: double, "
    "article_id: string>>",
    "representatives": "cluster_id:string article_id:string outlet:string title:string "
    "published_at:timestamp[us, tz=UTC] text:string",
    "unique_sentences": "cluster_id:string outlet:string article_id:string sentence_index:int32 "
    "sentence:string novelty:double",
    "sentence_alignments": "cluster_id:string article_id:string sentence_index:int32 "
    "matched_article_id:string matched_sentence_index:int32 score:double",
    "pairs": "article_a:string article_b:string score:double days_apart:double verified:bool reason:string "
    "found_by:string",
    "rejects": "source_file:string source_record:int64 reason:string detail:string raw:string",
}


def describe(schema: pa.Schema) -> str:
    return " ".join(f"{field.name}:{field.type}" for field in schema)


def test_table_schemas_are_pinned():
    assert {name: describe(schema) for name, schema in TABLES.items()} == EXPECTED


def test_every_column_is_documented_and_sortable():
    for name, schema in {**TABLES, **INTERNAL_TABLES}.items():
        for field in schema:
            assert field.metadata and field.metadata[b"doc"], f"{name}.{field.name} has no doc"
        assert set(SORT_KEYS[name]) <= set(schema.names)
