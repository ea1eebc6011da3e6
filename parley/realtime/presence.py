"""Presence: online while a member has a connection; offline a grace period after the last.

The grace period keeps a quick reconnect (a page reload, a network blip) from flapping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

StatusListener = Callable[[int, str], None]


class MemoryPresence:
    def __init__(self, grace_seconds: float, on_change: StatusListener) -> None:
        self.grace = grace_seconds
        self._on_change = on_change
        self._connections: dict[int, int] = {}
        self._online: set[int] = set()
        self._offline_timers: dict[int, asyncio.TimerHandle] = {}

    def connected(self, member_id: int) -> None:
        self._connections[member_id] = self._connections.get(member_id, 0) + 1
        timer = self._offline_timers.pop(member_id, None)
        if timer is not None:
            timer.cancel()
        if member_id not in self._online:
            self._online.add(member_id)
            self._on_change(member_id, "online")

    def disconnected(self, member_id: int) -> None:
        left = self._connections.get(member_id, 0) - 1
        if left > 0:
            self._connections[member_id] = left
            return
        self._connections.pop(member_id, None)
        if member_id in self._online and member_id not in self._offline_timers:
            self._offline_timers[member_id] = asyncio.get_running_loop().call_later(
                self.grace, self._go_offline, member_id
            )

    def _go_offline(self, member_id: int) -> None:
        self._offline_timers.pop(member_id, None)
        if self._connections.get(member_id, 0) == 0 and member_id in self._online:
            self._online.discard(member_id)
            self._on_change(member_id, "offline")

    def is_online(self, member_id: int) -> bool:
        return member_id in self._online

    def online_among(self, member_ids: list[int]) -> set[int]:
        return {m for m in member_ids if m in self._online}

    async def online(self, member_ids: list[int]) -> set[int]:
        """The `Presence` protocol's form (Redis answers asynchronously)."""
        return self.online_among(member_ids)

    def close(self) -> None:
        for timer in self._offline_timers.values():
            timer.cancel()
        self._offline_timers.clear()
