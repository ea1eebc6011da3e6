"""One push message on the wire: RFC 8291 `aes128gcm` encryption and the RFC 8030 request.

`http_ece` (web-push-libs) does the record encryption; the keys are the browser's P-256
public key (`p256dh`) and auth secret, and a fresh sender key pair per message.
"""

from __future__ import annotations

import os

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec

from parley.notify.vapid import b64url_decode

#: the payload a push service must accept (RFC 8030 §7.2: at least 4096 bytes); one record
RECORD_SIZE = 4096


class BadKeys(ValueError):
    """The subscription's keys are not a P-256 point and a 16-byte secret."""


def check_keys(p256dh: str, auth: str) -> tuple[bytes, bytes]:
    try:
        point, secret = b64url_decode(p256dh), b64url_decode(auth)
    except ValueError:
        raise BadKeys("keys must be base64url") from None
    if len(secret) != 16:
        raise BadKeys("auth must be 16 bytes")
    if len(point) != 65 or point[0] != 4:
        raise BadKeys("p256dh must be an uncompressed P-256 point (65 bytes)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise BadKeys("p256dh is not a point on P-256") from None
    return point, secret


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The `aes128gcm` body: header (salt, rs, sender key) and one encrypted record."""
    point, secret = check_keys(p256dh, auth)
    sender = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        payload,
        salt=os.urandom(16),
        private_key=sender,
        dh=point,
        auth_secret=secret,
        version="aes128gcm",
        rs=RECORD_SIZE,
    )
    return body
