"""Room events exist exactly when the change commits; withdrawing leaves every room."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from parley.accounts import service as accounts
from parley.accounts.service import Principal
from parley.chat.models import Message
from parley.core.outbox import OutboxEvent
from parley.core.runtime import Runtime
from parley.rooms import service as rooms
from parley.rooms.api import allocate_seqs
from parley.rooms.guard import find_membership, load_room
from parley.rooms.membership import join, remove_member
from parley.rooms.schemas import RoomCreate
from tests.rooms.conftest import CommittedFrames
from tests.rooms.support import API, add_member, create_room, member_frames, messages, room_row
from tests.support.api import PASSWORD, assert_problem, signup


async def _member(runtime: Runtime, login_id: str) -> Principal:
    async with runtime.db.sessions() as session:
        member = await accounts.signup(session, runtime, login_id, login_id, PASSWORD)
    return Principal(member=member, session_id="test")


async def _state(runtime: Runtime, room_id: int, member_id: int) -> tuple[int, int, bool]:
    """(outbox rows of the room, messages of the room, whether the member is in it)."""
    async with runtime.db.sessions() as session:
        events = await session.scalar(select(func.count()).where(OutboxEvent.room_id == room_id))
        count = await session.scalar(select(func.count()).where(Message.room_id == room_id))
        member = await find_membership(session, room_id, member_id)
        return int(events or 0), int(count or 0), member is not None


async def test_a_rolled_back_change_leaves_no_event_and_a_committed_one_does(
    runtime: Runtime,
) -> None:
    """No app here, so no relay drains the outbox while we look at it."""
    owner, bob = await _member(runtime, "owner"), await _member(runtime, "bob")
    async with runtime.db.sessions() as session:
        room = await rooms.create_room(session, owner, RoomCreate(name="Outbox"))
    async with runtime.db.sessions() as session:
        await join(session, room.id, bob)
    before = await _state(runtime, room.id, bob.id)
    assert before[2] and before[0] == 2  # the join's message frame and member frame

    for commit in (False, True):
        async with runtime.db.sessions() as session:
            locked = await load_room(session, room.id, lock=True)
            membership = await find_membership(session, room.id, bob.id, lock=True)
            assert membership is not None
            await remove_member(session, locked, membership, "kick", "bob was removed")
            if commit:
                await session.commit()
            else:
                await session.rollback()
        after = await _state(runtime, room.id, bob.id)
        if commit:
            assert after == (before[0] + 2, before[1] + 1, False)
        else:
            assert after == before


async def test_a_failed_request_publishes_nothing(
    client: httpx.AsyncClient, frames: CommittedFrames
) -> None:
    owner = await signup(client)
    first = await create_room(client, owner, name="First")
    second = await create_room(client, owner, name="Second")
    # the rename is applied in the session, then the unique index refuses it: rolled back
    clash = await client.patch(
        f"{API}/rooms/{second['id']}", json={"name": "FIRST", "topic": "x"}, headers=owner.headers
    )
    assert_problem(clash, 409, "room_name_taken")
    assert frames.of(second["id"]) == [] and frames.of(first["id"]) == []
    renamed = await client.patch(
        f"{API}/rooms/{second['id']}", json={"name": "Third"}, headers=owner.headers
    )
    assert renamed.status_code == 200
    assert [(f["type"], f["event"], f["room"]["name"]) for f in frames.of(second["id"])] == [
        ("room", "update", "Third")
    ]


async def test_withdrawing_owner_passes_ownership_and_keeps_messages(
    client: httpx.AsyncClient, runtime: Runtime, frames: CommittedFrames
) -> None:
    owner, heir = await signup(client), await signup(client)
    shared = await create_room(client, owner, name="Shared")
    alone = await create_room(client, owner, name="Alone")
    await add_member(client, owner, shared["id"], heir)
    async with runtime.db.transaction() as session:
        seq = await allocate_seqs(session, shared["id"])
        session.add(Message(room_id=shared["id"], seq=seq, sender_id=owner.id, body="hello"))

    gone = await client.request(
        "DELETE", f"{API}/me", headers=owner.headers, json={"password": owner.password}
    )
    assert gone.status_code == 204

    detail = (await client.get(f"{API}/rooms/{shared['id']}", headers=heir.headers)).json()
    assert detail["role"] == "owner" and detail["member_count"] == 1
    rows = await messages(runtime, shared["id"])
    said = [m for m in rows if m.kind == "text"]
    assert len(said) == 1 and said[0].body == "hello" and said[0].sender_id is None
    assert [m.body for m in rows if m.kind == "system"][-2:] == [
        f"{owner.nickname} left",
        f"{heir.nickname} is now the owner",
    ]
    assert [m.seq for m in rows] == list(range(1, len(rows) + 1))
    assert member_frames(frames.of(shared["id"]))[-2:] == [
        ("leave", owner.id, None),
        ("owner", heir.id, "owner"),
    ]
    assert await room_row(runtime, alone["id"]) is None
    assert frames.of(alone["id"])[-1]["event"] == "delete"
