"""The HTML report: pure rendering (escaping, anchors, unique sentences, side by side) and the
command end to end, checked in headless Chromium (Debian's ``chromium``, installed by CI)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import cli, report
from pipeline.config import InputConfig
from pipeline.report import (
    ArticleInfo,
    RunSummary,
    SideBySideRow,
    Story,
    UniqueSentence,
    nice_step,
    render_report,
    render_side_by_side,
    render_story,
    side_by_side_rows,
    size_bins,
    timeline_svg,
)
from pipeline.text import normalise, split_sentences, strip_boilerplate
from tests.conftest import ROOT, SEEDS

RUN_DATE = "2025-08-19"
SCRIPT_PAYLOAD = '<script>window.__pwned = 1; document.title = "PWNED"</script>'
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=2">'
CHROMIUM_NAMES = ("chromium", "chromium-browser")


# --- A small DOM reader (the standard library's parser; also reads Chromium's --dump-dom) ---


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, css_class: str | None = None) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag) and (css_class is None or css_class in e.classes)
        ]


class _TreeBuilder(HTMLParser):
    VOID = {"meta", "link", "br", "img", "input", "hr", "col", "source", "wbr", "area", "base"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.current)
        self.current.children.append(element)
        if tag not in self.VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_dom(markup: str) -> Element:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


def by_id(dom: Element, element_id: str) -> Element:
    found = [e for e in dom.iter() if e.attrs.get("id") == element_id]
    assert len(found) == 1, f"expected one element with id={element_id!r}, found {len(found)}"
    return found[0]


# --- Records for the unit tests ---

T0 = dt.datetime(2025, 8, 19, 12, 0, tzinfo=dt.UTC)
EVIL = '<script>alert("x")</script> & "quotes" \'too\''
EVIL_ATTRIBUTE = '" onmouseover="alert(1)'


def make_story(**changes) -> Story:
    rep = ArticleInfo("rep-1", "Wire Agency", "Quake hits coast", T0, "https://wire.example/1", 1.0, True, 3)
    other = ArticleInfo(
        "other-1", "Daily Paper", "Coast shaken", T0 + dt.timedelta(hours=2), None, 0.4, False, 3
    )
    fields = dict(
        cluster_id="s_0123456789abcdef",
        articles=(rep, other),
        representative_id="rep-1",
        representative_sentences=(
            "A strong earthquake hit the coast on Tuesday.",
            "Officials reported no casualties so far.",
            "The agency said aftershocks were likely.",
        ),
        unique=(
            UniqueSentence("rep-1", 2, "The agency said aftershocks were likely.", 0.8),
            UniqueSentence("other-1", 1, "Residents gathered in the main square overnight.", 0.9),
        ),
        alignments={
            ("other-1", "rep-1"): {0: (0, 0.9), 1: (-1, 0.0), 2: (1, 0.7)},
            ("rep-1", "other-1"): {0: (0, 0.9), 1: (2, 0.7), 2: (-1, 0.1)},
        },
        sentences={},
        coverage={"Wire Agency": 1.0, "Daily Paper": 0.5},
        num_outlets=2,
    )
    fields.update(changes)
    return Story(**fields)


def make_report(stories, **changes) -> report.Report:
    summary = RunSummary(
        run_date=RUN_DATE,
        manifest={
            "run_id": "20250819T000000-abc",
            "seconds": 12.5,
            "row_counts": {"articles": 3, "rejects": 1, "unique_sentences": 2, "pairs": 1},
            "reconciliation": {"input_records": 4, "articles": 3, "rejects": 1, "balanced": True},
            "config": {"sentences": {"match_threshold": 0.5}, "lsh": {"num_perm": 128}},
            "counters": {"read/records": 4},
        },
        cluster_sizes=[2, 1],
        rejects_by_reason=[("malformed_json", 1)],
        reject_examples=[
            {
                "source_file": "in.jsonl",
                "source_record": 4,
                "reason": "malformed_json",
                "detail": "bad",
                "raw": "{" + EVIL,
            }
        ],
        pairs_by_reason=[("verified", 1)],
    )
    fields = dict(
        summary=summary,
        stories=stories,
        singletons=[ArticleInfo("lone-1", EVIL, EVIL, T0)],
        singleton_count=1,
    )
    fields.update(changes)
    return report.Report(**fields)


# --- Pure rendering ---


def test_every_value_from_the_data_is_escaped():
    rep = ArticleInfo("rep<1>", EVIL_ATTRIBUTE + EVIL, EVIL, T0, "https://x.example/?a=1&b=<2>", 1.0, True, 2)
    other = ArticleInfo("o<b>1</b>", EVIL, EVIL, None, None, 0.3, False, 2)
    story = make_story(
        cluster_id="s_<evil>",
        articles=(rep, other),
        representative_id=rep.article_id,
        representative_sentences=(EVIL, "Plain " + EVIL),
        unique=(
            UniqueSentence(other.article_id, 0, EVIL, 1.0),
            UniqueSentence(rep.article_id, 1, "Plain " + EVIL, 1.0),
        ),
        alignments={(other.article_id, rep.article_id): {0: (-1, 0.0), 1: (0, 0.8)}},
        sentences={other.article_id: (EVIL, EVIL)},
        coverage={rep.outlet: 1.0},
    )
    page = render_report(make_report([story]))
    assert "<script" not in page.lower(), "the page has no script element at all"
    assert "<b>1</b>" not in page and "<evil>" not in page
    assert EVIL_ATTRIBUTE not in page, "a quote in the data must not close an attribute"
    assert html.escape(EVIL) in page
    dom = parse_dom(page)
    assert not dom.find_all("script") and "1" not in [b.text for b in dom.find_all("b")]
    assert EVIL in by_id(dom, "story-s_<evil>").text, "the text reads back exactly, as text"
    assert all("onmouseover" not in element.attrs for element in dom.iter())


def test_control_characters_from_the_data_are_not_written_into_the_page():
    # NUL, ESC and C1 codes are not allowed in HTML text: each is shown as U+FFFD.
    dirty = "Wire\x00 \x1b[31m \x85\x9f\x7f"
    rep = ArticleInfo("rep\x01", dirty, dirty, T0, None, 1.0, True, 1)
    story = make_story(
        articles=(rep,), representative_id=rep.article_id, representative_sentences=("Tab\tand\x0bvt.",)
    )
    page = render_report(make_report([story]))
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)
    assert "Wire\ufffd \ufffd[31m \ufffd\ufffd\ufffd" in page and "Tab\tand\ufffdvt." in page


def test_a_list_holds_only_its_items():
    # The "show N more" of a long list of added sentences follows the list, not inside it.
    unique = tuple(UniqueSentence("other-1", i, f"Added sentence number {i} here.", 0.9) for i in range(12))
    dom = parse_dom(render_story(make_story(unique=unique), 1))
    assert all(
        child.tag == "li" for ul in dom.find_all("ul") for child in ul.children if isinstance(child, Element)
    )
    assert sum(len(ul.find_all("li")) for ul in dom.find_all("ul") if ul.parent.tag != "ul") >= 12


RLO, FSI, PDI = "\u202e", "\u2068", "\u2069"


def _isolated(node: Element, text: str) -> bool:
    """Whether a text node of the page keeps its direction to itself: inside a <bdi> (or an element
    the stylesheet isolates), alone in an SVG label or its tooltip, or between FSI and PDI in an
    SVG title that has more text."""
    if node.tag == "text" or (node.parent is not None and node.parent.tag == "text"):
        return True  # an SVG label and its tooltip: the value alone
    if node.tag == "title":
        return RLO not in re.sub(f"{FSI}[^{PDI}]*{PDI}", "", text)
    element: Element | None = node
    while element is not None:
        if element.tag == "bdi" or (element.tag, *element.classes) in {("mark", "unique"), ("span", "h")}:
            return True
        element = element.parent
    return False


def test_right_to_left_text_and_open_overrides_cannot_reorder_the_text_beside_them():
    # U+202E (right-to-left override) left open in an outlet, a title, an id and sentences would
    # turn "Wire Agency · 2025-08-19 12:00 UTC · rep-1" into "...1-per · CTU 00:21 91-80-5202".
    rep = ArticleInfo(f"rep{RLO}-1", f"Wire {RLO}Agency", f"Quake {RLO}hits coast", T0, None, 1.0, True, 3)
    other = ArticleInfo(
        "other-1", f"\u0627\u0644\u062c\u0632\u064a\u0631\u0629 {RLO}", "Coast", T0, None, 0.4, False, 3
    )
    sentences = (
        f"A strong {RLO}earthquake hit.",
        "Officials reported no casualties so far.",
        f"Aftershocks {RLO}were likely.",
    )
    story = make_story(
        articles=(rep, other),
        representative_id=rep.article_id,
        representative_sentences=sentences,
        unique=(UniqueSentence(rep.article_id, 2, sentences[2], 0.8),),
        alignments={
            (other.article_id, rep.article_id): {0: (0, 0.9)},
            (rep.article_id, other.article_id): {0: (0, 0.9)},
        },
    )
    page = render_report(
        make_report([story], singletons=[ArticleInfo(f"lone{RLO}", f"O{RLO}", f"T{RLO}", T0)])
    )
    assert "mark.unique,span.h{unicode-bidi:isolate}" in page
    dom = parse_dom(page)
    leaking = [
        (element.tag, child)
        for element in dom.iter()
        for child in element.children
        if isinstance(child, str) and RLO in child and not _isolated(element, child)
    ]
    assert not leaking
    (heading,) = [h for h in dom.find_all("h3") if h.text.startswith("Representative")]
    assert [b.text for b in heading.find_all("bdi")] == [rep.outlet, rep.article_id]


def test_story_has_an_anchor_linked_from_the_contents():
    story = make_story()
    dom = parse_dom(render_report(make_report([story])))
    section = by_id(dom, "story-s_0123456789abcdef")
    assert section.tag == "section"
    assert "Quake hits coast" in section.find_all("h2")[0].text
    contents = by_id(dom, "contents")
    assert [a.attrs["href"] for a in contents.find_all("a")] == ["#story-s_0123456789abcdef"]


def test_unique_sentences_are_marked_where_they_appear():
    story = make_story()
    dom = parse_dom(render_story(story, 1))
    marks = dom.find_all("mark", "unique")
    marked = {(m.attrs["data-article"], int(m.attrs["data-index"]), m.text) for m in marks}
    assert marked == {(u.article_id, u.sentence_index, u.sentence) for u in story.unique}
    representative_text = dom.find_all("div", "article")[0]
    assert [m.text for m in representative_text.find_all("mark", "unique")] == [
        "The agency said aftershocks were likely."
    ]
    added = {h.text.split()[0] for h in dom.find_all("h4")}
    assert added == {"Wire", "Daily"}


def test_side_by_side_rows_keep_both_reading_orders():
    # right 0 -> left 1, right 1 -> left 2, right 2 -> left 0 (out of order), right 3 unmatched (0.2)
    rows = side_by_side_rows(3, 4, {0: (1, 0.9), 1: (2, 0.8), 2: (0, 0.6), 3: (0, 0.2)}, 0.5)
    assert rows == [
        SideBySideRow(0, None),
        SideBySideRow(1, 0, 0.9),
        SideBySideRow(2, 1, 0.8),
        SideBySideRow(0, 2, 0.6, repeat=True),
        SideBySideRow(None, 3),
    ]
    assert side_by_side_rows(2, 2, {0: (0, 1.0), 1: (1, 1.0)}, 0.5) == [
        SideBySideRow(0, 0, 1.0),
        SideBySideRow(1, 1, 1.0),
    ]
    assert side_by_side_rows(1, 1, {0: (-1, 0.0)}, 0.5) == [SideBySideRow(None, 0), SideBySideRow(0, None)]


def test_side_by_side_shows_aligned_sentences_on_one_row():
    story = make_story(
        sentences={
            "other-1": (
                "An earthquake struck the coast Tuesday.",
                "Residents gathered in the main square overnight.",
                "No one was hurt, officials said.",
            )
        }
    )
    dom = parse_dom(render_side_by_side(story, story.articles[1], 0.5))
    trs = dom.find_all("tbody")[0].find_all("tr")
    assert [[td.text for td in tr.find_all("td")] for tr in trs] == [
        ["A strong earthquake hit the coast on Tuesday.", "0.90", "An earthquake struck the coast Tuesday."],
        ["", "", "Residents gathered in the main square overnight."],
        ["Officials reported no casualties so far.", "0.70", "No one was hurt, officials said."],
        ["The agency said aftershocks were likely.", "", ""],
    ]
    assert [tr.attrs.get("class") for tr in trs] == [None, "added", None, "dropped"]
    assert len(dom.find_all("mark", "unique")) == 2
    # The stylesheet numbers the cells that hold a sentence (not class x) with CSS counters:
    # each column must list its article's sentences once each, in order.
    left = [tr.find_all("td")[0] for tr in trs]
    right = [tr.find_all("td")[2] for tr in trs]
    assert [td.text for td in left if "x" not in td.classes] == list(story.representative_sentences)
    assert [td.text for td in right if "x" not in td.classes] == list(story.sentences["other-1"])


def test_side_by_side_without_the_input_text_shows_what_the_tables_have():
    story = make_story()  # no re-read sentences: only the unique one has text
    dom = parse_dom(render_side_by_side(story, story.articles[1], 0.5))
    assert len(dom.find_all("td", "m")) == 2, "two shared sentences without text"
    assert [m.text for m in dom.find_all("mark", "unique") if m.attrs["data-article"] == "other-1"] == [
        "Residents gathered in the main square overnight."
    ]
    assert "was not re-read, is gone or no longer gives the text" in dom.text


def test_side_by_side_takes_the_earliest_aligned_article_of_each_other_outlet():
    rep = ArticleInfo("rep", "Wire", None, T0, is_representative=True, num_sentences=1)
    articles = [
        rep,
        ArticleInfo("same-outlet", "Wire", None, T0 + dt.timedelta(hours=1)),
        ArticleInfo("paper-1", "Paper", None, T0 + dt.timedelta(hours=2)),
        ArticleInfo("paper-2", "Paper", None, T0 + dt.timedelta(hours=3)),
        ArticleInfo("copy", "Radio", None, T0 + dt.timedelta(hours=4), duplicate_of="rep"),
        ArticleInfo("unaligned", "TV", None, T0 + dt.timedelta(hours=5)),
        *(ArticleInfo(f"blog-{n}", f"Blog {n}", None, T0 + dt.timedelta(hours=6 + n)) for n in range(5)),
    ]
    aligned = {(a.article_id, "rep"): {0: (0, 1.0)} for a in articles if a.article_id != "unaligned"}
    story = make_story(articles=tuple(articles), representative_id="rep", alignments=aligned)
    chosen = [a.article_id for a in report.side_by_side_articles(story)]
    assert chosen == ["paper-1", "blog-0", "blog-1", "blog-2"][: report.MAX_SIDE_BY_SIDE]


def test_outlet_names_that_differ_in_case_or_spacing_are_one_outlet_side_by_side_and_on_the_timeline():
    # As in the run (clusters.num_outlets, outlet_coverage): "Daily Paper", "daily  paper" and
    # "DAILY PAPER" are one outlet, shown as its earliest article's spelling.
    rep = ArticleInfo("rep-1", "Wire Agency", "Quake", T0, None, 1.0, True, 3)
    spellings = ["Daily Paper", "daily  paper", "DAILY\u00a0PAPER"]
    others = [
        ArticleInfo(f"paper-{n}", name, "Coast", T0 + dt.timedelta(hours=n + 1), None, 0.4, False, 3)
        for n, name in enumerate(spellings)
    ]
    radio = ArticleInfo("radio-1", "Radio", "Quake", T0 + dt.timedelta(hours=5), None, 0.4, False, 3)
    articles = (rep, *others, radio)
    story = make_story(
        articles=articles,
        unique=(),
        alignments={(a.article_id, "rep-1"): {0: (0, 0.9)} for a in articles[1:]},
        num_outlets=3,
    )
    assert [a.article_id for a in report.side_by_side_articles(story)] == ["paper-0", "radio-1"]
    lanes = parse_dom(timeline_svg(articles, "rep-1")).find_all("text", "outlet")
    assert [lane.find_all("title")[0].text for lane in lanes] == ["Wire Agency", "Daily Paper", "Radio"]
    dom = parse_dom(render_story(story, 1))
    assert len(dom.find_all("details", "sbs")) == 2
    assert "Shown: the earliest article of 2 other outlets; 2 more articles" in dom.text


def test_only_web_links_become_hrefs():
    articles = (
        ArticleInfo("rep-1", "A", "t", T0, "javascript:alert(1)", 1.0, True, 3),
        ArticleInfo("other-1", "B", "t", T0, "https://ok.example/a?b=1&c=2", 0.5, False, 3),
    )
    page = render_story(make_story(articles=articles), 1)
    hrefs = [a.attrs["href"] for a in parse_dom(page).find_all("a")]
    assert "https://ok.example/a?b=1&c=2" in hrefs
    assert not any("javascript" in h for h in hrefs)


def test_page_is_self_contained():
    page = render_report(make_report([make_story()]))
    dom = parse_dom(page)
    assert not dom.find_all("script") and not dom.find_all("link") and not dom.find_all("img")
    assert " src=" not in page and "@import" not in page and "url(" not in page
    policy = [m for m in dom.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "default-src 'none'" in policy[0].attrs["content"]
    external = [a.attrs["href"] for a in dom.find_all("a") if not a.attrs["href"].startswith("#")]
    assert external == ["https://wire.example/1"], "only the articles' own links leave the page"


def test_a_big_run_is_cut_to_the_size_budget_and_the_rest_listed():
    stories = [
        make_story(cluster_id=f"s_{n:016x}", representative_sentences=(f"Story {n} says " + "x" * 3000,))
        for n in range(5)
    ]
    more = [report.StoryHeadline("s_later", "A later story", 2, 2, T0)]
    page = render_report(make_report(stories, more_stories=more, stories_not_shown=1), max_mb=0.02)
    dom = parse_dom(page)
    sections = dom.find_all("section", "story")
    assert 1 <= len(sections) < 5, "the budget cuts the detailed stories"
    contents = by_id(dom, "contents")
    assert len(contents.find_all("a")) == len(sections)
    assert f"{5 - len(sections) + 1} more stories" in contents.text
    assert "s_0000000000000004" in contents.text and "A later story" in contents.text
    assert len(parse_dom(render_report(make_report(stories))).find_all("section", "story")) == 5


def test_the_size_budget_counts_utf8_bytes_of_the_whole_page():
    # Sentences of 2,000 three-byte characters: ten stories fit 0.1 MB as characters, not as bytes.
    stories = [
        make_story(cluster_id=f"s_{n:016x}", representative_sentences=("\u20ac" * 2000,)) for n in range(10)
    ]
    page = render_report(make_report(stories), max_mb=0.1)
    assert 1 < len(parse_dom(page).find_all("section", "story")) < 10
    assert len(page.encode("utf-8")) <= 100_000


def test_size_histogram_bins_and_gridlines():
    assert size_bins([1, 1, 1, 2, 5, 12, 13, 120]) == [
        ("1", 3),
        ("2", 1),
        ("3", 0),
        ("4", 0),
        ("5", 1),
        ("6", 0),
        ("7", 0),
        ("8", 0),
        ("9", 0),
        ("10-19", 2),
        ("20-49", 0),
        ("50-99", 0),
        ("100+", 1),
    ]
    assert size_bins([1, 3]) == [("1", 1), ("2", 0), ("3", 1)]
    assert size_bins([]) == []
    assert [nice_step(p) for p in (1, 4, 5, 10, 23, 3516)] == [1, 1, 2, 5, 10, 1000]
    svg = parse_dom(report.size_histogram_svg([1, 1, 2]))
    bars = svg.find_all("rect", "bar")
    assert [bar.text for bar in bars] == ["1 article: 2 stories", "2 articles: 1 story"]
    bars = parse_dom(report.size_histogram_svg([12])).find_all("rect", "bar")
    assert bars[-1].text == "10-19 articles: 1 story"


def test_timeline_has_a_lane_per_outlet_and_a_dot_per_timed_article():
    articles = [
        ArticleInfo("a", "Wire", None, T0),
        ArticleInfo("b", "Paper", None, T0 + dt.timedelta(hours=5)),
        ArticleInfo("c", "Wire", None, T0 + dt.timedelta(hours=1)),
        ArticleInfo("d", "Radio", None, None),
    ]
    svg = parse_dom(timeline_svg(articles, "a"))
    assert len(svg.find_all("circle", "dot")) == 3 and len(svg.find_all("circle", "rep")) == 1
    assert [t.text for t in svg.find_all("text", "outlet")] == ["WireWire", "PaperPaper"]  # <title> + label
    assert "1 article without a publication time" in svg.text
    assert "No publication times" in timeline_svg([ArticleInfo("x", "W")])


def test_the_run_facts_count_the_scored_pairs_apart_from_the_lsh_candidates():
    # As on the fixture: LSH proposed 24 pairs, 10 more were scored inside linked groups. The
    # page called all 34 rows of pairs "candidate pairs".
    summary = make_report([]).summary
    manifest = {
        **summary.manifest,
        "row_counts": {**summary.manifest["row_counts"], "pairs": 34},
        "counters": {"lsh/candidates": 24},
        "lsh": {"bands": 128, "rows": 1},
    }
    page = report.render_summary(
        dataclasses.replace(summary, manifest=manifest, pairs_by_reason=[("verified", 34)])
    )
    facts = dict(re.findall(r"<tr><th>([^<]*)</th><td>([^<]*)</td></tr>", page))
    assert facts["scored pairs"] == "34 (verified 34)"
    assert facts["LSH"] == "128 bands \u00d7 1 rows: 24 candidates"
    assert "candidate pairs" not in facts


def test_find_run_dates_lists_runs_with_a_manifest(tmp_path):
    for date, finished in (("2025-08-18", True), ("2025-08-20", True), ("2025-08-21", False)):
        folder = tmp_path / "_runs" / f"run_date={date}"
        folder.mkdir(parents=True)
        if finished:
            (folder / "manifest.json").write_text("{}")
    assert report.find_run_dates(str(tmp_path)) == ["2025-08-18", "2025-08-20"]
    assert report.find_run_dates(str(tmp_path / "nothing")) == []


# --- End to end: the seeds plus a hostile article, rendered by headless Chromium ---


def storymatch(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def chromium_binary() -> str:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(
        "headless Chromium is required for the report's browser test and was not found on PATH "
        f"(looked for {', '.join(CHROMIUM_NAMES)}). "
        "Install it with: apt-get update && apt-get install -y chromium"
    )


def dump_dom(page: Path, profile: Path) -> str:
    result = subprocess.run(
        [
            chromium_binary(),
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=3000",  # let any timer or onerror handler run before the dump
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """The five seeds as JSON Lines plus a rewrite of seed 000 whose title, outlet and text carry
    script payloads (the reader strips tags from text only, so title and outlet keep them)."""
    folder = tmp_path_factory.mktemp("report_e2e")
    seeds = sorted(SEEDS.glob("*.txt"))
    rows = [
        {
            "id": path.stem,
            "outlet": f"Outlet {chr(65 + n)}",
            "title": f"Seed headline {n}",
            "published_at": f"2025-08-19T{12 + n:02d}:00:00Z",
            "text": path.read_text(encoding="utf-8"),
        }
        for n, path in enumerate(seeds)
    ]
    rows.append(
        {
            "id": "hostile-1",
            "outlet": f"Evil Outlet {IMG_PAYLOAD}",
            "title": f"{SCRIPT_PAYLOAD} Evil headline {IMG_PAYLOAD}",
            "published_at": "2025-08-19T20:00:00Z",
            "text": f"{rows[0]['text']}\n\n<p>{SCRIPT_PAYLOAD}{IMG_PAYLOAD}</p>\n"
            "<p>The harbour master in Odesa counted forty grain ships waiting outside the port.</p>",
        }
    )
    articles = folder / "articles.jsonl"
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = folder / "out"
    result = storymatch("run", "--input", str(articles), "--output", str(output), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stderr
    written = storymatch("report", "--output", str(output))  # the latest run, the default file
    assert written.returncode == 0, written.stderr
    page = output / "_runs" / f"run_date={RUN_DATE}" / "report.html"
    assert f"report: {page}" in written.stdout
    return folder, output, page


# Holds an output folder's lock as a run does while it writes, until killed.
LOCK_HOLDER = """
import sys, time
from pipeline.publish import lock_output
with lock_output(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(600)
"""


def seeds_first() -> str:
    return sorted(SEEDS.glob("*.txt"))[0].stem


def _table(output: Path, name: str) -> str:
    return f"read_parquet('{output}/{name}/run_date={RUN_DATE}/*.parquet')"


def test_report_renders_the_story_in_chromium_and_runs_no_injected_script(hostile_run):
    folder, output, page = hostile_run
    cluster_id, representative_id, title = duckdb.execute(
        f"select c.cluster_id, c.representative_id, r.title from {_table(output, 'clusters')} c "
        f"join {_table(output, 'representatives')} r using (cluster_id) "
        f"join {_table(output, 'articles')} a using (cluster_id) where a.article_id = 'hostile-1'"
    ).fetchall()[0]
    members = {
        a
        for (a,) in duckdb.execute(
            f"select article_id from {_table(output, 'articles')} where cluster_id = ?", [cluster_id]
        ).fetchall()
    }
    assert {"hostile-1", seeds_first()} <= members, "the rewrite of seed 000 joins its story"
    unique = duckdb.execute(
        f"select article_id, sentence_index, sentence from {_table(output, 'unique_sentences')} "
        "where cluster_id = ?",
        [cluster_id],
    ).fetchall()
    assert unique, "the seeds' outlets each add sentences of their own"

    dom = parse_dom(dump_dom(page, folder / "chromium-profile"))

    # Nothing ran: no script or img element exists, and the payload's title change did not happen.
    assert dom.find_all("title")[0].text == f"storymatch report \u00b7 {RUN_DATE}"
    assert not dom.find_all("script") and not dom.find_all("img")
    assert all(not name.startswith("on") for element in dom.iter() for name in element.attrs)
    # The payloads are there, as text.
    story = by_id(dom, f"story-{cluster_id}")
    assert SCRIPT_PAYLOAD in story.text and IMG_PAYLOAD in story.text
    assert f"Evil Outlet {IMG_PAYLOAD}" in story.text
    # The story: its anchor, in the contents, its representative's title and text.
    assert f"#story-{cluster_id}" in [a.attrs.get("href") for a in by_id(dom, "contents").find_all("a")]
    assert title in story.find_all("h2")[0].text
    assert representative_id in story.text
    # Every unique sentence is marked, with its article and position.
    marked = {
        (m.attrs["data-article"], int(m.attrs["data-index"]), m.text)
        for m in story.find_all("mark", "unique")
    }
    assert set(unique) <= marked
    assert (
        "hostile-1",
        "The harbour master in Odesa counted forty grain ships waiting outside the port.",
    ) in {(a, s) for a, _, s in unique}
    # Side by side: one view per other outlet (up to the cap), with the re-read input text.
    views = story.find_all("details", "sbs")
    assert len(views) == min(len(members) - 1, report.MAX_SIDE_BY_SIDE)
    assert not story.find_all("td", "m")
    # The timeline has a dot per article.
    assert len(story.find_all("circle", "dot")) == len(members)


def test_a_run_with_relative_inputs_is_reported_from_any_folder(tmp_path):
    # The tables keep input paths as given (seeds/000_....txt after the README's run): the
    # report re-reads them from the folder the run was started in, not its own.
    started_in = tmp_path / "project"
    shutil.copytree(SEEDS, started_in / "feed")
    output, page = tmp_path / "out", tmp_path / "report.html"
    commands = [
        ("run", "--input", "feed", "--output", str(output)),
        ("report", "--output", str(output), "--to", str(page)),
    ]
    for args, folder in zip(commands, (started_in, tmp_path), strict=True):
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", *args],
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stderr
    dom = parse_dom(page.read_text(encoding="utf-8"))
    assert dom.find_all("details", "sbs")
    assert not dom.find_all("td", "m"), "every shared sentence has its re-read text"
    assert "was not re-read" not in dom.text


def test_an_input_edited_after_the_run_is_not_shown_as_the_run_s_text(tmp_path):
    # An edit that keeps an article's sentence count and its unique sentences (a word of a
    # shared sentence) passed the report's checks: the page showed the new sentence, matched.
    feed, output = tmp_path / "feed", tmp_path / "out"
    shutil.copytree(SEEDS, feed)
    assert storymatch("run", "--input", str(feed), "--output", str(output)).returncode == 0
    articles = duckdb.sql(
        f"SELECT article_id, source_file FROM '{output}/articles/*/*.parquet' WHERE NOT is_representative"
    ).fetchall()
    unique = {
        row[0]
        for row in duckdb.sql(f"SELECT sentence FROM '{output}/unique_sentences/*/*.parquet'").fetchall()
    }
    article_id, source = articles[0]
    text = Path(source).read_text(encoding="utf-8")
    shared = next(
        s
        for s in split_sentences(strip_boilerplate(normalise(text))[0])
        if s not in unique and s in text and len(s) > 60
    )
    Path(source).write_text(text.replace(shared, shared[:-1] + " EDITEDWORD."), encoding="utf-8")
    page = tmp_path / "report.html"
    assert storymatch("report", "--output", str(output), "--to", str(page)).returncode == 0
    dom = parse_dom(page.read_text(encoding="utf-8"))
    assert "EDITEDWORD" not in dom.text
    (edited,) = [d for d in dom.find_all("details", "sbs") if article_id in d.text]
    assert edited.find_all("td", "m"), "its shared sentences are left blank"
    assert "no longer gives the text the run read" in edited.text


def test_report_from_the_tables_alone(hostile_run):
    _, output, _ = hostile_run
    target = output / "tables-only.html"
    result = storymatch(
        "report", "--output", str(output), "--run-date", RUN_DATE, "--to", str(target), "--tables-only"
    )
    assert result.returncode == 0, result.stderr
    dom = parse_dom(target.read_text(encoding="utf-8"))
    assert dom.find_all("td", "m"), "shared sentences of other articles are not in the tables"
    assert dom.find_all("mark", "unique")


def test_long_titles_are_cut_and_the_page_stays_within_max_mb(tmp_path):
    # 120 unrelated articles (stories of one) with titles as long as the reader takes
    # (input.max_field_chars) of two-byte characters: 2 MB of titles.
    words = [f"{a}{b}{c}" for a in "bcdfg" for b in "aeiou" for c in "klmnprst"]
    rows = [
        {
            "id": f"n{n}",
            "outlet": f"Outlet {n}",
            "title": "\u00e9" * InputConfig.max_field_chars,
            "text": " ".join(f"{words[(n * 7 + k) % len(words)]}{n}" for k in range(40)) + ".",
        }
        for n in range(120)
    ]
    articles = tmp_path / "long_titles.jsonl"
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output, page = tmp_path / "out", tmp_path / "report.html"
    result = storymatch("run", "--input", str(articles), "--output", str(output), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stderr
    result = storymatch("report", "--output", str(output), "--to", str(page), "--max-mb", "1")
    assert result.returncode == 0, result.stderr
    assert page.stat().st_size <= 1_000_000
    titles = [
        row.find_all("td")[2].text
        for row in by_id(parse_dom(page.read_text("utf-8")), "singletons").find_all("tr")
    ]
    assert len(titles) == report.MAX_SINGLETONS_LISTED
    assert all(t.startswith("\u00e9" * 200) and "\u2026" in t and len(t) < 400 for t in titles)


@pytest.fixture(scope="module")
def run_without_outlets(tmp_path_factory):
    """The five seeds as JSON Lines without an outlet: each article is an outlet of its own."""
    folder = tmp_path_factory.mktemp("no_outlets")
    rows = [
        {"id": f"a{n}", "text": path.read_text(encoding="utf-8"), "published_at": f"{RUN_DATE}T0{n}:00:00Z"}
        for n, path in enumerate(sorted(SEEDS.glob("*.txt")))
    ]
    articles = folder / "noout.jsonl"
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    output = folder / "out"
    result = storymatch("run", "--input", str(articles), "--output", str(output), "--run-date", RUN_DATE)
    assert result.returncode == 0, result.stderr
    return output


def shared_column(page: Path) -> dict[str, str]:
    """Article id -> the "shared" cell of the story's outlets table."""
    (table,) = parse_dom(page.read_text(encoding="utf-8")).find_all("table", "outlets")
    shown = {}
    for row in table.find_all("tbody")[0].find_all("tr"):
        cells = row.find_all("td")
        shown[cells[2].find_all(css_class="id")[0].text] = cells[4].text
    return shown


def test_each_article_without_an_outlet_shows_its_own_share(run_without_outlets):
    output = run_without_outlets
    ((representative, coverage),) = duckdb.execute(
        f"select representative_id, outlet_coverage from {_table(output, 'clusters')}"
    ).fetchall()
    assert len(coverage) == 5 and all(c["outlet"] is None for c in coverage)
    page = output / "report.html"
    assert storymatch("report", "--output", str(output), "--to", str(page)).returncode == 0
    shown = shared_column(page)
    assert shown[representative] == "100%"
    # Each article's figure is its own entry of outlet_coverage, named by its article_id ...
    expected = {c["article_id"]: f"{c['shared_with_representative']:.0%}" for c in coverage}
    assert shown == expected and len(set(shown.values())) > 2
    # ... also from the tables alone.
    assert storymatch("report", "--output", str(output), "--to", str(page), "--tables-only").returncode == 0
    assert shared_column(page) == expected


def test_a_partition_written_before_coverage_named_its_articles_gets_the_figures_from_the_input(
    run_without_outlets, tmp_path
):
    # Such a partition's entries have a null outlet and no article_id: the figures come from
    # the re-read input, and are a dash from the tables alone.
    output = tmp_path / "old"
    shutil.copytree(run_without_outlets, output)
    (path,) = (output / "clusters").glob("*/*.parquet")
    clusters = pq.read_table(path)
    old_type = pa.list_(pa.struct([("outlet", pa.string()), ("shared_with_representative", pa.float64())]))
    rows = clusters.to_pylist()
    for row in rows:
        row["outlet_coverage"] = [
            {"outlet": c["outlet"], "shared_with_representative": c["shared_with_representative"]}
            for c in row["outlet_coverage"]
        ]
    schema = clusters.schema.set(
        clusters.schema.get_field_index("outlet_coverage"), pa.field("outlet_coverage", old_type)
    )
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    page = tmp_path / "report.html"
    assert storymatch("report", "--output", str(run_without_outlets), "--to", str(page)).returncode == 0
    expected = shared_column(page)
    assert storymatch("report", "--output", str(output), "--to", str(page)).returncode == 0
    assert shared_column(page) == expected
    assert storymatch("report", "--output", str(output), "--to", str(page), "--tables-only").returncode == 0
    ((representative,),) = duckdb.execute(
        f"select representative_id from {_table(output, 'clusters')}"
    ).fetchall()
    assert shared_column(page) == {a: "100%" if a == representative else "\u2013" for a in expected}


def test_report_errors_name_the_problem(tmp_path, hostile_run):
    result = storymatch("report", "--output", str(tmp_path))
    assert result.returncode == 2
    assert "no finished run" in result.stderr
    result = storymatch("report", "--output", str(tmp_path), "--run-date", "2025-13-01")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr
    (tmp_path / "a-file").write_text("not a folder")
    result = storymatch("report", "--output", str(tmp_path / "a-file"))
    assert result.returncode == 2 and "a-file is a file, not the output folder of a run" in result.stderr
    # A date without a run: the dates that have one.
    _, output, _ = hostile_run
    result = storymatch("report", "--output", str(output), "--run-date", "2025-01-01")
    assert result.returncode == 2 and result.stderr.endswith(f"is missing; its runs: {RUN_DATE})\n")


def test_the_contents_say_why_no_story_is_detailed():
    headline = report.StoryHeadline("s_1", "A story", 2, 2, T0)
    page = report.render_contents([], [headline], 1, max_stories=0)
    assert "(--max-stories is 0;" in page and "beyond the first 0" not in page


def test_a_title_of_invisible_characters_only_is_no_headline():
    # Its link in the contents and the story's heading were blank.
    assert report.headline_title("\u200b\u200b", "a-1", "Floods closed three bridges.") == (
        "Floods closed three bridges."
    )
    assert report.headline_title("Floods", "a-1", "Floods closed three bridges.") == "Floods"


def test_many_run_dates_are_listed_first_and_last():
    dates = [f"2025-01-{day:02d}" for day in range(1, 31)]
    assert report._dates_listed(dates[:10]) == ", ".join(dates[:10])
    assert report._dates_listed(dates) == f"2025-01-01, ... (20 more), {', '.join(dates[21:])}"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"config": None}, "its 'config' is null, not an object"),
        ({"row_counts": None}, "its 'row_counts' is null, not an object"),
        ({"seconds": "abc"}, "its 'seconds' is a string, not a number"),
        ({"input_files": None}, "its 'input_files' is null, not an array"),
    ],
)
def test_a_manifest_entry_of_the_wrong_type_is_named_in_one_line(hostile_run, tmp_path, entry, message):
    # Each was a TypeError or AttributeError traceback from the page's summary.
    _, output, _ = hostile_run
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    manifest = copy / "_runs" / f"run_date={RUN_DATE}" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), **entry}))
    result = storymatch("report", "--output", str(copy), "--to", str(tmp_path / "report.html"))
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"storymatch: error: {manifest} is not a storymatch manifest: {message}\n"


