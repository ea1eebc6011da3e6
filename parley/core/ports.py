"""What lower layers may ask of higher ones, as typed ports the app fills in at assembly.

Domains stand left of the real-time layer (DESIGN §7), yet a room's member list shows who is
online and an HTTP send takes the WebSocket path. They ask through these protocols, held as
typed fields of `Runtime`; `parley.realtime` provides the implementations when it starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

#: a readiness probe: raises when its dependency is unavailable
ReadinessCheck = Callable[[], Awaitable[None]]


class Acked(Protocol):
    """A stored send as its sender is told: the message's room, seq and id."""

    @property
    def client_msg_id(self) -> str: ...
    @property
    def room_id(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def id(self) -> int: ...


class CommandAnswer(Protocol):
    """A command that stored no message of its sender's (`command_done`)."""

    @property
    def client_msg_id(self) -> str: ...
    @property
    def room_id(self) -> int: ...
    @property
    def command(self) -> str: ...


class PresencePort(Protocol):
    def is_online(self, member_id: int) -> bool:
        """This process's view: the member has an open socket here or anywhere it knows of."""
        ...

    async def online(self, member_ids: list[int]) -> set[int]:
        """Which of these members are online on any process."""
        ...


class MessagingPort(Protocol):
    """The message path shared by WebSocket and HTTP sends."""

    @property
    def presence(self) -> PresencePort: ...

    @property
    def retry_after_seconds(self) -> float:
        """How long a rate-limited sender should wait."""
        ...

    def check_body(self, body: str) -> str:
        """The cleaned body, or `SendRejected` (empty, too long)."""
        ...

    async def check_send_rate(self, member_id: int) -> None: ...

    def forget_room_rules(self, room_id: int, member_id: int | None = None) -> None:
        """A change of send restrictions committed (a mute, slow mode, a role): drop what
        this process cached of them now, before its event comes back through the relay."""
        ...

    async def check_room_rules(self, member_id: int, room_id: int) -> None:
        """Refuse a send a mute or slow mode forbids (`muted`, `slow_mode`)."""
        ...

    def submit(
        self,
        member_id: int,
        room_id: int,
        client_msg_id: str,
        body: str,
        to: int | None = None,
        attachments: tuple[int, ...] = (),
        reply_to: int | None = None,
        meta: str | None = None,
    ) -> Awaitable[Acked]: ...

    async def send(
        self,
        member_id: int,
        room_id: int,
        client_msg_id: str,
        body: str,
        to: int | None = None,
        attachments: tuple[int, ...] = (),
        reply_to: int | None = None,
    ) -> Awaitable[Acked] | CommandAnswer:
        """The whole send path (body rules, budget, slash commands, room rules, submit)."""
        ...
