"""`GET /me/export`: a member's own data as a zip, streamed while it is read.

Profile, memberships, the messages they sent, their direct rooms (both sides, their own
whispers only), their uploads with the bytes. Never a password hash, a token or someone
else's whisper. Memory stays bounded: messages are read in pages of `PAGE` in short read
transactions and each page is compressed and sent before the next is read; file bytes go
through in storage-sized chunks. The zip is written to an unseekable sink, so zipfile uses
data descriptors and needs no look-back.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from parley.accounts import api as accounts
from parley.chat import api as chat
from parley.core.database import utcnow
from parley.core.runtime import Runtime
from parley.files import api as files
from parley.rooms import api as rooms
from parley.social import api as social

PAGE = 500
Page = Callable[[AsyncSession, int], Awaitable[list[dict[str, Any]]]]


class _Sink:
    """Where the zip is written; what it holds is handed to the response and forgotten."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


def _entry(archive: zipfile.ZipFile, name: str, compress: bool = True) -> IO[bytes]:
    info = zipfile.ZipInfo(name, date_time=utcnow().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    return archive.open(info, "w", force_zip64=True)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._- " else "_" for c in name)[:120] or "file"


async def _overview(runtime: Runtime, member_id: int) -> dict[str, Any]:
    async with runtime.db.read_sessions() as session:
        member = await accounts.get_member(session, member_id)
        if member is None:
            raise LookupError(member_id)
        mine = await rooms.my_rooms(session, member_id)
        direct = [room.id for room in mine if room.kind == "direct"]
        peers = await social.peers_of(session, member_id, direct)
        friends = await social.friend_ids(session, member_id)
        uploads = await files.uploads_owned_by(session, member_id)
    profile = {
        "id": member.id,
        "login_id": member.login_id,
        "nickname": member.nickname,
        "role": member.role,
        "created_at": member.created_at.isoformat(),
        "friends": friends,
        "exported_at": utcnow().isoformat(),
    }
    memberships = [
        {
            "room_id": room.id,
            "name": room.name,
            "kind": room.kind,
            "topic": room.topic,
            "role": room.role,
            "last_read_seq": room.last_read_seq,
            "peer": peers[room.id].model_dump() if room.id in peers else None,
        }
        for room in mine
    ]
    return {"profile": profile, "rooms": memberships, "direct": direct, "uploads": uploads}


async def _pages(
    runtime: Runtime, archive: zipfile.ZipFile, sink: _Sink, name: str, page: Page
) -> AsyncIterator[bytes]:
    with _entry(archive, name) as handle:
        after = 0
        while True:
            async with runtime.db.read_sessions() as session:
                rows = await page(session, after)
            if not rows:
                break
            handle.write(b"".join(orjson.dumps(row) + b"\n" for row in rows))
            after = rows[-1]["id"]
            yield sink.take()


async def member_export(runtime: Runtime, member_id: int) -> AsyncIterator[bytes]:
    """The zip's bytes, chunk by chunk; LookupError before the first if the member is gone."""
    overview = await _overview(runtime, member_id)
    return _stream(runtime, member_id, overview)


async def _stream(runtime: Runtime, me: int, overview: dict[str, Any]) -> AsyncIterator[bytes]:
    sink = _Sink()
    archive = zipfile.ZipFile(sink, "w")  # unseekable on purpose: no look-back
    uploads: list[files.OwnUpload] = overview["uploads"]
    index: list[dict[str, Any]] = [
        {
            "id": up.id,
            "name": up.name,
            "size": up.size,
            "content_type": up.content_type,
            "sha256": up.sha256,
            "created_at": up.created_at.isoformat(),
            "path": f"uploads/{up.id}-{_safe(up.name)}",
        }
        for up in uploads
    ]
    for name, document in (
        ("profile.json", overview["profile"]),
        ("rooms.json", overview["rooms"]),
        ("uploads.json", index),
    ):
        with _entry(archive, name) as handle:
            handle.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    yield sink.take()

    async def sent(session: AsyncSession, after: int) -> list[dict[str, Any]]:
        return await chat.messages_sent_by(session, me, after, PAGE)

    async for chunk in _pages(runtime, archive, sink, "messages_sent.jsonl", sent):
        yield chunk
    for room_id in overview["direct"]:

        async def direct(session: AsyncSession, after: int, room: int = room_id) -> Any:
            return await chat.visible_room_messages(session, room, me, after, PAGE)

        async for chunk in _pages(runtime, archive, sink, f"direct/{room_id}.jsonl", direct):
            yield chunk
    for up, entry in zip(uploads, index, strict=True):
        with _entry(archive, entry["path"], compress=False) as handle:
            async for data in files.blob_chunks(runtime, up.sha256):
                handle.write(data)
                yield sink.take()
    archive.close()
    yield sink.take()
