"""Text clean-up and sentence splitting: pure functions, no Beam.

``normalise`` makes text comparable across outlets (UTF-8 mis-decoded as Windows-1252,
Unicode form, quotes, dashes, spaces, HTML markup, lines broken by a hard wrap).
``strip_boilerplate`` removes lines that are not
news content (``Read more:`` prompts, trailing link lists, author contact lines, hashtag
lines, newsletter prompts, share rows, a site's header and footer links, photo credits and
captions, page notices, the author's biography under the story, a comment section under it;
Chinese, Japanese and Thai wire marks, label lines, bylines and prompts too), and such
sentences from the line of a paragraph and widget text glued to the start of a line, and
returns what it removed so callers can count it.
``split_sentences`` is a rule-based segmenter that knows news abbreviations ("U.S.", "Sen.",
"Jan.") and closing quotes, and the sentence ends of Chinese, Japanese ("。", "！", "？" without
a space) and Thai (a space between Thai letters). ``word_count`` counts words in those scripts
by their letters, and ``no_space_ngrams`` cuts their runs into the n-grams that compare them.

Example:
    >>> split_sentences('Sen. Smith met U.S. officials. "We agreed," he said. It ended.')
    ['Sen. Smith met U.S. officials.', '"We agreed," he said.', 'It ended.']
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u00b7": "-",
        "\u2026": "...",
        "\u00a0": " ",
        # Unicode's own line and paragraph separators are line breaks like "\n".
        "\u2028": "\n",
        "\u2029": "\n\n",
        "\x85": "\n",
    }
    # Invisible format characters go: a soft hyphen (HTML's &shy;) or a word joiner inside a
    # word would split it in two terms, and direction marks, zero-width spaces and byte-order
    # marks are no text. The zero-width joiner and non-joiner stay: they change how the
    # letters beside them are drawn (Persian, Indic scripts, emoji).
    | dict.fromkeys(
        [
            "\u00ad",
            "\u061c",
            "\u180e",
            "\u200b",
            "\u200e",
            "\u200f",
            *map(chr, range(0x202A, 0x202F)),
            *map(chr, range(0x2060, 0x2070)),
            "\ufeff",
        ],
        "",
    )
)
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")
_INLINE_SPACE = re.compile(r"[ \t\f\v\r]+")
# Written with its literal prefix ("\n{3,}" has none), which lets the search skip to each
# "\n\n\n" rather than try the pattern at every character: 10 times faster on an article.
_MANY_NEWLINES = re.compile(r"\n\n\n+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTML_SPACE = re.compile(r"\s+")
# Starts the line of an HTML caption (a private-use character, never in text that is kept):
# strip_boilerplate removes that line as a ``caption``.
CAPTION_MARK = "\ue000"
# How a line that ends a sentence (or introduces a quote or list) ends; a line ending
# otherwise may be a hard wrap. A comma or semicolon never ends a sentence.
_SENTENCE_END = re.compile(r"""[.!?:。]['")\]」』]*$""")
# Hard-wrapped text: at least this many line breaks inside paragraphs, most of them inside
# a sentence and after a nearly full line, and lines no longer than this (plain-text feeds
# wrap at 60-80 columns) nor shorter: lines of a table, a poem or an address are short.
_WRAP_MIN_BREAKS = 3
_WRAP_SHARE = 0.5
_WRAP_FULL_LINE = 0.75
_WRAP_MIN_WIDTH = 40
_WRAP_MAX_WIDTH = 100
_HYPHEN_BREAK = re.compile(r"[A-Za-z]-$")
_SENTENCE_INSIDE = re.compile(r"""[.!?]['")\]]*\s+\S""")


@dataclass
class _DroppedElement:
    """An element of page chrome ``_TextExtractor`` drops once it closes."""

    tag: str
    start: int  # where its text starts in the extractor's parts
    links_only: bool  # dropped only if all its text is the text of links and headings
    has_prose: bool = False  # some of its text is not
    open_count: int = 1  # elements of its tag open inside it, itself included


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, turning block elements into line breaks. A
    caption (``figcaption``) becomes a line of its own marked ``CAPTION_MARK``, which
    ``strip_boilerplate`` removes and counts: the markup says it is not prose."""

    _BLOCKS = {
        "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
        "blockquote", "figure", "ul", "ol", "dl", "dt", "dd", "table", "td", "th", "header", "footer",
        "aside", "pre", "hr", "main",
    }  # fmt: skip
    _SKIPPED = {"script", "style", "noscript", "template"}
    # Page chrome of a whole scraped page: the window's title (the headline again, with the
    # site's name), navigation menus and the page's footer (copyright, "Privacy Policy",
    # "Contact Us" links), and elements that say they are ones (ARIA landmarks). Dropped once
    # the element closes, so a stray unclosed tag in a fragment does not take the article with
    # it. A ``<footer>`` inside a ``<blockquote>`` is the quote's source, and stays.
    _CHROME = {"title", "nav", "footer"}
    _CHROME_ROLES = {"navigation", "contentinfo"}
    # Elements that may hold a story's box (a pull quote, a fact box: text) or a list of links
    # to other stories: dropped only when all their text is the text of links or headings
    # ("Related", "Most read").
    _LINKS_ONLY = {"aside"}
    _HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
    # Elements whose text is prose laid out by the markup: a line break in their source is
    # a space (the source's own wrapping). Elsewhere a fragment may be plain text with a
    # stray tag, whose line breaks are its paragraphs.
    _PROSE = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "caption", "figcaption"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._prose_depth = 0
        self._pre_depth = 0
        self._caption_depth = 0
        self._quote_depth = 0
        self._link_or_heading_depth = 0
        self._dropped: list[_DroppedElement] = []  # outermost first

    def _is_chrome(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        if tag == "footer":
            return not self._quote_depth
        return tag in self._CHROME or any(
            name == "role" and (value or "").strip().lower() in self._CHROME_ROLES for name, value in attrs
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skip_depth += 1
            return
        if self._dropped and self._dropped[-1].tag == tag:
            self._dropped[-1].open_count += 1
        elif (chrome := self._is_chrome(tag, attrs)) or tag in self._LINKS_ONLY:
            self._dropped.append(_DroppedElement(tag, start=len(self.parts), links_only=not chrome))
            self.parts.append("\n")  # a block, kept or not
        if tag == "a" or tag in self._HEADINGS:
            self._link_or_heading_depth += 1
        if tag == "blockquote":
            self._quote_depth += 1
        if tag in self._PROSE:
            self._prose_depth += 1
        if tag == "pre":
            self._pre_depth += 1
        if tag == "figcaption":
            self._caption_depth += 1
            if self._caption_depth == 1:
                self.parts.append("\n" + CAPTION_MARK)
        elif tag in self._BLOCKS and not self._caption_depth:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        # The innermost such element: its end also ends the elements left open inside it.
        for index in range(len(self._dropped) - 1, -1, -1):
            element = self._dropped[index]
            if element.tag == tag:
                element.open_count -= 1
                if not element.open_count:
                    del self._dropped[index:]
                    if not (element.links_only and element.has_prose):
                        self.parts[element.start :] = ["\n"]
                break
        if tag == "a" or tag in self._HEADINGS:
            self._link_or_heading_depth = max(0, self._link_or_heading_depth - 1)
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
        if tag in self._PROSE:
            self._prose_depth = max(0, self._prose_depth - 1)
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag == "figure" and self._caption_depth:
            # The figure's end closes a caption left open ("<figcaption>...</figure>"), as in
            # a browser: the article after it is not caption.
            self._prose_depth = max(0, self._prose_depth - self._caption_depth)
            self._caption_depth = 0
            self.parts.append("\n")
        if tag == "figcaption":
            self._caption_depth = max(0, self._caption_depth - 1)
            if not self._caption_depth:
                self.parts.append("\n")
        elif tag in self._BLOCKS and not self._caption_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            if self._dropped and not self._link_or_heading_depth and not data.isspace():
                for element in self._dropped:
                    element.has_prose = True
            prose = (self._prose_depth and not self._pre_depth) or self._caption_depth
            self.parts.append(_HTML_SPACE.sub(" ", data) if prose else data)


def looks_like_html(text: str) -> bool:
    return len(_HTML_TAG.findall(text, 0, 20_000)) >= 2


def strip_html(text: str) -> str:
    """Returns the visible text of an HTML fragment (scripts and styles dropped)."""
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    return "".join(extractor.parts)


# Text that was UTF-8 read as Windows-1252 (or Latin-1) by a scraper that ignored the page's
# charset: each character of the original beyond ASCII became two to four characters of the
# Latin-1 Supplement or of cp1252's 0x80-0x9F range ("\u2019" as "\u00e2\u20ac\u2122", "\u00e9" as
# "\u00c3\u00a9"), a lead byte 0xC2-0xF4 followed by a continuation byte 0x80-0xBF.
_CP1252_BYTE = {
    char: byte
    for byte in range(0x80, 0x100)
    # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined: decoders pass them on as the C1
    # control of that number (which is also how Latin-1 decodes every byte 0x80-0x9F).
    for char in {bytes([byte]).decode("cp1252", errors="ignore") or chr(byte), chr(byte)}
}
_MOJIBAKE_CONTINUATION = "".join(char for char, byte in _CP1252_BYTE.items() if byte < 0xC0)
_MOJIBAKE_PAIR = re.compile(f"[\u00c2-\u00f4][{_MOJIBAKE_CONTINUATION}]")


def repair_mojibake(text: str) -> str:
    """The text as written, when it is UTF-8 that was decoded as Windows-1252 or Latin-1
    (``"Obama\u00e2\u20ac\u2122s"`` -> ``"Obama\u2019s"``), else the text unchanged.

    Only unambiguous cases are repaired: every character of the text must map back to a
    single byte and the bytes must be valid UTF-8, so a text that also holds a character
    cp1252 lacks, or a genuine "\u00e9" or "\u20ac" (not valid UTF-8 on its own), stays as it
    is. A text mis-decoded twice is repaired twice.
    """
    while _MOJIBAKE_PAIR.search(text):
        try:
            raw = text.encode("cp1252")
        except UnicodeEncodeError:  # a C1 control, or a character no single byte spells
            if any(char not in _CP1252_BYTE for char in text if not char.isascii()):
                return text
            raw = bytes(_CP1252_BYTE.get(char, ord(char)) for char in text)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return text
    return text


def normalise(text: str) -> str:
    """Mojibake repaired (``repair_mojibake``), Unicode NFKC, plain quotes and dashes, no
    invisible format characters, HTML to text, lines ending in LF (from CR LF, a lone CR and
    Unicode's line separators), tidy spaces and blank lines."""
    # Only the HTML extractor may mark a caption: the character in the input (an icon font's
    # glyph) would strip its line.
    text = _normalised_once(text.replace(CAPTION_MARK, ""))
    # Clean-up can take away what kept a mis-decoded text from being repaired (an invisible
    # character, "\u00aa" that NFKC makes "a"): repair and clean again, so that a clean text
    # stays as it is when cleaned again. Each repair shortens the text.
    while (repaired := repair_mojibake(text)) != text:
        text = _normalised_once(repaired)
    return text


def _normalised_once(text: str) -> str:
    # Before NFKC and the quote table, which would change the characters that spell the bytes
    # ("\u2122" to "TM", "\u201c" to '"').
    text = repair_mojibake(text)
    # A lone CR ends a line (classic Mac OS, some exports), as CR LF and LF do: its
    # lines are headings, paragraphs and boilerplate to strip, not one run of words.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        text = strip_html(text)
    elif "&" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _CONTROL.sub("", text)
    if _has_inline_space_to_tidy(text):
        # Over the whole text at once: no run of these spaces crosses a line break.
        text = _INLINE_SPACE.sub(" ", text)
    lines = [line.strip() for line in text.split("\n")]
    # Joining lines changes the widths that tell hard-wrapped text (``unwrap_lines``), so the
    # joined text could be joined further: unwrap until nothing is joined, so that a clean
    # text stays as it is when cleaned again.
    while len(unwrapped := unwrap_lines(lines)) < len(lines):
        lines = unwrapped
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def _has_inline_space_to_tidy(text: str) -> bool:
    """Whether ``_INLINE_SPACE`` would change the text: in most texts every run it matches is
    a single space, replaced by itself, and these substring tests cost a fraction of scanning
    the text with it."""
    return any(space in text for space in ("  ", "\t", "\r", "\f", "\v"))


def unwrap_lines(lines: list[str]) -> list[str]:
    """Joins the lines of a paragraph that a hard wrap broke inside a sentence.

    Lines are sentence boundaries downstream (``split_sentences``), so text wrapped at a
    fixed width (plain-text feeds, e-mail, PDF extracts, HTML source) would otherwise become
    fragments, most of them short enough to pass for headings. A line is joined to the
    next one when the next one is not a list item and either starts in lower case (the
    sentence goes on: "the idea of U.S." / "troops taking part"; not after a full stop or into
    boilerplate, ``_goes_on_in_lower_case``) or, in hard-wrapped text,
    begins with a word that would not have fitted on the line. Boilerplate lines, and
    headings (a paragraph's first line in Title Case, unless the next line is one too: a
    wrapped headline), are never joined in the second case, so they stay lines of their own.
    A word hyphenated at the break ("long-" / "standing") is joined without a space, and so is
    a run of Chinese, Japanese or Thai text (``_joins_without_space``), which a wrap breaks
    between any two letters. Widths are counted in columns (``display_width``): a Chinese
    text wrapped at 72 columns has lines of 36 characters.

    Example:
        >>> unwrap_lines(["Talks will", "resume in Geneva.", "", "Kyiv agreed."])
        ['Talks will resume in Geneva.', '', 'Kyiv agreed.']
    """
    breaks = [i for i in range(len(lines) - 1) if lines[i] and lines[i + 1]]
    if not breaks:
        return lines
    inside_sentence = sum(1 for i in breaks if not _SENTENCE_END.search(lines[i]))
    widths = sorted(display_width(lines[i]) for i in breaks)
    width = widths[(len(widths) * 9) // 10]
    full = sum(1 for length in widths if length >= _WRAP_FULL_LINE * width)
    wrapped = (
        len(breaks) >= _WRAP_MIN_BREAKS
        and inside_sentence >= _WRAP_SHARE * len(breaks)
        and full >= _WRAP_SHARE * len(breaks)
        and _WRAP_MIN_WIDTH <= width <= _WRAP_MAX_WIDTH
    )
    joined: set[int] = set()
    for i in breaks:
        line, following = lines[i], lines[i + 1]
        if _BULLET.match(following) or CAPTION_MARK in (line[0], following[0]):
            continue
        if following[0].islower():
            if _goes_on_in_lower_case(line, following):
                joined.add(i)
        elif wrapped and display_width(line) + _first_word_width(line, following) > width:
            # A heading starts a paragraph: a line that continues the one above is prose.
            heading = (
                (i == 0 or i - 1 not in joined)
                and _looks_like_title(line)
                and not _looks_like_title(following, min_words=1)
            )
            if _wraps_into(line, following, heading):
                joined.add(i)
    if not joined:
        return lines
    # Each joined line is built from its parts: growing one string, and searching it whole for
    # a hyphen at its end, at every join would cost time quadratic in its length (a long text
    # of short lines, each going on in the next, is one line).
    result = [[lines[0]]]
    for i in range(1, len(lines)):
        if i - 1 not in joined:
            result.append([lines[i]])
        elif (_HYPHEN_BREAK.search(result[-1][-1]) and lines[i][0].isalpha()) or _joins_without_space(
            result[-1][-1], lines[i]
        ):
            result[-1].append(lines[i])
        else:
            result[-1] += (" ", lines[i])
    return ["".join(parts) for parts in result]


def display_width(line: str) -> int:
    """The columns a line takes in a fixed-width font, which a hard wrap counts: two for an East
    Asian wide or full-width character (Chinese, Japanese, Korean) and for a sign beside a
    Chinese or Japanese letter that NFKC made of a full-width one ("，" -> ","), none for a
    Thai vowel or tone mark, one for any other.

    Example:
        >>> display_width("Kyiv"), display_width("成渝高铁"), display_width("JAXAは")
        (4, 8, 6)
    """
    if line.isascii():
        return len(line)
    wide = sum(1 for char in line if unicodedata.east_asian_width(char) in "WF")
    return len(line) + wide + len(_FULL_WIDTH_BEFORE_NFKC.findall(line)) - len(_THAI_MARK.findall(line))


def _joins_without_space(line: str, following: str) -> bool:
    """Whether a hard wrap broke a run of Chinese, Japanese or Thai text between these lines,
    where there was no space: both sides are letters or signs of those scripts, or one side is
    Chinese or Japanese, which write numbers and Latin words against their letters ("的" /
    "1小时", "載せた" / "H3ロケット"; Thai puts spaces around them)."""
    if line[-2:].isascii() and following[:2].isascii():
        return False
    if _NO_SPACE_LINE_END.search(line) and _NO_SPACE_LINE_START.match(following):
        return True
    return bool(_CJK_LINE_END.search(line) or _CJK_LINE_START.match(following))


def _first_word_width(line: str, following: str) -> int:
    """The columns the next line's first word would have taken on the line, with the space
    before it; where the wrap broke a run of Chinese, Japanese or Thai text, the word is its
    first letter (with its marks) or run of other signs ("12306"), without a space."""
    if _joins_without_space(line, following):
        first = _FIRST_UNBREAKABLE.match(following)
        # Measured after the line's last letter, beside which "," was a full-width "，".
        return display_width(line[-1] + (first.group() if first else following[0])) - display_width(line[-1])
    return 1 + display_width(following.split(" ", 1)[0])


def _goes_on_in_lower_case(line: str, following: str) -> bool:
    """Whether a line goes on in the next one, which starts in lower case: not into or out of
    boilerplate, and not after a full stop ("on Tuesday." / "iPhone sales slowed", "the full
    report." / "https://..."), unless it ends an abbreviation ("the idea of U.S." / "troops").
    After an ellipsis, "?", "!", ":" or a closing quote the sentence may go on ('"Why?"' /
    "he asked"), but not into a line of boilerplate (a URL, an e-mail address, a caption)."""
    if boilerplate_reason(line):
        return bool(boilerplate_reason(f"{line} {following}"))
    if not _SENTENCE_END.search(line):
        return True  # inside a sentence
    if line.endswith(".") and not line.endswith(".."):
        return _is_abbreviation(line[:-1], following)
    return not boilerplate_reason(following)


def _wraps_into(line: str, following: str, heading: bool) -> bool:
    """Whether a full line of hard-wrapped text goes on in the next one: not after a heading
    or a link-list header, not into or out of boilerplate, except a wrapped link's title
    ("Read more: How the talks" / "Broke Down")."""
    if heading or _LIST_HEADER.match(line) or boilerplate_reason(following):
        return False
    if boilerplate_reason(line):
        return _looks_like_title(following, min_words=1) and bool(boilerplate_reason(f"{line} {following}"))
    return True


def _looks_like_title(line: str, min_words: int = 2) -> bool:
    """Title Case without closing punctuation: every word of four letters or more
    capitalised ("Sticking Points and Russian Opposition")."""
    if _SENTENCE_END.search(line) or _SENTENCE_INSIDE.search(line):
        return False
    long_words = [word for word in line.split() if len(word) >= 4 and word[0].isalpha()]
    return len(long_words) >= min_words and all(word[0].isupper() for word in long_words)


# --- boilerplate -------------------------------------------------------------------------

_PROMPT_LINE = re.compile(
    r"^(read more|read also|also read|see also|related( stories| articles| coverage)?|more on this|"
    r"recommended( reading)?|watch|listen|click here|sign up|subscribe|follow us|don't miss|"
    r"download (our|the) app|advertisement|share this|share on)\b[^.!?]{0,200}$"
    r"|^(read more|also read|related|see also|watch|listen|more|trending( news| now)?|audio|podcasts?)\s*:",
    re.IGNORECASE,
)
_LIST_HEADER = re.compile(
    r"^(more (must[- ]reads|stories|from|on|news)|most (read|popular|viewed)|"
    r"related (stories|articles|coverage|links)|recommended|you may also like|"
    r"top stories|trending|further reading)\b",
    re.IGNORECASE,
)
_NEWSLETTER = re.compile(
    r"\b(newsletters?|sign up|subscribe)\b.{0,80}\b(inbox|e-?mails?|free|today|here|now|daily|weekly)\b"
    r"|\b(newsletters?|sign up|subscribe)\b.{0,150}\b(in|to) your (e-?mail )?inbox\b"
    r"|\b(daily|weekly|every (morning|day|week)|weekday mornings?|each (morning|week))\W{0,3}"
    r"(in|to) your inbox\b"
    r"|\b(e-?mail|newsletters?)\b.{0,80}\bsign up\W*$"  # "... by email ... Free Sign Up", the widget's button
    # What a sign-up widget says around its form: "Thank you for subscribing.", "You can
    # unsubscribe at any time.", "You must select a newsletter to subscribe to.", ...
    r"|\bthanks?( you)? for (subscribing|signing up)\b"
    r"|^((newsletter )?sign up\W+|by (signing up|subscribing)\b[^.]{0,40}?,? )?"
    r"(you (can|may) (unsubscribe|opt[- ]out)( at any time| anytime)?\W*$"
    r"|you (agree to|will) receive\b|you must select a newsletter\b)"
    r"|^newsletter sign up\b|^view all\b.{0,40}\bnewsletters\W*$|\bplease consider subscribing\b"
    r"|^(support (our|local|independent|quality) journalism\W*)?already a subscriber\b"
    r"|^the (most|best|only)\b.{0,40}\bnewsletter\W*$"
    r"|^(breaking news|daily|weekly|morning|evening) (e-?mails|alerts|newsletters?)\b",
    re.IGNORECASE,
)
_NEWSLETTER_WORDS = ("newsletter", "sign up", "signing up", "subscri", "inbox", "emails", "alerts")
_CONTACT = re.compile(
    r"^(write to|contact|email|e-mail|reach|follow)\b.{0,120}(@|\bat\b\s+\S+\.(com|org|net))",
    re.IGNORECASE,
)
_FOLLOW = re.compile(
    r"^follow\s.{0,60}\bon (twitter|x|facebook|instagram|threads|bluesky|linkedin|tiktok|youtube)\b"
    r"[^.!?]*\.?$",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^\(?(with )?(reporting|additional reporting|writing|editing|compiled|produced|assistance) by\b"
    r"|^contributing\s*:"  # "Contributing: Ben Mutzabaugh, USA TODAY; the Associated Press"
    # "... contributed to this story from McAllen, Texas.", "... and can be reached at <link>."
    r"|\bcontributed (reporting )?to (this|the) (report|story|article)( from [^.!?]{0,60}?)?"
    r"( and can be reached at \S+?)?\.?\)?$"
    r"|^(photo|image|picture|video|graphic|illustration)s?( credit| by| courtesy( of)?)?\s*[:|]"
    r"|^this (story|article|report) (has been|was) (updated|corrected|originally published)\b",
    re.IGNORECASE,
)
_SHARE_BUTTON = re.compile(
    r"^(share|tweet|email|print|save|comments?|copy link)( this( article| story)?)?$", re.IGNORECASE
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_HASHTAG_LINE = re.compile(r"^(#\w+[\s,]*)+$")
_URL_LINE = re.compile(r"^(\S+://\S+|www\.\S+)$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*([-*+>]|\d{1,2}[.)])\s+")
# "\b" cannot follow "©" or "(c)" (they end in a non-word character): "(c)" needs a year or
# "Copyright" after it, so a list's "(c) third option" stays news.
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*(?:\d{4}|copyright\b)|copyright\b|all rights reserved\b)", re.IGNORECASE
)
# Site furniture of scraped news pages beyond the patterns above, as (reason, most words,
# starts, pattern) rows tried as one regex. Measured on a labelled sample of ../shared/eval
# (docs/sentences.md, "Boilerplate"). Case matters where it says so: "By Sarah Fitzmaurice" is
# a byline but "By the end of 2019" is not; "Related talks will continue" is news.
# A row's starts ("|" between them, plain text) are the lower-cased beginnings of every line
# it can match ("this ", "a error", "(" ...), part of ``_LINE_STARTS``: a line that starts
# otherwise is not tried on the rows. A new row must list them.
_SOCIAL_NAMES = (
    r"facebook|twitter|x|instagram|threads|bluesky|linkedin|tiktok|youtube|pinterest|reddit|whatsapp|"
    r"snapchat|tumblr|google\+?"
)
# "City Herald. All rights reserved.", "Example Media Group, all rights reserved": a site's name
# before it (a line that starts with "©" or "Copyright" is ``_COPYRIGHT``'s); the stop or comma
# keeps a sentence that ends with the words ("The treaty kept all rights reserved.").
_RIGHTS_RESERVED = re.compile(r"[.,]\s*all rights reserved\W*$", re.IGNORECASE)
# A comment section's header: "12 comments", "Comments (3)", "Leave a comment", "Log in to comment",
# "View all 40 comments", "Join the discussion". What follows it is comments when it holds a line
# only comments have (``_COMMENT_MARK``): ``strip_boilerplate`` removes the section whole.
_COMMENTS_HEADER = re.compile(
    r"(\d[\d,]*\s+comments?|comments?(\s*\(\d[\d,]*\))?|(leave|post|add|write) a (comment|reply)"
    r"|(log ?in|sign ?in|register|subscribe) to (comment|reply|join the (conversation|discussion))"
    r"|(show|view|see|load|read|hide) (all )?(\d[\d,]* )?comments|join the (conversation|discussion))\W*",
    re.IGNORECASE,
)
# How long ago a comment or a linked story was posted: "3 hours ago", "a day ago".
_TIME_AGO = r"(\d{1,3}|an?) (second|sec|minute|min|hour|hr|day|week|month|year)s? ago"
# A line of a comment: its time, its buttons and counts ("3 hours ago", "Reply", "Like", "4 likes").
_COMMENT_MARK = re.compile(
    rf"({_TIME_AGO}"
    r"|reply|like|report|flag|\d[\d,]* (likes?|replies|repl(y|ies)|upvotes?|points?))\W*",
    re.IGNORECASE,
)
# Site links (``_FURNITURE_ROWS``), each with the separators after it: the names only a site's
# header or footer has, and the words a heading may be too ("About", "Careers"), which go only
# beside a name.
_SITE_LINK_SEPARATOR = r"[\s|/,\u00b7-]*"
_SITE_LINK_NAMES = (
    r"(privacy (policy|notice|statement|settings|center|centre)|(your )?privacy choices"
    r"|cookies? (settings|policy|preferences|notice)|manage (cookies|cookie preferences|preferences)"
    r"|terms( of (use|service)| (and|&) conditions)|contact us|about us"
    r"|do not sell( or share)? my (personal )?(info|information|data)|accessibility statement"
    r"|skip to (main )?(content|navigation)|sign ?in|log ?in|sign ?out|log ?out|advertisement"
    r"|sponsored( content| links?)?|paid (content|post)|subscribe( now| today)?|all rights reserved)\b"
    + _SITE_LINK_SEPARATOR
)
_SITE_LINK_WORDS = (
    r"(about|help|faq|careers|jobs|advertise( with us)?|site ?map|newsletters?|rss( feeds?)?|corrections"
    r"|contact|terms|privacy|cookies|accessibility|home|feedback|register|sign up|my account|masthead"
    r"|ethics( policy)?|archives?|press|store|licensing|reprints?( (and|&) permissions)?|copyright)\b"
    + _SITE_LINK_SEPARATOR
)
_FURNITURE_ROWS: tuple[tuple[str, int, str, str], ...] = (
    # The BBC's caption under a video or photo: "Media playback is unsupported on your device Media
    # caption Panorama's Fergus Walsh meets ...".
    ("caption", 60, "media ", r"(?i:(media playback is unsupported on your device\s+)?media caption\b)"),
    # "Twitter: @handle", "503-294-5135 @ReadOregonian"
    (
        "contact",
        4,
        "twitter|(|@|0|1|2|3|4|5|6|7|8|9",
        r"(?i:(twitter:?\s*)?(\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\s+)?@\w+)$",
    ),
    (
        "contact",
        30,
        "call|contact|reach|text",
        r"(?i:(call|contact|reach|text)\s.{0,80}\bat \(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4})",
    ),
    # share-button rows: "share tweet pin email", "Play Facebook", "Follow"
    (
        "prompt",
        8,
        (
            "share|tweet|pin|email|e-mail|print|save|comment|reply|play|follow|like|facebook|twitter|x|instagram|"
            "threads|bluesky|linkedin|tiktok|youtube|reddit|whatsapp|snapchat|tumblr|google"
        ),
        (
            rf"(?i:((share|tweet|pin|email|e-mail|print|save|comments?|reply|play|follow|like|{_SOCIAL_NAMES})"
            r"(\s+(on|us|this))?[\s|,/-]*)+)$"
        ),
    ),
    (
        "credit",
        8,
        "-|reuters|afp|ap|the associated press|associated press|upi",
        r"(?i:-?\s*(reuters|afp|ap|the associated press|associated press|upi)\.?)$",
    ),
    # What a page says about itself, not the story: errors, forms, a closed comment section, a
    # story still being written. End-anchored where a news sentence could begin the same way
    # ("An error occurred in the count, officials said").
    (
        "notice",
        20,
        (
            "a error|an error|a unexpected|an unexpected|a unknown|an unknown|something went wrong|"
            "please try again|invalid |please re|sorry|the page|the transcript|the interactive |"
            "the media player|this |comment|more updates|updates|note:|by submitting|by completing|"
            "0|1|2|3|4|5|6|7|8|9"
        ),
        (
            r"(?i:an? (unexpected |unknown )?error (has )?occurred\W*$|something went wrong\W*$"
            r"|please try again( later)?\W*$|invalid (e-?mail|password|user ?name|zip code)( address)?\W*$"
            r"|please re-?enter\W*$"
            r"|sorry,? (but )?(the|this) page\b.{0,40}\b"
            r"(could not|cannot|can't|does not|doesn't|is not|isn't|is no longer)\b"
            r"|(the|this) (page|transcript|interactive \w+|media player) (you (requested|are looking for) )?"
            r"(could not|cannot|can't|failed to) (be )?(load(ed)?|found|display(ed)?)\W*$"
            r"|(\d[\d,]* comments?\s+)?(sorry,? )?comments (for|on) this (post|story|article|page) "
            r"are (now )?closed"
            r"|comments are (now )?closed\W*$"
            r"|(more )?updates will be (provided|posted|added)( as [^.]{0,40})?\W*$"
            r"|this is a developing (news )?story\W*$|(note:\s*)?by (submitting|completing) this form\b)"
        ),
    ),
    # A video player's embed code and a video module's titles: "Embed <title> 3:08 autoplay
    # autoplay Copy this code to your website or blog", "JUST WATCHED <title> Replay More Videos".
    (
        "embed",
        40,
        "embed|just watched|must watch",
        r"(?i:embed\b.{0,200}\bcopy this code to your\b)|(JUST WATCHED|MUST WATCH)\b",
    ),
    (
        "prompt",
        25,
        "stay up|stay connected|stay informed|follow|join|find us|friend us|like us|connect with",
        (
            r"(?i:(stay (up[- ]to[- ]date|connected|informed)\W+)?"
            r"(follow|join|(find|friend|like) us|connect with)\s"
            rf".{{0,60}}\b(on|at|via)\s+(the \S+ )?(https?://)?(www\.)?({_SOCIAL_NAMES})(\.com\S*)?\b"
            rf"|(join the (conversation|discussion)|like us)\b|follow\s.{{0,40}}:\s*({_SOCIAL_NAMES})\b)"
        ),
    ),
    (
        "prompt",
        25,
        (
            "please enable|please turn on|media |this |your browser|itoggle|toggle|stay with|read or share|"
            "click|download the|download our|test your|take our|take the|warning:|tap here|tap below|"
            "read more |check back|follow|send us your|got a|have a|let us know|please visit|visit |want|get"
        ),
        (
            r"(?i:please (enable|turn on) javascript\b"
            r"|(media|this (video|content|page)) requires javascript\b"
            r"|media playback is unsupported\b|your browser does not support\b|i?toggle caption\b"
            r"|stay with \S+( \S+)? for (the latest|more|updates)\b"
            r"|read or share this (story|article)\b|click (here )?to (email|share|print)\b"
            r"|download (the|our)\b.{0,60}\bapps?\b|test your knowledge\b|take (our|the) quiz\b"
            r"|warning:\s*(the|this) (following )?video\b"
            # Calls to the reader, with a full stop: "Click here to see the video.", "Check back
            # for details as they develop.", "Send us your images or video."
            r"|(click|tap) (here|below)\b|read more (from|of|by|about|at|on)\b"
            r"|check back (later |soon )?for\b"
            r"|follow (our|all (of )?our|the latest)\b.{0,60}\bcoverage\b"
            r"|send us your (photos?|pictures|images|videos?|tips|stories)\b|(got|have) a (news )?tip\b"
            r"|let us know (in the comments|what you think)\b"
            r"|(please )?visit (https?://)?(www\.)?[\w-]+(\.[\w-]+)*\.(com|org|net|gov|edu)\S* "
            r"(for|to) (more|learn|find)\b"
            r"|(want|get)\b.{0,60}\bdelivered (straight |directly |right )?to your (phone|device)\b"
            r"|get (full|unlimited) (digital )?access\b.{0,80}\b(journalism|for (just|only)\b|subscri))"
        ),
    ),
    (
        "prompt",
        40,
        "[|(",
        (
            r"(?i:[\[(]\s*(related|photos?|video|watch|read( more)?|also (on|read)|more|listen|see)\b"
            r"[^:\])]{0,40}:.*[\])])$"
        ),
    ),
    (
        "prompt",
        8,
        "story continue|continue reading|text size|from wikipedia|skip to",
        (
            r"(?i:(story continue(s|d) below|continue reading( below| the main story)?|text size"
            r"|from wikipedia, the free encyclopedia|skip to (main )?content)\W*)$"
        ),
    ),
    (
        "credit",
        30,
        "[",
        r"(?i:\[\s*((featured )?(image|photo|pic|picture|video)s?\b|h/t\b|hat tip\b|via\b)[^\]]*\])$",
    ),
    (
        "credit",
        30,
        "image |media |video |photograph|photo illustration by|source:",
        (
            r"(?i:(image|media|video) (copyright|caption|credit|courtesy)"
            r"|photograph(s|ed)? by|photo illustration by"
            r"|source:\s*(getty|ap|reuters|afp)\b)"
        ),
    ),
    # A byline, with the photographer's agency: "By Slaven Vlasic/Getty Images."
    (
        "credit",
        12,
        "by|written by",
        r"(?i:by|written by)\s+[A-Z][\w.'-]+( [A-Z][\w.'-]+){1,3}(/[A-Z][\w.'-]*( [A-Z][\w.'-]*){0,2})?\.?$",
    ),
    # "Updated at 8:37 p.m.", "Update, November 11, 12:03 PT: adds Apple statement."
    (
        "credit",
        12,
        "last updated|update",
        (
            r"(?i:(last )?updated):?\s+(?i:at |on )?\d"
            r"|(?i:update\b.{0,40}?:\s*"
            r"(adds?|added|corrects?|corrected|clarifies|clarified|removes?|removed|includes?|included"
            r"|updates?|updated)\b)"
        ),
    ),
    # "Related Prodigy: 10 Essential Tracks ..."
    ("link_list", 60, "related", r"(Related|RELATED)\s+[\"'A-Z0-9]"),
    # "For more news on L.A. homicides, follow @nicolesantacruz."
    ("prompt", 15, "for more|follow", r"(?i:(for more\b.{0,80}?,\s*)?follow\s+@\w+\.?)$"),
    ("caption", 60, "enlarge ", r"(?i:enlarge (this )?image)\b"),
    # A site's header and footer links, one or several on a line ("Privacy Policy", "Terms of
    # Use | Contact Us", "About Us Careers Advertise", "Sign in", "ADVERTISEMENT", "Sponsored"):
    # the line holds their names only, one of them a name no heading of a story is.
    (
        "prompt",
        15,
        (
            "privacy|your privacy|cookie|manage|terms|contact|about|do not sell|accessibility|skip to|sign|"
            "log|advertis|sponsored|paid|subscribe|all rights|help|faq|careers|jobs|site|newsletter|rss|"
            "corrections|home|feedback|register|my account|masthead|ethics|archive|press|store|licensing|"
            "reprint|copyright"
        ),
        rf"(?i:(?=({_SITE_LINK_NAMES}|{_SITE_LINK_WORDS})*({_SITE_LINK_NAMES}))({_SITE_LINK_NAMES}|{_SITE_LINK_WORDS})+)$",
    ),
    # The time of a comment or of a link to another story: "3 hours ago", "a day ago".
    (
        "notice",
        4,
        "0|1|2|3|4|5|6|7|8|9|a |an ",
        rf"(?i:{_TIME_AGO})$",
    ),
    # A photo's credit alone, or cut short: "(AP Photo/Wisconsin State Journal, John..."
    ("credit", 15, "(", r"\((?i:ap photo|photos?|images?|pictures?)(/|:|\s+by\b)[^()]*(\)|\.\.\.)\W*$"),
    # A press release's footer: "SOURCE XO Group Inc."
    ("credit", 8, "source ", r"SOURCE [A-Z][\w.&'-]*( [A-Z][\w.,&'-]*)*$"),
    # Where the article was first published: "Originally published on Live Science.", "This story
    # first appeared in the Aug. 23 issue of The Hollywood Reporter." A comma says it goes on as
    # a sentence ("First published in 1851, the novel sold poorly").
    (
        "credit",
        30,
        "this |was |original|first ",
        (
            r"(?i:(this (story|article|post|piece|report) )?(was )?(originally|first) "
            r"(published|appeared|ran|posted) (in|on|at|by) (the )?"
            r"|original (article|story|post) (on|at) )[A-Z0-9][^,!?]{0,80}$"
        ),
    ),
    # The AP's caption: "FILE - In this July 12, 2018 file photo, FBI Deputy ..."
    # Notes about the article, not news: "Editor's note: ...", "Correction 31 July 2017: ...",
    # "An earlier version of this story misstated ...", "This article was amended on 9 June 2016."
    (
        "credit",
        60,
        (
            "editor|correction|clarification|disclosure|disclaimer|a earlier|an earlier|a previous|"
            "an previous|a prior|an prior|update|this "
        ),
        (
            r"(?i:(editor'?s'? note|corrections?|clarifications?|disclosure|disclaimer)"
            r"(\s+\d{1,2}\s+[a-z]+\s+\d{4}|\s+\([^)]{0,40}\))?\s*:"
            r"|an? (earlier|previous|prior) version of this (story|article|report|post|piece)\b"
            r"|(update\s*:\s*the|this) (story|article|report|post|piece) (has been|was) "
            r"(updated|corrected|amended|clarified|changed|revised|edited)"
            r"(\s+(on|to|at|with|since|in)\b|\W*$))"
        ),
    ),
)
_FURNITURE = re.compile("|".join(f"(?P<row{i}>{row[3]})" for i, row in enumerate(_FURNITURE_ROWS)))
# The same for Chinese, Japanese and Thai wire copy and pages (after NFKC: "（" is "(", "："
# ":"), as (reason, pattern) rows tried on whole lines of at most _NO_SPACE_FURNITURE_CHARS
# characters. Every row needs letters of those scripts, so no other line matches one. Labels
# need their colon and end marks their brackets: "来源于民间的创意" and "编辑部主任表示" are news.
# "记者:" is not a label here: an interview's questions start with it.
_NO_SPACE_FURNITURE_CHARS = 120
_NO_SPACE_CREDIT_LABELS = (
    "责任编辑|编辑|责编|来源|文章来源|本文来源|稿件来源|作者|通讯员|摄影|校对|审核|审校|监制"
)
# A reporter's byline inside a line, after Xinhua's dateline or before the story's first words:
# "新华社成都11月26日电（记者王明）成都至重庆..." (a reporter's note, "（记者注：...）", is text).
_NO_SPACE_BYLINE = re.compile(r"\((本报|特约|实习)?记者(?!注)[^()。!?]{1,30}\)")
# Xinhua's end of story "（完）", Kyodo's and Jiji's credit "（共同）" "（時事）".
_NO_SPACE_END_MARK = r"\((完|共同|時事)\)"
_NO_SPACE_FURNITURE_ROWS: tuple[tuple[str, str], ...] = (
    ("credit", _NO_SPACE_END_MARK),
    # "责任编辑：王某", "【编辑：李四】", "来源：新华网", "作者：张三 责任编辑：李四": labels and
    # names, no sentence.
    ("credit", rf"([【\[(]?\s*({_NO_SPACE_CREDIT_LABELS})\s*:\s*[^。!?:【】\[\]()]{{1,30}}?\s*[】\])]?\s*)+"),
    # A byline alone on its line: "（记者 张三）", "(记者张三 通讯员李四)".
    ("credit", _NO_SPACE_BYLINE.pattern),
    # The headline a story was first published under: "原标题：成渝中线高铁开通".
    ("credit", r"原标题\s*:.{1,80}"),
    (
        "copyright",
        r"[^。!?]{0,20}(无断|無断)(转载|転載|複製)(禁止|を禁じます|を禁止します|を禁ず)[^。!?]{0,20}",
    ),
    ("copyright", r"(版权所有|版权声明|未经(授权|许可),?\s*(不得|禁止|严禁)转载)[^。!?]{0,60}"),
    # Calls to follow, scan, download or read on: "点击关注", "扫码下载客户端", "关联阅读：...",
    # "関連記事", "続きを読む", "อ่านข่าวเพิ่มเติม" (read more news), "ติดตามข่าวสารได้ที่ ..."
    # (follow the news at ...), "ข่าวที่เกี่ยวข้อง" (related news).
    (
        "prompt",
        (
            r"(点击(关注|进入|查看|阅读|下载|收听|观看)|扫码|扫描(二维码|下方)|长按(识别|扫描)|欢迎关注"
            r"|下载[^。!?]{0,10}客户端|分享到\s*:|更多精彩|(相关|关联|延伸|推荐)(阅读|新闻|链接)\s*(:|$))[^。]{0,60}"
            r"|(関連(記事|ニュース)|あわせて読みたい|続きを読む|記事を読む|この記事をシェア)\s*(:.{0,80})?"
            r"|(อ่านข่าวเพิ่มเติม|อ่านเพิ่มเติม|อ่านต่อ|ข่าวที่เกี่ยวข้อง).{0,80}"
            r"|ติดตามข่าวสาร(เพิ่มเติม)?(\s*(ได้)?\s*(ที่|ทาง|ผ่าน).{0,80})?"
        ),
    ),
)
_NO_SPACE_FURNITURE = re.compile(
    "|".join(f"(?P<row{i}>({row[1]})$)" for i, row in enumerate(_NO_SPACE_FURNITURE_ROWS))
)
# Which lines of these scripts may hold a sentence of boilerplate (``_may_hold_boilerplate_sentence``).
_NO_SPACE_SENTENCE_KEYS = re.compile(
    rf"{_NO_SPACE_END_MARK}|({_NO_SPACE_CREDIT_LABELS}|原标题)\s*:|無断|无断|版权|点击|扫码|関連|อ่าน|ติดตามข่าวสาร"
)
# The lower-cased beginnings of every line that a rule anchored at the start of a line can
# match: the furniture rows' and those of the patterns ``boilerplate_reason`` tries first.
_LINE_STARTS: tuple[str, ...] = (
    *(start for row in _FURNITURE_ROWS for start in row[2].split("|")),
    "#",  # _HASHTAG_LINE
    "www.",  # _URL_LINE, whose other form needs "://" in the line
    *("read more", "read also", "also read", "see also", "related", "more", "recommended", "watch", "listen"),
    *("click here", "sign up", "subscribe", "follow us", "don't miss", "download our", "download the"),
    *("advertisement", "share this", "share on", "trending", "audio", "podcast"),  # _PROMPT_LINE
    *("write to", "contact", "email", "e-mail", "reach", "follow"),  # _CONTACT, _FOLLOW
    *("share", "tweet", "email", "print", "save", "comment", "copy link"),  # _SHARE_BUTTON
    *("(", "with ", "reporting", "additional reporting", "writing", "editing", "compiled", "produced"),
    *("assistance", "contributing", "contributed", "photo", "image", "picture", "video", "graphic"),
    *("illustration", "this "),  # _CREDIT
    *("©", "(c)", "copyright", "all rights reserved"),  # _COPYRIGHT
    *("(associated press)", "file", "in this", "this ", "corrects"),  # _WIRE_CAPTION
)
# The same, by their first character: a line's start is looked up among the few that begin
# as it does (twice as fast as among all).
_LINE_STARTS_BY_CHARACTER: dict[str, tuple[str, ...]] = {
    character: tuple(sorted({start for start in _LINE_STARTS if start[0] == character}))
    for character in {start[0] for start in _LINE_STARTS}
}
# Tried only on lines with a "|" or a link in them: they would scan every line of prose.
_MENU_ROW = re.compile(r"^[^.!?|]{1,30}(\s\|\s[^.!?|]{1,30}){2,}$")  # "FREE APPS | NOW | FACEBOOK | TWITTER"
_LABELLED_LINK = re.compile(
    r"^[^.!?]{0,120}(:|\s-)\s*(https?://|www\.)\S+$", re.IGNORECASE
)  # "More info: http://..."
_TRAILING_PROMPT = re.compile(r"(\(opens in (a )?new window\)|\bclick here\.?\)?)$", re.IGNORECASE)
# A caption ends with its photo credit: "(Photo: Ralph Wilson, AP)", "(Joe Raedle/Getty Images)",
# "REUTERS/Eric Gaillard", "Photo: Tom Wall via AP". The end-anchored patterns are searched
# in a line's last characters only, not tried at every position of a paragraph.
_CAPTION_CREDIT = re.compile(
    r"((?i:\((photo|image|picture|credit|video)s?(\s*:|\s+by\s)[^()]*\))"
    r"|\([^()]*((?i:getty images|ap photo|ap images|file photo)|/(AP|AFP|EPA|Getty|Reuters)\b)[^()]*\)"
    r"|\b(REUTERS|AFP|EPA)/[A-Z][\w.' -]+"
    r"|\b(?i:photo|image|credit|photograph( by)?):\s*[A-Z][^.!?]*)\.?$"
)
# An embedded post as scraped ends with its links, author, handle and date ("Our economy is
# booming! pic.twitter.com/x - Donald J. Trump (@realDonaldTrump) January 25, 2018"; "A post
# shared by Jane Doe (@jdoe) on Jun 8, 2016 at 10:04am PDT"). The post's text is what the outlet
# quoted and stays; what the embed added to it is removed (``strip_embed_residue``).
# The text before the author is as long as it can be: the residue starts at the last dash
# ("Amazing--Obama speaks --- should not be that way! - Donald J. Trump (@realDonaldTrump) ...").
_EMBED_AUTHOR = re.compile(
    r"(?s:(.*))(?<!\S)(([-\u2014]\s*|(?i:a post shared by\s+))[^()]{1,60}\(@\w{1,30}\)\s+(on\s+)?"
    r"[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}(\s+at\s+\d{1,2}:\d{2}\s*[apAP][mM](\s+[A-Z]{2,4})?)?\.?)$"
)
_EMBED_LINKS = re.compile(r"((?<!\S)(https?://)?(t\.co|pic\.twitter\.com)/\w+\s*)+$", re.IGNORECASE)
_EMBED_MARKS = ("Replay More Videos",)
# The wire services' captions: "FILE - In this Thursday, Jan. 17, 2013, file photo, a man ...",
# "In this photo provided by the Vatican paper ...", "(Associated Press) In this image released
# by ...", "This undated photo provided by Husky Homestead shows ...", "FILE PHOTO: A store ...".
# Not "In this photo, she is bent over the balcony rail": a feature describing a photo. Only the
# caption's sentence: pages put the article's first sentence on its line.
_WIRE_CAPTION = re.compile(
    r"(\(Associated Press\)\s*)?(FILE\s*-\s*)?In this (((undated|file|handout|[A-Z][a-z]+day,?"
    r"|[A-Z][a-z]{2,8}\.? \d{1,2},?|\d{4},?)\s+)+(?i:photo|image|picture|photograph|frame grab)\b"
    r"|(?i:photo|image|picture|photograph|frame grab),? "
    r"(provided|released|taken|made|obtained|distributed)\b)"
    r"|This (undated |handout |file )?((\w+\.? )?\d{1,2}, \d{4},? )?(?i:photo|image|picture|frame grab),? "
    r"(provided|released|taken|made available|obtained|distributed) by\b"
    r"|(FILE PHOTO:|FILE -)\s"
    # A caption the AP corrected says so first: "CORRECTS NUMBER DEAD TO TWO - This photo ...".
    r"|CORRECTS( [A-Z0-9][A-Z0-9,.'-]*){2,}\s"
)
# A photo gallery scraped as one line: "Photos: Sinking of the Musashi ... Hide Caption 1 of 6
# Photos: Sinking of the Musashi ... Hide Caption 2 of 6 ...".
_GALLERY = re.compile(r"(?i:hide caption)\s+\d{1,4} of \d{1,4}\b")
# Reuters' caption ends by naming its photo: "..., in this evidence photo released by the
# Connecticut State Police, December 27, 2013.", "..., in this March 24, 2014 file photo."
_CAPTION_IN_THIS = re.compile(
    r",? in this\b[^!?]{0,40}\b(photo|picture|image|photograph)( (taken|released|provided|obtained|dated)\b"
    r"[^!?]{0,100})?\.?$",
    re.IGNORECASE,
)
_TAIL_CHARS = 120
# Politico's caption: "... on Capitol Hill on May 8. | Getty", "... during the campaign. | AP Photo".
# A gallery's caption ends with its agency alone: "... a 25-vehicle pileup that... (Associated
# Press)". Only a caption's sentence: the gallery puts the story's summary on its line.
_AGENCY_ONLY_CREDIT = re.compile(r"\((Associated Press|AP|AFP|EPA|Getty Images|Reuters)\)\.?$")
# A video's reporter, under its description: "NBC10's Lu Ann Cahn has the details."
_VIDEO_REPORTER = re.compile(
    r"[A-Z][\w.'-]*(?: [A-Z0-9][\w.'-]*){0,4} (?:has|have) (?:more|(?:the )?details|the latest|the story)"
    r"(?: on [^.!?]{0,60})?\.$"
)
_PIPE_CREDIT = re.compile(r"\s\|\s+(AP|Getty|Reuters|AFP|EPA)( Photo| Images)?\b")
# Three photo credits on one line are a gallery's ("... Getty Images K.C. Cohen-Courtesy of Boston
# Children's Hospital Getty Images 1 of 10").
_AGENCY_CREDIT = re.compile(r"Getty Images|/(AP|AFP|EPA|Reuters)\b|\bCorbis\b")
# A video's description on the pages of a network's stations ends with the day it was published:
# "... NBC10's George Spencer has the latest. (Published Thursday, July 24, 2014)". The
# description stays; the reporter's line before the date goes as a prompt.
_VIDEO_PUBLISHED = re.compile(r"\s*\(Published [A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4}\)$")
# An e-mail address written out against spam: "ereeve at theatlantic dot com".
_SPELLED_EMAIL = re.compile(r"\b[\w.]+ at [\w-]+ dot (com|org|net)\b", re.IGNORECASE)
# Widget text glued to the start of a line, before the line's own sentence: a row of share
# buttons ("SHARE COPY LINK Broward Circuit Judge ..."), a video player's buttons ("CLOSE Skip in
# Skip x Embed x Share Police confirmed ..."), a marker ("Continue reading the main story At the
# scene ..."), a photo credit ("Tom Williams/Getty Images Rep. Jackie Speier ..."). The buttons
# only in capitals: "Share prices fell" and "Close aides said" are sentences.
_GLUED_FURNITURE = re.compile(
    r"(?:(?P<embed>(?:CLOSE\s+)?Skip in Skip x Embed x Share\s+(?:CLOSE\s+)?|CLOSE\s+)"
    r"|(?P<prompt>(?:(?:SHARE|COPY LINK|TWEET|EMAIL|PRINT|SAVE|COMMENTS?|FACEBOOK|TWITTER)\s+)+"
    r"|(?i:continue reading (?:the main story|below))\s+)"
    r"|(?P<credit>[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}/(?:Getty Images|AP|AFP|Reuters|EPA)\s+))"
    r"(?=[\"'(]?[A-Z][a-z\s])"
)
_LEADING_MARKS = re.compile(r"^[^\w\"'(\[@#]+")  # "► Related: ..." is a "Related: ..." prompt
# Which paragraphs may hold a boilerplate sentence: one that starts with a word the rules
# start with, or a word the unanchored rules look for anywhere. The other paragraphs (about
# 97% of the dev corpus's) are not split into sentences to try the rules on each, which
# would cost about three times the rest of ``strip_boilerplate`` (0.2 -> 0.9 ms an article).
# A rule for sentences of a paragraph needs its first word here; tests/test_text.py checks
# that its examples pass.
_SENTENCE_KEY_WORDS = (
    r"read|(also|see) (read|also|on)|related|more (on|info|from|stories|news|:)|"
    r"recommended|watch|listen|click|sign|subscri|follow|don't miss|download|advertis|share|"
    r"tweet|e-?mail|print|comments?\b|copy link|like us|stay (with|up|connected|informed)|"
    r"join (us|the)|find us|friend us|connect with|please (enable|sign|try)|media (playback|caption)|"
    r"your browser|toggle|enlarge|test your|media requires|associated press|source\b|take (our|the) quiz"
    r"|warning:|story continue|"
    r"continue reading|text size|skip to|write to|contact|reach|call|twitter|facebook|instagram|"
    r"(additional )?reporting|writing|editing|compiled|produced|photo|image|picture|video|graphic|"
    r"illustration|(this|the) (story|article|report|post|piece)|an? (earlier|previous|prior)|"
    r"editor|correction|clarification|copyright|all rights|(last )?updated|source:|file\b|"
    r"in this|reuters|afp|ap\b|upi\b|(written )?by\s|https?://|www\.|#|@|©|\(c\)|"
    r"an? (unexpected |unknown )?error|something went|please (turn|re-?enter|consider)|invalid|sorry|"
    r"thanks?( you)? for|you (can|may|must|agree|will receive)|view all|already a|support (our|local)|"
    r"get (full|unlimited)|want (stories|more)|newsletter|breaking news|original|first (published|appeared)|"
    r"check back|(more )?updates will|this is a developing|send us|(got|have) a (news )?tip|let us know|"
    r"visit|audio|trending|disclosure|disclaimer|update\b|note:|corrects\b|contributing"
)
_SENTENCE_KEYS = rf"[\"(\[-]?\s*(?i:{_SENTENCE_KEY_WORDS})"
_KEYED_FIRST_SENTENCE = re.compile(_SENTENCE_KEYS)
# A sentence boundary as ``split_sentences`` finds it, then a key: the search skips quickly
# to each "." "!" "?" of the paragraph.
_SENTENCE_GAP = r"""[.!?]["')\]]*\s+"""
_KEYED_SENTENCE = re.compile(_SENTENCE_GAP + _SENTENCE_KEYS)
# The same two patterns without IGNORECASE, for a lower-cased ASCII paragraph (the keys are in
# lower case; on ASCII text that is the same test): the regex engine then rules a key out at
# its first character, where IGNORECASE enters each of the ~120 keys, which made this test,
# tried on every paragraph, twice as slow.
_LOWER_KEYED_FIRST_SENTENCE = re.compile(rf"[\"(\[-]?\s*(?:{_SENTENCE_KEY_WORDS})")
_LOWER_KEYED_SENTENCE = re.compile(rf"{_SENTENCE_GAP}[\"(\[-]?\s*(?:{_SENTENCE_KEY_WORDS})")
_PARAGRAPH_WORDS = (
    "newsletter", "sign up", "subscri", "contributed", "photo", "getty", "credit", "click here", "window",
    "@", "/ap", "reuters/", " | ", "image", "picture", "caption", "pic.twitter.com/", "replay more videos",
    "copy this code", "just watched", "must watch", " dot com", " dot org", "inbox", " has more.",
    " has the details", " has the latest", " has details", "be loaded", "now closed", "(associated press)",
)  # fmt: skip
# "(See: every app that wanted to make money.)" inside a paragraph is the writer's aside.
_SEE_ASIDE = re.compile(r"^[\[(]\s*see\b", re.IGNORECASE)
# The author's biography under an article: "Kale Williams is a San Francisco Chronicle staff
# writer.", "Medred is a special correspondent.", "Jane Roe covers courts and the law for Slate.",
# "William Lee and Jeremy Gorner are reporters for the Tribune, Jae Miller is a reporter for WGN-TV".
# Only in the article's trailer (``_strip_author_lines``): in the story such a sentence is news
# ("Gershkovich is a reporter for The Wall Street Journal. He was detained in March.").
_NAME_WORD = r"[A-Z][\w.'-]+"
_NAME = rf"{_NAME_WORD}(?: {_NAME_WORD}){{0,3}}"
_OUTLET = r"(?: (?:for|at|with|on) (?:the )?[A-Z][^.!?,;\"]{0,40})?"
_AUTHOR_CLAUSE = (
    rf"{_NAME}(?: and {_NAME})? (?:(?:is|are) (?:(?:a|an|the)\b[^.!?,;:\"]{{0,60}}?\b)?(?:staff )?"
    rf"(?:writer|reporter|correspondent|columnist|editor|contributor|photographer|critic"
    rf"|journalist)s?{_OUTLET}"
    rf"|covers [^.!?;:\"]{{1,60}} for (?:the )?[A-Z][^.!?,;\"]{{0,40}})"
)
_AUTHOR_LINE = re.compile(rf"{_AUTHOR_CLAUSE}(?:,? (?:and )?{_AUTHOR_CLAUSE})*\.?")
# A beat without the outlet ("Lisa P. White covers Concord and Pleasant Hill."): one only in an
# article whose author's contact line was removed ("Contact her at ..."), since "Blue Cross
# covers the rest." could end a story.
_BEAT_LINE = re.compile(rf"{_NAME_WORD}(?: {_NAME_WORD}){{1,3}} covers [^.!?;:\"]{{1,60}}\.?")


def boilerplate_reason(line: str) -> str | None:
    """Names why a single line is boilerplate, or returns None for news content.

    Reasons: ``hashtags``, ``link``, ``prompt`` ("Read more: ...", "Follow us on X",
    share buttons, video-player notices), ``contact`` (author e-mail, handle and phone
    lines), ``newsletter``, ``credit`` ("Reporting by ...", "... contributed to this
    report", photo credits, bylines, update notes, editor's notes and corrections),
    ``link_list`` ("Related <title>"), ``caption`` (a line ending with its photo credit),
    ``embed`` (a video player's or module's text: "JUST WATCHED <title> Replay More Videos";
    ``strip_boilerplate`` also removes what an embedded post adds to its text,
    ``strip_embed_residue``), ``copyright``, ``notice`` (what a page says about itself: "An
    error has occurred.", "Please try again later.", "Comments are now closed.", "3 hours
    ago"), ``comments`` (a comment section's header: "12 comments", "Leave a comment";
    ``strip_boilerplate`` removes the section under it).

    Example:
        >>> boilerplate_reason("Write to Nik Popli at nik.popli@time.com")
        'contact'
        >>> boilerplate_reason("Sign up for our free daily newsletter")
        'prompt'
        >>> boilerplate_reason("Trump said he would sign up to the plan.") is None
        True
    """
    stripped = line.strip()
    if not stripped:
        return None
    if stripped.startswith(CAPTION_MARK):
        return "caption"
    lower, words = stripped.lower(), len(stripped.split())
    # Most lines are prose that starts as no rule anchored at the start of a line can: one
    # look-up of the line's start among theirs (``_LINE_STARTS``) spares failing each pattern
    # in turn (without it, ``strip_boilerplate`` takes 0.53 ms an article of the dev corpus, not
    # 0.37). It is exact for ASCII lines (99% of the dev corpus's); IGNORECASE matches the long
    # s "ſ" as "s", which lower() leaves as it is.
    anchored = lower.startswith(_LINE_STARTS_BY_CHARACTER.get(lower[0], ())) or not stripped.isascii()
    if anchored and _HASHTAG_LINE.match(stripped):
        return "hashtags"
    if (anchored or "://" in stripped) and _URL_LINE.match(stripped):
        return "link"
    if anchored and _PROMPT_LINE.match(stripped):
        return "prompt"
    # The unanchored patterns scan the whole line: only tried on lines with their key words.
    if (anchored and _CONTACT.match(stripped)) or (
        words <= 12 and "@" in stripped and _EMAIL.search(stripped)
    ):
        return "contact"
    if anchored and (_FOLLOW.match(stripped) or _SHARE_BUTTON.match(stripped)):
        return "prompt"
    if anchored and words <= 25 and _CREDIT.match(stripped):
        return "credit"
    # A list of the wire's writers can be long; a paragraph ending with it is split into
    # sentences (``paragraph_sentence_reason``), not removed whole.
    if (
        "contributed" in lower
        and words <= 80
        and _CREDIT.search(stripped)
        and (words <= 25 or len(_split_line(stripped)) == 1)
    ):
        return "credit"
    if words <= 30 and " dot " in lower and _SPELLED_EMAIL.search(stripped):
        return "contact"
    if words <= 30 and any(map(lower.__contains__, _NEWSLETTER_WORDS)) and _NEWSLETTER.search(stripped):
        return "newsletter"
    if anchored and _COPYRIGHT.match(stripped):
        return "copyright"
    if words <= 12 and "rights reserved" in lower and _RIGHTS_RESERVED.search(stripped):
        return "copyright"
    if "hide caption" in lower and _GALLERY.search(stripped):
        return "caption"  # a photo gallery, however long its line
    if ("getty" in lower or "/" in stripped or "corbis" in lower) and len(
        _AGENCY_CREDIT.findall(stripped)
    ) >= max(3, words // 12):
        return "caption"  # a gallery's photo credits, most of its line
    if anchored and words <= 60 and _WIRE_CAPTION.match(stripped) and len(_split_line(stripped)) == 1:
        return "caption"
    if (
        not stripped.isascii()
        and len(stripped) <= _NO_SPACE_FURNITURE_CHARS
        and (found := _NO_SPACE_FURNITURE.match(stripped))
    ):
        return _NO_SPACE_FURNITURE_ROWS[int(str(found.lastgroup)[3:])][0]
    if reason := _site_furniture_reason(stripped, words, anchored):
        return reason
    if _is_comments_header(stripped):
        return "comments"
    return None


def _site_furniture_reason(stripped: str, words: int, anchored: bool) -> str | None:
    """The rarer kinds of boilerplate: social prompts, share rows, players, embeds, bylines,
    captions. ``anchored``: whether a rule anchored at the line's start may match it (see
    ``boilerplate_reason``)."""
    if words > 60:
        return None  # a paragraph of prose
    if any(mark in stripped for mark in _EMBED_MARKS):
        return "embed"
    unmarked = _LEADING_MARKS.sub("", stripped)
    if unmarked != stripped and unmarked:
        # "- Updated at 8:37 p.m.", "-- with additional reporting by ...": a dash or a bullet
        # before a line of boilerplate.
        if _PROMPT_LINE.match(unmarked) or _LIST_HEADER.match(unmarked):
            return "prompt"
        return boilerplate_reason(unmarked)
    found = _FURNITURE.match(stripped) if anchored else None
    if found:
        reason, most_words, _, _ = _FURNITURE_ROWS[int(str(found.lastgroup)[3:])]
        if words <= most_words:
            return reason
    if words <= 12 and "|" in stripped and _MENU_ROW.match(stripped):
        return "prompt"
    if words <= 20 and ("://" in stripped or "www." in stripped) and _LABELLED_LINK.match(stripped):
        return "link"
    ending = stripped[-20:].lower()
    if words <= 25 and ("here" in ending or "window" in ending) and _TRAILING_PROMPT.search(ending):
        return "prompt"
    tail = stripped[-_TAIL_CHARS:]
    if ("(" in tail or "/" in tail or ":" in tail) and _CAPTION_CREDIT.search(tail):
        return "caption"
    if tail.endswith(")") and (agency := _AGENCY_ONLY_CREDIT.search(stripped, len(stripped) - len(tail))):
        if agency.start() == 0:
            return "credit"  # the credit alone
        if len(_split_line(stripped)) == 1:
            return "caption"
    if words <= 15 and (" has " in stripped or " have " in stripped) and _VIDEO_REPORTER.match(stripped):
        return "prompt"
    if " | " in stripped and _PIPE_CREDIT.search(stripped):
        return "caption"
    if "in this" in tail.lower() and _CAPTION_IN_THIS.search(tail):
        return "caption"
    return None


def paragraph_sentence_reason(sentence: str) -> str | None:
    """Names why one sentence of a paragraph (a line of several sentences) is boilerplate, or
    returns None.

    Scraped pages often put a widget's text on the line of a paragraph ("Newsletter Sign Up
    Continue reading the main story ... You must select a newsletter to subscribe to. ...")
    or several prompts on one line ("Contact her at 925-943-8011. Follow her at
    Twitter.com/lisa_p_white."), where no rule for a whole line holds. A sentence there is
    boilerplate by the rules for a line, except that a sentence ending in a link is a citation
    in prose ("The letter: http://politi.co/x"), not a link line, and a quoted sentence is
    someone's words ('"Sign up today," the mayor said'), not a prompt of the page.

    Example:
        >>> paragraph_sentence_reason("Download the Us Weekly iPhone app now!")
        'prompt'
        >>> paragraph_sentence_reason('"Sign up here for the free shots today," he said.') is None
        True
    """
    reason = boilerplate_reason(sentence)
    if reason == "link" and not _URL_LINE.match(sentence):
        return None
    if reason in ("prompt", "newsletter") and '"' in sentence:
        return None
    if reason == "prompt" and _SEE_ASIDE.match(sentence):
        return None
    return reason


def _strip_paragraph_sentences(line: str, removed: list[tuple[str, str]]) -> str:
    """The line without its boilerplate sentences (each added to ``removed``), when it has
    more than one sentence; the sentences kept are joined by a space (none after a Chinese or
    Japanese sentence), as ``split_sentences`` splits them again."""
    if not _may_hold_boilerplate_sentence(line):
        return line
    sentences = _split_line(line)
    if len(sentences) < 2:
        return line
    kept = []
    for sentence in sentences:
        reason = paragraph_sentence_reason(sentence)
        if reason:
            removed.append((reason, sentence))
        else:
            kept.append(sentence)
    if len(kept) == len(sentences) or not kept:
        return line if kept else ""
    # Chinese and Japanese write their sentences without a space between them: the text left
    # reads as a copy without that sentence does (the same content hash, an exact duplicate).
    joined = kept[0]
    for previous, sentence in zip(kept, kept[1:], strict=False):
        joined += ("" if _CJK_SENTENCE_END.search(previous[-3:]) else " ") + sentence
    return joined


def strip_embed_residue(line: str) -> tuple[str, str]:
    """Splits a line into the text of an embedded post it ends with and what the embed added
    (its links, author, handle and date), which is ``""`` for a line without one; a line that is
    all residue ("pic.twitter.com/x", "- Jane Doe (@jdoe) June 8, 2016") gives ``("", line)``.

    Example:
        >>> strip_embed_residue("A great future! https://t.co/9TzSC8F8vY - Ann Lee (@ann) May 3, 2017")
        ('A great future!', 'https://t.co/9TzSC8F8vY - Ann Lee (@ann) May 3, 2017')
    """
    tail = line[-_TAIL_CHARS - 60 :]
    if not ("(@" in tail or "t.co/" in tail or "twitter.com/" in tail):
        return line, ""
    text = line
    author = _EMBED_AUTHOR.match(tail) if "(@" in tail else None
    if author:
        text = line[: len(line) - len(tail) + author.end(1)].rstrip()
    links = _EMBED_LINKS.search(text, max(0, len(text) - _TAIL_CHARS))
    if links:
        text = text[: links.start()]
    return text.rstrip(), line[len(text) :].strip()


def _may_hold_boilerplate_sentence(line: str) -> bool:
    """Whether a paragraph has a sentence that starts with a key word of the rules, or a word
    an unanchored rule looks for (see ``_SENTENCE_KEYS``)."""
    lower = line.lower()
    if any(map(lower.__contains__, _PARAGRAPH_WORDS)):
        return True
    if line.isascii():
        return bool(_LOWER_KEYED_FIRST_SENTENCE.match(lower) or _LOWER_KEYED_SENTENCE.search(lower))
    return bool(
        _KEYED_FIRST_SENTENCE.match(line)
        or _KEYED_SENTENCE.search(line)
        or _NO_SPACE_SENTENCE_KEYS.search(line)
    )


def strip_boilerplate(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Removes boilerplate lines and the boilerplate sentences of paragraphs; returns the clean
    text and the (reason, line or sentence) pairs removed.

    A link-list header ("More Must-Reads from TIME") removes itself and the short bullet or
    title lines that follow it, up to the next paragraph of real prose. A comment section
    (``_comment_section_start``) is removed to the end of the text, each line counted as what
    it is or as ``comments``. A line that is not
    boilerplate as a whole loses the sentences that are (``paragraph_sentence_reason``); a
    line left with no sentence is removed.
    """
    kept: list[str] = []
    removed: list[tuple[str, str]] = []
    in_link_list = False
    lines = text.split("\n")
    comments = _comment_section_start(lines)
    for line in lines[:comments]:
        stripped = line.strip()
        if in_link_list:
            is_list_item = bool(_BULLET.match(stripped)) or (
                0 < len(stripped.split()) <= 12 and not stripped.endswith((".", '"', "'"))
            )
            if not stripped or is_list_item:
                if stripped:
                    # An author line under the list is still counted as what it is.
                    removed.append(
                        (boilerplate_reason(stripped) or "link_list", stripped.lstrip(CAPTION_MARK))
                    )
                continue
            in_link_list = False
        if _LIST_HEADER.match(stripped) and len(stripped.split()) <= 8:
            removed.append(("link_list", stripped))
            in_link_list = True
            continue
        reason = boilerplate_reason(stripped)
        if reason:
            removed.append((reason, stripped.lstrip(CAPTION_MARK)))
            continue
        glued = _GLUED_FURNITURE.match(stripped)
        if glued:
            removed.append((str(glued.lastgroup), glued.group().strip()))
            stripped = stripped[glued.end() :]
            reason = boilerplate_reason(stripped)
            if reason:
                removed.append((reason, stripped))
                continue
        if not stripped.isascii() and "(" in stripped and (byline := _NO_SPACE_BYLINE.search(stripped)):
            removed.append(("credit", byline.group()))
            stripped = stripped[: byline.start()] + stripped[byline.end() :]
        if stripped.endswith(")") and (published := _VIDEO_PUBLISHED.search(stripped)):
            removed.append(("embed", published.group().strip()))
            stripped = stripped[: published.start()]
        if stripped:
            stripped, residue = strip_embed_residue(stripped)
            if residue:
                removed.append(("embed", residue))
            line = _strip_paragraph_sentences(stripped, removed) if stripped else ""
            if not line:
                continue
        kept.append(line)
    # The comment section: its lines are what readers wrote, whatever they look like.
    removed.extend(
        (boilerplate_reason(line) or "comments", line.strip()) for line in lines[comments:] if line.strip()
    )
    _strip_author_lines(kept, removed)
    return _MANY_NEWLINES.sub("\n\n", "\n".join(kept)).strip(), removed


def _is_comments_header(stripped: str) -> bool:
    """A comment section's header (``_COMMENTS_HEADER``), tested cheaply first."""
    lower = stripped.lower()
    return (
        ("comment" in lower or "discussion" in lower)
        and len(stripped.split()) <= 8
        and bool(_COMMENTS_HEADER.fullmatch(stripped))
    )


def _comment_section_start(lines: list[str]) -> int:
    """Where the comment section under the story starts: at the first comment header
    (``_COMMENTS_HEADER``) after the text's first line, when a line after it is one only
    comments have (``_COMMENT_MARK``: "3 hours ago", "Reply") or none follows; ``len(lines)``
    when there is no such section. A "Comments" heading over news ("The agency received 300
    comments.") has no such line under it."""
    seen_text = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if seen_text and _is_comments_header(stripped):
            following = [other.strip() for other in lines[i + 1 :] if other.strip()]
            if not following or any(_COMMENT_MARK.fullmatch(other) for other in following):
                return i
        seen_text = seen_text or bool(stripped)
    return len(lines)


def _strip_author_lines(kept: list[str], removed: list[tuple[str, str]]) -> None:
    """Removes the author's biography (``_AUTHOR_LINE``, counted as a ``credit``; a beat alone,
    ``_BEAT_LINE``, where a contact line was removed) from the article's trailer: the lines
    after its last line of prose, read from the end (link titles, a "Contact her at ..." line
    already removed, other biographies)."""
    has_contact = any(reason == "contact" for reason, _ in removed)
    for i in range(len(kept) - 1, -1, -1):
        line = kept[i]
        if not line:
            continue
        if (" is " in line or " are " in line or " covers " in line) and (
            _AUTHOR_LINE.fullmatch(line) or (has_contact and _BEAT_LINE.fullmatch(line))
        ):
            removed.append(("credit", line))
            kept[i] = ""
        elif len(line.split()) >= 8 and _SENTENCE_END.search(line):
            return  # the story's last paragraph


# --- sentences ---------------------------------------------------------------------------

ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof sen rep reps gov gen lt col maj sgt capt cmdr adm cpl pvt supt insp
    st jr sr rev hon pres sec amb atty det messrs mmes fr sra sr
    inc corp ltd co bros llc plc dept univ assn est approx vs etc al cf eg ie fig no nos vol
    jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thur thurs fri sat sun
    ala ariz ark calif colo conn del fla ga ill ind kan kans ky la md mass mich minn miss mo
    mont neb nev okla ore pa penn tenn tex va vt wash wis wisc wyo
    mt ft ave blvd rd hwy
    """.split()
)
# Abbreviations that are also words ("fell ill.", "was no.", "apples, pears, etc."): one only
# when capitalised ("Springfield, Ill.", "No. 5").
_WORD_ABBREVIATIONS = frozenset(
    """
    ill no sun wed sat mon mar mass miss mo la pa wash ind del ore est etc fig vol det hon rev col
    gen sec co
    """.split()
)
# Dotted abbreviations such as "U.S." end a sentence only before a word that usually starts one.
_SENTENCE_STARTERS = frozenset(
    """
    the a an he she it they we i you this that these those there his her its their our
    but and or so yet in on at for with after before when while if as by from to of
    however meanwhile still also then now later earlier last next
    """.split()
)
# A boundary is followed by a capital, a digit or a letter without case (any script: "Élysée",
# "Путин", Arabic); a lower-case letter goes on the sentence ("e.g. the"). Scraped pages glue
# paragraphs without a space ("Flaherty said.City leaders say ..."): a full stop (with at most
# one closing quote) between a lower-case word or a number and a capitalised word ends a
# sentence too (groups 4 and 5: "on July 6.Jarrett faces"), unless the word is an abbreviation
# ("Gov.Jerry Brown") or an address, or the number starts its sentence (a list's "1.The");
# not "!" or "?", which brands write so ("Yahoo!News").
_BOUNDARY = re.compile(
    r'([.!?]+)(["\')\]]*)(\s+)(?=["\'(\[]?[^\W_])'
    r'|(?<=[a-z]{2}|\s\d|\d\d)(\.)(["\')\]]?)(?=["\']?[A-Z][a-z])'
)
# Letters of the scripts written without spaces between words: Han (with 々 〆 〇),
# Hiragana, Katakana (not its middle dot, which separates the words of a name) and Thai.
# Their runs are compared by character n-grams (``no_space_ngrams``) and counted in words of a
# few characters (``word_count``). Hangul is written with spaces.
_CJK_LETTERS = (
    "\u3005-\u3007\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
_THAI_LETTERS = "\u0e01-\u0e3a\u0e40-\u0e4e"
NO_SPACE_LETTERS = _CJK_LETTERS + _THAI_LETTERS
NO_SPACE_RUN = re.compile(f"[{NO_SPACE_LETTERS}]+")
_THAI_LETTER = re.compile(f"[{_THAI_LETTERS}]")
# Thai vowel and tone marks are drawn over or under their letter, in no column of their own
# (NFKC made two characters of "ำ", a mark and a letter).
_THAI_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
_THAI_MARK = re.compile(f"[{_THAI_MARKS}]")
# A hard wrap breaks Chinese, Japanese and Thai text between any two letters, where there was
# no space (``_joins_without_space``): a line ending in one of their letters or signs ("、" "。"
# "」"), or in a sign NFKC made of a full-width one ("," of "，"), and a line starting with one.
_NO_SPACE_SIGNS = "\u3001-\u303f"
_NO_SPACE_LINE_END = re.compile(f"""[{_NO_SPACE_SIGNS}{NO_SPACE_LETTERS}][,;:!?)\\]"']?$""")
_NO_SPACE_LINE_START = re.compile(f"""["'(\\[]?[{_NO_SPACE_SIGNS}{NO_SPACE_LETTERS}]""")
# Chinese and Japanese write numbers and Latin signs against their letters ("的1小时", "G8601次");
# Thai puts a space around a number.
_CJK_LINE_END = re.compile(f"""[{_NO_SPACE_SIGNS}{_CJK_LETTERS}][,;:!?)\\]"']?$""")
_CJK_LINE_START = re.compile(f"""["'(\\[]?[{_NO_SPACE_SIGNS}{_CJK_LETTERS}]""")
# Where a wrap may break a line of those scripts: before any of their letters (with its marks)
# and before a run of other signs.
_FIRST_UNBREAKABLE = re.compile(f"[^ {NO_SPACE_LETTERS}{_NO_SPACE_SIGNS}]+|.[{_THAI_MARKS}]*")
# NFKC made "," "!" "(" of "，" "！" "（", two columns wide in the wrapped text (``display_width``).
_FULL_WIDTH_BEFORE_NFKC = re.compile(f"(?<=[{_CJK_LETTERS}])[,;:!?()]|[,;:!?()](?=[{_CJK_LETTERS}])")
# Average word lengths, in characters: about 1.7 in Chinese and Japanese, 4 to 5 in Thai.
_CJK_WORD_CHARS = 2
_THAI_WORD_CHARS = 4
# The ideographic full stop ends a sentence with or without a space after it, and so do "!"
# and "?" after a Chinese or Japanese letter (NFKC made them of "！" and "？").
_IDEOGRAPHIC_END = re.compile(f"""(?:(?<=。)|(?<=[{_CJK_LETTERS}][!?]))["')\\]」』]*\\s*(?=\\S)""")
# A sentence that ends so: the next one follows it without a space.
_CJK_SENTENCE_END = re.compile(f"""(。|[{_CJK_LETTERS}][!?])["')\\]」』]?$""")
# Thai has no sentence punctuation: a space between two Thai letters ends its sentence.
_THAI_SENTENCE_SPACE = re.compile(f"(?<=[{_THAI_LETTERS}])\\s+(?=[{_THAI_LETTERS}])")
# Letters of any script and dots ("С." is an initial too), matched backwards from a full stop.
_LETTERS_OR_DOTS = re.compile(r"(?:[^\W\d_]|\.)*")
_NEXT_WORD = re.compile(r"[\"'(\[]?([^\W\d_]+)")
# Enough of the text after a boundary to hold any word ``_is_abbreviation`` compares with
# ``_SENTENCE_STARTERS`` (a longer word is cut, and is none of them either way).
_NEXT_WORD_CHARS = 64
# The first character after a boundary's opening quotes and brackets.
_AFTER_BOUNDARY = re.compile(r"[\"'(\[]*(.)", re.DOTALL)
MAX_UNPUNCTUATED_WORDS = 40
# A word before a glued stop that is part of an address: a dot, slash or @ inside it, or www.
_GLUED_ADDRESS = re.compile(r"[./@]|^www", re.IGNORECASE)


def _word_before(prefix: str) -> str | None:
    r"""The word that ends ``prefix``: from its first letter, the letters and dots that run to
    the end ("U.S", "Sen", "F"); None when the prefix does not end in a letter or dot.

    What ``re.search(r"([^\W\d_](?:[^\W\d_]|\.)*)$", prefix)`` finds, but matched on the
    reversed prefix from its start: that search tries every position of the prefix (a whole
    sentence, once per full stop) and most of sentence splitting went into it.
    """
    if prefix.endswith("\n"):
        prefix = prefix[:-1]  # "$" matches before a final line break too
    run = _LETTERS_OR_DOTS.match(prefix[::-1])
    return (run.group()[::-1].lstrip(".") if run else "") or None


def _is_abbreviation(prefix: str, following: str) -> bool:
    word = _word_before(prefix)
    if not word:
        return False
    bare = word.rstrip(".").lower()
    if "." in word.rstrip("."):
        # "U.S." or "D.C.": a boundary only if the next word looks like a sentence start.
        nxt = _NEXT_WORD.match(following)
        return not (nxt and nxt.group(1).lower() in _SENTENCE_STARTERS)
    if len(bare) == 1 and word[0].isupper():
        return True  # an initial, as in "John F. Kennedy"
    if bare in _WORD_ABBREVIATIONS:
        return word[0].isupper()
    return bare in ABBREVIATIONS


def _last_word_start(line: str, start: int, end: int) -> int:
    """Where ``line[start:end]``'s last space-separated word starts: the word ``_word_before``
    finds (letters and dots, never a space) lies inside it."""
    return max(start, line.rfind(" ", start, end) + 1)


def _chunk_words(text: str, size: int = MAX_UNPUNCTUATED_WORDS) -> list[str]:
    """The text in chunks of ``size`` words as ``word_count`` counts them: a run of Chinese,
    Japanese or Thai letters is cut every two (four) letters, its words, and the pieces of a
    run are joined without a space."""
    words = text.split()
    if text.isascii() or not NO_SPACE_RUN.search(text):
        return [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
    chunks, chunk, in_chunk = [], "", 0
    for word in words:
        for position, piece in enumerate(_word_pieces(word)):
            if in_chunk == size:
                chunks.append(chunk)
                chunk, in_chunk = "", 0
            elif chunk and position == 0:
                chunk += " "
            chunk += piece
            in_chunk += 1
    return [*chunks, chunk]


def _word_pieces(word: str) -> list[str]:
    """A whitespace-separated word cut around its runs of letters written without spaces and
    after every word of them ("G8601次列车" -> "G8601", "次列", "车")."""
    cuts = [0]
    for run in NO_SPACE_RUN.finditer(word):
        letters = _THAI_WORD_CHARS if _THAI_LETTER.match(run.group()) else _CJK_WORD_CHARS
        cuts.extend((*range(run.start(), run.end(), letters), run.end()))
    cuts.append(len(word))
    return [word[start:end] for start, end in zip(cuts, cuts[1:], strict=False) if start < end]


def _split_line(line: str) -> list[str]:
    if line.isascii():
        return _split_part(line)
    parts = [line]
    if "。" in line or (("!" in line or "?" in line) and _IDEOGRAPHIC_END.search(line)):
        parts = _split_after_ideographic_stops(line)
    if _THAI_SENTENCE_SPACE.search(line):
        parts = [sentence for part in parts for sentence in _THAI_SENTENCE_SPACE.split(part)]
    return [sentence for part in parts for sentence in _split_part(part)]


def _split_part(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        # Only the ends of the line next to the boundary are looked at (the word before it, the
        # word after it): slicing the rest of the line at each boundary took time quadratic in
        # the line's length (a megabyte of "U.S. " took a minute).
        glued = match.group(1) is None
        stop = 4 if glued else 1  # the group of the stop itself
        after = _AFTER_BOUNDARY.match(line, match.end())
        if after and after.group(1).islower():
            continue
        end = match.end(stop + 1)
        before = line[_last_word_start(line, start, match.start(stop)) : match.start(stop)]
        if glued and _GLUED_ADDRESS.search(before):
            continue  # "example.org.The", "twitter.com/x.Follow": an address, not a sentence
        if (
            glued
            and before[-1].isdigit()
            and not (before.isdigit() and line[start : match.start(stop) - len(before)].strip())
        ):
            continue  # "1.The" starting a sentence, "v2.The", "2-1.Chelsea": not a sentence's end
        if match.group(stop) == "." and _is_abbreviation(
            before, line[match.end() : match.end() + _NEXT_WORD_CHARS]
        ):
            continue
        pieces.append(line[start:end].strip())
        start = match.end()
    pieces.append(line[start:].strip())
    sentences: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        # Text without sentence punctuation is cut into bounded chunks, not one giant sentence.
        if word_count(piece) > 2 * MAX_UNPUNCTUATED_WORDS and not re.search(r"[.!?。]", piece):
            sentences.extend(_chunk_words(piece))
        else:
            sentences.append(piece)
    return sentences


def _split_after_ideographic_stops(line: str) -> list[str]:
    """'一句。二句！' -> ['一句。', '二句!'] (closing quotes stay with their sentence)."""
    parts, start = [], 0
    for match in _IDEOGRAPHIC_END.finditer(line):
        parts.append(line[start : match.end()].strip())
        start = match.end()
    parts.append(line[start:].strip())
    return [part for part in parts if part]


def split_sentences(text: str) -> list[str]:
    """Splits text into sentences; line breaks always end a sentence (``normalise`` has joined
    the lines a hard wrap broke). No word is lost, added or reordered (a list item keeps its
    bullet)."""
    sentences: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if line:
            sentences.extend(_split_line(line))
    return sentences


def is_heading(sentence: str) -> bool:
    """A short line without closing punctuation, such as a section heading or a headline; a
    list item ("- Polish officials asked for more interceptors") is not one, nor a Thai
    sentence (Thai has no sentence punctuation)."""
    stripped = sentence.strip()
    return (
        word_count(stripped) <= 14
        and not stripped.endswith((".", "!", "?", '"', "'", ":", "。"))
        and not _BULLET.match(stripped)
        and not _THAI_LETTER.match(stripped[-1:])
    )


def no_space_ngrams(tokens: list[str], size: int) -> list[str]:
    """The tokens, each run of letters of a script written without spaces (``NO_SPACE_RUN``)
    replaced by its overlapping character n-grams of ``size`` letters: without a dictionary
    to find its words, they are the terms two phrasings share (a shorter run stays whole).

    Example:
        >>> no_space_ngrams(["G8601", "成都东站", "次"], 2)
        ['G8601', '成都', '都东', '东站', '次']
    """
    ngrams: list[str] = []
    for token in tokens:
        if len(token) > size and NO_SPACE_RUN.fullmatch(token):
            ngrams.extend(token[i : i + size] for i in range(len(token) - size + 1))
        else:
            ngrams.append(token)
    return ngrams


def word_count(text: str) -> int:
    """The words of a text: its whitespace-separated words, except that a run of letters of a
    script written without spaces counts a word per two characters (Chinese, Japanese) or
    four (Thai), their average word length.

    Example:
        >>> word_count("Xinhua reported it."), word_count("新华社北京11月26日电"), word_count("ภาคใต้ฝนตกหนัก")
        (3, 5, 4)
    """
    if text.isascii() or not (runs := NO_SPACE_RUN.findall(text)):
        return len(text.split())
    words = sum(1 for word in text.split() if not NO_SPACE_RUN.search(word))
    for run in runs:
        words += -(-len(run) // (_THAI_WORD_CHARS if _THAI_LETTER.match(run) else _CJK_WORD_CHARS))
    return words


def same_outlet_key(name: str) -> str:
    """Outlet names that differ only in case or spacing ("Reuters", "reuters", "The  Guardian")
    name one outlet: they have the same key.

    Lower-cased one character at a time as DuckDB's ``lower`` does (the ``outlet_key`` macro
    of schemas/views.sql, by which the ``story_outlets`` view groups outlets, does the same,
    and DuckDB has no casefold): no final-sigma
    rule, and U+0130 is a plain "i"."""
    return "".join(char.lower() for char in " ".join(name.replace("\u0130", "I").split()))
