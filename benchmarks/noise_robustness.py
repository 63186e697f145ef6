"""How story matching holds up when articles arrive with the noise of real feeds.

    python benchmarks/noise_robustness.py --input ../shared/eval/basil_dev.jsonl \\
        --input ../shared/eval/multinews_dev.jsonl

Reads the labelled corpus (the files together, as ``storymatch eval`` reads them), applies
one perturbation at a time to a seeded half of the articles (the same half for every
perturbation), writes the perturbed corpus to a temporary JSON Lines file and scores it
with ``pipeline.evaluate.evaluate``, the code behind ``storymatch eval`` (its quadratic
reference methods skipped). Prints a Markdown table: pairwise precision, recall and F1 and
ARI, each beside its change against the clean corpus. About 15 s a run on two cores.

Each perturbation is a small pure function ``(article, rng) -> article`` that changes the
``text`` (and perhaps the ``title``) as some kind of feed does.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import tempfile
import textwrap
from collections.abc import Callable
from typing import Any

from pipeline import config as config_module
from pipeline.errors import exit_on_user_error
from pipeline.evaluate import evaluate

Record = dict[str, Any]
Perturbation = Callable[[Record, random.Random], Record]


def _paragraphs(text: str) -> list[str]:
    return [paragraph.strip() for paragraph in text.split("\n") if paragraph.strip()]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_page(record: Record, rng: random.Random) -> Record:
    """The whole page as a scraper that stores raw HTML gets it: doctype, a head with style
    and script, a nav menu of links, the story in ``<p>`` tags, a footer with copyright and
    links (feeds fetched with requests/wget and no extraction step)."""
    title = _escape(record.get("title") or "")
    outlet = _escape(record.get("outlet") or "News")
    body = "\n".join(f"<p>{_escape(paragraph)}</p>" for paragraph in _paragraphs(record["text"]))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | {outlet}</title>
<style>body {{ font-family: Georgia, serif; }} .nav a {{ color: #333; }}</style>
<script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
</head><body>
<nav class="nav"><ul><li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/world">World</a></li><li><a href="/business">Business</a></li>
<li><a href="/opinion">Opinion</a></li><li><a href="/sports">Sports</a></li></ul></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer><p>&copy; 2025 {outlet}. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy Policy</a></li><li><a href="/terms">Terms of Use</a></li>
<li><a href="/contact">Contact Us</a></li></ul></footer>
</body></html>"""
    return {**record, "text": page}


_STRAIGHTEN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2014": "--"})


def typography(record: Record, rng: random.Random) -> Record:
    """Typographic quotes and dashes made straight (ASCII-only wire feeds), or straight ones
    made curly (a CMS's "smart quotes"), and non-breaking spaces after short words (word
    processors, French-style layouts)."""
    text = record["text"]
    if "\u2019" in text or "\u201c" in text:
        text = text.translate(_STRAIGHTEN)
    else:
        curly: list[str] = []
        double_open = True
        for index, char in enumerate(text):
            if char == '"':
                curly.append("\u201c" if double_open else "\u201d")
                double_open = not double_open
            elif char == "'":
                after_letter = index > 0 and text[index - 1].isalnum()
                curly.append("\u2019" if after_letter else "\u2018")
            else:
                curly.append(char)
        text = "".join(curly).replace(" - ", " \u2014 ")
    words = text.split(" ")
    text = "".join(
        word + ("\u00a0" if len(word) <= 3 and position < len(words) - 1 else " ")
        for position, word in enumerate(words)
    ).rstrip(" ")
    return {**record, "text": text}


def mojibake(record: Record, rng: random.Random) -> Record:
    """The text encoded as UTF-8 and decoded as cp1252 (``'`` becomes ``â€™``, ``é`` becomes
    ``Ã©``): a scraper that ignores the page's charset and assumes Windows-1252."""
    return {**record, "text": _mis_decoded(record["text"]), "title": _mis_decoded(record.get("title"))}


def _mis_decoded(text: str | None) -> str | None:
    if text is None:
        return None
    # cp1252 leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D): browsers and most
    # scrapers map them to the C1 control of the same number, as latin-1 does.
    return "".join(
        bytes([byte]).decode("cp1252", errors="ignore") or chr(byte) for byte in text.encode("utf-8")
    )


def title_and_dateline(record: Record, rng: random.Random) -> Record:
    """The title repeated as the first line of the text, and a wire dateline before the
    first paragraph (``WASHINGTON (Reuters) - ``): aggregators that paste headline and body."""
    dateline = rng.choice(["WASHINGTON (Reuters) - ", "NEW YORK (AP) — ", "LONDON (AFP) - "])
    title = record.get("title") or ""
    return {**record, "text": f"{title}\n\n{dateline}{record['text']}"}


def teaser(record: Record, rng: random.Random) -> Record:
    """The text cut to its first 150 words: RSS and teaser feeds that carry only the lead."""
    first_words = re.match(r"\s*(?:\S+\s+){0,149}\S*", record["text"])
    assert first_words is not None  # the pattern matches any text
    return {**record, "text": first_words.group().rstrip()}


def shouting_and_wrapping(record: Record, rng: random.Random) -> Record:
    """The title and first paragraph in capitals (wire headlines, some print systems), extra
    blank lines between paragraphs and every paragraph hard-wrapped at 72 columns
    (plain-text e-mail and teletype feeds)."""
    paragraphs = _paragraphs(record["text"])
    if paragraphs:
        paragraphs[0] = paragraphs[0].upper()
    wrapped = "\n\n\n".join(textwrap.fill(paragraph, width=72) for paragraph in paragraphs)
    title = record.get("title")
    return {**record, "text": wrapped, "title": title.upper() if title else title}


