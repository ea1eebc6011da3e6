"""What makes the UI installable and pushable: the web app manifest and the service worker.

The worker is served from the root (`/sw.js`) so its scope can be the whole site; it is a
file of this process like every script (the page CSP applies), never cached for long, so a
new release replaces it at the next visit.
"""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from parley.web.i18n import Translator, request_language
from parley.web.render import STATIC_DIR, static_url

router = APIRouter(include_in_schema=False)
WORKER = STATIC_DIR / "js" / "sw.js"


@router.get("/sw.js")
async def service_worker() -> Response:
    return Response(
        WORKER.read_bytes(),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get("/manifest.webmanifest")
async def manifest(request: Request) -> Response:
    t = Translator(request_language(request))
    body = {
        "name": "Parley",
        "short_name": "Parley",
        "description": t("manifest.description"),
        "lang": t.lang,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2f5bd3",
        "icons": [
            {"src": static_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {
                "src": static_url("favicon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "maskable",
            },
        ],
    }
    return Response(
        orjson.dumps(body),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )
