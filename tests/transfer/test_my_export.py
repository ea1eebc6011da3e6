"""`GET /me/export`: a member's own data as a zip, streamed in bounded memory; nothing of
anyone else's (their whispers) and no secret (password hash, tokens)."""

from __future__ import annotations

import asyncio
import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import orjson
from sqlalchemy import insert, update

from parley.chat.models import Message
from parley.core.runtime import Runtime
from parley.files.service import start_files, stop_files
from parley.flows.export import member_export
from parley.rooms.models import Room
from tests.rooms.support import API, create_room
from tests.support.services import create_backend_database
from tests.transfer.support import fill, instance, png, settings_for


def _lines(archive: zipfile.ZipFile, name: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in archive.read(name).splitlines()]


def test_my_export_holds_my_data_and_nothing_else(tmp_path: Path) -> None:
    url = create_backend_database("sqlite", tmp_path, "xfer_mine")

    async def run() -> None:
        async with instance(settings_for(url, tmp_path / "files")) as (http, runtime):
            filled = await fill(http, runtime)
            alice, bob = filled.accounts["alice"], filled.accounts["bob"]
            answer = await http.get(f"{API}/me/export", headers=bob.headers)
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"] == "application/zip"
            assert answer.headers["content-disposition"].startswith("attachment;")
            raw = answer.content
            for secret in (bob.access_token, bob.refresh_token, "argon2", "password"):
                assert secret.encode() not in raw
            archive = zipfile.ZipFile(io.BytesIO(raw))
            assert archive.testzip() is None
            profile = orjson.loads(archive.read("profile.json"))
            assert profile["login_id"] == "bob" and profile["id"] == bob.id
            assert filled.accounts["carol"].id in profile["friends"]
            rooms = {room["room_id"]: room for room in orjson.loads(archive.read("rooms.json"))}
            assert set(rooms) == {filled.rooms["hall"], filled.rooms["dm"]}
            assert rooms[filled.rooms["dm"]]["peer"]["id"] == alice.id
            sent = _lines(archive, "messages_sent.jsonl")
            assert sent and {m["sender_id"] for m in sent} == {bob.id}
            everything = b"".join(archive.read(name) for name in archive.namelist())
            assert b"psst carol" not in everything  # alice's whisper to carol
            direct = _lines(archive, f"direct/{filled.rooms['dm']}.jsonl")
            assert [m["body"] for m in direct] == ["just us"]  # alice's, in bob's DM
            uploads = orjson.loads(archive.read("uploads.json"))
            assert [u["id"] for u in uploads] == [filled.file_id]
            assert archive.read(uploads[0]["path"]) == png()
            # alice's whisper is hers to take
            mine = zipfile.ZipFile(
                io.BytesIO((await http.get(f"{API}/me/export", headers=alice.headers)).content)
            )
            assert "psst carol" in [m["body"] for m in _lines(mine, "messages_sent.jsonl")]
            assert (await http.get(f"{API}/me/export")).status_code == 401

    asyncio.run(run())


def test_my_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    """24 MB of message bodies and a 6 MiB file go out while at most a few MB are held."""
    url = create_backend_database("sqlite", tmp_path, "xfer_big")

    async def run() -> None:
        settings = settings_for(url, tmp_path / "files")
        async with instance(settings) as (http, runtime):
            from tests.support.api import signup

            alice = await signup(http, "alice")
            room = (await create_room(http, alice, name="Big"))["id"]
            big = os.urandom(3 * 1024 * 1024).hex().encode()  # 6 MiB of text
            uploaded = await http.post(
                f"{API}/files",
                files={"file": ("big.txt", big, "text/plain")},
                headers=alice.headers,
            )
            assert uploaded.status_code == 201, uploaded.text
            count = 12_000
            async with runtime.db.transaction() as session:
                for start in range(0, count, 2000):
                    await session.execute(
                        insert(Message),
                        [
                            {
                                "room_id": room,
                                "seq": seq,
                                "sender_id": alice.id,
                                "kind": "text",
                                "body": os.urandom(1000).hex(),
                            }
                            for seq in range(start + 1, start + 2001)
                        ],
                    )
                await session.execute(update(Room).where(Room.id == room).values(last_seq=count))
        # measured on a runtime of its own: no indexer digesting the new messages meanwhile
        runtime = Runtime.build(settings)
        await start_files(runtime)
        try:
            tracemalloc.start()
            try:
                total = 0
                async for chunk in await member_export(runtime, alice.id):
                    total += len(chunk)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        finally:
            await stop_files(runtime)
            await runtime.close()
        assert total > 12_000_000 + len(big)  # hex bodies deflate to about half
        print(f"peak {peak:,} bytes to stream {total:,}")
        assert peak < 8_000_000, f"{peak:,} bytes held to stream {total:,}"

    asyncio.run(run())
