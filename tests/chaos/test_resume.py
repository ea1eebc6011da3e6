"""Resuming on a process whose view of a room lags behind the database (DESIGN §4.4).

A process hears of the other processes' messages over the bus. A publisher killed between
its commit and its bus send (`test_a_gateway_killed_mid_stream` kills one mid-stream) has
already shown the message to its own clients, and the other processes learn of it only from
a gap fill or the catch-up sweep. A client that saw it there and resumes after it on another
process must not be sent it again.
"""

from __future__ import annotations

import contextlib

from websockets.exceptions import ConnectionClosed

from parley import flows
from parley.chat.api import MessageWriter, Send
from parley.core.database import Database, create_engine
from tests.chaos.conftest import Cluster
from tests.scaleout.conftest import SCALEOUT_REDIS_URL
from tests.support.services import test_settings
from tests.support.ws import Frame, Member, Server, WsClient


async def commit_unpublished(database_url: str, sender: Member, room: int, body: str) -> int:
    """Store a message the way a gateway does, then die before the bus sends it: committed
    (in the database, and in `ready`), but no process hears of it. Returns its seq."""
    flows.install()  # the write path's rules (blocks, attachments), as a server has them
    db = Database(create_engine(test_settings(database_url)))

    async def killed_before_publishing(frames: list[Frame]) -> None:
        return None

    writer = MessageWriter(db, killed_before_publishing)
    writer.start()
    try:
        ack = await writer.submit(Send(sender.id, room, f"lost-{room}", body))
    finally:
        await writer.stop()
        await db.dispose()
    return ack.seq


def room_seqs(ws: WsClient, room: int) -> list[int]:
    return [f["seq"] for f in ws.frames if f.get("type") == "message" and f["room_id"] == room]


async def read_for(ws: WsClient, seconds: float) -> None:
    with contextlib.suppress(TimeoutError, ConnectionClosed):
        while True:
            await ws.recv(seconds)


async def test_a_resume_after_a_seq_the_process_has_not_heard_of_repeats_nothing(
    cluster: Cluster, shared_postgres_url: str
) -> None:
    [process] = cluster.start(shared_postgres_url, "redis", SCALEOUT_REDIS_URL, None, ("all",))
    server = Server(process.base_url)
    try:
        alice, bob = await server.member(), await server.member()
        room = await server.room(alice, bob)
        watcher = await server.connect(alice)  # keeps the room open on the process
        await watcher.subscribe(room)
        lost = await commit_unpublished(shared_postgres_url, bob, room, "just before the crash")

        resumed = await server.connect(bob)  # bob saw `lost` on the dead process
        ready = resumed.frames[0]
        assert {"room_id": room, "last_seq": lost} in ready["rooms"]  # the database knows it
        subscribed, replayed = await resumed.subscribe(room, after_seq=lost)
        assert replayed == []

        await watcher.send_message(room, "after the crash", "after-1")
        ack = await watcher.expect("ack", client_msg_id="after-1")
        assert ack["seq"] == lost + 1
        # the watcher never saw `lost`: it gets it, then the next one (no gap)
        assert [m["seq"] for m in await watcher.messages(room, 2)] == [lost, lost + 1]
        await read_for(resumed, 1.5)  # past a catch-up sweep (1 s) too
        assert room_seqs(resumed, room) == [lost + 1]  # nothing at or before after_seq
        # and `subscribed` says so: live messages are the ones after its last_seq
        assert subscribed["last_seq"] == lost, subscribed
    finally:
        await server.close()
