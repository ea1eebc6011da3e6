"""The one event path, black-box on a real server: eviction travels with the removal's seq,
ended sessions close their sockets; and, driven directly, the hub and the relay."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed

from parley.core.database import Database, create_engine
from parley.core.events import Event, make_event
from parley.core.outbox import OutboxEvent
from parley.realtime.relay import OutboxRelay
from tests.realtime.test_hub import ROOM, message, settle, subscribed_hub
from tests.support.api import PASSWORD
from tests.support.services import test_settings
from tests.support.ws import Server, WsClient

TRIALS = 5


async def _drain(ws: WsClient, seconds: float) -> None:
    """Read whatever arrives for `seconds` (frames land in `ws.frames`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        while loop.time() < deadline:
            await ws.recv(max(0.01, deadline - loop.time()))


async def _drain_until(
    ws: WsClient, found: Callable[[dict[str, object]], bool], seconds: float
) -> None:
    """Read until a frame `found` accepts has arrived, or `seconds` have passed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        while not any(found(f) for f in ws.frames) and loop.time() < deadline:
            await ws.recv(max(0.01, deadline - loop.time()))


async def removal_leaks(server: Server, action: str) -> list[int]:
    """One trial: three members stream into a private room while the owner kicks (or bans)
    a fourth; returns the seqs the removed member's socket got after its removal."""
    owner, target = await server.member(), await server.member()
    senders = [await server.member() for _ in range(3)]
    room = await server.room(owner, target, *senders, private=True)
    watcher = await server.connect(target)
    await watcher.subscribe(room)
    sockets = [await server.connect(m) for m in senders]
    stop = asyncio.Event()

    async def stream(ws: WsClient) -> None:
        n = 0
        while not stop.is_set():
            await ws.send_message(room, f"m{n}")
            n += 1
            await asyncio.sleep(0.003)

    tasks = [asyncio.create_task(stream(ws)) for ws in sockets]
    await asyncio.sleep(0.15)
    if action == "kick":
        answer = await server.http.delete(
            f"/rooms/{room}/members/{target.id}", headers=owner.headers
        )
    else:
        answer = await server.http.post(
            f"/rooms/{room}/bans", json={"member_id": target.id}, headers=owner.headers
        )
    assert answer.status_code in (200, 201, 204), answer.text

    def told(frame: dict[str, object]) -> bool:
        meta = frame.get("meta")
        return (
            frame.get("type") == "message"
            and frame.get("kind") == "system"
            and isinstance(meta, dict)
            and meta.get("event") == action
        )

    # the removal reaches the member however loaded the machine is; then the senders go on
    # a little longer, so seqs after it exist for the hub to leak if it were wrong
    await _drain_until(watcher, told, 30.0)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*tasks)
    # read what the senders were sent (acks): a client that leaves frames unread stops
    # reading its socket and would then wait out its close timeout on the closing handshake
    await asyncio.gather(_drain(watcher, 0.5), *(_drain(ws, 0.5) for ws in sockets))
    for ws in (watcher, *sockets):
        await ws.close()
    seqs = [f for f in watcher.frames if f.get("type") == "message" and f["room_id"] == room]
    removal = [
        f["seq"]
        for f in seqs
        if f["kind"] == "system" and (f.get("meta") or {}).get("event") == action
    ]
    assert removal, "the removed member is told of the removal before it takes effect"
    return [f["seq"] for f in seqs if f["seq"] > removal[0]]


@pytest.mark.parametrize("action", ["kick", "ban"])
async def test_a_removed_member_receives_nothing_of_a_later_seq(
    server: Server, action: str
) -> None:
    leaks = [await removal_leaks(server, action) for _ in range(TRIALS)]
    assert leaks == [[]] * TRIALS


async def closed_with(ws: WsClient, seconds: float = 5.0) -> int | None:
    """The close code once the server closes the socket within `seconds`, else None."""
    await _drain(ws, seconds)
    return ws.conn.close_code if ws.conn.close_code is not None else None


async def still_open(ws: WsClient) -> bool:
    await ws.send({"type": "ping", "id": "alive"})
    try:
        await ws.expect("pong", timeout=5, id="alive")
    except (TimeoutError, ConnectionClosed):
        return False
    return True


