"""Security headers of the web UI: a strict Content-Security-Policy and friends.

Pages carry no inline script and no `on*=` attribute, so the policy can refuse every script
that is not a file served by this process: an injected `<script>` or event handler does not
run even if some escaping were ever missed. The JSON API and the Swagger page keep their own
headers (Swagger UI sets inline styles, and API responses are not documents).
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: first path segments that are not pages: the JSON API, the socket, assets and operations
NON_PAGE_ROOTS = frozenset(
    {"api", "ws", "static", "openapi.json", "docs", "healthz", "readyz", "metrics"}
)
YOUTUBE_THUMBNAILS = "https://i.ytimg.com"
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def is_page_path(path: str) -> bool:
    """Whether a path belongs to the HTML pages (so errors there are pages, not problems)."""
    return path.lstrip("/").split("/", 1)[0] not in NON_PAGE_ROOTS


def content_security_policy(host: str | None) -> str:
    """The policy of every page. The socket's origin is named explicitly: older browsers do
    not count `ws:` URLs of the page's own host as `'self'`."""
    connect = ["'self'"]
    if host and _HOST.match(host):
        connect += [f"ws://{host}", f"wss://{host}"]
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": f"'self' data: {YOUTUBE_THUMBNAILS}",
        "font-src": "'self'",
        "connect-src": " ".join(connect),
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def page_headers(host: str | None) -> dict[str, str]:
    """The headers of every page path (plus `Cache-Control: no-store` on HTML)."""
    return {
        "Content-Security-Policy": content_security_policy(host),
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class SecurityHeadersMiddleware:
    """Adds the page headers to responses of page paths (and `nosniff` to everything)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = is_page_path(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if page:
                    host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
                    headers.update(page_headers(host))
                    if headers.get("content-type", "").startswith("text/html"):
                        # pages hold personal data and a CSRF token: never from a shared cache
                        headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
