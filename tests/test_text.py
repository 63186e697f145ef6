"""Text clean-up: boilerplate stripping (with counts and reasons) and sentence splitting."""

from __future__ import annotations

import pytest

from pipeline.read import parse_file
from pipeline.text import boilerplate_reason, normalise, split_sentences, strip_boilerplate

from .conftest import SEEDS

ARTICLE_WITH_BOILERPLATE = """Trump ruled out sending troops to Ukraine on Tuesday.
Read more: How Putin Brushed Off Trump's Latest Push for Peace
Sign up for our free daily newsletter to get the news in your inbox.
Leavitt said air support remained an option.
#UkraineWar #Trump #Putin
Follow Jane Doe on X.
Reporting by Jane Doe; Editing by John Roe
The Associated Press contributed to this report.
Share
More Must-Reads from TIME
- Cybersecurity Experts Are Sounding the Alarm on DOGE
- Why Do More Young Adults Have Cancer?
Write to Nik Popli at nik.popli@time.com"""


def test_strip_boilerplate_keeps_news_and_counts_what_it_removed():
    clean, removed = strip_boilerplate(ARTICLE_WITH_BOILERPLATE)
    assert clean.split("\n") == [
        "Trump ruled out sending troops to Ukraine on Tuesday.",
        "Leavitt said air support remained an option.",
    ]
    assert [reason for reason, _ in removed] == [
        "prompt",  # Read more:
        "newsletter",
        "hashtags",
        "prompt",  # Follow ... on X
        "credit",  # Reporting by
        "credit",  # contributed to this report
        "prompt",  # a share button
        "link_list",  # the list header
        "link_list",
        "link_list",
        "contact",  # the author line under the list keeps its own reason
    ]
    assert len(removed) == len(ARTICLE_WITH_BOILERPLATE.split("\n")) - 2


@pytest.mark.parametrize(
    "line",
    [
        "Trump said he would sign up to a deal only if the guarantees held.",
        "Watchdog groups said the list of sanctions was incomplete.",
        "Related talks will continue in Geneva next week, officials said.",
        "More than 40 people were killed, officials said.",
        "Photographs showed damaged buildings in Kharkiv.",
    ],
)
def test_news_sentences_are_not_boilerplate(line):
    assert boilerplate_reason(line) is None
    assert strip_boilerplate(line) == (line, [])


def test_a_link_list_ends_at_the_next_paragraph_of_prose():
    text = "Most Read\n- One headline\n- Another headline\n\nThe talks resumed on Monday after a pause."
    clean, removed = strip_boilerplate(text)
    assert clean == "The talks resumed on Monday after a pause."
    assert [line for _, line in removed] == ["Most Read", "- One headline", "- Another headline"]


def test_seed_boilerplate_is_counted():
    (article,) = parse_file(str(SEEDS / "004_a286c856a8670b15.txt"), max_chars=1_000_000)
    clean, removed = strip_boilerplate(normalise(article.text))
    assert "More Must-Reads" not in clean and "nik.popli@time.com" not in clean
    assert "Read more:" not in clean
    assert len(removed) == 10  # Read more + list header + 7 titles + author line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Sen. Smith met U.S. officials. "We agreed," he said. It ended.',
            ["Sen. Smith met U.S. officials.", '"We agreed," he said.', "It ended."],
        ),
        (
            "Troops are leaving the U.S. The base will close.",
            ["Troops are leaving the U.S.", "The base will close."],
        ),
        ("Gov. Newsom and Dr. Lee spoke at 3 p.m. on Jan. 6 in St. Louis.", None),
        ("U.S. President Donald J. Trump spoke.", None),
        (
            '"You have my assurance, and I\'m president." Leavitt agreed.',
            ['"You have my assurance, and I\'m president."', "Leavitt agreed."],
        ),
        ("Is it over? Nobody knows! We will see.", ["Is it over?", "Nobody knows!", "We will see."]),
        ("A headline without punctuation", None),
        (
            "- European Union: new sanctions were announced.",
            None,
        ),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == (expected if expected is not None else [text])


def test_line_breaks_end_sentences_and_long_unpunctuated_text_is_chunked():
    assert split_sentences("First line\nSecond line") == ["First line", "Second line"]
    words = " ".join(f"w{i}" for i in range(200))
    chunks = split_sentences(words)
    assert [len(chunk.split()) for chunk in chunks] == [40, 40, 40, 40, 40]
    assert " ".join(chunks) == words


def test_normalise_quotes_and_dashes():
    assert normalise("\u201cYes,\u201d he said \u2014 twice.") == '"Yes," he said - twice.'