@pytest.mark.parametrize("content", ['{"run_id": "20250819T', "[]", "\udcff"], ids=["cut", "list", "bytes"])
def test_a_damaged_manifest_is_named_in_one_line(hostile_run, tmp_path, content):
    _, output, _ = hostile_run
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    manifest = copy / "_runs" / f"run_date={RUN_DATE}" / "manifest.json"
    manifest.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = storymatch("report", "--output", str(copy), "--to", str(tmp_path / "report.html"))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("storymatch: error: ") and str(manifest) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("table", ["clusters", "articles", "representatives", "unique_sentences"])
def test_a_partition_without_its_files_is_named_not_shown_as_an_empty_or_partial_run(
    hostile_run, tmp_path, table
):
    # A partial copy of an output: the partition folder is there, its Parquet file (or one of
    # its shards) is not. Before, clusters gave a page with no story, the others a traceback.
    _, output, _ = hostile_run
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    partition = copy / table / f"run_date={RUN_DATE}"
    (path,) = partition.glob("*.parquet")
    page = tmp_path / "report.html"
    path.unlink()
    result = storymatch("report", "--output", str(copy), "--to", str(page))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"storymatch: error: {partition} holds no Parquet file: "
        f"is {copy} a whole copy of a finished run's output?\n"
    )
    # The first of two shards, without the second.
    pq.write_table(
        pq.read_table(output / table / f"run_date={RUN_DATE}"), partition / "part-00000-of-00002.parquet"
    )
    result = storymatch("report", "--output", str(copy), "--to", str(page))
    assert result.returncode == 2, result.stderr
    assert f"{partition} lacks part-00001-of-00002.parquet" in result.stderr
    assert not page.exists()


