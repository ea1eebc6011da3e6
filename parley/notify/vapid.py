"""The VAPID key pair (RFC 8292) and the `Authorization` header it signs.

Generated once and kept like the secret key (`Settings.vapid_key_text`: `PARLEY_VAPID_PRIVATE_KEY`
or `parley.vapid`, 0600, in the data directory). Browsers bind each subscription to the
public key, so changing it silently orphans every subscription.
"""

from __future__ import annotations

import base64
import time
from functools import cached_property
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from parley.core.config import ConfigError, Settings

#: a JWT is valid this long (RFC 8292 allows at most 24 h) and reused for most of it
TOKEN_SECONDS = 12 * 3600
REUSE_SECONDS = 6 * 3600


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A PEM private key, or the raw 32-byte scalar in base64url (what `web-push` prints)."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            scalar = b64url_decode(text)
            if len(scalar) != 32:
                raise ValueError("not 32 bytes")
            key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"the VAPID private key is not a P-256 key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError("the VAPID private key is not a P-256 key")
    return key


def audience_of(endpoint: str) -> str:
    """The `aud` claim: the push service's origin."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


class Vapid:
    """The server's VAPID identity; `authorization(endpoint)` is the header for a push."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tokens: dict[str, tuple[float, str]] = {}

    @cached_property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return parse_private_key(self.settings.vapid_key_text(generate_pem))

    @cached_property
    def public_key(self) -> str:
        """base64url of the uncompressed P-256 point: the browser's `applicationServerKey`."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def authorization(self, endpoint: str) -> str:
        audience = audience_of(endpoint)
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is None or now - cached[0] > REUSE_SECONDS:
            claims = {
                "aud": audience,
                "exp": int(now) + TOKEN_SECONDS,
                "sub": self.settings.vapid_subject,
            }
            token = jwt.encode(claims, self.private_key, algorithm="ES256")
            cached = (now, token)
            self._tokens[audience] = cached
        return f"vapid t={cached[1]}, k={self.public_key}"
