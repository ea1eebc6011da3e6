"""A local Web Push service for tests: RFC 8030 endpoints that check RFC 8292 VAPID and
decrypt RFC 8291 `aes128gcm` payloads with a subscription's keys, like a browser would.

`PushService.subscription()` makes a browser-side key pair and auth secret and returns the
`PushSubscription.toJSON()` shape. Every POST is checked: the `Authorization: vapid t=…, k=…`
JWT must verify (ES256) against `expected_key` (the server's advertised VAPID key), with
`aud` the service's origin and `exp` in the future and at most 24 h away; the body must
decrypt. A failed check is answered 400 and recorded in `failures`. `answers[token]` is a
list of statuses answered in turn (then 201), e.g. `[429]` or `[410]`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.support.local_http import QuietHandler, local_http_server


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def decrypt(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """RFC 8291 §3.4 and RFC 8188, written from the RFCs (not the library the server uses)."""
    salt, rs, idlen = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender_point, ciphertext = body[21 : 21 + idlen], body[21 + idlen :]
    assert idlen == 65 and len(ciphertext) <= rs, "one record with the sender's key as keyid"
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
    shared = private_key.exchange(ec.ECDH(), sender)
    prk_key = _hmac(auth_secret, shared)
    key_info = b"WebPush: info\x00" + _point(private_key.public_key()) + sender_point
    ikm = _hmac(prk_key, key_info + b"\x01")
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
    assert padded.endswith(b"\x02"), "the last record's delimiter"
    return padded[:-1]


@dataclass
class Browser:
    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes


@dataclass
class PushService:
    origin: str = ""
    expected_key: str | None = None
    browsers: dict[str, Browser] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)
    #: every push that passed the checks: token, status answered, decoded JSON payload
    received: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def subscription(self, origin: str | None = None) -> dict[str, Any]:
        token = secrets.token_urlsafe(12)
        key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        self.browsers[token] = Browser(token, key, auth)
        return {
            "endpoint": f"{origin or self.origin}/push/{token}",
            "keys": {"p256dh": b64url(_point(key.public_key())), "auth": b64url(auth)},
        }

    def token_of(self, subscription: dict[str, Any]) -> str:
        return str(subscription["endpoint"]).rsplit("/", 1)[1]

    def delivered(self, subscription: dict[str, Any]) -> list[dict[str, Any]]:
        """Decrypted payloads accepted (2xx) for that subscription, in arrival order."""
        token = self.token_of(subscription)
        with self.lock:
            return [
                r["payload"] for r in self.received if r["token"] == token and r["status"] < 300
            ]

    def attempts(self, subscription: dict[str, Any]) -> list[int]:
        token = self.token_of(subscription)
        with self.lock:
            return [r["status"] for r in self.received if r["token"] == token]

    def check(self, path: str, headers: Any, body: bytes) -> tuple[str, dict[str, Any]]:
        token = path.rsplit("/", 1)[1]
        browser = self.browsers.get(token)
        assert browser is not None, f"unknown endpoint {path}"
        assert headers.get("Content-Encoding") == "aes128gcm", headers.get("Content-Encoding")
        assert int(headers.get("TTL", "-1")) >= 0, "RFC 8030 needs a TTL"
        scheme, _, params = headers.get("Authorization", "").partition(" ")
        assert scheme == "vapid", "RFC 8292 vapid scheme"
        fields = dict(p.strip().split("=", 1) for p in params.split(","))
        assert self.expected_key is None or fields["k"] == self.expected_key, "the advertised key"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
        claims = jwt.decode(
            fields["t"],
            public,
            algorithms=["ES256"],
            audience=self.origin,
            options={"require": ["aud", "exp"]},
        )
        now = time.time()
        assert now < claims["exp"] <= now + 24 * 3600 + 5, claims
        assert str(claims.get("sub", "")).startswith(("mailto:", "https://")), claims
        payload = json.loads(decrypt(body, browser.private_key, browser.auth))
        return token, payload


@contextmanager
def running_push_service() -> Iterator[PushService]:
    state = PushService()

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                token, payload = state.check(self.path, self.headers, body)
            except Exception as exc:
                with state.lock:
                    state.failures.append(f"{self.path}: {exc!r}")
                self._answer(400)
                return
            with state.lock:
                queued = state.answers.get(token) or []
                status = queued.pop(0) if queued else 201
                state.received.append({"token": token, "status": status, "payload": payload})
            self._answer(status)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()

    with local_http_server(Handler) as origin:
        state.origin = origin
        yield state
