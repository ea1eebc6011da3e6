"""Notice bodies: Markdown rendered once, at write time, to HTML that is safe to inline.

Two layers: markdown-it with raw HTML off (and its own link validation), then nh3 with an
allow-list, so a bug in either layer alone does not open a hole. Only http, https and mailto
URLs survive (relative links too); links get `rel="noopener nofollow"`; no `style`, no event
handlers, no SVG or MathML, no frames or forms.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
        "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "img",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_cleaner = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener nofollow",
    strip_comments=True,
)


def render(markdown: str) -> str:
    """Markdown to sanitised HTML."""
    return _cleaner.clean(_markdown.render(markdown))
