"""The message path: validated sends become rows with the next per-room seq, in group commits.

Sends waiting while a transaction runs are written together in the next one, so throughput
does not fall to one fsync per message. Each send is acked only after its commit, then
published; a retried `client_msg_id` gets the original ack, never a second message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from parley.accounts.models import Member
from parley.chat.frames import message_payload
from parley.chat.models import Message
from parley.core.database import Database, utcnow
from parley.rooms.access import members_of_rooms
from parley.rooms.models import Room

log = logging.getLogger("parley.chat.writer")

Publish = Callable[[list[dict[str, Any]]], Awaitable[None]]


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


@dataclass(slots=True)
class SendRequest:
    sender_id: int
    room_id: int
    client_msg_id: str
    body: str
    to: int | None = None
    future: asyncio.Future[Ack] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def key(self) -> tuple[int, str]:
        return (self.sender_id, self.client_msg_id)


class MessageWriter:
    def __init__(self, db: Database, publish: Publish, max_batch: int = 512) -> None:
        self._db = db
        self._publish = publish
        self._max_batch = max_batch
        self._queue: asyncio.Queue[SendRequest] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.written = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="message-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._queue.empty():
            self._queue.get_nowait().future.set_exception(
                SendRejected("unavailable", "server shutting down; retry")
            )

    def submit(self, request: SendRequest) -> asyncio.Future[Ack]:
        self._queue.put_nowait(request)
        return request.future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write_batch(batch)
            except IntegrityError:
                # a concurrent process stored one of these client_msg_ids: go one by one
                for request in batch:
                    try:
                        await self._write_batch([request])
                    except Exception as exc:
                        _fail(request, exc)
            except Exception as exc:
                log.exception("message batch failed", extra={"size": len(batch)})
                for request in batch:
                    _fail(request, exc)

    async def _write_batch(self, batch: list[SendRequest]) -> None:
        first_of: dict[tuple[int, str], SendRequest] = {}
        for request in batch:
            first_of.setdefault(request.key, request)
        unique = list(first_of.values())
        results: dict[tuple[int, str], Ack | SendRejected] = {}
        frames: list[dict[str, Any]] = []
        async with self._db.transaction() as session:
            existing = await session.scalars(
                select(Message).where(
                    tuple_(Message.sender_id, Message.client_msg_id).in_(list(first_of))
                )
            )
            for message in existing:
                assert message.sender_id is not None and message.client_msg_id is not None
                key = (message.sender_id, message.client_msg_id)
                results[key] = Ack(message.client_msg_id, message.room_id, message.seq, message.id)
            fresh = [r for r in unique if r.key not in results]
            pairs = {(r.room_id, r.sender_id) for r in fresh}
            pairs |= {(r.room_id, r.to) for r in fresh if r.to is not None}
            memberships = await members_of_rooms(session, pairs)
            accepted: list[SendRequest] = []
            for request in fresh:
                if (request.room_id, request.sender_id) not in memberships:
                    results[request.key] = SendRejected("not_a_member", "not a member of the room")
                elif request.to is not None and (request.room_id, request.to) not in memberships:
                    results[request.key] = SendRejected(
                        "invalid_target", "the whisper target is not a member of the room"
                    )
                else:
                    accepted.append(request)
            if accepted:
                frames = await self._insert(session, accepted, results)
        self.batches += 1
        self.written += len(frames)
        for request in batch:
            outcome = results[request.key]
            if request.future.done():
                continue
            if isinstance(outcome, Ack):
                request.future.set_result(outcome)
            else:
                request.future.set_exception(outcome)
        if frames:
            await self._publish(frames)

    async def _insert(
        self, session: Any, accepted: list[SendRequest], results: dict[Any, Any]
    ) -> list[dict[str, Any]]:
        per_room: dict[int, list[SendRequest]] = defaultdict(list)
        for request in accepted:
            per_room[request.room_id].append(request)
        for room_id, requests in per_room.items():
            await session.execute(
                update(Room)
                .where(Room.id == room_id)
                .values(last_seq=Room.last_seq + len(requests))
            )
        last_seqs = dict(
            (
                await session.execute(select(Room.id, Room.last_seq).where(Room.id.in_(per_room)))
            ).all()
        )
        nicknames = dict(
            (
                await session.execute(
                    select(Member.id, Member.nickname).where(
                        Member.id.in_({r.sender_id for r in accepted})
                    )
                )
            ).all()
        )
        now = utcnow()
        rows: list[dict[str, Any]] = []
        for room_id, requests in per_room.items():
            first = int(last_seqs[room_id]) - len(requests) + 1
            for offset, request in enumerate(requests):
                rows.append(
                    {
                        "room_id": room_id,
                        "seq": first + offset,
                        "sender_id": request.sender_id,
                        "kind": "whisper" if request.to is not None else "text",
                        "body": request.body,
                        "client_msg_id": request.client_msg_id,
                        "to_member_id": request.to,
                        "created_at": now,
                    }
                )
        ids = await session.scalars(
            insert(Message).returning(Message.id, sort_by_parameter_order=True), rows
        )
        frames = []
        for row, message_id in zip(rows, ids, strict=True):
            message = Message(id=message_id, meta=None, **row)
            results[(row["sender_id"], row["client_msg_id"])] = Ack(
                row["client_msg_id"], row["room_id"], row["seq"], message_id
            )
            frames.append(
                {"type": "message", **message_payload(message, nicknames.get(row["sender_id"]))}
            )
        frames.sort(key=lambda f: (f["room_id"], f["seq"]))
        return frames


def _fail(request: SendRequest, exc: BaseException) -> None:
    if request.future.done():
        return
    if isinstance(exc, SendRejected):
        request.future.set_exception(exc)
    else:
        request.future.set_exception(
            SendRejected(
                "unavailable", "the message could not be stored; retry with the same client_msg_id"
            )
        )
