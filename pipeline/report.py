"""The ``report`` command: one self-contained HTML page per run, for people who would rather look.

    storymatch report                                   # latest run in ./out
    storymatch report --output out --run-date 2025-08-19 --to report.html --max-stories 50

The page has the run's summary (articles, stories, rejects, duration, config), a histogram
of story sizes, a table of contents, and the stories biggest first: per story a timeline
(which outlet published when), the outlets, the representative text, what each outlet added
(its unique sentences, highlighted) and side-by-side views of the representative and the
earliest article of each other outlet (up to four), aligned sentences on one row. Each story
has an anchor, ``#story-<cluster_id>``; stories of one article are counted and listed.

Big runs stay small: at most ``--max-stories`` stories are read in detail, and they stop once
the page would pass ``--max-mb`` MB of HTML (3 by default; the rest are listed in the
contents); titles, outlets, ids and file names are cut to MAX_VALUE_CHARS characters. A 2,000-
article synthetic run rendered with no budget gave 24 MB, which a browser takes tens of
seconds to open.

The file needs nothing else: inline CSS, inline SVG charts, no JavaScript, and a
Content-Security-Policy that forbids scripts and network loads. Every value that comes from
the data (text, titles, outlets, ids, URLs) goes through ``html.escape``, so an article
containing ``<script>`` renders as text.

The tables store the full text of representatives only; of the other articles they keep
the unique sentences and, for shared ones, which representative sentence matched. To show
those articles' shared sentences too, the command re-reads their input records when the
``source_file`` recorded in ``articles`` is still a local file (a relative one from the folder
the run was started in, the manifest's ``working_directory``), and uses the text only if it
splits into the same sentences the run saw (``--tables-only`` turns this off). The "shared"
figure of an article without an outlet is its own entry of ``clusters.outlet_coverage`` (by
its ``article_id``); partitions written before that field existed hold one entry per such
article with a null outlet and no id, and for them the figure is computed from the re-read
text (without it, a dash).

Rendering is pure (records in, HTML string out: ``render_report`` and the ``render_*`` /
``*_svg`` helpers); ``load_report`` does all the reading.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import json
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.config import ColumnConfig, SentenceConfig
from pipeline.query import check_local_output, missing_files, non_negative
from pipeline.text import is_heading, normalise, same_outlet_key
from pipeline.wording import noun

DEFAULT_MAX_STORIES = 200
# Side-by-side views per story: each repeats the representative's text, so they are capped
# (with 8, a 2,000-article synthetic run gave a 24 MB page, 70% of it side-by-side views).
MAX_SIDE_BY_SIDE = 4
MAX_TIMELINE_OUTLETS = 30
ADDED_LISTED = 5  # unique sentences listed per outlet before "N more"
MAX_SINGLETONS_LISTED = 100
MAX_REJECT_EXAMPLES = 20
MAX_VALUE_CHARS = 300  # a title, outlet, id or file name as listed (the rest is cut, with an ellipsis)
MAX_HEADLINES = 1000  # stories listed (without details) after the detailed ones
# Stories are shown in detail while the page stays under this many MB: a page of tens of MB
# takes a browser tens of seconds to open.
DEFAULT_MAX_MB = 3.0
DEFAULT_MATCH_THRESHOLD = SentenceConfig.match_threshold  # for a manifest without it
_DIRECTION_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates

Alignment = Mapping[int, tuple[int, float]]  # sentence index -> (matched sentence index, score)


# --- Records the renderer takes ---


class UniqueSentence(NamedTuple):
    article_id: str
    sentence_index: int
    sentence: str
    novelty: float


@dataclass(frozen=True)
class ArticleInfo:
    """One article as the report shows it (a row of ``articles``)."""

    article_id: str
    outlet: str | None = None
    title: str | None = None
    published_at: dt.datetime | None = None
    url: str | None = None
    similarity: float | None = None
    is_representative: bool = False
    num_sentences: int = 0
    duplicate_of: str | None = None
    # A story of one article in this run that continues a story of an earlier run:
    # "s_... (first seen 2025-08-18)", and the sentences it adds to that story.
    continues: str | None = None
    adds: tuple[UniqueSentence, ...] = ()


class StoryHeadline(NamedTuple):
    """A story listed in the contents without its details."""

    cluster_id: str
    title: str
    size: int
    num_outlets: int
    first_published_at: dt.datetime | None


def headline_title(title: str | None, article_id: str, first_sentence: str | None) -> str:
    """The representative's headline, else its first sentence (folders of .txt files without
    sidecars give the file stem as title, which is no headline). A title of invisible
    characters only (zero-width spaces) is none: its link in the contents would not show."""
    if title and title != article_id and normalise(title).strip():
        return title
    return _shorten(first_sentence, 160) if first_sentence else article_id


@dataclass(frozen=True)
class Story:
    """A story with what the report needs of its tables' rows.

    ``coverage`` maps an outlet to ``clusters.outlet_coverage``'s share of its sentences with a
    counterpart in the representative. ``alignments[(a, b)]`` maps each sentence of article
    ``a`` to its best counterpart in article ``b``; only pairs involving the representative
    are needed. ``sentences`` holds the full sentences of non-representative articles when
    their input could be re-read.
    """

    cluster_id: str
    articles: tuple[ArticleInfo, ...]
    representative_id: str
    representative_sentences: tuple[str, ...]
    unique: tuple[UniqueSentence, ...] = ()
    alignments: Mapping[tuple[str, str], Alignment] = field(default_factory=dict)
    sentences: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    coverage: Mapping[str | None, float] = field(default_factory=dict)
    # Articles without an outlet, each an outlet of its own: article id -> its share (None: no
    # reportable sentence); absent where it cannot be known (``coverage_without_outlet``).
    article_coverage: Mapping[str, float | None] = field(default_factory=dict)
    num_outlets: int = 0
    first_seen_run_date: dt.date | None = None

    @property
    def size(self) -> int:
        return len(self.articles)

    @property
    def representative(self) -> ArticleInfo:
        return next(a for a in self.articles if a.article_id == self.representative_id)

    @property
    def title(self) -> str:
        rep = self.representative
        first = self.representative_sentences[0] if self.representative_sentences else None
        return headline_title(rep.title, rep.article_id, first)

    @property
    def headline(self) -> StoryHeadline:
        first = _first_time(self.articles)
        return StoryHeadline(self.cluster_id, self.title, self.size, self.num_outlets, first)


@dataclass(frozen=True)
class RunSummary:
    """The run as a whole: its manifest and counts over all its tables."""

    run_date: str
    manifest: Mapping[str, Any]
    cluster_sizes: Sequence[int]
    rejects_by_reason: Sequence[tuple[str, int]] = ()
    reject_examples: Sequence[Mapping[str, Any]] = ()
    pairs_by_reason: Sequence[tuple[str, int]] = ()
    # What the reader must know before trusting the page (``run_warnings``).
    warnings: Sequence[str] = ()


@dataclass(frozen=True)
class Report:
    """Everything the page shows. ``stories`` are the stories read in detail, biggest first;
    ``more_stories`` the next ones (at most MAX_HEADLINES), ``stories_not_shown`` how many
    stories of two or more articles ``stories`` leaves out in all."""

    summary: RunSummary
    stories: Sequence[Story]
    singletons: Sequence[ArticleInfo] = ()  # at most MAX_SINGLETONS_LISTED
    singleton_count: int = 0
    more_stories: Sequence[StoryHeadline] = ()
    stories_not_shown: int = 0
    match_threshold: float = DEFAULT_MATCH_THRESHOLD


# --- Small formatting helpers ---


# Control characters are not allowed in HTML text: NUL, ESC or a C1 code from the data is
# shown as U+FFFD, as a browser shows an undecodable byte.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def esc(value: object) -> str:
    """HTML-escapes any value for text or a quoted attribute (None -> empty)."""
    return "" if value is None else _CONTROLS.sub("\ufffd", html.escape(str(value), quote=True))


def short(value: object) -> str:
    """``esc`` of a value shortened to MAX_VALUE_CHARS (titles, outlets, ids and file names
    from the data can be any length, and a page lists hundreds of them), in a ``<bdi>``: its
    direction is its own, so right-to-left text or a direction override it leaves open
    (U+202E) cannot reorder the text beside it ("outlet · time · id"). For HTML text;
    ``short_text`` is the same for SVG text."""
    return "" if value is None else f"<bdi>{esc(_shorten(str(value), MAX_VALUE_CHARS))}</bdi>"


def short_text(value: object) -> str:
    """``short`` for text that cannot hold HTML elements (SVG titles): isolated by the Unicode
    characters FSI and PDI, which close whatever direction the value opened."""
    return "" if value is None else f"\u2068{esc(_shorten(str(value), MAX_VALUE_CHARS))}\u2069"


def outlet_name(outlet: str | None) -> str:
    return outlet if outlet else "(no outlet)"


def format_time(moment: dt.datetime | None) -> str:
    if moment is None:
        return "unknown time"
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    minutes = round((end - start).total_seconds() / 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def _first_time(articles: Iterable[ArticleInfo]) -> dt.datetime | None:
    return min((a.published_at for a in articles if a.published_at is not None), default=None)


def story_anchor(cluster_id: str) -> str:
    return f"story-{cluster_id}"


def _safe_url(url: str | None) -> str | None:
    # Only web links: a javascript: or data: URL from the input must never become an href.
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


# --- Charts (inline SVG) ---


def _svg_open(css_class: str, width: int, height: int) -> str:
    return (
        f'<svg class="{css_class}" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">'
    )


def _svg_text(css_class: str, x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text class="{css_class}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{esc(text)}</text>'


def size_bins(sizes: Iterable[int]) -> list[tuple[str, int]]:
    """Story counts per size: 1 to 9 one by one, then 10-19, 20-49, 50-99, 100+ (empty tail dropped)."""
    counts = Counter(sizes)
    if not counts:
        return []
    bins: list[tuple[str, int, int]] = [(str(n), n, n) for n in range(1, 10)]
    bins += [("10-19", 10, 19), ("20-49", 20, 49), ("50-99", 50, 99), ("100+", 100, 10**12)]
    largest = max(counts)
    shown = [b for b in bins if b[1] <= largest]
    return [(label, sum(c for s, c in counts.items() if low <= s <= high)) for label, low, high in shown]


def nice_step(peak: int, ticks: int = 4) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten): at most ``ticks`` lines up to ``peak``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor * ticks >= peak:
                return step * factor
        step *= 10


def size_histogram_svg(sizes: Sequence[int]) -> str:
    """A bar chart of how many stories have each number of articles."""
    bins = size_bins(sizes)
    if not bins:
        return '<p class="note">No stories.</p>'
    width, height, left, bottom, top = 560, 220, 48, 40, 22
    plot_w, plot_h = width - left - 12, height - bottom - top
    tick = nice_step(max(count for _, count in bins))
    peak = tick * -(-max(count for _, count in bins) // tick)
    step = plot_w / len(bins)
    bar_w = max(step * 0.72, 2)
    parts = [
        _svg_open("chart", width, height),
        '<title id="size-chart-title">Stories by number of articles</title>',
        f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}"/>',
    ]
    for value in range(tick, peak + 1, tick):
        y = top + plot_h - plot_h * value / peak
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>')
        parts.append(_svg_text("tick", left - 6, y + 4, f"{value:,}", "end"))
    for i, (label, count) in enumerate(bins):
        x = left + i * step + (step - bar_w) / 2
        bar_h = plot_h * count / peak
        y = top + plot_h - bar_h
        centre = x + bar_w / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}">'
            # A bin is one size ("1", "2") or a range ("10-19", "100+"), whose articles are plural.
            f"<title>{esc(label)} {noun(int(label) if label.isdigit() else 0, 'article')}: "
            f"{count:,} {noun(count, 'story', 'stories')}</title></rect>"
        )
        if count:
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle">{count:,}</text>'
            )
        parts.append(_svg_text("tick", centre, top + plot_h + 16, label, "middle"))
    parts.append(
        f'<text class="label" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        "articles per story</text></svg>"
    )
    return "".join(parts)


def timeline_svg(articles: Sequence[ArticleInfo], representative_id: str | None = None) -> str:
    """One row per outlet (in order of first publication), a dot per article at its time."""
    timed = sorted(
        (a for a in articles if a.published_at is not None),
        key=lambda a: (a.published_at, a.article_id),
    )
    if not timed:
        return '<p class="note">No publication times in the input, so no timeline.</p>'
    rows: dict[str, list[ArticleInfo]] = {}
    lanes: dict[str, str] = {}  # names that differ only in case or spacing are one outlet, as in the run
    for article in timed:
        name = outlet_name(article.outlet)
        rows.setdefault(lanes.setdefault(same_outlet_key(name), name), []).append(article)
    hidden = max(len(rows) - MAX_TIMELINE_OUTLETS, 0)
    outlets = list(rows)[:MAX_TIMELINE_OUTLETS]
    start, end = timed[0].published_at, timed[-1].published_at
    assert start is not None and end is not None
    span = (end - start).total_seconds()
    width, label_w, right, row_h, top = 780, 210, 24, 24, 10
    plot_w = width - label_w - right
    height = top + row_h * len(outlets) + 38

    def x_of(moment: dt.datetime) -> float:
        if span <= 0:
            return label_w + plot_w / 2
        return label_w + plot_w * (moment - start).total_seconds() / span

    axis_y = top + row_h * len(outlets) + 4
    parts = [
        _svg_open("chart timeline", width, height),
        f"<title>Publication timeline: {len(timed)} articles over {esc(format_span(start, end))}</title>",
        f'<line class="axis" x1="{label_w}" y1="{axis_y}" x2="{label_w + plot_w}" y2="{axis_y}"/>',
    ]
    for number, outlet in enumerate(outlets):
        y = top + row_h * number + row_h / 2
        is_rep_outlet = any(a.article_id == representative_id for a in rows[outlet])
        parts.append(f'<line class="lane" x1="{label_w}" y1="{y}" x2="{label_w + plot_w}" y2="{y}"/>')
        parts.append(
            f'<text class="outlet{" rep" if is_rep_outlet else ""}" x="{label_w - 10}" y="{y + 4}" '
            f'text-anchor="end"><title>{esc(_shorten(outlet, MAX_VALUE_CHARS))}</title>'
            f"{esc(_shorten(outlet, 26))}</text>"
        )
        for article in rows[outlet]:
            assert article.published_at is not None
            rep = article.article_id == representative_id
            parts.append(
                f'<circle class="dot{" rep" if rep else ""}" cx="{x_of(article.published_at):.1f}" cy="{y}" '
                f'r="{6 if rep else 5}"><title>{short_text(outlet)} '
                f"\u00b7 {esc(format_time(article.published_at))}"
                f" \u00b7 {short_text(article.article_id)}"
                f"{' (representative)' if rep else ''}</title></circle>"
            )
    first_label, last_label = format_time(start), format_time(end)
    parts.append(f'<text class="tick" x="{label_w}" y="{axis_y + 16}">{esc(first_label)}</text>')
    if span > 0:
        parts.append(_svg_text("tick", label_w + plot_w, axis_y + 16, last_label, "end"))
        parts.append(
            f'<text class="label" x="{label_w + plot_w / 2}" y="{axis_y + 30}" text-anchor="middle">'
            f"{esc(format_span(start, end))}</text>"
        )
    parts.append("</svg>")
    untimed = len(articles) - len(timed)
    notes = []
    if hidden:
        notes.append(f"{hidden} more outlets not drawn")
    if untimed:
        notes.append(f"{untimed} {noun(untimed, 'article')} without a publication time")
    note = f'<p class="note">{esc("; ".join(notes))}.</p>' if notes else ""
    return "".join(parts) + note


# --- Side by side ---


class SideBySideRow(NamedTuple):
    """One row of the side-by-side view.

    ``left``: sentence index in the representative; ``right``: in the other article;
    ``score``: their alignment score when both are set; ``repeat``: the left sentence was
    already shown higher up (the other article reordered the text), so it is only referenced.
    """

    left: int | None
    right: int | None
    score: float | None = None
    repeat: bool = False


def _increasing_anchors(matched: Sequence[tuple[int, int]]) -> set[int]:
    """Of (right, left) pairs in right order, the right indices of a longest run with strictly
    increasing left indices: those rows keep both texts in reading order."""
    tails: list[int] = []  # tails[n]: position in matched of the smallest end of a run of n+1
    previous = [-1] * len(matched)
    for position, (_, left) in enumerate(matched):
        low, high = 0, len(tails)
        while low < high:
            middle = (low + high) // 2
            if matched[tails[middle]][1] < left:
                low = middle + 1
            else:
                high = middle
        previous[position] = tails[low - 1] if low else -1
        if low == len(tails):
            tails.append(position)
        else:
            tails[low] = position
    anchors: set[int] = set()
    position = tails[-1] if tails else -1
    while position >= 0:
        anchors.add(matched[position][0])
        position = previous[position]
    return anchors


def side_by_side_rows(
    left_count: int, right_count: int, right_to_left: Alignment, threshold: float
) -> list[SideBySideRow]:
    """Interleaves two articles' sentences so that aligned ones share a row.

    Both columns stay in reading order: the longest chain of matches that keeps both orders
    becomes shared rows; a sentence matched out of order shows beside a reference to its
    counterpart; unmatched sentences get a row of their own.

    Example:
        >>> side_by_side_rows(3, 2, {0: (1, 0.9), 1: (0, 0.1)}, 0.5)
        [SideBySideRow(left=0, right=None, score=None, repeat=False), \
SideBySideRow(left=1, right=0, score=0.9, repeat=False), \
SideBySideRow(left=None, right=1, score=None, repeat=False), \
SideBySideRow(left=2, right=None, score=None, repeat=False)]
    """
    matches = {
        right: (left, score)
        for right, (left, score) in right_to_left.items()
        if 0 <= right < right_count and 0 <= left < left_count and score >= threshold
    }
    anchors = _increasing_anchors([(right, matches[right][0]) for right in sorted(matches)])
    rows: list[SideBySideRow] = []
    next_left = 0
    for right in range(right_count):
        if right not in matches:
            rows.append(SideBySideRow(None, right))
            continue
        left, score = matches[right]
        if right in anchors:
            rows.extend(SideBySideRow(i, None) for i in range(next_left, left))
            rows.append(SideBySideRow(left, right, score))
            next_left = left + 1
        else:
            rows.append(SideBySideRow(left, right, score, repeat=True))
    rows.extend(SideBySideRow(i, None) for i in range(next_left, left_count))
    return rows


def _sentence_html(text: str, unique: UniqueSentence | None) -> str:
    """A sentence: plain text, a heading, or a unique sentence marked with its article and position.

    Sentences carry as little markup as possible: a big run's page is mostly sentences.
    """
    if unique is not None:
        return (
            f'<mark class="unique" data-article="{esc(unique.article_id)}" '
            f'data-index="{unique.sentence_index}">{esc(text)}</mark>'
        )
    # Headings are never unique (pipeline.outlets.reportable): set them apart as in the article.
    if is_heading(text):
        return f'<span class="h">{esc(text)}</span>'
    # Marks and headings are isolated by the stylesheet; a plain sentence only where it holds a
    # direction control that could reorder the sentences after it.
    return f"<bdi>{esc(text)}</bdi>" if _DIRECTION_CONTROL.search(text) else esc(text)


def render_side_by_side(story: Story, other: ArticleInfo, threshold: float) -> str:
    """A <details> block: the representative beside ``other``, aligned sentences on one row.

    Cells without a sentence have class ``x``; the stylesheet numbers the others with CSS
    counters, and a shared sentence whose text is not available is an empty cell of class ``m``.
    """
    rep = story.representative
    left_sentences = story.representative_sentences
    unique_left = {u.sentence_index: u for u in story.unique if u.article_id == rep.article_id}
    unique_right = {u.sentence_index: u for u in story.unique if u.article_id == other.article_id}
    right_text = story.sentences.get(other.article_id)
    right_count = len(right_text) if right_text is not None else other.num_sentences
    right_to_left = story.alignments.get((other.article_id, rep.article_id), {})
    left_to_right = story.alignments.get((rep.article_id, other.article_id), {})
    rows = side_by_side_rows(len(left_sentences), right_count, right_to_left, threshold)
    shared = sum(1 for row in rows if row.left is not None and row.right is not None)
    other_name = short(outlet_name(other.outlet))
    body = []
    shown_left: set[int] = set()
    for row in rows:
        row_class = ""
        if row.left is None:
            left_cell = '<td class="x"></td>'
            row_class = ' class="added"'
        elif row.repeat:
            where = "\u2191" if row.left in shown_left else "\u2193"
            left_cell = f'<td class="x">{where} {row.left + 1}</td>'
        else:
            shown_left.add(row.left)
            left_cell = f"<td>{_sentence_html(left_sentences[row.left], unique_left.get(row.left))}</td>"
        if row.right is None:
            right_cell = '<td class="x"></td>'
            best = left_to_right.get(row.left) if row.left is not None else None
            if best is None or best[1] < threshold:
                row_class = ' class="dropped"'
        elif right_text is not None:
            right_cell = f"<td>{_sentence_html(right_text[row.right], unique_right.get(row.right))}</td>"
        elif row.right in unique_right:
            unique = unique_right[row.right]
            right_cell = f"<td>{_sentence_html(unique.sentence, unique)}</td>"
        else:
            right_cell = '<td class="m"></td>'
        score = "" if row.score is None else f"{row.score:.2f}"
        body.append(f"<tr{row_class}>{left_cell}<td>{score}</td>{right_cell}</tr>")
    note = ""
    if right_text is None and right_count > len(unique_right):
        note = (
            '<p class="note">The output tables keep only the unique sentences of this article, and its '
            "input record was not re-read, is gone or no longer gives the text the run read, so its "
            "shared sentences are left blank.</p>"
        )
    if not right_to_left:
        note += '<p class="note">This article was not aligned with the representative.</p>'
    return (
        '<details class="sbs">'
        f'<summary><b>{other_name}</b> <span class="id">{short(other.article_id)}</span>'
        f" \u2014 {shared} of {right_count} sentences aligned with the representative, "
        f"{len(unique_right)} unique</summary>{note}"
        '<table class="sbs"><thead><tr>'
        f"<th>Representative \u00b7 {short(outlet_name(rep.outlet))}</th><th>match</th>"
        f"<th>{other_name}</th></tr></thead><tbody>" + "".join(body) + "</tbody></table></details>"
    )


# --- A story ---


def _outlets_table(story: Story) -> str:
    unique_count = Counter(u.article_id for u in story.unique)
    rows = []
    for article in story.articles:
        # A .txt input without a sidecar has its file stem as title: then show the id once.
        has_title = bool(article.title) and article.title != article.article_id
        name = short(article.title) if has_title else f'<span class="id">{short(article.article_id)}</span>'
        url = _safe_url(article.url)
        if url:
            name = f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{name}</a>'
        below = f'<div class="id">{short(article.article_id)}</div>' if has_title else ""
        flags = []
        if article.is_representative:
            flags.append('<span class="tag rep">representative</span>')
        if article.duplicate_of:
            flags.append(f'<span class="tag">copy of {short(article.duplicate_of)}</span>')
        if article.outlet:
            coverage = story.coverage.get(same_outlet_key(article.outlet))
        else:
            coverage = story.article_coverage.get(article.article_id)
        similarity = "" if article.similarity is None else f"{article.similarity:.2f}"
        shared = "\u2013" if coverage is None else f"{coverage:.0%}"
        rows.append(
            "<tr>"
            f'<td class="outlet">{short(outlet_name(article.outlet))}</td>'
            f'<td class="when">{esc(format_time(article.published_at))}</td>'
            f"<td>{name} {''.join(flags)}{below}</td>"
            f'<td class="num">{similarity}</td>'
            f'<td class="num">{shared}</td>'
            f'<td class="num">{unique_count.get(article.article_id, 0)}</td>'
            "</tr>"
        )
    return (
        '<table class="outlets"><thead><tr><th>outlet</th><th>published</th><th>article</th>'
        '<th class="num" title="TF-IDF cosine with the representative">similarity</th>'
        '<th class="num" title="share of the outlet\'s sentences with a counterpart in the representative '
        '(\u2013: not known, or no sentence to compare)">'
        'shared</th><th class="num">unique</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
    )


def _added_items(sentences: list[UniqueSentence]) -> str:
    """A list of added sentences with their novelty: the first ADDED_LISTED, then the rest
    behind a "show more"."""
    items = [
        f'<li><span class="nov">{u.novelty:.2f}</span>{_sentence_html(u.sentence, u)}</li>' for u in sentences
    ]
    listed = "".join(items[:ADDED_LISTED])
    if len(items) > ADDED_LISTED:
        more = "".join(items[ADDED_LISTED:])
        # After the list, not in it: a <ul> holds only <li>.
        return f"<ul>{listed}</ul>" + _details(f"show {len(items) - ADDED_LISTED} more", f"<ul>{more}</ul>")
    return f"<ul>{listed}</ul>"


def _added_by_outlet(story: Story) -> str:
    by_article: dict[str, list[UniqueSentence]] = defaultdict(list)
    for sentence in story.unique:
        by_article[sentence.article_id].append(sentence)
    if not by_article:
        return '<p class="note">No outlet added a sentence the others lack.</p>'
    blocks = []
    for article in story.articles:
        sentences = sorted(by_article.get(article.article_id, ()), key=lambda u: u.sentence_index)
        if not sentences:
            continue
        blocks.append(
            f'<div class="added-by"><h4>{short(outlet_name(article.outlet))} '
            f'<span class="id">{short(article.article_id)}</span> '
            f'<span class="count">{len(sentences)} {noun(len(sentences), "sentence")}</span></h4>'
            f"{_added_items(sentences)}</div>"
        )
    return "".join(blocks)


def side_by_side_articles(story: Story) -> list[ArticleInfo]:
    """The articles shown beside the representative: the earliest article of each other outlet
    that was aligned with it (in a story of over 25 articles an article is aligned with its
    closest ones only), identical copies left out, at most MAX_SIDE_BY_SIDE."""
    rep = story.representative
    chosen: list[ArticleInfo] = []
    # Names that differ only in case or spacing are one outlet, as in the run.
    outlets = {same_outlet_key(rep.outlet) if rep.outlet else rep.article_id}
    for article in story.articles:  # earliest first
        outlet = same_outlet_key(article.outlet) if article.outlet else article.article_id
        aligned = (article.article_id, rep.article_id) in story.alignments
        if article.duplicate_of or outlet in outlets or not aligned:
            continue
        outlets.add(outlet)
        chosen.append(article)
        if len(chosen) == MAX_SIDE_BY_SIDE:
            break
    return chosen


def render_story(story: Story, rank: int, threshold: float = DEFAULT_MATCH_THRESHOLD) -> str:
    """One story's section, anchored at ``story-<cluster_id>``."""
    rep = story.representative
    anchor = story_anchor(story.cluster_id)
    unique_rep = {u.sentence_index: u for u in story.unique if u.article_id == rep.article_id}
    text = " ".join(
        _sentence_html(s, unique_rep.get(i)) for i, s in enumerate(story.representative_sentences)
    )
    times = [a.published_at for a in story.articles if a.published_at is not None]
    when = f"{format_time(min(times))} \u2192 {format_time(max(times))}" if times else "no publication times"
    continued = ""
    if story.first_seen_run_date is not None:
        continued = f" \u00b7 first seen {esc(story.first_seen_run_date.isoformat())}"
    shown = side_by_side_articles(story)
    side_by_side = "".join(render_side_by_side(story, other, threshold) for other in shown)
    if story.size - 1 > len(shown):
        side_by_side += (
            f'<p class="note">Shown: the earliest article of {len(shown)} other outlets; '
            f"{story.size - 1 - len(shown)} more articles are not shown side by side.</p>"
        )
    if not shown:
        side_by_side = '<p class="note">No article of another outlet to compare with.</p>'
    return (
        f'<section class="story" id="{esc(anchor)}">'
        f'<h2><a class="rank" href="#{esc(anchor)}">#{rank}</a> {short(story.title)}</h2>'
        f'<p class="meta">{story.size} articles \u00b7 {story.num_outlets} outlets \u00b7 {esc(when)}'
        f'{continued} \u00b7 <span class="id">{esc(story.cluster_id)}</span></p>'
        f"{timeline_svg(story.articles, rep.article_id)}"
        f"<h3>Outlets</h3>{_outlets_table(story)}"
        f'<h3>Representative <span class="sub">{short(outlet_name(rep.outlet))} \u00b7 '
        f"{esc(format_time(rep.published_at))} \u00b7 {short(rep.article_id)}</span></h3>"
        f'<div class="article">{text}</div>'
        f"<h3>What each outlet added</h3>{_added_by_outlet(story)}"
        f"<h3>Side by side with the representative</h3>{side_by_side}"
        '<p class="top"><a href="#contents">\u2191 contents</a></p>'
        "</section>"
    )


