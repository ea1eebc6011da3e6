"""OpenID Connect, the relying party's half: discovery, the flow cookie, the code exchange and
the ID token's validation (authorization code + PKCE, DESIGN §12).

Nothing is stored server-side between the redirect and the callback: the state, the nonce,
the PKCE verifier and where to return go in a short-lived cookie signed with the site's key
(`flow_cookie`), so any process can finish a login another one started. The provider's
metadata and keys are fetched with httpx and cached per process; an unknown `kid` refetches
the keys once (the provider rotated them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from parley.core.config import Settings
from parley.core.errors import ParleyError

FLOW_COOKIE = "parley_oidc"
FLOW_PATH = "/auth/oidc"
FLOW_TTL_SECONDS = 600
_FLOW_AUDIENCE = "parley:oidc-flow"
#: signatures accepted on ID tokens: asymmetric only (never `none`, never HS* with the secret)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")
METADATA_TTL_SECONDS = 3600.0
HTTP_TIMEOUT = httpx.Timeout(10.0)


class OidcError(ParleyError):
    """A login through the provider that cannot finish; `code` says which step refused."""

    def __init__(self, code: str, detail: str, status: int = 400) -> None:
        super().__init__(status, code, detail)


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def display_name(settings: Settings) -> str:
    return settings.oidc_display_name or urlsplit(settings.oidc_issuer or "").netloc


@dataclass(frozen=True)
class Flow:
    """What the callback must find again: kept in the signed cookie, never server-side."""

    state: str
    nonce: str
    verifier: str
    next: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_flow(next_path: str) -> Flow:
    return Flow(
        secrets.token_urlsafe(32),
        secrets.token_urlsafe(32),
        _b64(secrets.token_bytes(48)),
        next_path,
    )


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636): the provider sees the hash, the callback proves the verifier."""
    return _b64(hashlib.sha256(verifier.encode()).digest())


def seal_flow(settings: Settings, flow: Flow) -> str:
    claims = {
        "aud": _FLOW_AUDIENCE,
        "exp": int(time.time()) + FLOW_TTL_SECONDS,
        "st": flow.state,
        "no": flow.nonce,
        "cv": flow.verifier,
        "nx": flow.next,
    }
    return jwt.encode(claims, settings.signing_key, algorithm="HS256")


def open_flow(settings: Settings, sealed: str | None, state: str | None) -> Flow:
    """The flow of this browser, if its cookie is intact, fresh and matches `state`."""
    if not sealed or len(sealed) > 4096:
        raise OidcError("oidc_state_invalid", "the sign-in has expired or was not started here")
    try:
        claims = jwt.decode(
            sealed, settings.signing_key, algorithms=["HS256"], audience=_FLOW_AUDIENCE
        )
    except jwt.PyJWTError:
        raise OidcError(
            "oidc_state_invalid", "the sign-in has expired or was tampered with"
        ) from None
    flow = Flow(str(claims["st"]), str(claims["no"]), str(claims["cv"]), str(claims["nx"]))
    if not state or not hmac.compare_digest(flow.state.encode(), state.encode()):
        raise OidcError("oidc_state_invalid", "the state does not match this browser's sign-in")
    return flow


# -- the provider ------------------------------------------------------------------------

_metadata: dict[str, tuple[float, dict[str, Any]]] = {}
_keys: dict[str, jwt.PyJWKSet] = {}


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await client.get(url)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        raise OidcError("oidc_unavailable", f"the provider did not answer: {exc}", 502) from None
    if not isinstance(body, dict):
        raise OidcError("oidc_unavailable", "the provider's answer is not an object", 502)
    return body


async def discover(client: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    """The provider's metadata, whose `issuer` must be exactly the one configured."""
    cached = _metadata.get(issuer)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    meta = await _get_json(client, issuer.rstrip("/") + "/.well-known/openid-configuration")
    if meta.get("issuer") != issuer:
        raise OidcError("oidc_unavailable", "the provider's metadata names another issuer", 502)
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(field), str):
            raise OidcError("oidc_unavailable", f"the provider's metadata lacks {field}", 502)
    _metadata[issuer] = (time.monotonic() + METADATA_TTL_SECONDS, meta)
    return meta


