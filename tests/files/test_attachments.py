"""Files on messages, on every database: who may attach, who may see, and what is collected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from parley.core.runtime import Runtime
from parley.files.service import files_of
from tests.files.conftest import png
from tests.files.support import API, counts, send, stored_files, uploaded
from tests.rooms.support import create_room, join
from tests.social.support import open_dm
from tests.support.api import Account, assert_problem, signup


async def _history(client: httpx.AsyncClient, account: Account, room_id: int) -> httpx.Response:
    return await client.get(f"{API}/rooms/{room_id}/messages", headers=account.headers)


async def _can_download(client: httpx.AsyncClient, account: Account | None, file_id: int) -> bool:
    """The file and its thumbnail answer alike (200, 404, or 401 when anonymous); a file that
    is not an image answers 404 `no_thumbnail` for the thumbnail, but only when visible."""
    headers = account.headers if account else {}
    file = await client.get(f"{API}/files/{file_id}", headers=headers)
    thumb = await client.get(f"{API}/files/{file_id}/thumbnail", headers=headers)
    if account is None:
        assert (file.status_code, thumb.status_code) == (401, 401)
        return False
    if file.status_code == 404:
        assert file.json()["code"] == thumb.json()["code"] == "file_not_found"
        return False
    assert file.status_code == 200, file.text
    assert thumb.status_code == 200 or thumb.json()["code"] == "no_thumbnail"
    return True


async def test_attachments_travel_with_the_message(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    room = await create_room(client, alice)
    await join(client, bob, room["id"])
    first = await uploaded(client, alice, png(), filename="a.png")
    second = await uploaded(client, alice, b"notes\n", filename="n.txt")
    # private until sent: bob cannot fetch alice's fresh upload
    assert not await _can_download(client, bob, first)
    sent = await send(client, alice, room["id"], "look", attachments=[second, first, second])
    assert sent.status_code == 201, sent.text
    items = (await _history(client, bob, room["id"])).json()["items"]
    carried: list[dict[str, Any]] = items[-1]["attachments"]
    assert [a["id"] for a in carried] == [second, first]  # order kept, repeats dropped
    assert carried[1]["content_type"] == "image/png" and carried[1]["has_thumbnail"] is True
    assert set(carried[0]) == {"id", "name", "content_type", "size", "sha256", "has_thumbnail"}
    assert "attachments" not in items[0]  # the join message has none
    assert await _can_download(client, bob, first)
    assert not await _can_download(client, None, first)


async def test_only_ones_own_files_and_at_most_ten(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob = await signup(client), await signup(client)
    room = await create_room(client, alice)
    await join(client, bob, room["id"])
    hers = await uploaded(client, alice, b"alice's\n")
    for attachments, status, code in (
        ([hers], 422, "invalid_attachment"),
        ([10**12], 422, "invalid_attachment"),
        (list(range(1, 12)), 422, "too_many_attachments"),
        ([0], 422, "invalid_field"),
        (["x"], 422, "validation_failed"),
        ({"a": 1}, 422, "validation_failed"),
    ):
        response = await send(client, bob, room["id"], "mine now", attachments=attachments)
        assert_problem(response, status, code)
    items = (await _history(client, alice, room["id"])).json()["items"]
    assert not [m for m in items if m["body"] == "mine now"]
    ten = [await uploaded(client, bob, f"file {i}\n".encode()) for i in range(10)]
    assert (await send(client, bob, room["id"], "ten", attachments=ten)).status_code == 201


@pytest.mark.parametrize("where", ["whisper", "dm"])
async def test_private_attachments_stay_private(client: httpx.AsyncClient, where: str) -> None:
    alice, bob, carol = await signup(client), await signup(client), await signup(client)
    outsider = await signup(client)
    if where == "whisper":
        room_id = (await create_room(client, alice))["id"]
        for member in (bob, carol):
            await join(client, member, room_id)
        extra: dict[str, Any] = {"to": bob.id}
    else:
        room_id = (await open_dm(client, alice, bob)).json()["id"]
        extra = {}
    file_id = await uploaded(client, alice, png(64, 64), filename="secret.png")
    sent = await send(client, alice, room_id, "for bob only", attachments=[file_id], **extra)
    assert sent.status_code == 201, sent.text
    for account in (alice, bob):
        assert await _can_download(client, account, file_id)
        items = (await _history(client, account, room_id)).json()["items"]
        assert items[-1]["attachments"][0]["id"] == file_id
    assert not await _can_download(client, outsider, file_id)
    assert not await _can_download(client, None, file_id)
    assert_problem(await _history(client, outsider, room_id), 404 if where == "dm" else 403)
    if where == "whisper":
        assert not await _can_download(client, carol, file_id)
        items = (await _history(client, carol, room_id)).json()["items"]
        assert all(m["body"] != "for bob only" for m in items)
    else:
        assert_problem(await _history(client, carol, room_id), 404, "room_not_found")


async def test_leaving_the_room_ends_access(client: httpx.AsyncClient) -> None:
    alice, bob = await signup(client), await signup(client)
    room = await create_room(client, alice)
    await join(client, bob, room["id"])
    file_id = await uploaded(client, alice, b"minutes\n")
    await send(client, alice, room["id"], "minutes", attachments=[file_id])
    assert await _can_download(client, bob, file_id)
    assert (
        await client.post(f"{API}/rooms/{room['id']}/leave", headers=bob.headers)
    ).status_code == 204
    assert not await _can_download(client, bob, file_id)


async def test_orphans_are_collected_and_attached_files_kept(
    client: httpx.AsyncClient, runtime: Runtime, files_env: Path
) -> None:
    alice = await signup(client)
    room = await create_room(client, alice)
    kept = await uploaded(client, alice, png(50, 50, (9, 9, 9)))
    orphan = await uploaded(client, alice, png(60, 60, (8, 8, 8)))
    shared = png(70, 70, (7, 7, 7))
    shared_kept = await uploaded(client, alice, shared)
    await uploaded(client, alice, shared)  # an orphan whose bytes are still used
    await send(client, alice, room["id"], "keep", attachments=[kept, shared_kept])
    service = files_of(runtime)
    assert await service.collect_garbage() == (0, 0)  # nothing is 24 hours old yet
    assert await service.collect_garbage(timedelta(0)) == (2, 1)
    assert await counts(runtime) == (2, 2)
    assert len(stored_files(files_env)) == 4  # two blobs, two thumbnails
    assert not await _can_download(client, alice, orphan)
    assert await _can_download(client, alice, kept)
    # the room goes, its messages with it: the files become orphans and go too
    assert (
        await client.delete(f"{API}/rooms/{room['id']}", headers=alice.headers)
    ).status_code == 204
    assert await service.collect_garbage(timedelta(0)) == (2, 2)
    assert await counts(runtime) == (0, 0)
    assert stored_files(files_env) == []