# --- The run summary and the page ---


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for key in sorted(mapping):
        value = mapping[key]
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{prefix}{key}."))
        else:
            items.append((f"{prefix}{key}", value))
    return items


def _key_value_table(items: Iterable[tuple[str, Any]], css_class: str = "kv") -> str:
    rows = "".join(
        f"<tr><th>{esc(key)}</th><td>{esc(json.dumps(value) if isinstance(value, list) else value)}</td></tr>"
        for key, value in items
    )
    return f'<table class="{css_class}">{rows}</table>'


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{esc(summary)}</summary>{body}</details>"


def _input_files(manifest: Mapping[str, Any]) -> tuple[list[str], str]:
    """The files the run's articles came from, and a heading for them. A backfill's run read
    a temporary split of its inputs, deleted since: its articles came from the backfill's inputs."""
    backfill = manifest.get("backfill") or {}
    if backfill.get("inputs") is not None:
        part = f"run {backfill.get('run', '?')} of {backfill.get('runs', '?')}"
        return list(backfill["inputs"]), f"Input files of the backfill ({part})"
    return list(manifest.get("input_files", [])), "Input files"


def render_summary(summary: RunSummary) -> str:
    manifest = summary.manifest
    rows = manifest.get("row_counts", {})
    reconciliation = manifest.get("reconciliation", {})
    sizes = summary.cluster_sizes
    multi = sum(1 for s in sizes if s > 1)
    records_read = reconciliation.get("input_records", manifest.get("counters", {}).get("read/records"))
    articles, rejects = rows.get("articles", 0), rows.get("rejects", 0)
    unique_sentences = rows.get("unique_sentences", 0)
    cards = [
        (
            noun(articles, "article"),
            f"{articles:,}",
            f"of {records_read:,} {noun(records_read, 'record')} read" if records_read else "",
        ),
        (
            noun(len(sizes), "story", "stories"),
            f"{len(sizes):,}",
            f"{multi:,} with 2+ articles, largest {max(sizes, default=0):,}",
        ),
        (noun(rejects, "reject"), f"{rejects:,}", noun(rejects, "record") + " not usable"),
        (noun(unique_sentences, "unique sentence"), f"{unique_sentences:,}", "added by one outlet"),
        ("duration", format_duration(manifest.get("seconds")), manifest.get("runner", "")),
    ]
    card_html = "".join(
        f'<div class="card"><div class="big">{esc(value)}</div><div class="what">{esc(name)}</div>'
        f'<div class="sub">{esc(detail)}</div></div>'
        for name, value, detail in cards
    )
    balanced = reconciliation.get("balanced")
    check = (
        '<span class="ok">\u2714 input records = articles + rejects</span>'
        if balanced
        else '<span class="bad">\u2716 input records do not reconcile</span>'
        if balanced is False
        else ""
    )
    pairs = ", ".join(f"{esc(reason)} {count:,}" for reason, count in summary.pairs_by_reason)
    lsh = manifest.get("lsh", {})
    candidates = manifest.get("counters", {}).get("lsh/candidates", 0)
    files, files_heading = _input_files(manifest)
    facts = [
        ("run id", manifest.get("run_id", "")),
        ("run date", summary.run_date),
        ("started", manifest.get("started_at", "")),
        # pairs holds more than LSH's candidates: pairs scored inside linked groups, exact copies.
        ("scored pairs", f"{rows.get('pairs', 0):,}" + (f" ({pairs})" if pairs else "")),
        (
            "LSH",
            f"{lsh.get('bands', '?')} bands \u00d7 {lsh.get('rows', '?')} rows: {candidates:,} candidates"
            if lsh
            else "",
        ),
        ("input files", len(files)),
    ]
    rejects = ""
    if summary.rejects_by_reason:
        reason_rows = "".join(
            f'<tr><td>{esc(reason)}</td><td class="num">{count:,}</td></tr>'
            for reason, count in summary.rejects_by_reason
        )
        examples = "".join(
            f"<tr><td>{short(r.get('source_file'))}:{esc(r.get('source_record'))}</td>"
            f"<td>{esc(r.get('reason'))}</td><td>{short(r.get('detail'))}</td>"
            f"<td><code>{esc(_shorten(r.get('raw') or '', 160))}</code></td></tr>"
            for r in summary.reject_examples
        )
        rejects = (
            '<h3>Rejects by reason</h3><table class="small"><thead><tr><th>reason</th><th class="num">records'
            f"</th></tr></thead><tbody>{reason_rows}</tbody></table>"
            f"<details><summary>First {len(summary.reject_examples)} rejected records</summary>"
            '<table class="small"><thead><tr><th>where</th><th>reason</th><th>detail</th><th>raw</th></tr>'
            f"</thead><tbody>{examples}</tbody></table></details>"
        )
    file_list = "".join(f"<li>{short(name)}</li>" for name in files[:50])
    if len(files) > 50:
        file_list += f"<li>\u2026 and {len(files) - 50:,} more</li>"
    details = (
        '<div class="split"><div><h4>Config</h4>'
        f"{_key_value_table(_flatten(manifest.get('config', {})))}</div>"
        f"<div><h4>Counters</h4>{_key_value_table(sorted(manifest.get('counters', {}).items()))}"
        f"<h4>Versions</h4>{_key_value_table(sorted(manifest.get('versions', {}).items()))}</div></div>"
        f'<h4>{esc(files_heading)} ({len(files):,})</h4><ul class="files">{file_list}</ul>'
    )
    warnings = "".join(f'<p class="warn">\u26a0 {esc(text)}</p>' for text in summary.warnings)
    return (
        f'<section id="summary"><h2>Run</h2>{warnings}'
        f'<div class="cards">{card_html}</div>'
        f'<div class="split"><div><p>{check}</p>{_key_value_table(facts)}{rejects}</div>'
        f"<div><h3>Stories by size</h3>{size_histogram_svg(sizes)}</div></div>"
        + _details("Config, counters, versions and input files", details)
        + "</section>"
    )