def authorization_url(
    settings: Settings, meta: dict[str, Any], flow: Flow, redirect_uri: str
) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.oidc_client_id or "",
        "redirect_uri": redirect_uri,
        "scope": "openid profile email",
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": code_challenge(flow.verifier),
        "code_challenge_method": "S256",
    }
    endpoint = str(meta["authorization_endpoint"])
    return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)


async def exchange_code(
    client: httpx.AsyncClient,
    settings: Settings,
    meta: dict[str, Any],
    code: str,
    verifier: str,
    redirect_uri: str,
) -> str:
    """Trade the code (once: the provider refuses a replay) for the ID token."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    auth = (settings.oidc_client_id or "", settings.oidc_client_secret or "")
    try:
        response = await client.post(str(meta["token_endpoint"]), data=data, auth=auth)
        body = response.json()
    except (httpx.HTTPError, json.JSONDecodeError) as exc:
        raise OidcError("oidc_unavailable", f"the provider did not answer: {exc}", 502) from None
    if response.status_code != 200 or not isinstance(body, dict):
        error = body.get("error", response.status_code) if isinstance(body, dict) else ""
        raise OidcError("oidc_exchange_failed", f"the provider refused the code ({error})")
    token = body.get("id_token")
    if not isinstance(token, str):
        raise OidcError("oidc_exchange_failed", "the provider's answer has no ID token")
    return token


async def _signing_key(client: httpx.AsyncClient, jwks_uri: str, token: str) -> jwt.PyJWK:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise OidcError("oidc_invalid_token", "the ID token is malformed") from None
    if header.get("alg") not in ALGORITHMS:
        raise OidcError("oidc_invalid_token", "the ID token's signature algorithm is refused")
    kid = header.get("kid")
    for refetch in (False, True):
        if refetch or jwks_uri not in _keys:
            try:
                _keys[jwks_uri] = jwt.PyJWKSet.from_dict(await _get_json(client, jwks_uri))
            except jwt.PyJWTError:
                raise OidcError(
                    "oidc_unavailable", "the provider's keys are unusable", 502
                ) from None
        keys = [k for k in _keys[jwks_uri].keys if kid is None or k.key_id == kid]
        if keys:
            return keys[0]
    raise OidcError("oidc_invalid_token", "the ID token is signed with an unknown key")


async def validate_id_token(
    client: httpx.AsyncClient,
    settings: Settings,
    meta: dict[str, Any],
    token: str,
    nonce: str,
) -> dict[str, Any]:
    """The ID token's claims once its signature (JWKS), issuer, audience, expiry and nonce
    hold; `oidc_invalid_token` otherwise."""
    key = await _signing_key(client, str(meta["jwks_uri"]), token)
    client_id = settings.oidc_client_id or ""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=client_id,
            issuer=settings.oidc_issuer,
            leeway=settings.oidc_clock_skew_seconds,
            options={"require": ["exp", "iat", "sub", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise OidcError("oidc_invalid_token", "the ID token has expired") from None
    except jwt.InvalidAudienceError:
        raise OidcError("oidc_invalid_token", "the ID token is for another client") from None
    except jwt.PyJWTError as exc:
        raise OidcError("oidc_invalid_token", f"the ID token is invalid: {exc}") from None
    audience = claims["aud"]
    if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != client_id:
        raise OidcError("oidc_invalid_token", "the ID token was issued to another party")
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), nonce.encode()):
        raise OidcError("oidc_invalid_token", "the ID token's nonce is not this sign-in's")
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
        raise OidcError("oidc_invalid_token", "the ID token's subject is unusable")
    return claims


def http_client() -> httpx.AsyncClient:
    """Redirects are not followed: each endpoint is used as the metadata names it."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False)
