"""Notice Markdown renders to HTML with no active content, whatever the author typed."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from parley.notices.markdown import render

XSS_PAYLOADS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    '[x](https://ok.example "title" onclick="alert(1)")',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onmouseover="alert(1)">hover</p>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<javascript:alert(1)>",
    "<vbscript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<https://ok.example/path?q=<script>>",
    "[a]: javascript:alert(1)\n\n[link][a]",
    "<!-- <script>alert(1)</script> -->",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "<a href='  javascript:alert(1)'>x</a>",
    "[x](<javascript:alert(1)>)",
)
SAFE_SCHEMES = {"", "http", "https", "mailto"}
FORBIDDEN_TAGS = {
    "script", "style", "iframe", "svg", "math", "object", "embed", "form", "meta",
    "link", "base", "frame", "frameset", "button", "input", "textarea",
}  # fmt: skip


class Inspector(HTMLParser):
    """Collects the tags and attributes of rendered HTML as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value or "") for name, value in attrs)


def assert_inert(html: str) -> None:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert not FORBIDDEN_TAGS & set(inspector.tags), html
    for tag, name, value in inspector.attributes:
        assert not name.startswith("on"), html
        assert name not in {"style", "srcdoc", "formaction", "xlink:href"}, html
        if name in {"href", "src", "action", "data"}:
            cleaned = "".join(ch for ch in value if ch.isprintable() and not ch.isspace())
            assert urlsplit(cleaned).scheme.lower() in SAFE_SCHEMES, (tag, name, value)
    for tag, name, value in inspector.attributes:
        if tag == "a" and name == "rel":
            assert set(value.split()) >= {"noopener", "nofollow"}


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_renders_inert(payload: str) -> None:
    assert_inert(render(payload))
    assert_inert(render(f"Intro text\n\n{payload}\n\n* item {payload}\n\n> {payload}"))


def test_ordinary_markdown_survives() -> None:
    html = render(
        "# Title\n\nSome **bold**, *em*, ~~gone~~ and `code`.\n\n"
        "- [site](https://example.com/a?b=1&c=2)\n- <mailto:team@example.com>\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n![logo](https://example.com/l.png)"
    )
    assert "<h1>Title</h1>" in html and "<strong>bold</strong>" in html
    assert "<em>em</em>" in html and "<s>gone</s>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="noopener nofollow">site</a>' in html
    assert 'href="mailto:team@example.com"' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert '<img src="https://example.com/l.png" alt="logo">' in html
    assert_inert(html)


def test_raw_html_is_shown_as_text_not_run() -> None:
    html = render("<b>bold?</b> <script>alert(1)</script>")
    assert "&lt;b&gt;bold?&lt;/b&gt;" in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "active",
    [
        "<script>x</script>",
        '<a href="&#106;avascript:x">x</a>',
        '<a href=" JAVASCRIPT:x">x</a>',
        '<img src="data:image/png;base64,AA">',
        '<b onclick="x">x</b>',
        "<svg></svg>",
    ],
)
def test_the_inspector_catches_active_html(active: str) -> None:
    with pytest.raises(AssertionError):
        assert_inert(active)