def render_contents(
    stories: Sequence[Story], more: Sequence[StoryHeadline], not_shown: int, max_stories: int | None = None
) -> str:
    """The contents: the detailed stories, linked, then the next ones listed without details."""
    if not stories and not not_shown:
        return (
            '<section id="contents"><h2>Stories</h2>'
            '<p class="note">No story has more than one article.</p></section>'
        )
    rows = "".join(
        f'<tr><td class="num">{rank}</td><td><a href="#{esc(story_anchor(s.cluster_id))}">'
        f"<bdi>{esc(_shorten(s.title, 120))}</bdi></a></td>"
        f'<td class="num">{s.size}</td><td class="num">{s.num_outlets}</td>'
        f'<td class="when">{esc(format_time(_first_time(s.articles)))}</td></tr>'
        for rank, s in enumerate(stories, start=1)
    )
    rest = ""
    if not_shown:
        listed = "".join(
            f'<tr><td class="num">{rank}</td><td><bdi>{esc(_shorten(h.title, 120))}</bdi>'
            f' <span class="id">{esc(h.cluster_id)}</span></td>'
            f'<td class="num">{h.size}</td><td class="num">{h.num_outlets}</td>'
            f'<td class="when">{esc(format_time(h.first_published_at))}</td></tr>'
            for rank, h in enumerate(more[:MAX_HEADLINES], start=len(stories) + 1)
        )
        why = (
            "to keep this page small"
            if max_stories is None
            else "--max-stories is 0"
            if max_stories == 0
            else f"beyond the first {max_stories:,}"
        )
        rest = (
            f'<p class="note">{not_shown:,} more '
            f"{noun(not_shown, 'story of two or more articles is', 'stories of two or more articles are')} "
            "not shown in detail "
            f"({why}; see <code>--max-stories</code> and <code>--max-mb</code>).</p>"
        )
        if listed:
            rest += _details(
                f"List the next {min(len(more), MAX_HEADLINES):,}",
                f'<table class="toc small"><tbody>{listed}</tbody></table>',
            )
    table = (
        '<table class="toc"><thead><tr><th class="num">#</th><th>story (representative title)</th>'
        '<th class="num">articles</th><th class="num">outlets</th><th>first published</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    return (
        '<section id="contents"><h2>Stories '
        f'<span class="sub">{len(stories):,} shown in detail, biggest first</span></h2>'
        f"{table}{rest}</section>"
    )


