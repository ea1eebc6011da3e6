"""Reaction emoji: exactly one Unicode emoji, stored by its code points.

Validated against the Unicode emoji data of the `emoji` package (RGI sequences: ZWJ families,
skin tones, flags, keycaps). A minimally qualified or unqualified form (`❤` without U+FE0F)
is stored as its fully qualified form, so one emoji is one reaction chip. Components alone
(a bare skin tone) are refused.
"""

from __future__ import annotations

import unicodedata

import emoji

FULLY_QUALIFIED = emoji.STATUS["fully_qualified"]
COMPONENT = emoji.STATUS["component"]
#: longer than any RGI sequence; refuse before any lookup
MAX_EMOJI_CHARS = 16
VS16 = "\ufe0f"


def normalise_emoji(value: str) -> str | None:
    """The fully qualified emoji `value` names, or None when it is not exactly one emoji."""
    if not value or len(value) > MAX_EMOJI_CHARS:
        return None
    value = unicodedata.normalize("NFC", value)
    data = emoji.EMOJI_DATA.get(value)
    if data is None:
        return None
    status = data.get("status")
    if status == COMPONENT:
        return None
    if status == FULLY_QUALIFIED:
        return value
    # find the fully qualified spelling: the same code points with U+FE0F where it belongs
    bare = value.replace(VS16, "")
    for candidate in _qualified_forms(bare):
        found = emoji.EMOJI_DATA.get(candidate)
        if found is not None and found.get("status") == FULLY_QUALIFIED:
            return candidate
    return value


def _qualified_forms(bare: str) -> list[str]:
    forms = [bare + VS16]
    if len(bare) > 1:
        forms.append(bare[0] + VS16 + bare[1:])
        parts = bare.split("\u200d")
        forms.append("\u200d".join(p if len(p) > 1 else p + VS16 for p in parts))
    return forms


def emoji_key(value: str) -> str:
    """The stored key: code points in lower-case hex joined by '-' (ASCII, collation-proof)."""
    return "-".join(f"{ord(c):x}" for c in value)


def emoji_of(key: str) -> str:
    return "".join(chr(int(part, 16)) for part in key.split("-"))
