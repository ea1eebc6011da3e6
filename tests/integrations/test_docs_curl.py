"""docs/integrations.md's curl examples, run as written against a real server: each `sh`
block's commands in order, with `$API`, `$TOKEN` and `$ROOM` of a fresh member, and the
`(NAME = .field)` notes of the answers feeding later commands. Every one must answer 2xx."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from pathlib import Path

from tests.integrations.conftest import Receiver
from tests.integrations.test_webhooks import wait_for
from tests.support.ws import Server

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
CAPTURE = re.compile(r"\((\w+) = \.(\w+)\)")
#: the placeholder endpoint of the outgoing webhook example, replaced by a real receiver
EXAMPLE_ENDPOINT = "https://ci.example.com/parley"


def doc_commands() -> list[str]:
    """Every command of the doc's `sh` blocks, continuation lines joined."""
    commands: list[str] = []
    for block in FENCE.findall(DOC.read_text()):
        current = ""
        for line in block.splitlines():
            if line.lstrip().startswith("#") and not current:
                continue
            current += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
            if not line.endswith("\\"):
                commands.append(current.strip())
                current = ""
    return commands


def run(command: str, env: dict[str, str]) -> tuple[int, str]:
    """Run one example with curl telling its status on a last line of its own."""
    assert command.startswith("curl -s "), command
    traced = command.replace("curl -s ", "curl -s -w '\\n%{http_code}' ", 1)
    done = subprocess.run(
        ["bash", "-c", traced], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (command, done.stderr)
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


async def test_the_curl_examples_run_as_written(server: Server, receiver: Receiver) -> None:
    commands = doc_commands()
    assert len(commands) >= 10 and all(c.startswith("curl ") for c in commands), commands
    owner = await server.member()
    room = await server.room(owner)
    receiver.answer = json.dumps({"text": "deploying main"}).encode()
    env = {**os.environ, "API": server.api, "TOKEN": owner.token, "ROOM": str(room)}
    for command in commands:
        status, body = await asyncio.to_thread(
            run, command.replace(EXAMPLE_ENDPOINT, receiver.url), env
        )
        assert 200 <= status < 300, (command, status, body)
        for name, field in CAPTURE.findall(command):
            env[name] = str(json.loads(body)[field])
    assert {"BOT", "TOKEN_ID", "BOT_TOKEN", "HOOK", "URL"} <= env.keys()

    async def answered() -> bool:
        bodies = [m["body"] for m in await server.history(owner, room)]
        return "build **green**" in bodies and "deploying main" in bodies

    assert await wait_for(answered)
    sent = json.loads(receiver.requests[0]["body"])
    assert sent["command"] == "deploy" and sent["args"] == "main"
