"""Password hashing (argon2id, off the event loop, bounded) and token primitives (JWT HS256,
opaque)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from parley.core.admission import DEFAULT_LIMIT_CAP, BoundedWorkers, Overloaded, usable_cores
from parley.core.config import Settings
from parley.core.errors import ParleyError

T = TypeVar("T")
JWT_ALGORITHM = "HS256"
JWT_ISSUER = "parley"


class PasswordHasher:
    """argon2id with configurable cost, in a bounded pool of threads (`parley.core.admission`).

    A hash that finds no turn within the bounds raises a 503 `unavailable` with Retry-After.
    """

    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        self._dummy_hash: str | None = None
        limit = settings.password_hash_concurrency or min(usable_cores(), DEFAULT_LIMIT_CAP)
        self.workers = BoundedWorkers(
            "argon2",
            limit,
            max_waiting=settings.password_hash_queue,
            max_wait_seconds=settings.password_hash_wait_seconds,
        )

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        try:
            return await self.workers.run(fn, *args)
        except Overloaded as exc:
            seconds = max(1, math.ceil(exc.retry_after))
            raise ParleyError(
                503,
                "unavailable",
                f"too many sign-ins at once; retry in {seconds} s",
                headers={"Retry-After": str(seconds)},
                extra={"retry_after": seconds},
            ) from None

    async def hash(self, password: str) -> str:
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """(valid, a new hash when the stored one uses outdated parameters)."""
        return await self._run(self._hash.verify_and_update, password, hashed)

    async def burn_time(self, password: str) -> None:
        """Spend a verification's worth of time so an unknown login id is not distinguishable."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash(secrets.token_urlsafe(16))
        await self._run(self._hash.verify, password, self._dummy_hash)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    member_id: int
    session_id: str
    jti: str
    expires_at: datetime


class InvalidToken(Exception):
    """The token is malformed, expired, wrongly signed or of the wrong kind."""


def issue_access_token(settings: Settings, member_id: int, session_id: str) -> tuple[str, int]:
    """A short-lived signed JWT naming the member and the session it belongs to."""
    now = datetime.now(UTC)
    ttl = settings.access_token_ttl_seconds
    claims = {
        "iss": JWT_ISSUER,
        "sub": str(member_id),
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=JWT_ALGORITHM), ttl


_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify a token and check every claim's shape, so only well-formed claims reach the DB.

    A bad signature, algorithm (`none` included), expiry or claim set raises `InvalidToken`;
    so does any claim of the wrong type or range, whatever exception parsing it would raise.
    """
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[JWT_ALGORITHM],
            issuer=JWT_ISSUER,
            options={"require": ["exp", "iat", "sub", "jti", "sid", "iss"]},
        )
        subject, session_id = claims["sub"], claims["sid"]
        if not (isinstance(subject, str) and subject.isascii() and subject.isdigit()):
            raise InvalidToken("sub must be a member id")
        member_id = int(subject)
        if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
            raise InvalidToken("sid must be a session id")
        if not 0 < member_id < 2**63:
            raise InvalidToken("sub is out of range")
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (jwt.PyJWTError, ValueError, TypeError, OverflowError, OSError) as exc:
        # OverflowError/OSError: an `exp` far beyond any real date when building expires_at
        raise InvalidToken(str(exc)) from None
    return AccessClaims(
        member_id=member_id, session_id=session_id, jti=str(claims["jti"]), expires_at=expires_at
    )


def new_opaque_token() -> str:
    """A random bearer secret (refresh tokens, WebSocket tickets, CSRF tokens)."""
    return secrets.token_urlsafe(32)


def digest_token(token: str) -> str:
    """Store only a digest: a leaked table does not leak usable tokens."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
