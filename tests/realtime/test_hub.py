"""The hub's ordering rules, driven directly: out-of-order, duplicated and missing events."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from parley.realtime.connection import Connection
from parley.realtime.events import RoomEvent, event_from_frame
from parley.realtime.hub import Hub

ROOM = 7


def message(seq: int, **extra: Any) -> RoomEvent:
    frame = {"type": "message", "room_id": ROOM, "seq": seq, "kind": "text", "body": f"m{seq}"}
    return event_from_frame(ROOM, {**frame, **extra})


class Recorder:
    """An ASGI `send` that keeps what a connection was sent (the connection's fallback path)."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.frames.append(orjson.loads(message["text"]))

    def seqs(self) -> list[int]:
        return [f["seq"] for f in self.frames if f.get("type") == "message"]


async def subscribed_hub(
    stored: dict[int, RoomEvent],
    last_seq: int = 0,
    member_id: int = 1,
    reads_fail: asyncio.Event | None = None,
) -> tuple[Hub, Recorder]:
    async def load_last_seq(room_id: int) -> int:
        return last_seq

    async def fetch_range(room_id: int, after: int, before: int) -> list[RoomEvent]:
        if reads_fail is not None and reads_fail.is_set():
            raise ConnectionError("database unavailable")
        return [stored[s] for s in range(after + 1, before) if s in stored]

    hub = Hub(load_last_seq, fetch_range, gap_delay=0.02)
    recorder = Recorder()
    conn = Connection(member_id, "m", "s", None, recorder, buffer_limit=1 << 20)
    hub.add_connection(conn)
    start = await hub.begin_subscription(conn, ROOM)
    hub.finish_subscription(conn, ROOM, start)
    return hub, recorder


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0.03)


async def test_duplicates_are_dropped_and_early_events_wait_for_their_turn() -> None:
    hub, recorder = await subscribed_hub({})
    for seq in (1, 3, 2, 2, 1, 4, 3, 5):  # a bus that reorders and retries
        hub.dispatch(message(seq))
    await settle()
    assert recorder.seqs() == [1, 2, 3, 4, 5]


async def test_a_gap_that_does_not_fill_itself_is_read_back() -> None:
    stored = {seq: message(seq) for seq in range(1, 10)}
    hub, recorder = await subscribed_hub(stored)
    hub.dispatch(message(1))
    hub.dispatch(message(4))  # 2 and 3 were lost on the bus
    hub.dispatch(message(5))
    await settle()
    assert recorder.seqs() == [1, 2, 3, 4, 5]
    hub.dispatch(message(3))  # the lost one turns up late: not shown twice
    hub.dispatch(message(6))
    await settle()
    assert recorder.seqs() == [1, 2, 3, 4, 5, 6]


async def test_whispers_reach_only_their_audience_but_keep_the_order() -> None:
    hub, recorder = await subscribed_hub({}, member_id=3)
    hub.dispatch(message(1))
    hub.dispatch(message(2, kind="whisper", sender={"id": 1}, to=2))
    hub.dispatch(message(3))
    await settle()
    assert recorder.seqs() == [1, 3]


async def test_events_older_than_the_subscription_are_not_replayed_live() -> None:
    hub, recorder = await subscribed_hub({}, last_seq=10)
    hub.dispatch(message(9))
    hub.dispatch(message(10))
    hub.dispatch(message(11))
    await settle()
    assert recorder.seqs() == [11]


async def test_an_eviction_ends_the_subscription_after_telling_the_member() -> None:
    hub, recorder = await subscribed_hub({})
    kick = {"type": "member", "room_id": ROOM, "event": "kick", "member": {"id": 1, "role": None}}
    hub.dispatch(event_from_frame(ROOM, kick))
    hub.dispatch(message(1))
    await settle()
    assert [f["type"] for f in recorder.frames] == ["member"]
    assert ROOM not in hub.channels


async def test_a_subscription_follows_what_was_committed_even_if_the_channel_lags() -> None:
    """The channel heard 1-3; 4 is committed but its publisher died before the bus had it.
    A client that saw 4 elsewhere resumes after 4: it must not get 4 again, live."""
    stored = {seq: message(seq) for seq in range(1, 5)}
    hub, watcher = await subscribed_hub(stored)
    for seq in (1, 2, 3):
        hub.dispatch(message(seq))
    resumed = Recorder()
    conn = Connection(2, "r", "s", None, resumed, buffer_limit=1 << 20)
    hub.add_connection(conn)
    live_from = await hub.begin_subscription(conn, ROOM)
    assert live_from == 4
    hub.finish_subscription(conn, ROOM, live_from)
    hub.dispatch(message(4))  # the catch-up sweep finds it later
    hub.dispatch(message(5))
    await settle()
    assert resumed.seqs() == [5]
    assert watcher.seqs() == [1, 2, 3, 4, 5]  # the live subscriber got 4 once, in order


async def test_a_subscription_whose_catch_up_read_fails_leaves_nothing_behind() -> None:
    reads_fail = asyncio.Event()
    hub, _ = await subscribed_hub({}, reads_fail=reads_fail)
    reads_fail.set()
    conn = Connection(2, "r", "s", None, Recorder(), buffer_limit=1 << 20)
    hub.add_connection(conn)
    with pytest.raises(ConnectionError):
        await hub.begin_subscription(conn, ROOM)
    assert not hub.is_subscribed(conn, ROOM)
    assert conn not in hub.channels[ROOM].syncing  # nothing buffers for it any more
