"""`parley import --from slack EXPORT.zip`: members, rooms and their history from Slack.

Everything goes in one transaction. What was created is remembered in `import_refs`
(Slack's id -> ours), so a second import of the same (or a later) export adds only what is
new. Messages keep their order and original times and take the room's next seqs; threads
become replies, `<@U…>` mentions Parley mentions, `<!channel>`/`<!everyone>`/`<!here>`
room mentions, reactions reactions (Slack's custom emoji are skipped), joins system
messages; files are noted by name (a standard export holds links, not bytes).

Imported members get no usable password: each gets a one-time recovery code, printed once for
the admin to hand out (valid `IMPORT_CODE_DAYS`); the member sets a password with it at
`POST /auth/recover` (or the sign-in page's "Forgot password"). An expired code is replaced
with `parley admin recover --login-id ID`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import emoji
import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts.api import issue_admin_code
from parley.accounts.models import Member
from parley.accounts.service import nickname_key
from parley.chat.emoji_keys import emoji_key, normalise_emoji
from parley.chat.models import Message, MessageMention, MessageReaction
from parley.chat.render import mention_tokens, render
from parley.core.runtime import Runtime
from parley.core.text import search_key
from parley.rooms.api import create_direct_room
from parley.rooms.models import Room, RoomMember
from parley.social.api import find_direct_room, record_direct_room
from parley.transfer.models import ImportRef
from parley.transfer.slack_format import Conversation, SlackExport, convert_text, file_notes

SOURCE = "slack"
JOINS = {"channel_join", "group_join"}
#: how long an imported member's recovery code stays valid (the longest an admin code may)
IMPORT_CODE_DAYS = 30


@dataclass
class SlackReport:
    #: (login_id, recovery code, until when) of each new member
    members: list[tuple[str, str, datetime]] = field(default_factory=list)
    rooms: int = 0
    messages: int = 0
    reactions: int = 0
    skipped: int = 0


def _login_id(user: dict[str, Any], taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", str(user.get("name") or user["id"]).lower())[:28]
    base = (base + "___")[:3] if len(base) < 3 else base
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"[:32]
    taken.add(candidate)
    return candidate


def _nickname(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or user.get("name") or "member"
    cleaned = "".join(c for c in str(name) if c.isprintable()).strip()
    return cleaned[:32] or "member"


class _Importer:
    def __init__(self, session: AsyncSession, runtime: Runtime, export: SlackExport) -> None:
        self.session, self.runtime, self.export = session, runtime, export
        self.refs: dict[tuple[str, str], int] = {}
        self.members: dict[str, int] = {}
        self.nicknames: dict[int, str] = {}
        self.report = SlackReport()

    async def _ref(self, kind: str, external: str, local: int) -> None:
        self.refs[(kind, external)] = local
        await self.session.execute(
            insert(ImportRef).values(source=SOURCE, kind=kind, external_id=external, local_id=local)
        )

    async def run(self) -> SlackReport:
        rows = await self.session.execute(
            select(ImportRef.kind, ImportRef.external_id, ImportRef.local_id).where(
                ImportRef.source == SOURCE
            )
        )
        self.refs = {(kind, ext): local for kind, ext, local in rows}
        await self._members()
        for conversation in self.export.conversations:
            room_id = await self._room(conversation)
            if room_id is not None:
                await self._messages(conversation, room_id)
        return self.report

    async def _members(self) -> None:
        taken = set((await self.session.scalars(select(Member.login_id))).all())
        for user in self.export.users:
            if user.get("is_bot") or user["id"] == "USLACKBOT":
                continue
            known = self.refs.get(("member", user["id"]))
            if known is None:
                # a random password nobody is told: the recovery code is the way in
                login_id, password = _login_id(user, taken), secrets.token_urlsafe(24)
                nickname = _nickname(user)
                result: Any = await self.session.execute(
                    insert(Member).values(
                        login_id=login_id,
                        nickname=nickname,
                        nickname_key=nickname_key(nickname),
                        password_hash=await self.runtime.hasher.hash(password),
                    )
                )
                known = int(result.inserted_primary_key[0])
                await self._ref("member", user["id"], known)
                code, until = await issue_admin_code(
                    self.session, self.runtime, known, IMPORT_CODE_DAYS * 86_400
                )
                self.report.members.append((login_id, code, until))
            self.members[user["id"]] = known
        if self.members:
            rows = await self.session.execute(
                select(Member.id, Member.nickname).where(Member.id.in_(self.members.values()))
            )
            self.nicknames = {member_id: nickname for member_id, nickname in rows}

    async def _room(self, conversation: Conversation) -> int | None:
        known = self.refs.get(("room", conversation.id))
        if known is not None:
            return known
        seated = [self.members[m] for m in conversation.members if m in self.members]
        if conversation.kind == "dm":
            if len(set(seated)) != 2:
                return None
            low, high = sorted(set(seated))
            room_id = await find_direct_room(self.session, low, high)
            if room_id is None:
                room = await create_direct_room(self.session, low, (low, high))
                record_direct_room(self.session, room.id, low, high)
                room_id = room.id
        else:
            room_id = await self._group_room(conversation, seated)
        await self._ref("room", conversation.id, room_id)
        self.report.rooms += 1
        return room_id

    async def _group_room(self, conversation: Conversation, seated: list[int]) -> int:
        name = "".join(c for c in conversation.name if c.isprintable())[:50] or conversation.id
        if conversation.kind == "mpim":
            name = ", ".join(self.nicknames.get(m, "?") for m in seated)[:50]
        candidate, n = name, 1
        while (
            await self.session.execute(
                select(Room.id).where(Room.name_key == search_key(candidate))
            )
        ).first():
            n += 1
            candidate = f"{name[:44]} ({n})"
        creator = self.members.get(conversation.creator or "")
        result: Any = await self.session.execute(
            insert(Room).values(
                name=candidate,
                name_key=search_key(candidate),
                kind="group",
                is_private=conversation.kind != "channel",
                topic="".join(c for c in conversation.topic if c.isprintable())[:200],
                capacity=max(500, len(seated)),
                member_count=len(set(seated)),
                created_by=creator,
            )
        )
        room_id = int(result.inserted_primary_key[0])
        if seated:
            await self.session.execute(
                insert(RoomMember),
                [
                    {
                        "room_id": room_id,
                        "member_id": m,
                        "role": "owner" if m == creator else "member",
                    }
                    for m in dict.fromkeys(seated)
                ],
            )
        return room_id

    async def _messages(self, conversation: Conversation, room_id: int) -> None:
        room = (await self.session.execute(select(Room).where(Room.id == room_id))).scalar_one()
        seq = room.last_seq
        members = set(
            (
                await self.session.scalars(
                    select(RoomMember.member_id).where(RoomMember.room_id == room_id)
                )
            ).all()
        )
        channels = {c.id: c.name for c in self.export.conversations}
        for message in self.export.messages(conversation):
            external = f"{conversation.id}:{message['ts']}"
            if ("message", external) in self.refs:
                continue
            sender = self.members.get(str(message.get("user") or ""))
            subtype = message.get("subtype")
            notes = file_notes(message)
            body = convert_text(str(message.get("text") or ""), self.members, channels)
            body = "\n".join(part for part in (body, *notes) if part).strip()
            if not body:
                self.report.skipped += 1
                continue
            seq += 1
            values: dict[str, Any] = {
                "room_id": room_id,
                "seq": seq,
                "sender_id": sender,
                "kind": "text",
                "body": body[:400_000],
                "client_msg_id": f"slack:{external}"[:64],
                "created_at": datetime.fromtimestamp(float(message["ts"]), UTC),
            }
            if subtype in JOINS and sender is not None:
                values["kind"], values["client_msg_id"] = "system", None
                values["body"] = f"{self.nicknames.get(sender, 'someone')} joined"
                values["meta"] = orjson.dumps({"event": "join", "member_id": sender}).decode()
            thread = message.get("thread_ts")
            if thread and thread != message["ts"]:
                values["reply_to_id"] = self.refs.get(("message", f"{conversation.id}:{thread}"))
            ids, room_token = mention_tokens(values["body"]) if "<@" in body else ([], False)
            named = {i: self.nicknames[i] for i in ids if i in members and i in self.nicknames}
            values["html"] = render(values["body"], named, room_token)
            values["mentions"] = orjson.dumps(list(named)).decode() if named else None
            values["mentions_room"] = room_token
            result: Any = await self.session.execute(insert(Message).values(**values))
            message_id = int(result.inserted_primary_key[0])
            await self._ref("message", external, message_id)
            self.report.messages += 1
            if named:
                await self.session.execute(
                    insert(MessageMention),
                    [
                        {"message_id": message_id, "member_id": i, "room_id": room_id, "seq": seq}
                        for i in named
                    ],
                )
            await self._reactions(message, message_id, values["created_at"])
        if seq != room.last_seq:
            await self.session.execute(update(Room).where(Room.id == room_id).values(last_seq=seq))

    async def _reactions(self, message: dict[str, Any], message_id: int, at: datetime) -> None:
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        for reaction in message.get("reactions") or []:
            name = str(reaction.get("name") or "").split("::")[0]  # skin tone suffix
            char = normalise_emoji(emoji.emojize(f":{name}:", language="alias"))
            if char is None:
                continue  # a custom emoji: Slack's export has no image for it
            for user in reaction.get("users") or []:
                member = self.members.get(str(user))
                if member is not None:
                    key = emoji_key(char)
                    rows[(key, member)] = {
                        "message_id": message_id,
                        "emoji_key": key,
                        "member_id": member,
                        "created_at": at,
                    }
        if rows:
            await self.session.execute(insert(MessageReaction), list(rows.values()))
            self.report.reactions += len(rows)


async def import_slack(runtime: Runtime, export: SlackExport) -> SlackReport:
    """Import in one transaction; an error leaves the database as it was."""
    async with runtime.db.transaction() as session:
        return await _Importer(session, runtime, export).run()