def test_a_report_that_cannot_be_written_says_so_in_one_line(hostile_run, tmp_path):
    # --to a folder, or below a file: a one-line error (exit status 2), and no .partial file left.
    _, output, _ = hostile_run
    folder = tmp_path / "reports.html"
    folder.mkdir()
    (tmp_path / "a-file").write_text("not a folder")
    for target in (folder, tmp_path / "a-file" / "report.html"):
        result = storymatch("report", "--output", str(output), "--to", str(target))
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"storymatch: error: cannot write the report to {target}: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "reports.html"]
    assert not list(folder.iterdir())


def test_report_refuses_a_target_that_is_no_html_file(hostile_run, tmp_path):
    # --to the run's manifest (or a table's file, a folder, '') replaced it with the page.
    _, output, _ = hostile_run
    manifest = output / "_runs" / f"run_date={RUN_DATE}" / "manifest.json"
    before = manifest.read_bytes()
    for target in (str(manifest), str(tmp_path) + "/", ""):
        result = storymatch("report", "--output", str(output), "--to", target)
        assert result.returncode == 2, result.stderr
        assert f"{target!r} is not an HTML file: name a file ending in .html" in result.stderr
    assert manifest.read_bytes() == before


def test_a_run_replaced_while_the_report_is_made_is_not_reported(hostile_run, tmp_path, monkeypatch, capsys):
    # A re-run of the date published while the page was made: the page showed the replaced
    # run, and landed in the re-run's folder after the re-run had removed the old report.
    _, output, _ = hostile_run
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    page = copy / "_runs" / f"run_date={RUN_DATE}" / "report.html"
    page.unlink()
    manifest = page.with_name("manifest.json")
    load_report = report.load_report

    def load_then_rerun(*args, **kwargs):
        loaded = load_report(*args, **kwargs)
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "run_id": "the-re-run"}))
        return loaded

    monkeypatch.setattr(report, "load_report", load_then_rerun)
    assert cli.main(["report", "--output", str(copy)]) == 2
    error = capsys.readouterr().err
    assert f"the run of {RUN_DATE} in {copy} was replaced while the report was made" in error
    assert "now the-re-run): run storymatch report again" in error
    assert not page.exists()


