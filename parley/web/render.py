"""Rendering pages: the Jinja2 environment and the context every template gets.

Autoescaping is on for every template and nothing user-supplied is marked safe; the only
`|safe` HTML is a notice body, which the notices service sanitises when it is saved (and a
preview, sanitised the same way). Page data for scripts goes in a JSON block via `tojson`,
which escapes `<`, `>` and `&`, so a nickname cannot close the block.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from parley.accounts.service import Principal
from parley.core.runtime import Runtime
from parley.web.auth import here
from parley.web.cookies import CSRF_FIELD, csrf_token, store_new_csrf_cookie
from parley.web.i18n import LANGUAGE_NAMES, Translator, request_language

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"

_env = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def static_url(name: str) -> str:
    """A static asset's URL with a content hash, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def format_time(value: datetime) -> str:
    """Server-side times are UTC; `app.js` rewrites `<time>` elements into local time."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


_MENTION = re.compile(r"<@(\d{1,19}|room)>")


def mention_text(body: str, me: Any = None) -> str:
    """A body's mention tokens as people read them (`@room`, `@me`, `@…` for others), for
    plain-text previews; the escaping is the template's."""

    def name(match: re.Match[str]) -> str:
        target = match.group(1)
        if target == "room":
            return "@room"
        return f"@{me.nickname}" if me is not None and str(me.id) == target else "@…"

    return _MENTION.sub(name, body)


_env.filters["mention_text"] = mention_text
_env.globals.update(static_url=static_url, csrf_field=CSRF_FIELD, languages=LANGUAGE_NAMES)
_env.filters["when"] = format_time


def current_principal(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    page_data: dict[str, Any] | None = None,
) -> HTMLResponse:
    """Render a page in the visitor's language, with their CSRF token and identity."""
    t = Translator(request_language(request))
    principal = current_principal(request)
    me = principal.member if principal is not None else None
    data: dict[str, Any] = {
        "lang": t.lang,
        "strings": t.js_strings(),
        "me": {"id": me.id, "nickname": me.nickname} if me is not None else None,
        **(page_data or {}),
    }
    values = {
        "t": t,
        "lang": t.lang,
        "csrf": csrf_token(request),
        "me": me,
        "is_admin": principal.is_admin if principal is not None else False,
        "here": here(request),
        "path": request.url.path,
        "page_data": data,
        **(context or {}),
    }
    html = _env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    runtime: Runtime = request.app.state.runtime
    store_new_csrf_cookie(response, request, runtime.settings)
    return response
