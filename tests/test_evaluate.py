"""The evaluation command's label loading: the labels must be those of the articles the
pipeline reads, from every input the pipeline reads."""

from __future__ import annotations

import gzip
import json

from pipeline.evaluate import load_labels


def _rows(*rows: dict) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


ROWS = _rows(
    {"id": "a", "text": "One story told once.", "story": "s1"},
    {"id": "b", "text": "The same story told again.", "story": "s1"},
    {"id": "c", "text": "Another story.", "story": "s2"},
)


def test_labels_of_a_gzipped_json_lines_file(tmp_path):
    path = tmp_path / "corpus.jsonl.gz"
    path.write_bytes(gzip.compress(ROWS.encode("utf-8")))
    assert load_labels([str(path)]) == {"a": "s1", "b": "s1", "c": "s2"}


def test_labels_of_files_whose_suffix_is_upper_case(tmp_path):
    # The reader accepts DEV.JSONL and X.JSONL.GZ; the labels must be read from them too.
    plain, packed = tmp_path / "DEV.JSONL", tmp_path / "MORE.JSONL.GZ"
    plain.write_text(ROWS, encoding="utf-8")
    packed.write_bytes(gzip.compress(_rows({"id": "d", "text": "A fourth.", "story": "s3"}).encode("utf-8")))
    assert load_labels([str(plain), str(packed)]) == {"a": "s1", "b": "s1", "c": "s2", "d": "s3"}
