"""The OpenAPI document as the server really answers: problem+json errors and exact security.

FastAPI documents only successes and its own `HTTPValidationError` 422, which this server never
sends (every error is an RFC 9457 problem, `core.errors`). Rather than decorate every route,
`install_openapi` rewrites the generated document once: each operation gets the problem
answers that apply to it (from what it takes: a body, path parameters, credentials) plus
the domain-specific ones listed in `SPECIFIC`, all referring to one `Problem` schema. It also
states that a cookie credential counts only together with its CSRF header on unsafe methods,
which FastAPI cannot express (it lists every scheme as an alternative of its own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from parley.core.errors import PROBLEM_CONTENT_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem document. Clients branch on `code`, which is stable; "
    "`detail` is for people. Some problems carry more members (`errors`, `retry_after`).",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string", "examples": ["https://parley.invalid/problems/not_found"]},
        "title": {"type": "string", "examples": ["Not Found"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "string", "examples": ["not_found"]},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the path of the request"},
        "errors": {
            "type": "array",
            "description": "422 `validation_failed`: each invalid field",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "retry_after": {"type": "integer", "description": "429: seconds to wait"},
    },
    "additionalProperties": True,
}

#: what each status means on any operation, with the generic codes (docs/api.md)
GENERIC = {
    400: "`malformed_json`: the body is not valid JSON; `bad_request`: unreadable otherwise",
    401: "`unauthenticated` (no credentials), `invalid_token`, `session_revoked`",
    403: "`csrf_failed` (cookie-authenticated write without the CSRF header), or a rule "
    "of the domain (`not_a_member`, `admin_only`, `blocked`, …)",
    404: "`not_found` or a domain's `*_not_found`: no such resource, or not visible to you",
    409: "the resource or relation already exists",
    413: "`body_too_large`: the body is over the limit",
    415: "`unsupported_media_type`: the body is not `application/json`",
    422: "`validation_failed`: a field is missing, of the wrong type, out of range or "
    "unknown (`errors` names each)",
    429: "`rate_limited`: too many attempts; wait `Retry-After` seconds",
    503: "`unavailable`: the database is busy or unreachable; nothing changed, retry",
}

#: domain-specific answers: (method, path pattern) -> {status: codes}; patterns are regexes
SPECIFIC: list[tuple[str, str, dict[int, str]]] = [
    ("post", r"/auth/signup", {409: "`login_id_taken`", 429: "`rate_limited`"}),
    ("post", r"/auth/login", {401: "`invalid_credentials`", 429: "`rate_limited`"}),
    ("post", r"/auth/refresh", {401: "`invalid_refresh_token`, `refresh_token_reused`"}),
    ("delete", r"/me", {403: "`wrong_password`"}),
    ("post", r"/me/password", {403: "`wrong_password`"}),
    ("post", r"/rooms", {409: "`room_name_taken`"}),
    ("patch", r"/rooms/\{room_id\}", {409: "`room_name_taken`"}),
    ("post", r"/rooms/\{room_id\}/join", {409: "`already_member`, `room_full`"}),
    ("post", r"/rooms/\{room_id\}/invites", {409: "`already_member`, `already_invited`"}),
    ("post", r"/rooms/\{room_id\}/bans", {409: "`already_banned`"}),
    ("post", r"/rooms/\{room_id\}/messages", {429: "`rate_limited`: sending too fast"}),
    ("post", r"/me/friends", {404: "`member_not_found`", 409: "`already_friends`, …"}),
    ("post", r"/me/friends/\{member_id\}/accept", {409: "`already_friends`"}),
    ("post", r"/dms", {404: "`member_not_found`", 403: "`blocked`"}),
    ("post", r"/me/blocks/\{member_id\}", {409: "`already_blocked`"}),
    ("post", r"/files", {413: "`file_too_large`", 415: "`unsupported_file_type`"}),
    ("post", r"/auth/recover", {401: "`invalid_recovery`", 429: "`rate_limited`"}),
    ("post", r"/me/2fa/setup", {409: "`two_factor_on`"}),
    ("post", r"/me/2fa/enable", {409: "`two_factor_not_set_up`, `two_factor_on`"}),
    ("post", r"/me/2fa/disable", {409: "`two_factor_not_set_up`"}),
    ("get", r"/me/rooms/\{room_id\}/settings", {403: "`not_a_member`"}),
    ("put", r"/me/rooms/\{room_id\}/settings", {403: "`not_a_member`"}),
    ("post", r"/me/push-subscriptions", {422: "`endpoint_refused`, `invalid_subscription_keys`"}),
    ("delete", r"/me/push-subscriptions/\{subscription_id\}", {404: "`subscription_not_found`"}),
]
UNSAFE = frozenset({"post", "put", "patch", "delete"})
_PATH_PARAM = re.compile(r"\{[^}]+\}")


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}}


def _statuses(method: str, path: str, operation: Mapping[str, Any]) -> dict[int, str]:
    """The error answers of one operation: generic ones by what it takes, then specifics."""
    found: dict[int, str] = {503: GENERIC[503]}
    body = operation.get("requestBody")
    if body is not None:
        found.update({s: GENERIC[s] for s in (400, 413, 415)})
        if "multipart/form-data" in body.get("content", {}):
            found[400] = "`bad_request`: unreadable multipart body, or more than one file"
            found[415] = "the content type is not allowed"
    if body is not None or operation.get("parameters"):
        found[422] = GENERIC[422]
    if operation.get("security"):
        found.update({s: GENERIC[s] for s in (401, 403)})
    if _PATH_PARAM.search(path):
        found[404] = GENERIC[404]
    suffix = path.removeprefix("/api/v1")
    for verb, pattern, extra in SPECIFIC:
        if verb == method and re.fullmatch(pattern, suffix):
            for status, codes in extra.items():
                found[status] = f"{found[status]}; {codes}" if status in found else codes
    return dict(sorted(found.items()))


Requirements = list[dict[str, list[str]]]


def _security(
    method: str, requirements: Requirements, companions: Mapping[str, str]
) -> Requirements:
    """Each cookie-like scheme counts only together with its companion on unsafe methods."""
    alone = set(companions.values())
    result: Requirements = []
    for requirement in requirements:
        names = set(requirement)
        if names <= alone:
            continue  # a CSRF header authenticates nobody by itself
        merged = dict(requirement)
        for scheme, companion in companions.items():
            if scheme in names and method in UNSAFE:
                merged[companion] = []
        result.append(merged)
    return result


def rewrite(document: dict[str, Any], companions: Mapping[str, str]) -> dict[str, Any]:
    """Give every operation its problem answers and exact security; drop FastAPI's 422 model."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if "security" in operation:
                operation["security"] = _security(method, operation["security"], companions)
            if not path.startswith("/api/"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _statuses(method, path, operation).items():
                responses[str(status)] = _problem(description)
    return document


def install_openapi(app: FastAPI, companions: Mapping[str, str] | None = None) -> None:
    """Serve the rewritten document at `/openapi.json` (built once, on first request).

    `companions` maps a security scheme to one that must accompany it on unsafe methods
    (the session cookie to its CSRF header)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = rewrite(document, companions or {})
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
