"""The VAPID key: generated once and kept like the secret key, or configured; and its JWT."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from parley.core.config import VAPID_FILE_NAME, ConfigError, Settings
from parley.notify.vapid import Vapid, b64url, generate_pem
from tests.support.push_service import unb64url


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/p.db", **values)  # type: ignore[arg-type]


def test_the_key_is_generated_once_into_an_owner_only_file(tmp_path: Path) -> None:
    first = Vapid(settings(tmp_path)).public_key
    path = tmp_path / VAPID_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Vapid(settings(tmp_path)).public_key == first  # a restart keeps it
    point = unb64url(first)
    assert len(point) == 65 and point[0] == 4
    path.write_text("short")
    with pytest.raises(ConfigError, match="too short"):
        _ = Vapid(settings(tmp_path)).public_key


def test_a_configured_key_pem_or_raw_is_used(tmp_path: Path) -> None:
    pem = generate_pem()
    from_pem = Vapid(settings(tmp_path, vapid_private_key=pem))
    scalar = from_pem.private_key.private_numbers().private_value.to_bytes(32, "big")
    from_raw = Vapid(settings(tmp_path, vapid_private_key=b64url(scalar)))
    assert from_pem.public_key == from_raw.public_key
    assert not (tmp_path / VAPID_FILE_NAME).exists()
    for bad in ("AAAA" * 20, "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"):
        with pytest.raises(ConfigError, match="VAPID"):
            _ = Vapid(settings(tmp_path, vapid_private_key=bad)).private_key


def test_the_authorization_header_is_a_valid_vapid_jwt(tmp_path: Path) -> None:
    vapid = Vapid(settings(tmp_path, vapid_subject="mailto:ops@example.com"))
    header = vapid.authorization("https://push.example.com:8443/send/abc?x=1")
    token = header.split("t=", 1)[1].split(",", 1)[0]
    assert header.endswith(f"k={vapid.public_key}")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(vapid.public_key))
    claims = jwt.decode(token, key, algorithms=["ES256"], audience="https://push.example.com:8443")
    assert claims["sub"] == "mailto:ops@example.com"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    with pytest.raises(ValueError):
        Settings(vapid_subject="admin@example.com")
