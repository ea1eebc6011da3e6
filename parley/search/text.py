"""The search semantics as pure functions: query terms, index grams, highlight offsets.

A term matches when `search_key(term)` is a substring of `search_key(body)` (NFKC, then
casefold). The index stores the distinct bigrams of each body's key, so a 2-character term
is one index lookup and a longer term the intersection of a few of its bigrams; every
candidate is then checked exactly here.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from parley.core.text import search_key

_SHIFT = 21  # code points are below 2**21

#: text whose key is the body lowercased character for character (ASCII, Hangul syllables):
#: its key offsets are its own
_ONE_TO_ONE = re.compile("[\x00-\x7f\uac00-\ud7a3]*")

MAX_QUERY_CHARS = 256
MAX_TERMS = 8


class QueryError(ValueError):
    """The query cannot be searched; the message says why (a 422 for the client)."""


def gram(first: str, second: str) -> int:
    """A bigram as one integer: no collation of any database can fold two grams into one."""
    return (ord(first) << _SHIFT) | ord(second)


def grams_of_key(key: str) -> set[int]:
    """The index entries of a key: its distinct adjacent pairs."""
    return {gram(a, b) for a, b in itertools.pairwise(key)}


def term_grams(term: str) -> list[int]:
    """The bigrams a body must hold to contain `term` (a key of 2+ characters), in order."""
    seen: dict[int, None] = {}
    for a, b in itertools.pairwise(term):
        seen.setdefault(gram(a, b), None)
    return list(seen)


def parse_query(q: str) -> list[str]:
    """The terms of `q` as keys: whitespace-separated words and "quoted phrases" (an unpaired
    quote runs to the end). Raises QueryError for empty, oversized or control-character input."""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"q must be at most {MAX_QUERY_CHARS} characters")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n" for c in q):
        raise QueryError("q must not contain control characters")
    key = search_key(q)
    terms: list[str] = []
    for index, part in enumerate(key.split('"')):
        if index % 2:  # inside quotes: the phrase as written, inner spaces included
            if part.strip():
                terms.append(part.strip())
        else:
            terms.extend(part.split())
    unique = list(dict.fromkeys(terms))
    if not unique:
        raise QueryError("q must contain at least one term")
    if len(unique) > MAX_TERMS:
        raise QueryError(f"q may have at most {MAX_TERMS} terms")
    return unique


def matches(body: str, terms: list[str]) -> bool:
    """The semantics itself: every term is a substring of the body's key."""
    key = search_key(body)
    return all(term in key for term in terms)


def _segments(body: str) -> list[tuple[int, int]]:
    """Spans of `body` that normalise independently: a new span starts at each character
    that does not combine with the one before (NFKC composes marks and Hangul jamo)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(body)):
        char = body[index]
        if unicodedata.combining(char) == 0 and not _jamo(char) and not _jamo(body[index - 1]):
            spans.append((start, index))
            start = index
    if body:
        spans.append((start, len(body)))
    return spans


def _jamo(char: str) -> bool:
    code = ord(char)
    return (
        0x1100 <= code <= 0x11FF
        or 0x3130 <= code <= 0x318F
        or 0xA960 <= code <= 0xA97F
        or 0xD7B0 <= code <= 0xD7FF
    )


def highlights(body: str, terms: list[str]) -> list[list[int]]:
    """Every occurrence of every term as [start, end) character offsets into `body`, merged.

    Offsets are found in the key and mapped back through spans that normalise on their own;
    where that mapping does not reproduce the whole key (rare compositions) the body is one
    span, so a hit is never placed on the wrong characters."""
    key = search_key(body)
    if _ONE_TO_ONE.fullmatch(body):
        spans, owner = [(i, i + 1) for i in range(len(body))], list(range(len(body)))
    else:
        spans = _segments(body)
        pieces = [search_key(body[s:e]) for s, e in spans]
        if "".join(pieces) != key:
            spans, pieces = [(0, len(body))], [key]
        owner = []  # key offset -> span index
        for number, piece in enumerate(pieces):
            owner.extend([number] * len(piece))
    ranges: list[tuple[int, int]] = []
    for term in terms:
        at = key.find(term)
        while at != -1:
            first, last = owner[at], owner[at + len(term) - 1]
            ranges.append((spans[first][0], spans[last][1]))
            at = key.find(term, at + 1)
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
