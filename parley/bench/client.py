"""One bench WebSocket client: connect, subscribe, then read frames as cheaply as possible.

Receivers never decode JSON for the hot path: a `message` of the bench carries its intended
send time right after the `bench:` mark, so a substring search and an `int()` measure it.
Only the sender of a room decodes frames (it needs `client_msg_id` from acks and echoes).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from parley.bench.histogram import LatencyHistogram
from parley.bench.plan import ClientSpec, WorkerResult, intended_ns_of

HANDSHAKE_TIMEOUT_S = 60.0
FrameHook = Callable[[dict[str, Any]], None]


class BenchClient:
    """A subscribed connection whose reader records deliveries into shared counters."""

    def __init__(self, spec: ClientSpec, result: WorkerResult, latency: LatencyHistogram):
        self.spec = spec
        self.result = result
        self.latency = latency
        self.ws: ClientConnection | None = None
        self.on_frame: FrameHook | None = None  # set on senders: sees every decoded frame
        self.closing = False
        self._reader: asyncio.Task[None] | None = None

    async def open(self, url: str, source: str | None, compression: bool) -> bool:
        """Handshake, `ready`, `subscribe`, `subscribed`; False (and counted) on failure."""
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                self.ws = await connect(
                    url,
                    additional_headers={"Authorization": f"Bearer {self.spec.token}"},
                    compression="deflate" if compression else None,
                    proxy=None,
                    ping_interval=None,
                    open_timeout=None,
                    max_size=None,
                    local_addr=(source, 0) if source else None,
                )
                await self._expect("ready")
                await self.ws.send(
                    orjson.dumps({"type": "subscribe", "room_id": self.spec.room_id}).decode()
                )
                await self._expect("subscribed")
        except InvalidStatus as exc:
            self.result.connect_failures[f"http {exc.response.status_code}"] += 1
        except ConnectionClosed as exc:
            self.result.connect_failures[f"close {exc.rcvd.code if exc.rcvd else 1006}"] += 1
        except TimeoutError:
            self.result.connect_failures["timeout"] += 1
        except OSError as exc:
            self.result.connect_failures[type(exc).__name__] += 1
        except ValueError as exc:  # an unexpected frame during the handshake
            self.result.connect_failures[str(exc)[:60]] += 1
        else:
            self.result.connected += 1
            self.result.connected_per_room[self.spec.room_id] += 1
            self._reader = asyncio.create_task(self._read())
            return True
        if self.ws is not None:
            await self.ws.close()
        return False

    async def _expect(self, frame_type: str) -> None:
        assert self.ws is not None
        while True:
            frame = orjson.loads(await self.ws.recv())
            if frame.get("type") == frame_type:
                return
            if frame.get("type") == "error":
                raise ValueError(f"error {frame.get('code')}")

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(orjson.dumps(frame).decode())

    async def _read(self) -> None:
        assert self.ws is not None
        result, latency = self.result, self.latency
        try:
            async for raw in self.ws:
                if not isinstance(raw, str):
                    continue
                if self.on_frame is not None:
                    self._decoded(raw)
                    continue
                intended = intended_ns_of(raw)
                if intended is not None:
                    latency.record_ns(time.monotonic_ns() - intended)
                    result.delivered += 1
                elif '"error"' in raw:
                    result.errors[str(orjson.loads(raw).get("code"))] += 1
        except ConnectionClosed:
            pass
        if not self.closing:
            code = self.ws.close_code
            result.closes[str(code if code is not None else 1006)] += 1

    def _decoded(self, raw: str) -> None:
        frame = orjson.loads(raw)
        if frame.get("type") == "message" and (intended := intended_ns_of(raw)) is not None:
            self.latency.record_ns(time.monotonic_ns() - intended)
            self.result.delivered += 1
        elif frame.get("type") == "error":
            self.result.errors[str(frame.get("code"))] += 1
        assert self.on_frame is not None
        self.on_frame(frame)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
