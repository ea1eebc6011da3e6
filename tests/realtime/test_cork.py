"""The frames a batch of committed messages makes for one connection leave in one write, the
sender's ack included (`connection.cork_this_turn`): counted by `parley_ws_writes`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.realtime.conftest import start_dedicated
from tests.support.live import server_client
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def quiet_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own: no other test's connections write while this one counts."""
    process = start_dedicated(tmp_path_factory.mktemp("cork"))
    try:
        yield process
    finally:
        process.stop()


def _writes(process: ServerProcess) -> float:
    text = httpx.get(f"{process.base_url}/metrics", timeout=10).text
    line = next(line for line in text.splitlines() if line.startswith("parley_ws_writes_total "))
    return float(line.split()[1])


async def _settled_writes(process: ServerProcess) -> float:
    """The count once nothing more is being written (the connections' presence has gone out),
    however slowly a loaded machine gets there."""
    last = _writes(process)
    for _ in range(40):
        await asyncio.sleep(0.5)
        now = _writes(process)
        if now == last:
            return now
        last = now
    raise AssertionError("the server kept writing to connections while the test waited")


async def test_the_senders_ack_and_its_copy_of_the_message_are_one_write(
    quiet_process: ServerProcess,
) -> None:
    async with server_client(quiet_process) as server:
        sender, reader = await server.member(), await server.member()
        room = await server.room(sender, reader)
        sending, reading = await server.connect(sender), await server.connect(reader)
        await sending.subscribe(room)
        await reading.subscribe(room)
        before = await _settled_writes(quiet_process)
        for n in range(10):
            ref = await sending.send_message(room, f"one write {n}")
            copy = await sending.recv()
            ack = await sending.recv()
            assert (copy["type"], copy["client_msg_id"]) == ("message", ref)
            assert (ack["type"], ack["client_msg_id"]) == ("ack", ref)
            assert ack["seq"] == copy["seq"]
            await reading.expect("message", client_msg_id=ref)
        writes = _writes(quiet_process) - before
    # per message: one write to the sender (its copy and the ack), one to the reader
    assert writes == 20, writes
