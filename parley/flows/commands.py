"""Slash commands (DESIGN §12): the send path of WebSocket `send` and HTTP message POSTs.

A body that starts with `/` is a command. Some become a message that takes the ordinary send
path (`/me`, `/shrug`, `/poll`: the writer's rules, ack and idempotency); others change the
room through the rooms domain's own services, with their authorisation (`/topic`,
`/invite`, `/kick`), or hand the command to the room's outgoing webhook for it (custom
commands). These answer `CommandDone` instead of an ack. `//text` sends `/text`; any other
unknown command is refused (`unknown_command`), nothing stored.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import time
from collections import OrderedDict
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.core.errors import ParleyError, not_found
from parley.core.ports import Acked, MessagingPort
from parley.core.runtime import Runtime
from parley.integrations.api import Dispatcher
from parley.rooms import api as rooms

SHRUG = "¯\\\\\\_(ツ)_/¯"  # Markdown for ¯\_(ツ)_/¯
#: poll options are voted on with these reactions, in order
POLL_EMOJI = ("1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟")
POLL_QUESTION_MAX = 300
POLL_OPTION_MAX = 100
BUILT_IN = ("me", "shrug", "topic", "invite", "kick", "poll")
_COMMAND = re.compile(r"/([A-Za-z0-9_-]{1,32})(?:\s+(.*))?\Z", re.DOTALL)
_MENTION = re.compile(r"<@(\d{1,19})>\Z")
#: phones type curly quotes
_SMART_QUOTES = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'"}
)
#: answers of commands that store no message, kept for retries of the same client_msg_id
RECENT_MAX = 10_000
RECENT_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class CommandDone:
    """A command ran and stored no message of the sender's (`command_done` frame)."""

    client_msg_id: str
    room_id: int
    command: str

    def frame(self) -> dict[str, Any]:
        return {
            "type": "command_done",
            "client_msg_id": self.client_msg_id,
            "room_id": self.room_id,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class Post:
    """What a command writes as the sender's message."""

    body: str
    meta: dict[str, Any] | None = None


def refused(code: str, detail: str, status: int = 422) -> ParleyError:
    return ParleyError(status, code, detail)


def parse(body: str) -> tuple[str, str] | str:
    """`(name, args)` of a command, or the text to send (`//x` sends `/x`)."""
    if body.startswith("//"):
        return body[1:]
    if not body.startswith("/"):
        return body
    found = _COMMAND.match(body)
    if found is None:
        raise refused("unknown_command", "not a command; start with // to send a slash")
    return found.group(1).lower(), (found.group(2) or "").strip()


def poll(args: str) -> Post:
    """`"Question" "A" "B" …`: 2 to 10 distinct options, voted on with numbered reactions."""
    try:
        parts = shlex.split(args.translate(_SMART_QUOTES))
    except ValueError:
        raise refused(
            "invalid_poll", 'quote the question and each option: /poll "Q" "A" "B"'
        ) from None
    parts = [" ".join(p.split()) for p in parts]
    if len(parts) < 3 or len(parts) > len(POLL_EMOJI) + 1:
        raise refused("invalid_poll", f"a poll has a question and 2 to {len(POLL_EMOJI)} options")
    question, options = parts[0], parts[1:]
    if not question or len(question) > POLL_QUESTION_MAX:
        raise refused("invalid_poll", f"the question is 1 to {POLL_QUESTION_MAX} characters")
    if any(not o or len(o) > POLL_OPTION_MAX for o in options):
        raise refused("invalid_poll", f"each option is 1 to {POLL_OPTION_MAX} characters")
    if len({o.casefold() for o in options}) != len(options):
        raise refused("invalid_poll", "the options must differ")
    emoji = list(POLL_EMOJI[: len(options)])
    lines = [f"📊 {question}", *(f"{e} {o}" for e, o in zip(emoji, options, strict=True))]
    meta = {"command": "poll", "question": question, "options": options, "emoji": emoji}
    return Post("\n".join(lines), meta)


def message_of(name: str, args: str) -> Post | None:
    """The message of `/me`, `/shrug` and `/poll`; None for other commands."""
    if name == "me":
        if not args:
            raise refused("empty_body", "/me needs some text: /me waves")
        return Post(args, {"command": "me"})
    if name == "shrug":
        return Post(f"{args} {SHRUG}" if args else SHRUG)
    if name == "poll":
        return poll(args)
    return None


async def _principal(session: AsyncSession, member_id: int) -> accounts.Principal:
    member = await accounts.get_member(session, member_id)
    if member is None:
        raise refused("not_a_member", "not a member of this room", 403)
    return accounts.Principal(member=member, session_id="command")


async def _target(session: AsyncSession, room_id: int, arg: str, name: str) -> int:
    """The member an `/invite` or `/kick` names: `@nick`, `nick` or a mention token."""
    token = _MENTION.match(arg)
    if token is not None:
        if await accounts.get_member(session, int(token.group(1))) is None:
            raise not_found("member", "member_not_found")
        return int(token.group(1))
    nickname = arg.removeprefix("@").strip()
    if not nickname:
        raise refused("invalid_field", f"name someone: /{name} @nickname")
    ids = await accounts.members_named(session, nickname)
    if name == "kick" and len(ids) > 1:  # the one in the room, if only one is
        members = [i for i in ids if await rooms.get_membership(session, room_id, i)]
        ids = members or ids
    if not ids:
        raise not_found("member", "member_not_found")
    if len(ids) > 1:
        raise refused(
            "ambiguous_member", f"several members are called {nickname}; pick one with @", 409
        )
    return ids[0]


class RecentCommands:
    """`CommandDone` answers by (member, client_msg_id), so a retry is answered, not rerun."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[int, str], tuple[float, CommandDone]] = OrderedDict()

    def get(self, key: tuple[int, str]) -> CommandDone | None:
        item = self._items.get(key)
        if item is None or time.monotonic() - item[0] > RECENT_SECONDS:
            return None
        return item[1]

    def put(self, key: tuple[int, str], done: CommandDone) -> None:
        self._items[key] = (time.monotonic(), done)
        self._items.move_to_end(key)
        while len(self._items) > RECENT_MAX:
            self._items.popitem(last=False)


class SendPath:
    """One send, WebSocket or HTTP: body rules, the send budget, then a command or a message."""

    def __init__(self, runtime: Runtime, messaging: MessagingPort, webhooks: Dispatcher) -> None:
        self.runtime = runtime
        self.messaging = messaging
        self.webhooks = webhooks
        self.recent = RecentCommands()

    async def send(
        self,
        member_id: int,
        room_id: int,
        client_msg_id: str,
        body: str,
        to: int | None = None,
        attachments: tuple[int, ...] = (),
        reply_to: int | None = None,
    ) -> Awaitable[Acked] | CommandDone:
        """A future of the message's ack, or `CommandDone`. Refusals: `SendRejected` (the
        send's own rules, from `messaging`) or `ParleyError` (a command's)."""
        messaging = self.messaging
        text = messaging.check_body(body)
        done = self.recent.get((member_id, client_msg_id))
        if done is not None and done.room_id == room_id:
            return done
        await messaging.check_send_rate(member_id)
        parsed = parse(text)
        meta: str | None = None
        if isinstance(parsed, str):
            text = parsed
        else:
            name, args = parsed
            post = message_of(name, args)
            if post is None:
                if to is not None or attachments or reply_to is not None:
                    raise refused("invalid_field", f"/{name} takes no whisper, reply or files")
                done = await self._run(member_id, room_id, client_msg_id, name, args)
                self.recent.put((member_id, client_msg_id), done)
                return done
            text = messaging.check_body(post.body)
            meta = orjson.dumps(post.meta).decode() if post.meta else None
        await messaging.check_room_rules(member_id, room_id)
        return messaging.submit(
            member_id, room_id, client_msg_id, text, to, attachments, reply_to, meta
        )

    async def _run(
        self, member_id: int, room_id: int, client_msg_id: str, name: str, args: str
    ) -> CommandDone:
        done = CommandDone(client_msg_id, room_id, name)
        async with self.runtime.db.sessions() as session:
            principal = await _principal(session, member_id)
            if name == "topic":
                try:
                    changes = rooms.RoomUpdate(topic=args).changes()
                except ValidationError:
                    raise refused(
                        "invalid_field", "a topic is one line of at most 200 characters"
                    ) from None
                await rooms.update_room(session, room_id, principal, changes)
                return done
            if name in ("invite", "kick"):
                target = await _target(session, room_id, args, name)
                if name == "invite":
                    await rooms.membership.invite(session, room_id, principal, target)
                else:
                    await rooms.membership.kick(session, room_id, principal, target)
                return done
            if await rooms.get_membership(session, room_id, member_id) is None:
                raise refused("not_a_member", "not a member of this room", 403)
        await self.messaging.check_room_rules(member_id, room_id)
        member = {"id": member_id, "nickname": principal.member.nickname}
        command_id = hashlib.sha256(f"{member_id}:{client_msg_id}".encode()).hexdigest()[:32]
        if not await self.webhooks.command(room_id, name, args, member, command_id):
            raise refused("unknown_command", f"/{name} is not a command here")
        return done
