"""The hub reads changes to messages back from the database like new messages: a gap
that holds a `message_update` (its event lost on the bus, or overtaken by a new message
that the writer publishes straight away) is filled from `message_updates`, never skipped."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from parley.core.runtime import Runtime
from parley.realtime.connection import Connection
from parley.realtime.hub import Hub
from parley.realtime.service import Realtime
from tests.realtime.test_hub import Recorder, settle
from tests.rooms.support import create_room, join
from tests.support.api import signup

API = "/api/v1"


async def test_a_gap_holding_changes_is_read_back_from_the_database(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob = await signup(client), await signup(client)
    room = (await create_room(client, alice))["id"]
    assert (await join(client, bob, room)).status_code == 200  # seq 1 (system)
    sent = await client.post(
        f"{API}/rooms/{room}/messages",
        json={"body": "hello", "client_msg_id": "g1"},
        headers=bob.headers,
    )
    message_id = sent.json()["id"]  # seq 2
    path = f"{API}/rooms/{room}/messages/{message_id}"
    assert (await client.patch(path, json={"body": "hello!"}, headers=bob.headers)).is_success
    react = await client.put(f"{path}/reactions/{quote('👍')}", headers=alice.headers)
    assert react.is_success  # seq 4
    last = await client.post(
        f"{API}/rooms/{room}/messages",
        json={"body": "after", "client_msg_id": "g2"},
        headers=bob.headers,
    )
    assert last.json()["seq"] == 5
    realtime = runtime.messaging
    assert isinstance(realtime, Realtime)

    events = await realtime._fetch_range(room, 0, 6)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]

    async def load_last_seq(room_id: int) -> int:
        return 0

    hub = Hub(load_last_seq, realtime._fetch_range, gap_delay=0.02)
    recorder = Recorder()
    conn = Connection(alice.id, "a", "s", None, recorder, buffer_limit=1 << 20)
    hub.add_connection(conn)
    start = await hub.begin_subscription(conn, room)
    hub.finish_subscription(conn, room, start)
    hub.dispatch(events[-1])  # only seq 5 reached this process: 1 to 4 come from the database
    for _ in range(20):
        await settle()
        if len(recorder.frames) == 5:
            break
    assert [(f["type"], f["seq"]) for f in recorder.frames] == [
        ("message", 1),
        ("message", 2),
        ("message_update", 3),
        ("message_update", 4),
        ("message", 5),
    ]
    edit, react_frame = recorder.frames[2], recorder.frames[3]
    assert edit["change"] == "edit" and edit["message"]["body"] == "hello!"
    assert react_frame["change"] == "react" and react_frame["by"] == alice.id
    assert react_frame["message"]["reactions"][0]["member_ids"] == [alice.id]
