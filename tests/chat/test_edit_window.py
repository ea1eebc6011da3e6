"""PARLEY_EDIT_WINDOW_SECONDS: the sender edits within the window, not after it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.chat.support import change, message_path, say
from tests.realtime.conftest import start_dedicated
from tests.support.ws import Server


async def test_edits_close_when_the_window_does(tmp_path: Path) -> None:
    process = start_dedicated(tmp_path, PARLEY_EDIT_WINDOW_SECONDS="2")
    server = Server(process.base_url)
    try:
        alice = await server.member()
        room = await server.room(alice)
        sent = await say(server, alice, room, "typo")
        path = message_path(room, sent["id"])
        assert (await change(server, alice, "PATCH", path, body="fixed"))[0] == 200
        await asyncio.sleep(2.5)
        status, problem = await change(server, alice, "PATCH", path, body="too late")
        assert (status, problem["code"]) == (403, "edit_window_closed")
        # deleting is not bound by the window
        assert (await change(server, alice, "DELETE", path))[0] == 204
    finally:
        await server.close()
        process.stop()
