"""Wording of the counts in messages, importable without Beam: "1 record", "2 records"."""

from __future__ import annotations


def noun(count: int, singular: str, plural: str | None = None) -> str:
    """The word (or phrase) for ``count`` things: ``singular`` for one, else ``plural``
    (default: ``singular`` + "s").

    Example:
        >>> f"{1} {noun(1, 'record')}, {3} {noun(3, 'story', 'stories')}"
        '1 record, 3 stories'
    """
    if count == 1:
        return singular
    return singular + "s" if plural is None else plural
