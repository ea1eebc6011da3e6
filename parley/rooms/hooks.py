"""What the rooms domain needs from domains that stand to its right, injected at assembly.

Rooms may not import chat or social (DESIGN §7), yet a kick writes a system message into the
room's timeline (chat), "my rooms" shows unread counts and previews (chat), and an invite is
refused when the invitee blocked the inviter (social). `parley.flows.install()` fills these
in when the app (or the CLI) is assembled; until then they fail loudly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import Principal


class SystemMessageWriter(Protocol):
    async def __call__(
        self, session: AsyncSession, room_id: int, event: str, body: str, **details: Any
    ) -> None:
        """Add a system message to the room's timeline in the caller's transaction."""
        ...


class LatestVisible(Protocol):
    async def __call__(
        self, session: AsyncSession, member_id: int, room_ids: list[int]
    ) -> dict[int, dict[str, Any]]:
        """The newest message of each room that the member may see (a preview payload)."""
        ...


class UnreadCounts(Protocol):
    async def __call__(
        self, session: AsyncSession, member_id: int, after: dict[int, int]
    ) -> dict[int, int]:
        """Unread new messages per room after the member's read markers."""
        ...


class AuditRecorder(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        actor: Principal,
        action: str,
        *,
        room_id: int,
        target_id: int | None,
        reason: str = "",
        **details: Any,
    ) -> None:
        """Record a moderator's action in the audit log, in the caller's transaction (admin)."""
        ...


class BlockCheck(Protocol):
    async def __call__(self, session: AsyncSession, blocker_id: int, blocked_id: int) -> bool:
        """Whether `blocker` has blocked `blocked`."""
        ...


async def _not_assembled(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("parley.rooms is not assembled: call parley.flows.install() first")


@dataclass
class RoomHooks:
    system_message: SystemMessageWriter = _not_assembled
    latest_visible: LatestVisible = _not_assembled
    unread_counts: UnreadCounts = _not_assembled
    #: unread messages that mention the member, per room (the same shape as unread_counts)
    mention_counts: UnreadCounts = _not_assembled
    has_blocked: BlockCheck = _not_assembled
    audit: AuditRecorder = _not_assembled


#: the one instance the rooms services use
hooks = RoomHooks()