_COMMENTERS = ["jdoe42", "PatriotMom", "skeptic_99", "Mike R.", "truthseeker", "ann_b"]
_REPLIES = [
    "This is exactly what I expected.",
    "Fake news as usual.",
    "Who cares?",
    "Great reporting, thanks.",
    "lol",
    "Unbelievable. Just unbelievable.",
    "Where is the outrage?",
]
_RELATED = [
    "Stocks slide as investors weigh rate outlook",
    "Five things to know before you travel this summer",
    "Opinion: The week in review",
    "Weather service warns of heavy rain this weekend",
    "How to protect your savings from inflation",
]


def related_and_comments(record: Record, rng: random.Random) -> Record:
    """A "Related stories" link list and a comment-section dump after the story (``12
    comments``, usernames, short replies): scrapers that take the whole main column."""
    related = "\n".join(rng.sample(_RELATED, 3))
    count = rng.randint(3, 40)
    comments = "\n".join(
        f"{rng.choice(_COMMENTERS)}\n{rng.randint(1, 11)} hours ago\n{rng.choice(_REPLIES)}\nReply"
        for _ in range(3)
    )
    tail = f"\n\nRelated Stories\n{related}\n\n{count} comments\n{comments}"
    return {**record, "text": record["text"] + tail}


def links_and_captions(record: Record, rng: random.Random) -> Record:
    """Bare URLs and an e-mail address in the text, and an image caption with its credit
    between paragraphs: feeds that flatten links, contact boxes and figures to text."""
    paragraphs = _paragraphs(record["text"])
    slug = "-".join((record.get("title") or "story").lower().split()[:6])
    url = f"https://www.example-news.com/2025/08/19/{slug}.html"
    caption = f"A view of the scene on Tuesday. (Photo: {rng.choice(['Reuters', 'Getty Images', 'AP'])})"
    middle = len(paragraphs) // 2
    paragraphs[middle:middle] = [caption]
    if paragraphs:
        paragraphs[0] = f"{paragraphs[0]} {url}"
    paragraphs.append("Contact the reporter at newsdesk@example-news.com.")
    return {**record, "text": "\n\n".join(paragraphs)}


PERTURBATIONS: dict[str, Perturbation] = {
    "html_page": html_page,
    "typography": typography,
    "mojibake": mojibake,
    "title_and_dateline": title_and_dateline,
    "teaser_150_words": teaser,
    "upper_case_and_hard_wrap": shouting_and_wrapping,
    "related_and_comments": related_and_comments,
    "links_and_captions": links_and_captions,
}


def read_corpus(paths: list[str]) -> list[Record]:
    records: list[Record] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            records.extend(json.loads(line) for line in handle if line.strip())
    return records


def perturbed(records: list[Record], perturbation: Perturbation, seed: int) -> list[Record]:
    """The corpus with ``perturbation`` applied to a seeded half of its articles (chosen by
    the seed alone, so every perturbation hits the same articles)."""
    chosen = set(random.Random(seed).sample(range(len(records)), len(records) // 2))
    rng = random.Random(seed + 1)
    return [perturbation(record, rng) if index in chosen else record for index, record in enumerate(records)]


def score(records: list[Record], config: config_module.Config) -> dict[str, Any]:
    """The pipeline's pairwise figures (``precision``, ``recall``, ``f1``, ``tp``, ``fp``,
    ``fn``) and ``ari`` on ``records``, as ``storymatch eval`` measures them."""
    with tempfile.TemporaryDirectory(prefix="storymatch-noise-") as folder:
        path = os.path.join(folder, "corpus.jsonl")
        with open(path, "w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        report = evaluate([path], config, all_pairs_limit=0)["pipeline"]
    return {**report["pairwise"], "ari": report["ari"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", dest="inputs", action="append", required=True)
    parser.add_argument("--seed", type=int, default=1, help="chooses the perturbed half (default 1)")
    parser.add_argument(
        "--only", nargs="+", choices=sorted(PERTURBATIONS), help="run these perturbations only"
    )
    args = parser.parse_args(argv)
    logging.getLogger("apache_beam").setLevel(logging.ERROR)
    config = config_module.load()
    records = read_corpus(args.inputs)
    clean = score(records, config)
    print("| perturbation | P | R | F1 | ARI | ΔP | ΔR | ΔF1 | ΔARI | pairs lost | pairs wrongly joined |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")

    def row(name: str, figures: dict[str, Any]) -> str:
        keys = ("precision", "recall", "f1", "ari")
        values = " | ".join(f"{figures[key]:.3f}" for key in keys)
        changes = " | ".join(f"{figures[key] - clean[key]:+.3f}" for key in keys)
        # Same-story pairs no longer in one story, and pairs of two stories now in one.
        pairs = f"{figures['fn'] - clean['fn']:+d} | {figures['fp'] - clean['fp']:+d}"
        return f"| {name} | {values} | {changes} | {pairs} |"

    print(row("clean", clean), flush=True)
    for name in args.only or PERTURBATIONS:
        print(row(name, score(perturbed(records, PERTURBATIONS[name], args.seed), config)), flush=True)
    return 0


if __name__ == "__main__":
    exit_on_user_error(main, "noise_robustness.py")
