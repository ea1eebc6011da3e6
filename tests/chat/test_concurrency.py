"""Concurrent changes to one message on every database: each takes the room's lock with
its seq, so an edit racing a delete either lands before it or is refused after it."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import httpx
from sqlalchemy import select

from parley.chat.models import Message, MessageEdit, MessageReaction, MessageUpdate
from parley.core.runtime import Runtime
from tests.rooms.support import create_room, join
from tests.support.api import signup

API = "/api/v1"


async def test_edit_delete_and_reactions_racing_stay_consistent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob = await signup(client), await signup(client)
    room = (await create_room(client, alice))["id"]
    assert (await join(client, bob, room)).status_code == 200
    for trial in range(4):
        sent = await client.post(
            f"{API}/rooms/{room}/messages",
            json={"body": f"trial {trial}", "client_msg_id": f"t{trial}"},
            headers=bob.headers,
        )
        message_id = sent.json()["id"]
        path = f"{API}/rooms/{room}/messages/{message_id}"
        answers = await asyncio.gather(
            client.patch(path, json={"body": f"a {trial}"}, headers=bob.headers),
            client.put(f"{path}/reactions/{quote('👍')}", headers=alice.headers),
            client.delete(path, headers=alice.headers),
            client.patch(path, json={"body": f"b {trial}"}, headers=bob.headers),
            client.put(f"{path}/reactions/{quote('👍')}", headers=bob.headers),
        )
        for answer in answers:
            assert answer.status_code in (200, 204, 409), answer.text
            if answer.status_code == 409:
                assert answer.json()["code"] == "message_deleted"
        async with runtime.db.read_sessions() as session:
            message = await session.get(Message, message_id)
            assert message is not None
            assert (message.deleted_by, message.body, message.html) == ("moderator", "", "")
            leftovers = [
                await session.scalar(select(table).where(table.message_id == message_id))
                for table in (MessageEdit, MessageReaction)
            ]
            assert leftovers == [None, None]
            changes = list(
                await session.scalars(
                    select(MessageUpdate)
                    .where(MessageUpdate.message_id == message_id)
                    .order_by(MessageUpdate.seq)
                )
            )
        applied = sum(1 for a in answers if a.status_code in (200, 204))
        assert len(changes) == applied and changes[-1].change == "delete"
        seqs = [c.seq for c in changes]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        assert seqs[0] == sent.json()["seq"] + 1