def render_singletons(report: Report) -> str:
    if not report.singleton_count:
        return ""
    rows = "".join(
        f'<tr><td class="outlet">{short(outlet_name(a.outlet))}</td>'
        f'<td class="when">{esc(format_time(a.published_at))}</td>'
        f'<td>{short(a.title or "(no title)")}<div class="id">{short(a.article_id)}</div>'
        + (f'<div class="id">continues story {esc(a.continues)}</div>' if a.continues else "")
        + (
            _details(
                f"{len(a.adds)} {noun(len(a.adds), 'sentence')} no other outlet's article of the story has",
                _added_items(list(a.adds)),
            )
            if a.adds
            else ""
        )
        + "</td></tr>"
        for a in report.singletons
    )
    listed = len(report.singletons)
    return (
        '<section id="singletons"><h2>Stories of one article '
        f'<span class="sub">{report.singleton_count:,}</span></h2>'
        "<p>Articles no other article in the run rewrites (one that joins a story of an earlier "
        "run says which, and what it adds to the story's articles of earlier runs).</p>"
        + _details(
            f"The first {listed:,} of them" if listed < report.singleton_count else "All of them",
            f'<table class="small"><tbody>{rows}</tbody></table>',
        )
        + "</section>"
    )


STYLE = """
:root{--ink:#1d2330;--muted:#667085;--line:#e3e6ec;--bg:#fff;--soft:#f6f7f9;--accent:#2f5fd0;
--mark:#fff0b3;--mark-ink:#3d2f00;--drop:#fdf1f1}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:28px 32px 80px}
header.page{border-bottom:1px solid var(--line);margin-bottom:6px;padding-bottom:8px;display:flex;
flex-wrap:wrap;align-items:baseline;gap:4px 16px}header.page p{margin:0}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:21px;margin:34px 0 8px;letter-spacing:-.01em}
h3{font-size:15px;margin:22px 0 8px;text-transform:uppercase;letter-spacing:.04em;color:#39414f}
h4{font-size:14px;margin:12px 0 4px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.sub,.muted,.note{color:var(--muted);font-weight:normal;text-transform:none;letter-spacing:0}
.note{font-size:13px}
.id{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{flex:1 1 170px;background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:9px 14px}
.card .big{font-size:26px;font-weight:650;line-height:1.2}
.card .what{font-weight:600}.card .sub{font-size:12.5px}
.ok{color:#16794a}.bad{color:#b42318;font-weight:600}
.warn{background:#fff6e5;border:1px solid #f3c36b;border-radius:8px;padding:8px 12px;color:#5c3b00}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:14px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
thead th{font-size:12.5px;color:var(--muted);font-weight:600;border-bottom:1px solid #cfd4dc;
white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.when{white-space:nowrap;color:#39414f;font-variant-numeric:tabular-nums}
td.outlet{font-weight:600;min-width:8em}
/* a long outlet name or an unbroken title wraps instead of pushing the columns off the page */
td:not(.num):not(.when){overflow-wrap:anywhere}h1,h2,.meta{overflow-wrap:anywhere}
table.kv{width:auto}table.kv th{font-weight:500;color:var(--muted);padding-right:18px}
table.small{font-size:13px}
.chart{max-width:100%;height:auto;display:block;margin:6px 0 4px}
.chart .bar{fill:#6c8fe0}.chart .bar:hover{fill:var(--accent)}
.chart .axis{stroke:#9aa3b2}.chart .grid{stroke:var(--line);stroke-dasharray:3 3}
.chart .lane{stroke:var(--line)}
.chart text{font:12px system-ui,sans-serif;fill:#4a5263}.chart .value{fill:var(--ink);font-weight:600}
.chart .label{fill:var(--muted)}.chart .outlet.rep{font-weight:700;fill:var(--ink)}
.chart .dot{fill:#6c8fe0;stroke:#fff;stroke-width:1.5}.chart .dot.rep{fill:#e07b00}
section.story{border-top:2px solid var(--line);margin-top:38px;padding-top:4px}
section.story h2 .rank{color:var(--muted);margin-right:4px}
.meta{color:var(--muted);margin:0 0 8px}
.article{background:var(--soft);border:1px solid var(--line);border-radius:10px;padding:14px 18px;
font:16px/1.65 Charter,"Iowan Old Style",Georgia,Cambria,"Times New Roman",serif;max-width:88ch}
.split{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:28px;align-items:start}
.split h3{margin-top:10px}
mark.unique,span.h{unicode-bidi:isolate}
mark.unique{background:var(--mark);color:var(--mark-ink);border-radius:3px;padding:0 2px;
box-decoration-break:clone;-webkit-box-decoration-break:clone}
.added-by ul{margin:4px 0 10px;padding-left:0;list-style:none}.added-by li{margin:4px 0;display:flex;gap:8px}
.added-by mark.unique{background:none;padding:0;color:inherit}
.added-by details{margin:2px 0}.added-by summary{padding:2px 8px;font-size:13px;display:inline-block}
.nov{flex:0 0 auto;font:11.5px/1.9 system-ui,sans-serif;color:#8a5a00;background:var(--mark);
border-radius:4px;padding:0 5px;height:1.7em}
.added-by .count{color:var(--muted);font-weight:normal;font-size:12.5px}
details{margin:8px 0}
summary{cursor:pointer;padding:6px 10px;background:var(--soft);border:1px solid var(--line);border-radius:8px}
details[open]>summary{border-radius:8px 8px 0 0}
table.sbs{table-layout:fixed;font:14.5px/1.5 Charter,Georgia,Cambria,serif;margin:0}
table.sbs th{font-family:system-ui,sans-serif}
table.sbs td{width:46%}
table.sbs td:nth-child(2),table.sbs th:nth-child(2){width:8%;text-align:center;font:12px system-ui,sans-serif;
color:var(--muted)}
table.sbs tbody{counter-reset:l r}
table.sbs td:first-child:not(.x)::before{counter-increment:l;content:counter(l)}
table.sbs td:last-child:not(.x)::before{counter-increment:r;content:counter(r)}
table.sbs td:not(.x):not(:nth-child(2))::before{display:inline-block;min-width:1.8em;color:#98a1b0;
font:11px system-ui,sans-serif}
table.sbs td.x{color:var(--muted);font:italic 13px system-ui,sans-serif}
table.sbs td.m::after{content:"shared; text not in the tables";color:var(--muted);font:italic 13px system-ui}
table.sbs tr.added td:last-child{background:#fffbea}
table.sbs tr.dropped td:first-child{background:var(--drop)}
table.sbs .h{font:600 13.5px system-ui,sans-serif}
.article .h{display:block;font:600 14.5px/1.4 system-ui,sans-serif;margin:10px 0 2px}
.tag{display:inline-block;font:11.5px system-ui,sans-serif;background:#eef2fb;color:#2a4aa0;
border-radius:10px;padding:0 7px;margin-left:4px}.tag.rep{background:#fff0dc;color:#8a4b00}
.legend{font-size:13.5px;color:#39414f}
.top{font-size:13px;margin-top:14px}
ul.files{font:12px ui-monospace,monospace;max-height:300px;overflow:auto}
@media print{details{display:block}summary{display:none}}
"""