def test_a_report_into_the_run_s_folder_is_not_written_while_a_run_writes_there(hostile_run, tmp_path):
    _, output, _ = hostile_run
    copy = tmp_path / "out"
    shutil.copytree(output, copy)
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(copy)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        result = storymatch("report", "--output", str(copy))
        assert result.returncode != 0
        assert "another storymatch process is writing into" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        # Elsewhere, the page is written: it does not touch the run's folder.
        assert storymatch("report", "--output", str(copy), "--to", str(tmp_path / "r.html")).returncode == 0
    finally:
        holder.kill()
        holder.wait()


def test_the_page_warns_of_runs_made_out_of_order(tmp_path, capsys):
    seeds = sorted(SEEDS.glob("*.txt"))
    first, second, output = tmp_path / "first", tmp_path / "second", tmp_path / "out"
    for folder, files in ((first, seeds[:3]), (second, seeds[3:])):
        folder.mkdir()
        for path in files:
            shutil.copy(path, folder)

    def run(folder: Path, day: str) -> None:
        assert cli.main(["run", "--input", str(folder), "--output", str(output), "--run-date", day]) == 0

    def warnings(day: str) -> list[str]:
        page = tmp_path / f"{day}.html"
        assert cli.main(["report", "--output", str(output), "--run-date", day, "--to", str(page)]) == 0
        return [p.text for p in parse_dom(page.read_text(encoding="utf-8")).find_all("p", "warn")]

    run(second, "2025-04-02")
    run(first, "2025-04-01")  # filled in late
    later = (
        "\u26a0 Later runs (2025-04-02) ran without this run's state: its stories continue into them "
        "only once they are re-run, oldest first."
    )
    assert warnings("2025-04-01") == [later]
    (filled_in,) = warnings("2025-04-02")
    assert filled_in.startswith("\u26a0 The run of 2025-04-01 was filled in or re-run after this one")
    run(first, "2025-04-01")  # the same articles again: 2025-04-02 is still named
    replaced, still_later = warnings("2025-04-01")
    assert replaced.startswith("\u26a0 This run replaced the run ") and "(finished " in replaced
    assert "3 articles)" in replaced and still_later == later
    run(second, "2025-04-02")  # re-run in order: it continues 2025-04-01's stories
    assert [w for w in warnings("2025-04-02") if "filled in" in w] == []
    capsys.readouterr()


