"""What a file is, decided from its bytes alone: magic numbers, or valid UTF-8 text.

The name and the declared content type of an upload are never consulted: both are chosen by
the sender. Anything not on the allow-list is refused, executables explicitly so.
"""

from __future__ import annotations

import codecs
import re

TEXT = "text/plain; charset=utf-8"
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
HEAD_BYTES = 16

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
)
#: ELF, PE/DOS, Mach-O (both byte orders, 32/64 bit, universal): refused even as "text"
_EXECUTABLES = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
#: control characters that do not occur in text (tab, newlines and form feed do)
_BINARY = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff_binary(head: bytes) -> str | None:
    """The media type of a known binary format from the first bytes, else None."""
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def is_executable(head: bytes) -> bool:
    return head.startswith(_EXECUTABLES)


class TextCheck:
    """Fed the file chunk by chunk: stays `ok` while the bytes are printable UTF-8 text."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.ok = True

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if not self.ok:
            return
        try:
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            self.ok = False
            return
        if _BINARY.search(text):
            self.ok = False


def decide(head: bytes, text: TextCheck) -> str | None:
    """The media type to store the file as, or None to refuse it."""
    if is_executable(head):
        return None
    return sniff_binary(head) or (TEXT if text.ok else None)