# No scripts, no network: the page must render the same offline, and data can never run as code.
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def render_report(report: Report, max_mb: float = DEFAULT_MAX_MB) -> str:
    """The whole page. Stories are added biggest first while the page stays within ``max_mb``
    MB (10^6 bytes of UTF-8, as written), counting everything else on it first (at least one
    story is always shown); the rest are listed in the contents."""
    summary = report.summary
    title = f"storymatch report \u00b7 {summary.run_date}"
    legend = (
        '<p class="legend"><mark class="unique">Highlighted sentences</mark> appear in one outlet\'s version '
        "only (the number beside one is its novelty: 1 minus its best match in another outlet). In the "
        "side-by-side views, sentences on one row are aligned (match = share of the sentence found in its "
        "counterpart); a row with one side empty is a sentence the other version lacks; "
        "\u2191 n or \u2193 n: it matches sentence n of the representative, shown above or below.</p>"
    )
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CONTENT_SECURITY_POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>"
        f'<header class="page"><h1>{esc(title)}</h1>'
        f'<p class="sub">run {esc(summary.manifest.get("run_id", ""))} \u00b7 generated by '
        "<code>storymatch report</code></p></header>"
        f"{render_summary(summary)}"
    )
    tail = f"{render_singletons(report)}</main></body></html>\n"
    # The contents list every story either way (linked or not), so its size with none in detail
    # stands for its final size.
    every_headline = [story.headline for story in report.stories]
    contents_size = _bytes(
        render_contents(
            [], [*every_headline, *report.more_stories], len(every_headline) + report.stories_not_shown
        )
    )
    room = max_mb * 1_000_000 - _bytes(head) - _bytes(legend) - _bytes(tail) - contents_size
    sections: list[str] = []
    used = 0
    for rank, story in enumerate(report.stories, start=1):
        section = render_story(story, rank, report.match_threshold)
        size = _bytes(section)
        if sections and used + size > room:
            break
        sections.append(section)
        used += size
    cut = [story.headline for story in report.stories[len(sections) :]]
    contents = render_contents(
        report.stories[: len(sections)],
        [*cut, *report.more_stories],
        report.stories_not_shown + len(cut),
        None if cut else len(report.stories),
    )
    return f"{head}{contents}{legend}{''.join(sections)}{tail}"


