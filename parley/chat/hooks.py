"""What the chat domain needs from domains to its right, injected at assembly (DESIGN §7).

The message writer must refuse sends that a block forbids (social) and check and link the
files a send carries (files); history shows each message's files. Chat may not import those
domains, so `parley.flows.install()` fills these in; until then they fail loudly rather than
let a blocked send or a foreign file through.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

#: a send as the block check sees it: (room_id, sender_id, whisper target or None)
SendKey = tuple[int, int, int | None]
#: upload id -> (owner id, the attachment as messages show it)
UploadInfo = dict[int, tuple[int | None, dict[str, Any]]]


class BlockedSends(Protocol):
    def __call__(self, conn: Connection, sends: Iterable[SendKey]) -> set[SendKey]:
        """The sends of a batch that a block forbids (synchronous, in the batch)."""
        ...


class UploadsOf(Protocol):
    def __call__(self, conn: Connection, ids: Iterable[int]) -> UploadInfo:
        """Owner and payload of each existing upload among `ids` (synchronous)."""
        ...


class LinkAttachments(Protocol):
    def __call__(self, conn: Connection, links: Sequence[tuple[int, Sequence[int]]]) -> None:
        """Attach files to stored messages: (message id, upload ids in order)."""
        ...


class AttachmentsOf(Protocol):
    async def __call__(
        self, session: AsyncSession, message_ids: Iterable[int]
    ) -> dict[int, list[dict[str, Any]]]:
        """The files of each message among `message_ids`, in order."""
        ...


class UnlinkAttachments(Protocol):
    async def __call__(self, session: AsyncSession, message_id: int) -> None:
        """Remove a deleted message's files from it, in the caller's transaction."""
        ...


class ModeratorDeleted(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        *,
        room_id: int,
        message_id: int,
        moderator_id: int,
        sender_id: int | None,
    ) -> None:
        """A room owner/admin or a site admin deleted someone else's message (in the
        deletion's transaction): the audit log of issue 14 records it here."""
        ...


async def _not_recorded(session: AsyncSession, **details: Any) -> None:
    """Until the audit log exists (issue 14) the `message_updates` row (change "delete",
    `by_id` the moderator) is the record of a moderator's deletion."""


def _not_assembled(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("parley.chat is not assembled: call parley.flows.install() first")


async def _not_assembled_async(*args: Any, **kwargs: Any) -> Any:
    _not_assembled()


@dataclass
class ChatHooks:
    blocked_sends: BlockedSends = _not_assembled
    uploads_of: UploadsOf = _not_assembled
    link_attachments: LinkAttachments = _not_assembled
    attachments_of: AttachmentsOf = _not_assembled_async
    unlink_attachments: UnlinkAttachments = _not_assembled_async
    #: the audit hook for moderators' deletions (issue 14 fills it in `flows.install`)
    moderator_deleted: ModeratorDeleted = _not_recorded


#: the one instance the chat services use
hooks = ChatHooks()
