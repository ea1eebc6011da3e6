"""The reference relay for `parley bench --reference`: a bare `websockets` broadcast server.

It speaks just enough of Parley's protocol for the bench client (`ready`, `subscribe` ->
`subscribed`, `send` -> `ack` plus a `message` to everyone in the room, the sender included)
and does nothing else: no authentication, no persistence, no checks, no rate limits. It is the
floor a Python WebSocket server can reach on this machine, measured in the same invocation as
Parley so that the ratio, not the absolute figure, is what a noisy machine cannot fake.

Run as its own process (`python -m parley.bench.reference --port N`) so the bench samples its
CPU and memory by pid exactly as it does Parley's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections import defaultdict
from typing import Any

import orjson
from websockets.asyncio.server import ServerConnection, broadcast, serve

READY = orjson.dumps({"type": "ready", "member": {"id": 0, "nickname": "ref"}, "rooms": []})


class Relay:
    """Rooms as sets of connections and one seq counter per room; all in memory."""

    def __init__(self) -> None:
        self.rooms: defaultdict[int, set[ServerConnection]] = defaultdict(set)
        self.seqs: defaultdict[int, int] = defaultdict(int)
        self.next_id = 0

    async def handle(self, ws: ServerConnection) -> None:
        joined: set[int] = set()
        await ws.send(READY.decode())
        try:
            async for raw in ws:
                frame: dict[str, Any] = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "send":
                    self._send(ws, frame)
                elif kind == "subscribe":
                    room_id = int(frame["room_id"])
                    self.rooms[room_id].add(ws)
                    joined.add(room_id)
                    reply = {"type": "subscribed", "room_id": room_id, "last_seq": 0, "read_seq": 0}
                    await ws.send(orjson.dumps(reply).decode())
        finally:
            for room_id in joined:
                self.rooms[room_id].discard(ws)

    def _send(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        room_id = int(frame["room_id"])
        self.seqs[room_id] += 1
        self.next_id += 1
        seq, msg_id = self.seqs[room_id], self.next_id
        cmid = frame.get("client_msg_id")
        ack = {"type": "ack", "client_msg_id": cmid, "room_id": room_id, "seq": seq, "id": msg_id}
        message = {
            "type": "message",
            "room_id": room_id,
            "seq": seq,
            "id": msg_id,
            "sender": {"id": 0, "nickname": "ref"},
            "kind": "text",
            "body": frame.get("body", ""),
            "created_at": time.time(),
            "html": "",
            "edited_at": None,
            "client_msg_id": cmid,
        }
        broadcast([ws], orjson.dumps(ack).decode())
        broadcast(self.rooms[room_id], orjson.dumps(message).decode())


async def serve_relay(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    relay = Relay()
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(relay.handle, host, port, compression=None, ping_interval=None, max_size=None):
        await stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from parley.bench.sampler import raise_nofile_limit

    raise_nofile_limit()
    run: Any = asyncio.run
    with contextlib.suppress(ImportError):  # the same event loop Parley's server uses
        import uvloop

        run = uvloop.run
    run(serve_relay(args.host, args.port))


if __name__ == "__main__":
    main()
