"""One batch of sends, stored in the caller's transaction: deduplicated, authorised,
numbered, inserted, and turned into `message` frames (`store_batch`).

A synchronous function over a Core connection: on SQLite it runs whole in the database's
batch thread (`Database.run_in_transaction`), so the hot path pays no per-statement thread
hops. The writer (`parley.chat.writer`) decides when a batch runs; this module what it does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from parley.accounts.api import directory
from parley.chat.frames import build_payload
from parley.chat.history import reply_quote
from parley.chat.hooks import hooks
from parley.chat.models import Message, MessageMention
from parley.chat.render import mention_tokens, render
from parley.core.bulk import BulkInsert
from parley.core.database import utcnow
from parley.core.pairs import PairLookup
from parley.rooms.api import bump_seqs, nicknames_of_members, room_mention_rights

#: `<@room>` is for everyone in rooms up to this size, for owner/admins above it
ROOM_MENTION_OPEN_UP_TO = 50

Key = tuple[int, str]


class SendRejected(Exception):
    """The send was refused; nothing was stored. `code` is the protocol's error code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Ack:
    client_msg_id: str
    room_id: int
    seq: int
    id: int

    def frame(self) -> dict[str, Any]:
        return {
            "type": "ack",
            "client_msg_id": self.client_msg_id,
            "room_id": self.room_id,
            "seq": self.seq,
            "id": self.id,
        }


@dataclass(frozen=True, slots=True)
class Send:
    """What is to be stored: plain data, safe to hand to the batch thread."""

    sender_id: int
    room_id: int
    client_msg_id: str
    body: str
    to: int | None = None
    #: ids of files the sender uploaded, checked in the batch's transaction
    attachments: tuple[int, ...] = ()
    #: the message this one replies to (same room, visible to the sender)
    reply_to: int | None = None
    #: JSON details of a command's message (`/me`, `/poll`: `parley.flows.commands`)
    meta: str | None = None

    @property
    def key(self) -> Key:
        return (self.sender_id, self.client_msg_id)


@dataclass
class BatchResult:
    outcomes: dict[Key, Ack | SendRejected]
    #: `message` frames of the newly stored messages, in (room, seq) order
    frames: list[dict[str, Any]]


_INSERT_MESSAGES = BulkInsert(
    Message.__table__,  # type: ignore[arg-type]
    (
        "room_id",
        "seq",
        "sender_id",
        "kind",
        "body",
        "client_msg_id",
        "to_member_id",
        "created_at",
        "html",
        "reply_to_id",
        "reply_excerpt",
        "mentions",
        "mentions_room",
        "meta",
    ),
    ("id", "room_id", "seq"),
)

#: the sends of a batch already stored (retries), by (sender, client_msg_id); built once
_ALREADY_STORED = PairLookup(
    "keys",
    Message.sender_id,
    Message.client_msg_id,
    lambda restrict: restrict(
        select(Message.sender_id, Message.client_msg_id, Message.room_id, Message.seq, Message.id)
    ),
)