# --- Reading a run ---


def _partition(output: str, table: str, run_date: str) -> str:
    return os.path.join(output, table, f"run_date={run_date}")


def run_warnings(output: str, run_date: str, manifest: Mapping[str, Any]) -> list[str]:
    """What the run's summary says (``storymatch run`` printed it) and what happened since:
    the run it replaced, the later runs that ran without its state, and the earlier dates
    filled in or re-run after it, whose state it ran without."""
    warnings = []
    replaced = manifest.get("replaced_run")
    if isinstance(replaced, dict):
        articles = replaced.get("articles")
        warnings.append(
            f"This run replaced the run {replaced.get('run_id')} of {run_date} (finished "
            f"{replaced.get('finished_at')}, {articles} {noun(articles or 0, 'article')})."
        )
    later = manifest.get("later_runs_not_continued")
    if isinstance(later, list) and later:
        warnings.append(
            f"Later runs ({', '.join(map(str, later))}) ran without this run's state: its stories "
            "continue into them only once they are re-run, oldest first."
        )
    started = str(manifest.get("started_at", ""))
    for day in find_run_dates(output):
        if day >= run_date:
            break
        try:
            earlier = read_manifest(output, day)
        except ValueError:
            continue
        # A run started after that run finished read the state it published.
        if run_date in (earlier.get("later_runs_not_continued") or []) and started < str(
            earlier.get("finished_at", "")
        ):
            warnings.append(
                f"The run of {day} was filled in or re-run after this one, which ran without its "
                f"state: stories shown here as continuing that day's may have gone or changed. "
                f"Re-run {run_date} and the runs after it, oldest first, to continue them."
            )
    return warnings


def _dates_listed(dates: Sequence[str], most: int = 10) -> str:
    """The dates; of more than ``most``, the first and the last ``most - 1``."""
    if len(dates) <= most:
        return ", ".join(dates)
    return f"{dates[0]}, ... ({len(dates) - most:,} more), " + ", ".join(dates[-most + 1 :])


def find_run_dates(output: str) -> list[str]:
    """Run dates with a manifest in ``output``, oldest first."""
    runs = os.path.join(output, "_runs")
    if not os.path.isdir(runs):
        return []
    dates = [
        name.removeprefix("run_date=")
        for name in os.listdir(runs)
        if name.startswith("run_date=") and os.path.isfile(os.path.join(runs, name, "manifest.json"))
    ]
    return sorted(dates)


def _read(output: str, table: str, run_date: str, columns: list[str] | None = None, filters=None) -> pa.Table:
    path = _partition(output, table, run_date)
    if not os.path.isdir(path):
        raise ValueError(f"{path} is missing: is {output} the output folder of a finished run?")
    # Without all its files the page would show a part of the run as if it were all of it.
    gap = missing_files(path)
    if gap:
        raise ValueError(f"{path} {gap}: is {output} a whole copy of a finished run's output?")
    return pq.read_table(path, columns=columns, filters=filters)


def _article_info(row: Mapping[str, Any]) -> ArticleInfo:
    return ArticleInfo(
        article_id=row["article_id"],
        outlet=row.get("outlet"),
        title=row.get("title"),
        published_at=row.get("published_at"),
        url=row.get("url"),
        similarity=row.get("similarity_to_representative"),
        is_representative=bool(row.get("is_representative")),
        num_sentences=row.get("num_sentences") or 0,
        duplicate_of=row.get("duplicate_of"),
    )


def _counts(table: pa.Table, column: str) -> list[tuple[str, int]]:
    if table.num_rows == 0:
        return []
    counted = pc.value_counts(table.column(column)).to_pylist()
    return sorted(((c["values"], c["counts"]) for c in counted), key=lambda item: (-item[1], item[0]))


def _sort_key(row: Mapping[str, Any]) -> tuple:
    first = row.get("first_published_at")
    return (-row["size"], -row["num_outlets"], first is None, first or dt.datetime.min, row["cluster_id"])


def read_input_sentences(
    wanted: Mapping[str, tuple[str, int, int, str | None]],
    max_chars: int,
    max_field_chars: int = 10**9,
    columns: Mapping[str, str] | None = None,
) -> dict[str, tuple[str, ...]]:
    """Re-reads articles from their input files (local files only) and splits them as the run did.

    ``wanted`` maps article id -> (source_file, source_record, num_sentences, content_hash);
    an article is returned only if its record still has the same id and gives the text the
    run read: the same ``content_hash`` (None, for a partition written before the column:
    the same number of sentences only). ``columns``: the run's ``columns`` settings (its
    fields' names in the inputs).
    """
    from pipeline.analyse import content_hash
    from pipeline.read import parse_file  # imports Beam's file systems: only when needed
    from pipeline.records import Article
    from pipeline.text import normalise, split_sentences, strip_boilerplate

    by_file: dict[str, dict[int, tuple[str, int, str | None]]] = defaultdict(dict)
    for article_id, (source, record, count, text_hash) in wanted.items():
        if source and os.path.isfile(source):
            by_file[source][record] = (article_id, count, text_hash)
    found: dict[str, tuple[str, ...]] = {}
    for source, records in by_file.items():
        remaining = len(records)
        read = parse_file(
            source, max_chars, max_field_chars=max_field_chars, columns=ColumnConfig(**columns or {})
        )
        for item in read:
            if not isinstance(item, Article) or item.record not in records:
                continue
            article_id, count, text_hash = records[item.record]
            if item.id == article_id:
                # The same clean-up as pipeline.analyse.analyse_article: an input edited since
                # the run gives another text, whose sentences the page must not show as the run's.
                clean, _ = strip_boilerplate(normalise(item.text))
                sentences = tuple(split_sentences(clean))
                if len(sentences) == count and text_hash in (None, content_hash(clean)):
                    found[article_id] = sentences
            remaining -= 1
            if not remaining:
                break
    return found