def test_an_article_that_alone_continues_an_earlier_story_says_so(tmp_path):
    from pipeline import config as config_module
    from pipeline.run import run_job

    first, second = tmp_path / "day1", tmp_path / "day2"
    for index, path in enumerate(sorted(SEEDS.glob("*.txt"))):
        folder = first if index < 4 else second
        folder.mkdir(exist_ok=True)
        shutil.copy(path, folder)
    output = tmp_path / "out"
    config = config_module.load()
    day1 = run_job([str(first)], str(output), config, run_date=dt.date(2025, 8, 19))
    day2 = run_job([str(second)], str(output), config, run_date=dt.date(2025, 8, 20))
    assert day2.row_counts["clusters"] == 1
    (story,) = duckdb.execute(f"select distinct cluster_id from {_table(output, 'clusters')}").fetchall()
    loaded = report.load_report(str(output), "2025-08-20")
    assert [a.continues for a in loaded.singletons] == [f"{story[0]} (first seen 2025-08-19)"]
    html = report.render_report(loaded)
    assert f"continues story {story[0]} (first seen 2025-08-19)" in html
    # What it adds to the story: its unique sentences, judged against day one's articles.
    (single,) = loaded.singletons
    added = duckdb.execute(
        "select sentence_index, sentence from "
        f"read_parquet('{output}/unique_sentences/run_date=2025-08-20/*') order by sentence_index"
    ).fetchall()
    assert added and [(u.sentence_index, u.sentence) for u in single.adds] == added
    assert f"{len(added)} sentences no other outlet&#x27;s article of the story has" in html
    assert html.count('<span class="nov">') == len(added)
    first_day = report.load_report(str(output), day1.run_date)
    assert all(a.continues is None and not a.adds for a in first_day.singletons)
