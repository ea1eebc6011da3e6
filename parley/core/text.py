"""Text rules shared by every schema: printable single-line names and cleaned bodies.

Use them as metadata: `Annotated[str, printable_line(1, 32)]`, `Annotated[str, clean_text(4000)]`.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import AfterValidator

_CONTROL_EXCEPT_NL_TAB = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def normalise_line(value: str) -> str:
    """NFC and trimmed; raises unless every character is printable (no controls, no newlines)."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value.isprintable():
        raise ValueError("must contain only printable characters")
    return value


def clean_body(value: str) -> str:
    """Drop control characters except newline and tab, normalise newlines, trim the ends."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_EXCEPT_NL_TAB.sub("", value).strip()


def _check_length(value: str, min_length: int, max_length: int) -> str:
    if not min_length <= len(value) <= max_length:
        raise ValueError(f"must be {min_length} to {max_length} characters")
    return value


def _guard(value: str, max_length: int) -> None:
    # refuse absurd input before normalising it (normalisation can only grow a string 18x)
    if len(value) > max_length * 4 + 64:
        raise ValueError(f"must be at most {max_length} characters")


def printable_line(min_length: int, max_length: int) -> AfterValidator:
    """A single printable line, NFC, trimmed, then length-checked."""

    def validate(value: str) -> str:
        _guard(value, max_length)
        return _check_length(normalise_line(value), min_length, max_length)

    return AfterValidator(validate)


def clean_text(max_length: int, min_length: int = 1) -> AfterValidator:
    """Multi-line text without control characters (newline and tab kept), length-checked."""

    def validate(value: str) -> str:
        _guard(value, max_length)
        return _check_length(clean_body(value), min_length, max_length)

    return AfterValidator(validate)


def search_key(value: str) -> str:
    """The form names are compared in (unique room names, nickname search): NFKC, casefolded,
    so full-width, lower- and upper-case spellings of a name are one."""
    return unicodedata.normalize("NFKC", value).casefold()


def contains_pattern(query: str) -> str:
    """A LIKE pattern (escape character backslash) matching keys containing `query` literally:
    `%` and `_` typed by a user are characters, not wildcards."""
    escaped = search_key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
