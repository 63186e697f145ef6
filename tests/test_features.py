from __future__ import annotations

import datetime as dt
import json

import duckdb
import numpy as np
import pytest
from apache_beam.coders import FastPrimitivesCoder

from pipeline import config as config_module
from pipeline.features import (
    TermCounts,
    content_words,
    fold_accents,
    found_only_here,
    idf,
    packed_array,
    salient_terms,
    stem,
    term_buckets,
    term_counts,
    term_id,
    term_ids,
    term_vector,
    unpacked_array,
    weigh_terms,
)
from pipeline.records import ArticleSketch, Prior
from pipeline.run import run_job


def test_content_words_drop_stop_words_and_stem():
    assert content_words("The troops were deployed to Ukraine.") == ["troop", "deploy", "ukrain"]
    assert stem("guarantees") == "guarante"


def test_term_counts_kinds():
    counts = term_counts("Leader Karoline Leavitt spoke. Security guarantees matter.")
    assert counts["N:karoline"] == 1 and counts["N:leavitt"] == 1
    assert counts["N:leader"] == 0, "a capitalised sentence start is not a name"
    assert counts["karolin leavitt"] == 1
    assert counts["secur guarante"] == 1
    assert "security guarantees" not in counts, "pairs use stems"
    only_words = term_counts("Security guarantees matter.", kinds=("word",))
    assert set(only_words) == {"secur", "guarante", "matter"}


def test_chinese_japanese_and_thai_terms_are_character_trigrams():
    # A clause of these scripts was one term (its whole run of letters); Thai was also cut at
    # each vowel and tone mark, which is no word character to a regular expression.
    assert term_counts("G8601次列车驶出成都东站。") == {
        "g8601": 1, "次列车": 1, "列车驶": 1, "车驶出": 1, "驶出成": 1, "出成都": 1, "成都东": 1, "都东站": 1,
        "g8601 次列车": 1, "次列车 列车驶": 1, "列车驶 车驶出": 1, "车驶出 驶出成": 1, "驶出成 出成都": 1,
        "出成都 成都东": 1, "成都东 都东站": 1,
    }  # fmt: skip
    assert set(term_counts("ฝนตกหนัก", ["word"])) == {"ฝนต", "นตก", "ตกห", "กหน", "หนั", "นัก"}
    assert set(term_counts("JAXAは打ち上げた", ["word"])) == {"jaxa", "は打ち", "打ち上", "ち上げ", "上げた"}


def test_term_ids_are_stable():
    assert term_id("ukrain") == 0x92D92E3C, "crc32: the same id in every process and run"
    assert term_id("a") != term_id("b")
    assert 0 <= term_id("ukrain") < 2**32


def test_idf_is_smoothed_like_scikit_learn():
    assert idf(0, 1)[()] == np.log(2) + 1
    assert idf(4, 4)[()] == 1.0


def test_vectors_are_normalised_and_cosine_is_symmetric():
    table = np.zeros(1024, dtype=np.uint32)
    first = term_counts("Trump said troops will not go to Ukraine.")
    second = term_counts("Troops will not go to Ukraine, Trump declared.")
    for counts in (first, second):
        table[term_buckets(counts, 1024)] += 1
    vectors = [term_vector(*weigh_terms(c, table, 2)[1:]) for c in (first, second)]
    assert abs(vectors[0].cosine(vectors[0]) - 1.0) < 1e-6
    assert vectors[0].cosine(vectors[1]) == vectors[1].cosine(vectors[0])
    assert 0.3 < vectors[0].cosine(vectors[1]) < 1.0


def test_salient_terms_are_top_weighted_with_stable_ties():
    terms = ["b", "a", "c"]
    assert salient_terms(terms, np.array([1.0, 1.0, 3.0]), 2) == ["c", "a"]


def test_terms_no_other_article_has_are_salient_last():
    table = np.zeros(1024, np.uint32)
    ids = term_ids(["b", "a", "c"])
    table[ids & np.uint32(1023)] = [2, 1, 1]  # only "b" is in another article
    alone = found_only_here(ids, table)
    assert alone.tolist() == [False, True, True]
    assert salient_terms(["b", "a", "c"], np.array([1.0, 1.0, 3.0]), 2, alone) == ["b", "c"]


def test_the_c_stemmer_gives_the_pure_python_snowball_stems():
    """PyStemmer (used when installed, for speed) must stem exactly as snowballstemmer's own
    English stemmer does, or terms would change with the installation."""
    import re

    from snowballstemmer.english_stemmer import EnglishStemmer

    from .conftest import SEEDS

    reference = EnglishStemmer()
    words = {
        word.lower()
        for path in SEEDS.glob("*.txt")
        for word in re.findall(r"[^\W\d_]+", path.read_text(encoding="utf-8"))
    }
    assert len(words) > 500
    assert {word: stem(word) for word in words} == {word: reference.stemWord(word) for word in words}