def _by_time(article: ArticleInfo) -> tuple:
    return (article.published_at is None, article.published_at or dt.datetime.min, article.article_id)


def _needs_coverage_without_outlet(story: Story) -> bool:
    """Whether the story has articles without an outlet and a ``clusters`` row written before
    ``outlet_coverage`` said whose each entry is."""
    return any(not a.outlet for a in story.articles) and not story.article_coverage


def _articles_to_reread(story: Story) -> list[ArticleInfo]:
    """The articles whose full sentences the page needs: those shown side by side, and, in an
    older partition, those without an outlet, whose "shared" figure is computed from them
    (``coverage_without_outlet``)."""
    chosen = {a.article_id: a for a in side_by_side_articles(story)}
    if _needs_coverage_without_outlet(story):
        for article in story.articles:
            if not article.outlet and article.article_id != story.representative_id:
                chosen.setdefault(article.article_id, article)
    return list(chosen.values())


def _with_input_sentences(
    stories: list[Story], story_articles: Mapping[str, list[Mapping[str, Any]]], manifest: Mapping[str, Any]
) -> list[Story]:
    """The stories with the full sentences of the articles they need (``_articles_to_reread``),
    where the input can be re-read and agrees with the unique sentences the run stored."""
    rows = {a["article_id"]: a for articles in story_articles.values() for a in articles}
    # A relative source_file is relative to the folder the run was started in, not this one.
    started_in = manifest.get("working_directory") or ""
    wanted = {
        a.article_id: (
            os.path.join(started_in, rows[a.article_id]["source_file"] or ""),
            rows[a.article_id]["source_record"],
            a.num_sentences,
            rows[a.article_id].get("content_hash"),
        )
        for story in stories
        for a in _articles_to_reread(story)
    }
    # The run's limits (a manifest written before a limit existed: none).
    limits = manifest.get("config", {}).get("input", {})
    max_chars = int(limits.get("max_chars", 10**9))
    # A run's columns (a manifest written before they existed: the fields' own names).
    columns = manifest.get("config", {}).get("columns")
    texts = read_input_sentences(wanted, max_chars, int(limits.get("max_field_chars", 10**9)), columns)
    enriched = []
    for story in stories:
        agreed = {}
        for article in _articles_to_reread(story):
            sentences = texts.get(article.article_id)
            if sentences is not None and all(
                u.sentence_index < len(sentences) and sentences[u.sentence_index] == u.sentence
                for u in story.unique
                if u.article_id == article.article_id
            ):
                agreed[article.article_id] = sentences
        enriched.append(replace(story, sentences=agreed) if agreed else story)
    return enriched


def coverage_without_outlet(story: Story, threshold: float, min_words: int) -> dict[str, float | None]:
    """The "shared" figure of each article without an outlet: the share of its reportable
    sentences whose counterpart in the representative scores ``threshold`` or more, as
    ``clusters.outlet_coverage`` computes it per outlet. For partitions written before that
    column's entries named their article (one entry with a null outlet per such article).

    The representative's is 1.0. Another article's is known only when its sentences are
    (``story.sentences``: its input was re-read) and it was aligned with the representative;
    None when it has no reportable sentence.
    """
    from pipeline.outlets import reportable_flags  # the run's own rule; imports Beam, so only here

    rep = story.representative_id
    shares: dict[str, float | None] = {}
    for article in story.articles:
        if article.outlet:
            continue
        if article.article_id == rep:
            flags = [True] * int(
                reportable_flags(story.representative_sentences, article.title, min_words).sum()
            )
        else:
            sentences = story.sentences.get(article.article_id)
            scores = story.alignments.get((article.article_id, rep))
            if sentences is None or scores is None:
                continue  # not known: shown as a dash
            # A sentence without a row had no counterpart in the representative.
            eligible = reportable_flags(sentences, article.title, min_words)
            flags = [
                scores.get(index, (-1, 0.0))[1] >= threshold
                for index in range(len(sentences))
                if eligible[index]
            ]
        shares[article.article_id] = sum(flags) / len(flags) if flags else None
    return shares


# The types of the manifest's entries that the page reads (a run writes them all so).
MANIFEST_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(
        ("config", "row_counts", "counters", "reconciliation", "lsh", "versions", "backfill", "replaced_run"),
        (dict,),
    ),
    **dict.fromkeys(("input_files", "later_runs_not_continued"), (list,)),
    **dict.fromkeys(("run_id", "started_at", "finished_at", "runner", "working_directory"), (str,)),
    "seconds": (int, float),
}
_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_TYPES.update({bool: "true or false", type(None): "null"})


def read_manifest(output: str, run_date: str) -> dict[str, Any]:
    """The manifest of the run of ``run_date`` (ValueError, naming it, when it cannot be read)."""
    manifest_path = os.path.join(output, "_runs", f"run_date={run_date}", "manifest.json")
    if not os.path.isfile(manifest_path):
        dates = find_run_dates(output)
        runs = f"its runs: {_dates_listed(dates)}" if dates else "it has no finished run"
        raise ValueError(f"no run for {run_date} in {output} ({manifest_path} is missing; {runs})")
    try:
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as error:  # unreadable, not UTF-8, or not JSON (cut short)
        raise ValueError(f"cannot read the run's manifest {manifest_path}: {error}") from None
    if not isinstance(manifest, dict):
        raise ValueError(f"{manifest_path} is not a storymatch manifest (a JSON object)")
    for key, kinds in MANIFEST_TYPES.items():
        if key in manifest and not isinstance(manifest[key], kinds):
            raise ValueError(
                f"{manifest_path} is not a storymatch manifest: its {key!r} is "
                f"{_JSON_TYPES[type(manifest[key])]}, not {_JSON_TYPES[kinds[0]]}"
            )
    return manifest


