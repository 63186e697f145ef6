"""Chinese, Japanese and Thai articles, written without spaces between words, through the
whole pipeline: tests/data/no_space_scripts.jsonl holds a wire story and its rewrites by other
outlets in each language (reordered, reworded, each outlet adding a sentence of its own),
and a story on the same topic (same people and places, another event)."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from pipeline import config as config_module
from pipeline.run import run_job

from .conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "no_space_scripts.jsonl"
# What one outlet has and no other outlet of its story does: the sentence each rewrite adds,
# and those of the wire story that no rewrite kept.
ONLY_ONE_OUTLET_HAS = {
    ("zh-rail-chuanyu", "在成都东站,不少市民一早就赶来,争相与首发列车合影留念。"),
    ("zh-rail-chongqing", "重庆市民李女士说,今后周末去成都看一场演出,当天就能往返。"),
    ("zh-rail-xinhua", "据介绍,成渝地区双城经济圈内已形成多条高速铁路通道。"),
    ("ja-h3-nishinihon", "打ち上げを見守ろうと、島内の展望所には早朝から約3千人の見物客が詰めかけた。"),
    ("ja-h3-kyodo", "JAXAは2026年度中にさらに2機の打ち上げを予定している。"),
    # Only this outlet says who developed the rocket (the other: "the sixth success in a row").
    ("ja-h3-kyodo", "H3は三菱重工業と共同で開発した日本の主力ロケットで、打ち上げ成功は6回連続となった。"),
    ("th-rain-thairath", "ผู้สื่อข่าวรายงานว่าที่อําเภอหาดใหญ่ร้านค้าหลายแห่งเริ่มขนสินค้าขึ้นที่สูงตั้งแต่เช้าวันนี้"),
    (
        "th-rain-mcot",
        "กรมป้องกันและบรรเทาสาธารณภัยได้สั่งการให้สํานักงานในพื้นที่เตรียมเครื่องสูบน้ําและเรือไว้ช่วยเหลือประชาชน",
    ),
}
# Reported, though the other outlet says it in other words ("the provinces to watch are"):
# a paraphrase with no two letters in common is not found, as in English without a synonym.
MISSED_PARAPHRASE = ("th-rain-mcot", "จังหวัดที่ต้องระวังเป็นพิเศษได้แก่")


@pytest.fixture(scope="module")
def corpus_output(tmp_path_factory):
    output = tmp_path_factory.mktemp("no_space_out")
    job = run_job([str(CORPUS)], str(output), config_module.load(), run_date=dt.date(2025, 11, 30))
    return output, job


def rows(output, sql: str) -> list[tuple]:
    for table in ("articles", "unique_sentences", "rejects"):
        sql = sql.replace(f"{{{table}}}", f"read_parquet('{output}/{table}/*/*.parquet')")
    return duckdb.sql(sql).fetchall()


def test_rewrites_are_one_story_and_a_story_on_the_same_topic_another(corpus_output):
    output, _ = corpus_output
    records = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    stories = {record["id"]: record["story"] for record in records}
    clusters = dict(rows(output, "select article_id, cluster_id from {articles}"))
    assert clusters.keys() == stories.keys()
    assert rows(output, "select count(*) from {rejects}") == [(0,)]
    for first in stories:
        for second in stories:
            same_story = stories[first] == stories[second]
            assert (clusters[first] == clusters[second]) == same_story, (first, second)


def test_what_one_outlet_added_is_unique_and_what_outlets_share_is_not(corpus_output):
    output, _ = corpus_output
    unique = set(rows(output, "select article_id, sentence from {unique_sentences}"))
    assert unique == ONLY_ONE_OUTLET_HAS | {MISSED_PARAPHRASE}


# A copy of an article as another outlet's page prints it: the wire's and the page's
# boilerplate around the same text.
PAGE_BOILERPLATE = {
    "zh-rail-chongqing": (
        ["原标题：成渝中线高铁开通", "（记者 张三）"],
        ["（完）", "【编辑：李四】", "扫码下载客户端"],
    ),
    "ja-h3-kyodo": (["関連記事"], ["（共同）", "©共同通信社", "無断転載禁止"]),
    "th-rain-thairath": ([], ["อ่านข่าวเพิ่มเติม", "ติดตามข่าวสารได้ที่ www.thairath.co.th"]),
}


def test_the_boilerplate_of_a_copy_is_counted_and_the_copy_is_the_article(tmp_path):
    """Before, no rule knew these lines: a page's copy of an article had 0 boilerplate lines
    and was not an exact duplicate of it."""
    records = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    pages = []
    for record in records:
        if record["id"] in PAGE_BOILERPLATE:
            top, bottom = PAGE_BOILERPLATE[record["id"]]
            text = "\n\n".join([*top, record["text"], *bottom])
            pages.append({**record, "id": f"{record['id']}-page", "outlet": "门户网站", "text": text})
    corpus = tmp_path / "with_pages.jsonl"
    corpus.write_text(
        "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records + pages), "utf-8"
    )
    output = tmp_path / "out"
    run_job([str(corpus)], str(output), config_module.load(), run_date=dt.date(2025, 11, 30))
    assert rows(output, "select count(*) from {rejects}") == [(0,)]
    articles = {
        row[0]: row[1:]
        for row in rows(output, "select article_id, boilerplate_lines, duplicate_of from {articles}")
    }
    for article_id, (top, bottom) in PAGE_BOILERPLATE.items():
        assert articles[f"{article_id}-page"] == (len(top) + len(bottom), article_id)
    assert rows(output, "select count(*) from {unique_sentences} where article_id like '%-page'") == [(0,)]