def test_tokens_keep_inner_punctuation_only_between_letters_or_digits():
    from pipeline.features import _TOKEN

    cases = {
        "O'Brien's long-standing U.S.-led plan": ["O'Brien's", "long-standing", "U.S", "led", "plan"],
        "1,250.5 and 3.. 4,5, 6.,7 $90bn": ["1,250.5", "and", "3", "4,5", "6", "7", "90", "bn"],
        "a--b c'' d.-e x_y 2nd R2-D2": ["a", "b", "c", "d", "e", "x", "y", "2", "nd", "R2-D2"],
        "Élysée ²3 Ⅻ 日本 café\u0301s": ["Élysée", "²3", "Ⅻ", "日本", "café", "s"],
    }
    for text, tokens in cases.items():
        assert _TOKEN.findall(text) == tokens, text


def test_accents_of_latin_letters_are_folded_and_other_scripts_keep_theirs():
    assert term_counts("Rep. Raúl Labrador met JonBenét's family.") == term_counts(
        "Rep. Raul Labrador met JonBenet's family."
    )
    assert fold_accents("Nguyễn") == "Nguyen" and fold_accents("ÉLYSÉE") == "ELYSEE"
    assert fold_accents("йод") == "йод"  # a Cyrillic letter of its own, not an accented one


# One report spelled by two outlets, one with the names' accents and one without.
DAM_REPORT = (
    "A dam on the {river} River in northern Portugal gave way early on Wednesday, forcing about 2,000 "
    "people from three villages near Amarante, civil protection officials said.\n\n"
    "Prime Minister {pm} Montenegro promised emergency funds. Engineers had warned last year that "
    "the 60-year-old structure needed repairs."
)


def test_a_name_written_without_its_accents_is_the_same_story_term(tmp_path):
    spellings = [("Tâmega", "Luís"), ("Tamega", "Luis")]
    rows = [
        {
            "id": f"dam-{n}",
            "outlet": f"outlet {n}",
            "published_at": "2026-06-03T08:00:00Z",
            "text": DAM_REPORT.format(river=river, pm=pm),
        }
        for n, (river, pm) in enumerate(spellings)
    ]
    corpus = tmp_path / "dam.jsonl"
    corpus.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    run_job([str(corpus)], str(tmp_path / "out"), config_module.load(), run_date=dt.date(2026, 6, 3))
    pairs = duckdb.sql(
        f"select article_a, article_b, score from read_parquet('{tmp_path}/out/pairs/*/*.parquet')"
    ).fetchall()
    assert pairs == [("dam-0", "dam-1", 1.0)]


def test_sketches_cross_beams_coder_as_raw_bytes_and_come_back_equal():
    # Beam encodes a NamedTuple with pickle, about ten times per sketch (shuffles and size
    # estimates): the arrays travel as raw bytes, not through numpy's own reduction.
    coder = FastPrimitivesCoder()
    vector = term_vector(np.array([7, 3, 11], np.uint32), np.array([1.0, 2.0, 0.5]))
    signature = np.arange(256, dtype=np.uint64).reshape(2, 128)[1]  # a row of a batch, as sketched
    sketches = [
        ArticleSketch(
            "a",
            "Outlet",
            5,
            vector,
            signature,
            Prior("s-1", "2025-01-02"),
            np.array([3], np.uint32),
            np.array([4, 1, 255], np.uint8),
        ),
        ArticleSketch("b", None, None, term_vector(np.zeros(0, np.uint32), np.zeros(0)), signature[:4]),
    ]
    for sketch in sketches:
        encoded = coder.encode(sketch)
        assert b"_reconstruct" not in encoded and b"_frombuffer" not in encoded
        back = coder.decode(encoded)
        assert type(back) is ArticleSketch and back[:3] == sketch[:3] and back.prior == sketch.prior
        arrays = [(back.vector.ids, sketch.vector.ids), (back.vector.weights, sketch.vector.weights)]
        arrays.append((back.signature, sketch.signature))
        for optional in ("details", "frequencies"):
            if getattr(sketch, optional) is not None:
                arrays.append((getattr(back, optional), getattr(sketch, optional)))
            assert (getattr(back, optional) is None) == (getattr(sketch, optional) is None)
        for got, want in arrays:
            assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
            assert got.flags.writeable, "as any unpickled array"
    matrix = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert np.array_equal(unpacked_array(packed_array(matrix)), matrix)
    assert unpacked_array(packed_array(matrix)).shape == (2, 3)


def test_term_counts_cross_beams_coder_as_one_string_and_weigh_as_the_dict():
    counts = term_counts("Leader Karoline Leavitt spoke. Security guarantees matter to Leavitt.")
    packed = TermCounts.of(counts)
    assert packed == dict(counts) and list(packed) == list(counts) and packed["N:leavitt"] == 2
    encoded = FastPrimitivesCoder().encode(packed)
    assert "\n".join(counts).encode() in encoded, "the terms travel as one string, not a dict"
    back = FastPrimitivesCoder().decode(encoded)
    assert type(back) is TermCounts and list(back.items()) == list(counts.items())
    table = np.arange(1024, dtype=np.uint32)
    for got, want in zip(weigh_terms(back, table, 9), weigh_terms(dict(counts), table, 9), strict=True):
        assert np.array_equal(got, want)
    assert np.array_equal(term_buckets(back, 1024), term_buckets(dict(counts), 1024))
    assert (
        TermCounts.of({}) == {}
        and not TermCounts.of({})
        and list(TermCounts.of({"": 3}).items()) == [("", 3)]
    )
    with pytest.raises(ValueError, match="line break"):
        TermCounts.of({"two\nlines": 1})