def load_report(
    output: str, run_date: str, max_stories: int = DEFAULT_MAX_STORIES, read_inputs: bool = True
) -> Report:
    """Reads one run's partition of every table it needs and builds the Report."""
    manifest = read_manifest(output, run_date)
    clusters = _read(output, "clusters", run_date).to_pylist()
    articles = _read(output, "articles", run_date).to_pylist()
    rejects = _read(
        output, "rejects", run_date, columns=["source_file", "source_record", "reason", "detail", "raw"]
    )
    pairs = _read(output, "pairs", run_date, columns=["reason"])
    summary = RunSummary(
        run_date=run_date,
        manifest=manifest,
        cluster_sizes=[row["size"] for row in clusters],
        rejects_by_reason=_counts(rejects, "reason"),
        reject_examples=rejects.slice(0, MAX_REJECT_EXAMPLES).to_pylist(),
        pairs_by_reason=_counts(pairs, "reason"),
        warnings=run_warnings(output, run_date, manifest),
    )
    threshold = float(
        manifest.get("config", {}).get("sentences", {}).get("match_threshold", DEFAULT_MATCH_THRESHOLD)
    )

    multi = sorted((row for row in clusters if row["size"] > 1), key=_sort_key)
    detailed = multi[:max_stories]
    chosen = {row["cluster_id"] for row in detailed}
    story_articles: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    singletons: list[ArticleInfo] = []
    singleton_ids = {row["cluster_id"] for row in clusters if row["size"] == 1}
    # A story of one article here may continue a story of an earlier run.
    continued = {
        row["cluster_id"]: f"{row['cluster_id']} (first seen {row['first_seen_run_date']})"
        for row in clusters
        if row["size"] == 1 and row.get("first_seen_run_date") and str(row["first_seen_run_date"]) != run_date
    }
    for row in articles:
        if row["cluster_id"] in chosen:
            story_articles[row["cluster_id"]].append(row)
        elif row["cluster_id"] in singleton_ids:
            singletons.append(replace(_article_info(row), continues=continued.get(row["cluster_id"])))
    singletons.sort(key=_by_time)
    if continued:  # what each adds to the story, judged against the story's earlier articles
        adds: dict[str, list[UniqueSentence]] = defaultdict(list)
        wanted = [("cluster_id", "in", sorted(continued))]
        for r in _read(output, "unique_sentences", run_date, filters=wanted).to_pylist():
            adds[r["article_id"]].append(
                UniqueSentence(r["article_id"], r["sentence_index"], r["sentence"], r["novelty"])
            )
        singletons = [
            replace(a, adds=tuple(sorted(adds.get(a.article_id, ()), key=lambda u: u.sentence_index)))
            for a in singletons
        ]

    representatives = _read(output, "representatives", run_date)
    first_lines = pc.utf8_slice_codeunits(representatives.column("text"), 0, 400).to_pylist()
    headline_rows = representatives.select(["cluster_id", "article_id", "title"]).to_pylist()
    titles = {
        r["cluster_id"]: headline_title(r["title"], r["article_id"], first.split("\n", 1)[0])
        for r, first in zip(headline_rows, first_lines, strict=True)
    }
    more_stories = [
        StoryHeadline(
            row["cluster_id"],
            titles.get(row["cluster_id"], row["representative_id"]),
            row["size"],
            row["num_outlets"],
            row.get("first_published_at"),
        )
        for row in multi[max_stories : max_stories + MAX_HEADLINES]
    ]
    stories: list[Story] = []
    if chosen:
        reps = {
            r["cluster_id"]: r
            for r in representatives.filter(
                pc.is_in(representatives.column("cluster_id"), value_set=pa.array(sorted(chosen)))
            ).to_pylist()
        }
        # Sorted by cluster_id on disk, so these filters read few row groups.
        wanted = [("cluster_id", "in", sorted(chosen))]
        unique: dict[str, list[UniqueSentence]] = defaultdict(list)
        for r in _read(output, "unique_sentences", run_date, filters=wanted).to_pylist():
            unique[r["cluster_id"]].append(
                UniqueSentence(r["article_id"], r["sentence_index"], r["sentence"], r["novelty"])
            )
        alignments_table = _read(output, "sentence_alignments", run_date, filters=wanted)
        rep_ids = pa.array(sorted(r["article_id"] for r in reps.values()), pa.string())
        involves_rep = pc.or_(
            pc.is_in(alignments_table.column("article_id"), value_set=rep_ids),
            pc.is_in(alignments_table.column("matched_article_id"), value_set=rep_ids),
        )
        alignments: dict[str, dict[tuple[str, str], dict[int, tuple[int, float]]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for r in alignments_table.filter(involves_rep).to_pylist():
            matched = r["matched_sentence_index"]
            alignments[r["cluster_id"]][(r["article_id"], r["matched_article_id"])][r["sentence_index"]] = (
                -1 if matched is None else matched,
                r["score"],
            )
        for row in detailed:
            cluster_id = row["cluster_id"]
            rep = reps.get(cluster_id)
            coverage = row.get("outlet_coverage") or []
            first_seen = row.get("first_seen_run_date")
            stories.append(
                Story(
                    cluster_id=cluster_id,
                    articles=tuple(
                        sorted((_article_info(a) for a in story_articles[cluster_id]), key=_by_time)
                    ),
                    representative_id=row["representative_id"],
                    representative_sentences=tuple(rep["text"].split("\n")) if rep else (),
                    unique=tuple(unique.get(cluster_id, ())),
                    alignments=alignments.get(cluster_id, {}),
                    # Entries of articles without an outlet have a null outlet: see coverage_without_outlet.
                    coverage={
                        same_outlet_key(c["outlet"]): c["shared_with_representative"]
                        for c in coverage
                        if c["outlet"] is not None
                    },
                    article_coverage={
                        c["article_id"]: c["shared_with_representative"]
                        for c in coverage
                        if c.get("article_id") is not None
                    },
                    num_outlets=row["num_outlets"],
                    # Only worth saying when the story continues one from an earlier run.
                    first_seen_run_date=first_seen if first_seen and str(first_seen) != run_date else None,
                )
            )
        if read_inputs:
            stories = _with_input_sentences(stories, story_articles, manifest)
        min_words = int(
            manifest.get("config", {}).get("sentences", {}).get("min_words", SentenceConfig.min_words)
        )
        stories = [
            replace(story, article_coverage=coverage_without_outlet(story, threshold, min_words))
            if _needs_coverage_without_outlet(story)
            else story
            for story in stories
        ]
    return Report(
        summary=summary,
        stories=stories,
        singletons=singletons[:MAX_SINGLETONS_LISTED],
        singleton_count=len(singleton_ids),
        more_stories=more_stories,
        stories_not_shown=len(multi) - len(detailed),
        match_threshold=threshold,
    )


# --- The command ---


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _megabytes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a size in MB > 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Write one self-contained HTML page of a run: its summary, a histogram of story sizes and the "
        "stories biggest first, each with a timeline, what each outlet added and side-by-side views."
    )
    parser.add_argument("--output", default="out", help="output folder of the run (default: out)")
    parser.add_argument(
        "--run-date",
        "--run_date",
        dest="run_date",
        type=_date,
        metavar="YYYY-MM-DD",
        help="the run to report (default: the latest run in the output folder)",
    )
    parser.add_argument(
        "--to",
        dest="to",
        type=html_file,
        metavar="FILE",
        help="HTML file to write, named .html (default: <output>/_runs/run_date=<date>/report.html)",
    )
    parser.add_argument(
        "--max-stories",
        type=non_negative("stories"),
        default=DEFAULT_MAX_STORIES,
        metavar="N",
        help=f"stories shown in detail, biggest first (default: {DEFAULT_MAX_STORIES})",
    )
    parser.add_argument(
        "--max-mb",
        type=_megabytes,
        default=DEFAULT_MAX_MB,
        metavar="MB",
        help="stop adding stories in detail once the page would pass this many MB (10^6 bytes); the "
        f"rest are listed (default: {DEFAULT_MAX_MB:g})",
    )
    parser.add_argument("--verbose", action="store_true", help="show library logs")
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="do not re-read input files for the shared sentences of non-representative articles "
        "(side by side, those articles then show their unique sentences and matches only)",
    )


def _output_lock(output: str):
    from pipeline.publish import lock_output  # imports Beam's file systems: only when needed

    return lock_output(output)


def _check_same_run(output: str, run_date: str, shown: Mapping[str, Any]) -> None:
    """Raises ValueError if the published run of ``run_date`` is no longer the one ``shown``."""
    try:
        now = read_manifest(output, run_date).get("run_id")
    except ValueError:
        now = None
    if now != shown.get("run_id"):
        raise ValueError(
            f"the run of {run_date} in {output} was replaced while the report was made (run "
            f"{shown.get('run_id')}, now {now or 'none'}): run storymatch report again"
        )


def _write_page(page: str, target: str) -> None:
    folder = os.path.dirname(target)
    partial = f"{target}.partial"
    try:
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(partial, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise ValueError(f"cannot write the report to {target}: {error.strerror or error}") from None


def html_file(value: str) -> str:
    """``--to``: a file named .html or .htm (a slip such as the run's manifest.json, a table's
    Parquet file or a folder would be replaced by the page)."""
    if not value.lower().endswith((".html", ".htm")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an HTML file: name a file ending in .html")
    return value


def run(args: argparse.Namespace) -> int:
    check_local_output(args.output)
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise ValueError(f"{args.output} is a file, not the output folder of a run")
    run_date = args.run_date
    if run_date is None:
        dates = find_run_dates(args.output)
        if not dates:
            raise ValueError(
                f"no finished run in {args.output}: run `storymatch run --output {args.output}` first"
            )
        run_date = dates[-1]
    report = load_report(args.output, run_date, args.max_stories, read_inputs=not args.tables_only)
    page = render_report(report, args.max_mb)
    in_run_folder = args.to is None
    target = args.to or os.path.join(args.output, "_runs", f"run_date={run_date}", "report.html")
    # A run of the date that published while the page was made replaced what it shows (and,
    # as a re-run removes the replaced run's report.html, the page must not land after it).
    with _output_lock(args.output) if in_run_folder else contextlib.nullcontext():
        _check_same_run(args.output, run_date, report.summary.manifest)
        _write_page(page, target)
    size = os.path.getsize(target)
    # Data cannot contain this string: its quotes would be escaped.
    detailed = page.count('<section class="story" id="')
    multi = len(report.stories) + report.stories_not_shown
    print(
        f"report: {target} ({size / 1024:,.0f} KiB; {detailed:,} of {multi:,} "
        f"{noun(multi, 'story', 'stories')} of 2+ articles in detail, {report.singleton_count:,} "
        f"{noun(report.singleton_count, 'single-article story', 'single-article stories')})"
    )
    return 0
