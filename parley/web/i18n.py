"""Languages of the web UI: English and Korean, from a cookie or Accept-Language.

The catalog is a plain dict per language (`catalog.py`); a missing Korean string falls back
to English, and a test keeps both catalogs complete. Strings the scripts need (keys starting
with `js.`) travel in the page's JSON data block, never inside script code.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from parley.web.catalog import EN, KO
from parley.web.cookies import LANG_COOKIE

DEFAULT_LANGUAGE = "en"
CATALOGS: Mapping[str, Mapping[str, str]] = {"en": EN, "ko": KO}
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}


def negotiate(accept_language: str | None) -> str:
    """The supported language the client prefers most (RFC 9110 quality values)."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-", 1)[0]
        # earlier entries win ties, as clients list their preferences in order
        score = quality - position * 1e-6
        if primary in CATALOGS and quality > 0 and score > best_q:
            best, best_q = primary, score
    return best


def request_language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in CATALOGS:
        return chosen
    return negotiate(request.headers.get("accept-language"))


class Translator:
    """`t("key", name=...)`: the string in the page's language, placeholders filled.

    The result is plain text; Jinja escapes it (and the values filled in) like any other.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in CATALOGS else DEFAULT_LANGUAGE
        self._strings = CATALOGS[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = self._strings.get(key) or EN.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._strings or key in EN

    def error(self, code: str, fallback: str) -> str:
        """A problem code as a sentence for people (the API's detail when not translated)."""
        key = f"error.{code}"
        return self(key) if self.has(key) else fallback

    def js_strings(self) -> dict[str, str]:
        """`js.*` strings without their prefix, and `error.*` ones (API codes) as they are."""
        strings = {key[3:]: self(key) for key in EN if key.startswith("js.")}
        strings.update((key, self(key)) for key in EN if key.startswith("error."))
        return strings
