"""What every multi-process test checks: each client got every acked message once, in order."""

from __future__ import annotations

import asyncio
import re

import httpx

from tests.support.ws import Frame, WsClient


async def drain_messages(client: WsClient, room_id: int, quiet: float = 0.5) -> list[Frame]:
    """Every message frame of the room received so far, and until `quiet` s pass without one."""
    got = [f for f in client.unread if f.get("type") == "message" and f["room_id"] == room_id]
    client.unread = [f for f in client.unread if f not in got]
    while True:
        try:
            frame = await client.recv(timeout=quiet)
        except TimeoutError:
            return got
        if frame.get("type") == "message" and frame["room_id"] == room_id:
            got.append(frame)
        else:
            client.unread.append(frame)


def assert_exactly_once_in_order(
    received: list[Frame], acked_ids: set[int], label: str = ""
) -> None:
    """No duplicate, seq strictly increasing by one, and the acked set equals the received set
    (ignoring system messages, which nobody acks)."""
    seqs = [f["seq"] for f in received]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True, (label, seqs)
    ids = [f["id"] for f in received if f["kind"] != "system"]
    assert len(ids) == len(set(ids)), f"{label}: duplicates"
    assert set(ids) == acked_ids, (
        label,
        sorted(acked_ids - set(ids))[:10],
        sorted(set(ids) - acked_ids)[:10],
    )


async def metric(base_url: str, name: str) -> float:
    async with httpx.AsyncClient(timeout=5) as http:
        text = (await http.get(f"{base_url}/metrics")).text
    found = re.search(rf"^{name}(?:_total)? ([0-9.e+-]+)$", text, re.MULTILINE)
    assert found, (name, text)
    return float(found.group(1))


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")
