"""Against a real server: the send path keeps a member's restrictions for a minute
(`parley/realtime/moderation.py`), so every change of the answer must forget them: a role
change, a leave and rejoin, and a mute's end, which forgets nothing and needs no reload."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.support.ws import Member, Server, send_outcome


async def _slow_room(live: Server, owner: Member, *members: Member) -> int:
    room = await live.room(owner, *members)
    slowed = await live.http.patch(
        f"/rooms/{room}", json={"slow_mode_seconds": 60}, headers=owner.headers
    )
    assert slowed.status_code == 200, slowed.text
    return room


async def _set_role(live: Server, owner: Member, room: int, member: Member, role: str) -> None:
    changed = await live.http.patch(
        f"/rooms/{room}/members/{member.id}", json={"role": role}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == role


async def test_a_member_promoted_to_admin_is_not_slowed_right_after(live: Server) -> None:
    owner, member = await live.member(), await live.member()
    room = await _slow_room(live, owner, member)
    ws = await live.connect(member)
    await ws.subscribe(room)
    # slowed as a plain member: the answer ("not a moderator") is cached, the gate closed
    assert await send_outcome(ws, room, "p1") == "ack"
    assert await send_outcome(ws, room, "p2") == "slow_mode"
    await _set_role(live, owner, room, member, "admin")
    assert [await send_outcome(ws, room, ref) for ref in ("p3", "p4")] == ["ack", "ack"]
    await ws.close()


async def test_an_admin_demoted_to_member_is_slowed_right_after(live: Server) -> None:
    owner, member = await live.member(), await live.member()
    room = await _slow_room(live, owner, member)
    await _set_role(live, owner, room, member, "admin")
    ws = await live.connect(member)
    await ws.subscribe(room)
    # not slowed as an admin: the answer ("a moderator") is cached
    assert [await send_outcome(ws, room, ref) for ref in ("d1", "d2")] == ["ack", "ack"]
    await _set_role(live, owner, room, member, "member")
    assert [await send_outcome(ws, room, ref) for ref in ("d3", "d4")] == ["ack", "slow_mode"]
    await ws.close()


async def test_an_admin_who_leaves_and_rejoins_is_a_slowed_member(live: Server) -> None:
    owner, member = await live.member(), await live.member()
    room = await _slow_room(live, owner, member)
    await _set_role(live, owner, room, member, "admin")
    witness = await live.connect(owner)
    await witness.subscribe(room)
    ws = await live.connect(member)
    await ws.subscribe(room)
    assert [await send_outcome(ws, room, ref) for ref in ("r1", "r2")] == ["ack", "ack"]
    left = await live.http.post(f"/rooms/{room}/leave", headers=member.headers)
    assert left.status_code in (200, 204), left.text
    joined = await live.http.post(f"/rooms/{room}/join", headers=member.headers)
    assert joined.status_code in (200, 201), joined.text
    # the leave's event went through the bus sink (which forgets first) before the join's
    frame = await witness.expect("member", room_id=room, event="join")
    assert frame["member"] == {"id": member.id, "nickname": member.nickname, "role": "member"}
    await ws.subscribe(room)
    assert [await send_outcome(ws, room, ref) for ref in ("r3", "r4")] == ["ack", "slow_mode"]
    await witness.close()
    await ws.close()


async def test_a_short_mute_ends_by_itself_with_the_refusal_cached(live: Server) -> None:
    owner, member = await live.member(), await live.member()
    room = await live.room(owner, member)
    ws = await live.connect(member)
    await ws.subscribe(room)
    muted = await live.http.post(
        f"/rooms/{room}/mutes", json={"member_id": member.id, "seconds": 2}, headers=owner.headers
    )
    assert muted.status_code == 201, muted.text
    until = datetime.fromisoformat(muted.json()["until"].replace("Z", "+00:00"))
    await ws.expect("mute", room_id=room)
    assert await send_outcome(ws, room, "m1") == "muted"  # the answer, with its end, is cached
    await asyncio.sleep(max((until - datetime.now(UTC)).total_seconds(), 0) + 0.3)
    # nothing changed since, and no event came: the mute's end alone lets the send through
    assert await send_outcome(ws, room, "m2") == "ack"
    await ws.close()