def store_batch(conn: Connection, sends: list[Send]) -> BatchResult:
    """Store a batch in the caller's transaction: dedupe, authorise, number, insert.

    Statements: one idempotency lookup, one membership lookup (senders, whisper targets and
    mentioned members together), the seq bumps of its rooms, one multi-row insert;
    only when some send needs them: the replied-to messages, `<@room>` rights, the mention
    rows. Markdown is rendered here, in the batch's thread.
    """
    unique = list({s.key: s for s in reversed(sends)}.values())[::-1]  # first of each key
    outcomes: dict[Key, Ack | SendRejected] = {}
    existing = _ALREADY_STORED.execute(conn, [s.key for s in unique])
    for sender_id, client_msg_id, room_id, seq, message_id in existing:
        outcomes[(sender_id or 0, str(client_msg_id))] = Ack(
            str(client_msg_id), room_id, seq, message_id
        )
    fresh = [s for s in unique if s.key not in outcomes]
    pairs = {(s.room_id, s.sender_id) for s in fresh}
    pairs |= {(s.room_id, s.to) for s in fresh if s.to is not None}
    tokens = {s.key: mention_tokens(s.body) if "<@" in s.body else ((), False) for s in fresh}
    pairs |= {(s.room_id, m) for s in fresh if s.to is None for m in tokens[s.key][0]}
    members = nicknames_of_members(conn, pairs)
    originals = _originals(conn, [s.reply_to for s in fresh if s.reply_to is not None])
    rights = room_mention_rights(
        conn, {(s.room_id, s.sender_id) for s in fresh if tokens[s.key][1]}
    )
    blocked = hooks.blocked_sends(conn, [(s.room_id, s.sender_id, s.to) for s in fresh])
    uploads = hooks.uploads_of(conn, [i for s in fresh for i in s.attachments])
    accepted: list[Send] = []
    for send in fresh:
        if (send.room_id, send.sender_id) not in members:
            outcomes[send.key] = SendRejected("not_a_member", "not a member of the room")
        elif send.to is not None and (send.room_id, send.to) not in members:
            outcomes[send.key] = SendRejected(
                "invalid_target", "the whisper target is not a member of the room"
            )
        elif (send.room_id, send.sender_id, send.to) in blocked:
            outcomes[send.key] = SendRejected("blocked", "one of you has blocked the other")
        elif any(uploads.get(i, (None,))[0] != send.sender_id for i in send.attachments):
            outcomes[send.key] = SendRejected(
                "invalid_attachment", "attach only files you uploaded yourself"
            )
        elif send.reply_to is not None and not _may_reply(send, originals.get(send.reply_to)):
            outcomes[send.key] = SendRejected(
                "invalid_reply",
                "reply to a message of this room that you can see (a whisper only by"
                " whispering back to its other member)",
            )
        else:
            accepted.append(send)
    if not accepted:
        return BatchResult(outcomes, [])
    per_room: dict[int, list[Send]] = defaultdict(list)
    for send in accepted:
        per_room[send.room_id].append(send)
    last_seqs = bump_seqs(conn, {room_id: len(sends) for room_id, sends in per_room.items()})
    now = utcnow()
    rows: list[tuple[Any, ...]] = []  # in `_INSERT_MESSAGES` column order
    sent: list[Send] = []
    resolved: list[tuple[dict[int, str], bool]] = []
    for room_id, room_sends in per_room.items():
        first = int(last_seqs[room_id]) - len(room_sends) + 1
        for offset, send in enumerate(room_sends):
            sent.append(send)
            named, room_token = _resolve(send, tokens[send.key], members, rights)
            resolved.append((named, room_token))
            reply = originals[send.reply_to][1] if send.reply_to is not None else None
            rows.append(
                (
                    room_id,
                    first + offset,
                    send.sender_id,
                    "whisper" if send.to is not None else "text",
                    send.body,
                    send.client_msg_id,
                    send.to,
                    now,
                    render(send.body, named, room_token),
                    send.reply_to,
                    reply["excerpt"] if reply is not None else None,
                    orjson.dumps(list(named)).decode() if named else None,
                    room_token,
                    send.meta,
                )
            )
    # matched back by (room, seq), which is unique
    stored = _INSERT_MESSAGES(conn, rows)
    id_of = {(room_id, seq): message_id for message_id, room_id, seq in stored}
    frames = []
    mention_rows: list[dict[str, int]] = []
    for row, send, (named, room_token) in zip(rows, sent, resolved, strict=True):
        room_id, seq, sender_id, kind, body, client_msg_id, to, _, html = row[:9]
        message_id = id_of[(room_id, seq)]
        outcomes[send.key] = Ack(client_msg_id, room_id, seq, message_id)
        payload = build_payload(
            room_id=room_id,
            seq=seq,
            message_id=message_id,
            sender_id=sender_id,
            sender_nickname=members[(room_id, sender_id)],
            kind=kind,
            body=body,
            created_at=now,
            client_msg_id=client_msg_id,
            to_member_id=to,
            meta=send.meta,
            attachments=[uploads[i][1] for i in send.attachments],
            html=html,
            reply_to=originals[send.reply_to][1] if send.reply_to is not None else None,
            mentions=list(named),
            mentions_room=room_token,
        )
        frames.append({"type": "message", **payload})
        mention_rows.extend(
            {"message_id": message_id, "member_id": m, "room_id": room_id, "seq": seq}
            for m in named
        )
    if mention_rows:
        conn.execute(insert(MessageMention), mention_rows)
    hooks.link_attachments(
        conn, [(f["id"], s.attachments) for f, s in zip(frames, sent, strict=True)]
    )
    frames.sort(key=lambda f: (f["room_id"], f["seq"]))
    return BatchResult(outcomes, frames)


#: a replied-to message: (room_id, kind, sender_id, to_member_id, deleted), its quote
Original = tuple[tuple[int, str, int | None, int | None, bool], dict[str, Any]]


def _originals(conn: Connection, ids: list[int]) -> dict[int, Original]:
    if not ids:
        return {}
    rows = conn.execute(
        select(
            Message.id,
            Message.room_id,
            Message.seq,
            Message.kind,
            Message.sender_id,
            Message.to_member_id,
            Message.deleted_by,
            Message.body,
            directory.c.nickname,
        )
        .outerjoin(directory, directory.c.id == Message.sender_id)
        .where(Message.id.in_(sorted(set(ids))))
    )
    return {
        int(i): (
            (int(room_id), kind, sender_id, to_id, deleted_by is not None),
            reply_quote(int(i), int(seq), kind, sender_id, nickname, body),
        )
        for i, room_id, seq, kind, sender_id, to_id, deleted_by, body, nickname in rows
    }


def _may_reply(send: Send, original: Original | None) -> bool:
    """Same room, not deleted, and visible to the sender. A whisper is answered only by a
    whisper between the same two members, so no quote of it reaches anyone else."""
    if original is None:
        return False
    room_id, kind, sender_id, to_id, deleted = original[0]
    if room_id != send.room_id or deleted:
        return False
    if kind != "whisper":
        return True
    pair = {sender_id, to_id}
    return send.sender_id in pair and send.to is not None and {send.sender_id, send.to} == pair


def _resolve(
    send: Send,
    tokens: tuple[Any, bool],
    members: dict[tuple[int, int], str],
    rights: dict[tuple[int, int], tuple[int, str]],
) -> tuple[dict[int, str], bool]:
    """The mentions that stand: members of the room (in a whisper only its two members),
    and `<@room>` where the sender may use it; other tokens stay text."""
    ids, room_token = tokens
    if send.to is not None:
        allowed = {send.sender_id, send.to}
        named = {m: members[(send.room_id, m)] for m in ids if m in allowed}
        return named, False
    named = {m: members[(send.room_id, m)] for m in ids if (send.room_id, m) in members}
    if room_token:
        count, role = rights.get((send.room_id, send.sender_id), (0, "member"))
        room_token = count <= ROOM_MENTION_OPEN_UP_TO or role in ("owner", "admin")
    return named, room_token