async def test_logout_closes_that_sessions_sockets_only(server: Server) -> None:
    first = await server.member()
    second = await server.login_again(first)
    ws_first, ws_second = await server.connect(first), await server.connect(second)
    await server.http.post("/auth/logout", json={"refresh_token": first.refresh_token})
    # at once: closed by the logout (session_ended says so), not when the access token runs
    # out; the wait is generous for a loaded machine, not a measure of speed
    assert await closed_with(ws_first, 30) == 4001
    ended = [f for f in ws_first.frames if f.get("type") == "session_ended"]
    assert ended and ended[0]["reason"] == "logout"
    assert await still_open(ws_second)


async def test_a_password_change_closes_the_other_sessions(server: Server) -> None:
    first = await server.member()
    second = await server.login_again(first)
    ws_first, ws_second = await server.connect(first), await server.connect(second)
    changed = await server.http.post(
        "/me/password",
        json={"current_password": PASSWORD, "new_password": "another long secret"},
        headers=second.headers,
    )
    assert changed.status_code == 204, changed.text
    assert await closed_with(ws_first) == 4001
    assert await still_open(ws_second)


async def test_refresh_token_reuse_closes_the_session(server: Server) -> None:
    member = await server.member()
    ws = await server.connect(member)
    rotated = await server.http.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert rotated.status_code == 200
    reused = await server.http.post("/auth/refresh", json={"refresh_token": member.refresh_token})
    assert reused.status_code == 401
    assert await closed_with(ws) == 4001


async def test_withdrawal_closes_every_socket(server: Server) -> None:
    member = await server.member()
    other = await server.login_again(member)
    sockets = [await server.connect(member), await server.connect(other)]
    gone = await server.http.request(
        "DELETE", "/me", json={"password": PASSWORD}, headers=member.headers
    )
    assert gone.status_code == 204, gone.text
    assert [await closed_with(ws) for ws in sockets] == [4001, 4001]


async def test_a_failed_gap_read_is_retried_never_skipped() -> None:
    stored = {seq: message(seq) for seq in range(1, 10)}
    hub, recorder = await subscribed_hub(stored)
    failures = {"left": 2}
    fetch = hub._fetch_range

    async def flaky(room_id: int, after: int, before: int) -> list[Event]:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database unavailable")
        return await fetch(room_id, after, before)

    hub._fetch_range = flaky
    hub.dispatch(message(1))
    hub.dispatch(message(4))  # 2 and 3 lost on the bus, and the first reads of them fail
    for _ in range(40):
        await settle()
        if recorder.seqs() == [1, 2, 3, 4]:
            break
    assert recorder.seqs() == [1, 2, 3, 4]
    assert failures["left"] == 0


async def test_a_kick_on_the_timeline_evicts_before_the_next_seq() -> None:
    hub, recorder = await subscribed_hub({})
    kick = message(2, kind="system", meta={"event": "kick", "member_id": 1})
    for event in (message(1), message(3), kick, message(4)):  # 3 arrives before the kick
        hub.dispatch(event)
    await settle()
    assert recorder.seqs() == [1, 2]
    assert ROOM not in hub.channels


async def test_the_relay_holds_no_database_lock_while_it_publishes(tmp_path: Path) -> None:
    """While a publish is stuck on the bus, another writer commits at once (SQLite's single
    write lock would otherwise be held for the whole bus round trip)."""
    settings = test_settings(f"sqlite+aiosqlite:///{tmp_path}/relay.db")
    from parley.core.migrate import upgrade_database

    engine = create_engine(settings)
    await upgrade_database(engine)
    db = Database(engine)
    entered, release = asyncio.Event(), asyncio.Event()
    published: list[Event] = []

    async def slow_bus(events: list[Event]) -> None:
        entered.set()
        await release.wait()
        published.extend(events)

    relay = OutboxRelay(db, slow_bus)
    event = make_event({"type": "room", "event": "update", "room": {"id": 1}}, room_id=1)
    async with db.transaction() as session:
        session.add(OutboxEvent(room_id=1, payload=event.to_wire().decode()))
    publishing = asyncio.create_task(relay.relay_once())
    await asyncio.wait_for(entered.wait(), 5)

    async def write() -> None:
        async with db.transaction() as session:
            session.add(OutboxEvent(room_id=2, payload=event.to_wire().decode()))

    await asyncio.wait_for(write(), 3)
    release.set()
    assert await publishing == 1
    assert [e.payload for e in published] == [event.payload]
    await db.dispose()
