"""Retention: old messages go with their reactions, mentions, search entries and files, in
small batches that do not hold up sends; a resume from before the purge gets `reset`."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from parley.admin.models import AuditEntry
from parley.chat.models import Message, MessageReaction
from parley.core.database import create_engine, utcnow
from parley.files.models import MessageAttachment, Upload
from parley.rooms.models import Room
from parley.search.models import SearchGram, SearchPending
from tests.support.server import running_server
from tests.support.services import create_backend_database, test_settings
from tests.support.ws import Server
from tests.transfer.support import env_for, files_of, parley, png


async def _run(url: str, *statements: object) -> list[object]:
    engine = create_engine(test_settings(url))
    try:
        async with engine.begin() as conn:
            return [await conn.execute(s) for s in statements]  # type: ignore[call-overload]
    finally:
        await engine.dispose()


async def _scalar(url: str, statement: object) -> object:
    engine = create_engine(test_settings(url))
    try:
        async with engine.connect() as conn:
            return (await conn.execute(statement)).scalar()  # type: ignore[call-overload]
    finally:
        await engine.dispose()


def test_old_messages_are_purged_and_a_resume_across_them_is_reset(tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_retention")
    files_dir = tmp_path / "files"
    env = {
        **env_for(url, files_dir),
        "PARLEY_RETENTION_DAYS": "30",
        "PARLEY_RETENTION_INTERVAL_SECONDS": "0.5",
        "PARLEY_RETENTION_BATCH": "2",
    }

    async def scenario(base_url: str) -> None:
        server = Server(base_url)
        alice, bob = await server.member("alice"), await server.member("bob")
        room = await server.room(alice, bob)
        upload = await server.http.post(
            "/files", files={"file": ("old.png", png(), "image/png")}, headers=alice.headers
        )
        assert upload.status_code == 201, upload.text
        ws = await server.connect(alice)
        ids, seqs = [], []
        for n in range(1, 11):
            extra: dict[str, Any] = {"attachments": [upload.json()["id"]]} if n == 3 else {}
            await ws.send_message(room, f"note {n} for <@{bob.id}>", **extra)
            ack = await ws.expect("ack", timeout=10)
            ids.append(ack["id"])
            seqs.append(ack["seq"])
        react = await server.http.put(
            f"/rooms/{room}/messages/{ids[1]}/reactions/👍", headers=bob.headers
        )
        assert react.status_code < 300, react.text
        assert len(files_of(files_dir)) == 2  # the picture and its thumbnail

        # notes 1..6 are 40 days old now: the server's job purges them, two at a time
        old = utcnow() - timedelta(days=40)
        await _run(
            url,
            update(Message).where(Message.id.in_(ids[:6])).values(created_at=old),
            update(Upload).values(created_at=old),  # uploaded with note 3, as old as it
        )
        deadline = time.monotonic() + 60
        while await _scalar(url, select(Room.purged_seq).where(Room.id == room)) != seqs[5]:
            assert time.monotonic() < deadline, "the retention job did not purge"
            await asyncio.sleep(0.2)
        kept = [m["body"] for m in await server.history(alice, room)]
        assert kept == ["bob joined"] + [f"note {n} for <@{bob.id}>" for n in range(7, 11)]
        for table, column in (
            (MessageReaction, MessageReaction.message_id),
            (MessageAttachment, MessageAttachment.message_id),
            (SearchGram, SearchGram.message_id),
            (SearchPending, SearchPending.message_id),
        ):
            gone = select(func.count()).select_from(table).where(column.in_(ids[:6]))
            assert await _scalar(url, gone) == 0, table
        assert await _scalar(url, select(func.count()).select_from(Upload)) == 0
        assert files_of(files_dir) == {}
        audited = await _scalar(
            url,
            select(AuditEntry.details).where(
                AuditEntry.action == "retention.purge", AuditEntry.room_id == room
            ),
        )
        assert isinstance(audited, str) and '"messages":6' in audited, audited

        late = await server.connect(bob)
        await late.send({"type": "subscribe", "room_id": room, "after_seq": seqs[5] - 1})
        reset = await late.expect("reset", room_id=room)
        assert reset["last_seq"] > seqs[-1]  # the reaction took a seq too
        await late.expect("subscribed", room_id=room)
        again = await server.connect(bob)
        _, replayed = await again.subscribe(room, after_seq=seqs[5])
        assert [m["seq"] for m in replayed] == seqs[6:]
        for client in (ws, late, again):
            await client.close()
        await server.close()

    with running_server(tmp_path / "serve", env=env) as process:
        asyncio.run(scenario(process.base_url))


def test_parley_purge_follows_a_rooms_own_retention_and_never_holds_up_sends(
    tmp_path: Path,
) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_purge")
    files_dir = tmp_path / "files"
    env = {**env_for(url, files_dir), "PARLEY_RETENTION_INTERVAL_SECONDS": "0"}

    async def scenario(base_url: str) -> None:
        server = Server(base_url)
        alice = await server.member("alice")
        busy, quiet = await server.room(alice), await server.room(alice)
        old = utcnow() - timedelta(days=15)
        rows = [
            {
                "room_id": quiet,
                "seq": n,
                "sender_id": alice.id,
                "body": f"old {n}",
                "created_at": old,
                "html": "",
            }
            for n in range(1, 4001)
        ]
        await _run(
            url,
            insert(Message).values(rows[:2000]),
            insert(Message).values(rows[2000:]),
            update(Room).where(Room.id == quiet).values(last_seq=4000),
        )
        # the instance keeps everything; the quiet room keeps 10 days
        purge = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "parley",
            "purge",
            "--room",
            str(quiet),
            "--days",
            "10",
            env={**env, "PARLEY_RETENTION_BATCH": "200"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        ws = await server.connect(alice)
        slowest = 0.0
        while purge.returncode is None:
            started = time.monotonic()
            await ws.send_message(busy, "still here")
            await ws.expect("ack", timeout=15)
            slowest = max(slowest, time.monotonic() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(purge.wait(), 0.05)
        raw_out, raw_err = await purge.communicate()
        out, err = raw_out.decode(), raw_err.decode()
        assert purge.returncode == 0, err
        assert "purged 4000 message(s) in 1 room(s)" in out
        assert slowest < 5, f"a send waited {slowest:.2f} s behind the purge"
        assert await _scalar(url, select(Room.purged_seq).where(Room.id == quiet)) == 4000
        assert await server.history(alice, quiet) == []
        await ws.close()
        await server.close()

    with running_server(tmp_path / "serve", env=env) as process:
        asyncio.run(scenario(process.base_url))
    nothing = parley("purge", url=url, files_dir=files_dir)
    assert nothing.returncode == 0 and "purged 0 message(s)" in nothing.stdout
