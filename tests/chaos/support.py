"""Chaos harness: a private PostgreSQL, and clients that keep sending through failures.

`ResilientClient` behaves like a careful real client: one message in flight; on an
`unavailable` error, a timeout or a dropped connection it retries the same client_msg_id
(reconnecting to the next server and resuming the room from the last seq it saw). It records
every message frame, so the test can check: nothing lost, nothing twice, seq order.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.exceptions import ConnectionClosed, InvalidHandshake

from parley.core.database import create_engine
from parley.core.migrate import upgrade_database
from tests.support.server import free_port
from tests.support.services import (
    _recreate_server_database,
    port_open,
    service_missing,
    test_settings,
)
from tests.support.ws import Frame, Member, Server, WsClient


class PrivatePostgres:
    """`initdb` + `pg_ctl` on a free port in a temp dir, run as `postgres` if we are root."""

    def __init__(self, tmp: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not bins and shutil.which("pg_ctl") is None:
            service_missing("PostgreSQL", "pg_ctl/initdb are not installed")
        self.bin = Path(bins[-1]).parent if bins else Path(str(shutil.which("pg_ctl"))).parent
        # outside pytest's tmp tree: the `postgres` user must be able to reach it
        base = Path(tempfile.gettempdir())
        self.dir = base / f"parley-pg-{os.getpid()}-{free_port()}"
        self.port = free_port()
        self.tmp = tmp

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


def migrated_database(admin_url: str, name: str) -> str:
    """A fresh, migrated database on the server of `admin_url`; returns its URL."""

    async def make() -> str:
        url = await _recreate_server_database(admin_url, name)
        engine = create_engine(test_settings(url))
        try:
            await upgrade_database(engine)
        finally:
            await engine.dispose()
        return url

    return asyncio.run(make())


@dataclass
class ResilientClient:
    member: Member
    servers: list[Server]
    room_id: int
    name: str
    index: int = 0
    ws: WsClient | None = None
    last_seq: int = 0
    messages: list[Frame] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    unavailable: int = 0

    async def connect(self) -> None:
        """Connect to the current server (or the next ones) and resume the room."""
        for _ in range(40):
            server = self.servers[self.index % len(self.servers)]
            try:
                self.ws = await server.connect(self.member)
                await self.ws.send(
                    {"type": "subscribe", "room_id": self.room_id, "after_seq": self.last_seq}
                )
                await self._read_until(lambda f: f.get("type") == "subscribed", 5)
                return
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, AssertionError):
                self._abandon()
                await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name}: no server to reconnect to")

    def _abandon(self) -> None:
        """Drop the socket and move on to the next server (a load balancer would send us
        elsewhere). The socket is cut, not left open: a server still holding it would keep
        its subscription and write to it, unread, until it closed it as too slow. What it
        delivered before stays recorded: a replay is in seq order, so the highest seq seen
        is where the next subscription resumes (docs/protocol.md)."""
        if self.ws is not None:
            self.ws.conn.transport.abort()
        self.ws = None
        self.index += 1
        self.reconnects += 1

    def _record(self, frame: Frame) -> None:
        if frame.get("type") != "message" or frame.get("room_id") != self.room_id:
            return
        seq = frame["seq"]
        if seq <= self.last_seq:
            self.duplicates.append(seq)
            return
        if seq != self.last_seq + 1:
            self.gaps.append((self.last_seq, seq))
        self.last_seq = seq
        self.messages.append(frame)

    async def _read_until(self, done: object, timeout: float) -> Frame:
        assert self.ws is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await self.ws.recv(max(0.01, deadline - loop.time()))
            self._record(frame)
            if done(frame):  # type: ignore[operator]
                return frame

    async def send(self, body: str, client_msg_id: str) -> None:
        """Until acked: send, and on any failure retry the same client_msg_id."""
        for _ in range(200):
            if self.ws is None:
                await self.connect()
            assert self.ws is not None
            try:
                await self.ws.send_message(self.room_id, body, client_msg_id)
                answer = await self._read_until(
                    lambda f: (
                        f.get("client_msg_id", f.get("ref")) == client_msg_id
                        and f.get("type") in ("ack", "error")
                    ),
                    3,
                )
            except (ConnectionClosed, OSError, TimeoutError):
                self._abandon()
                continue
            if answer["type"] == "ack":
                self.acked[client_msg_id] = answer["id"]
                return
            assert answer["code"] == "unavailable", answer
            self.unavailable += 1
            await asyncio.sleep(0.2)
        raise AssertionError(f"{self.name}: {client_msg_id} never acked")

    async def stream(self, count: int, pace: float) -> None:
        for i in range(count):
            await self.send(f"{self.name}-{i}", f"{self.name}-{i}")
            await asyncio.sleep(pace)

    async def settle(self, final_seq: int, timeout: float = 20) -> None:
        """Read until the room's last seq has arrived (reconnecting if needed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.last_seq < final_seq and loop.time() < deadline:
            if self.ws is None:
                await self.connect()
                continue
            try:
                await self._read_until(lambda f: self.last_seq >= final_seq, 1)
            except TimeoutError:
                continue
            except (ConnectionClosed, OSError):
                self._abandon()
        await asyncio.sleep(0.3)  # anything after the last seq would be a duplicate
        if self.ws is not None:
            try:
                while True:
                    self._record(await self.ws.recv(0.2))
            except (TimeoutError, ConnectionClosed):
                pass

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def assert_no_loss_no_duplicate(clients: list[ResilientClient]) -> None:
    acked = {mid for c in clients for mid in c.acked.values()}
    for client in clients:
        assert not client.duplicates, (client.name, client.duplicates[:10])
        assert not client.gaps, (client.name, client.gaps[:10])
        ids = [f["id"] for f in client.messages if f["kind"] != "system"]
        assert len(ids) == len(set(ids)), client.name
        assert set(ids) == acked, (client.name, sorted(acked - set(ids))[:10])
        seqs = [f["seq"] for f in client.messages]
        assert seqs == sorted(seqs), client.name


def wait_port_closed(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while port_open("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.05)
