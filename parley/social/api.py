"""The social domain's public surface: block checks and friend lists for other layers."""

from __future__ import annotations

from parley.social.direct import find_direct_room, peers_of, record_direct_room
from parley.social.schemas import DirectRoomOut, MemberRequest
from parley.social.service import (
    blocked_error,
    blocked_pairs_with,
    blocked_sends,
    friend_ids,
    has_blocked,
    is_blocked,
    lock_pair,
    ordered,
)

__all__ = [
    "DirectRoomOut",
    "MemberRequest",
    "blocked_error",
    "blocked_pairs_with",
    "blocked_sends",
    "find_direct_room",
    "friend_ids",
    "has_blocked",
    "is_blocked",
    "lock_pair",
    "ordered",
    "peers_of",
    "record_direct_room",
]
