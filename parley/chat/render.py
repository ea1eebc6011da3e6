"""Message bodies to sanitised HTML, at write time: Markdown plus resolved mentions.

Two layers like the notice board (`parley.notices.markdown`): cmark-gfm (GitHub's C
CommonMark, with the strikethrough and autolink extensions, raw HTML shown as text, newlines as
line breaks; headings become paragraphs and rules vanish: chat has no document structure),
then nh3 with an allow-list (emphasis, strong, strikethrough, code, block quotes, lists,
links with `rel="noopener nofollow ugc"` and http/https/mailto only; images are dropped).
Mention tokens (`<@12>`, `<@room>`) survive Markdown as escaped text and are replaced
afterwards by spans that we build ourselves (the nickname escaped), so no input can shape
that markup.

Most chat lines are plain text: those skip the parser (`_PLAIN`), which gives byte-for-byte
the parser's output at a fraction of its cost (0.5 us instead of about 15 us; markdown-it-py,
which the notices use, took 35-130 us, too slow for the writer's batch).
"""

from __future__ import annotations

import html as html_lib
import re

import cmarkgfm  # type: ignore[import-untyped]
import nh3
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from parley.core.database import MAX_BIGINT

#: distinct member mentions resolved per message; tokens beyond stay text
MAX_MENTIONS = 50
#: a token that may be a mention: `<@123>` or `<@room>`
MENTION_TOKEN = re.compile(r"<@(room|[1-9][0-9]{0,18})>")
_ESCAPED_TOKEN = re.compile(r"&lt;@(room|[1-9][0-9]{0,18})&gt;")
#: no Markdown or HTML meaning at all: rendered as one paragraph without the parser
_PLAIN = re.compile(r"[^\\`*_~\[\]<>&#!|=+\-\n\t@]*")
#: a colon means something only in an autolink's scheme (`https://`, `mailto:`, `xmpp:`)
_SCHEME = re.compile(r"://|mailto:|xmpp:", re.IGNORECASE)
_LIST_START = re.compile(r"\d+[.)]")
_OPTIONS = Options.CMARK_OPT_HARDBREAKS | Options.CMARK_OPT_VALIDATE_UTF8
_EXTENSIONS = ["strikethrough", "autolink"]
_HEADING = re.compile(r"<(/?)h[1-6]>")
_RULE = re.compile(r"<hr />\n?")
_cleaner = nh3.Cleaner(
    tags={
        "p",
        "br",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
    },
    clean_content_tags={"script", "style"},
    attributes={"a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener nofollow ugc",
    strip_comments=True,
)


def mention_tokens(body: str) -> tuple[list[int], bool]:
    """The member ids the body's tokens name (first `MAX_MENTIONS` distinct) and whether it
    has `<@room>`; whether they resolve is the writer's question (membership, role)."""
    ids: dict[int, None] = {}
    room = False
    for match in MENTION_TOKEN.finditer(body):
        name = match.group(1)
        if name == "room":
            room = True
        elif len(ids) < MAX_MENTIONS:
            value = int(name)
            if value <= MAX_BIGINT:
                ids[value] = None
    return list(ids), room


def markdown_html(body: str) -> str:
    """The body's Markdown as sanitised HTML, mention tokens still escaped text."""
    if (
        _PLAIN.fullmatch(body)
        and not _LIST_START.match(body)
        and "www." not in body
        and (":" not in body or not _SCHEME.search(body))
    ):
        return f"<p>{body}</p>" if body else ""
    return parsed_html(body)


#: stands in for `<` while the parser runs: a private-use character has no Markdown or HTML
#: meaning, so what a member typed as markup stays the text they typed (in code, too)
_LT = "\ue000"
#: `<https://…>` autolinks become bare URLs first, which the autolink extension links
_ANGLE_LINK = re.compile(r"<((?:https?|mailto):[^\s<>]+)>")


def parsed_html(body: str) -> str:
    """`markdown_html` through the parser and the sanitiser, always.

    Raw HTML is shown as the text it is, not dropped: `<b>hi</b>` reads `<b>hi</b>`, as in
    Zulip and Mattermost. Every `<` reaches the parser as `_LT` and leaves it as `&lt;`.
    """
    source = _ANGLE_LINK.sub(r"\1", body).replace(_LT, "").replace("<", _LT)
    html = cmarkgfm.markdown_to_html_with_extensions(
        source, options=_OPTIONS, extensions=_EXTENSIONS
    )
    html = html.replace(_LT, "&lt;")
    html = _RULE.sub("", _HEADING.sub(r"<\1p>", html))
    return str(_cleaner.clean(html)).rstrip("\n")


def render(body: str, nicknames: dict[int, str] | None = None, room: bool = False) -> str:
    """HTML of a body whose resolved mentions (`nicknames`, and `<@room>` when `room`) show
    as `@nickname` spans; unresolved tokens stay as the text they are."""
    out = markdown_html(body)
    if (not nicknames and not room) or "&lt;@" not in out:
        return out
    names = nicknames or {}

    def span(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "room":
            return '<span class="mention mention-room">@room</span>' if room else match.group(0)
        nickname = names.get(int(name))
        if nickname is None:
            return match.group(0)
        label = html_lib.escape(nickname, quote=True)
        return f'<span class="mention" data-member-id="{name}">@{label}</span>'

    return _ESCAPED_TOKEN.sub(span, out)


def excerpt(body: str, limit: int = 120) -> str:
    """A one-line quote of a body for replies (mention tokens left as they are)."""
    line = " ".join(body.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
