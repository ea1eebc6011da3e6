"""Incoming and outgoing webhooks against real servers: a parley process, a real HTTP
receiver, signatures, answers, failures and the address rules."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid

import httpx
import pytest

from parley.core.addresses import resolve
from parley.core.runtime import Runtime
from tests.integrations.conftest import Receiver
from tests.support.ws import Server


async def wait_for(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError("condition not met in time")


async def test_incoming_webhook_posts_rotates_and_is_rate_limited(server: Server) -> None:
    owner, member = await server.member(), await server.member()
    room = await server.room(owner, member, private=True)
    refused = await server.http.post(
        f"/rooms/{room}/webhooks", json={"name": "CI"}, headers=member.headers
    )
    assert refused.status_code == 403
    created = await server.http.post(
        f"/rooms/{room}/webhooks", json={"name": "CI"}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    async with httpx.AsyncClient(timeout=60) as anyone:  # the URL is the only credential
        posted = await anyone.post(
            hook["url"], json={"text": "deploy **done**", "username": "ci", "icon_emoji": ":x:"}
        )
        assert posted.status_code == 200, posted.text
        last = (await server.history(member, room))[-1]
        assert last["sender"]["id"] == hook["bot_id"] and last["body"] == "deploy **done**"
        assert "<strong>done</strong>" in last["html"]
        for bad in ({}, {"text": ""}, {"text": 5}, {"text": "x" * 5000}):
            assert (await anyone.post(hook["url"], json=bad)).status_code == 422, bad
        assert (await anyone.post(hook["url"], content=b"text=x")).status_code == 415
        wrong = hook["url"].rsplit("/", 1)[0] + "/pih_guess"
        assert (await anyone.post(wrong, json={"text": "x"})).status_code == 404
        rotated = await server.http.post(
            f"/rooms/{room}/webhooks/{hook['id']}/rotate", headers=owner.headers
        )
        new_url = rotated.json()["url"]
        assert (await anyone.post(hook["url"], json={"text": "old"})).status_code == 404
        assert (await anyone.post(new_url, json={"text": "new"})).status_code == 200
        # all at once: one after another, a loaded machine's slow answers refill the bucket
        answers = await asyncio.gather(
            *(anyone.post(new_url, json={"text": f"n{i}"}) for i in range(60))
        )
        codes = [a.status_code for a in answers]
        assert 429 in codes and codes.count(200) >= 10, codes
        assert set(codes) <= {200, 429}
    listed = (await server.http.get(f"/rooms/{room}/webhooks", headers=owner.headers)).json()
    assert [h["id"] for h in listed] == [hook["id"]] and "url" not in listed[0]
    assert (
        await server.http.get(f"/rooms/{room}/webhooks", headers=member.headers)
    ).status_code == 403
    gone = await server.http.delete(f"/rooms/{room}/webhooks/{hook['id']}", headers=owner.headers)
    assert gone.status_code == 204


async def test_outgoing_webhook_signs_filters_and_posts_the_answer_back(
    server: Server, receiver: Receiver
) -> None:
    owner = await server.member()
    room = await server.room(owner)
    receiver.answer = json.dumps({"text": "on it"}).encode()
    created = await server.http.post(
        f"/rooms/{room}/outgoing-webhooks",
        json={"url": receiver.url, "trigger_words": ["deploy"]},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert (
        "secret"
        not in (
            await server.http.get(f"/rooms/{room}/outgoing-webhooks", headers=owner.headers)
        ).json()[0]
    )
    for body in ("just chatting", "please deploy now"):
        sent = await server.http.post(
            f"/rooms/{room}/messages",
            json={"client_msg_id": str(uuid.uuid4()), "body": body},
            headers=owner.headers,
        )
        assert sent.status_code == 201

    async def answered():  # type: ignore[no-untyped-def]
        items = await server.history(owner, room)
        return [m for m in items if m["body"] == "on it"]

    reply = (await wait_for(answered))[0]
    assert reply["reply_to"]["id"] == sent.json()["id"]
    assert len(receiver.requests) == 1  # only the message with the trigger word
    request = receiver.requests[0]
    stamp = request["headers"]["X-Parley-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + request["body"], hashlib.sha256)
    assert request["headers"]["X-Parley-Signature"] == "sha256=" + expected.hexdigest()
    payload = json.loads(request["body"])
    assert payload["message"]["body"] == "please deploy now" and payload["trigger_word"] == "deploy"
    await asyncio.sleep(0.5)
    assert len(receiver.requests) == 1  # the webhook's own answer triggers nothing


async def test_failing_endpoint_is_retried_then_disabled_and_the_owner_told(
    app_client: tuple[httpx.AsyncClient, Runtime], receiver: Receiver
) -> None:
    from tests.support.api import signup

    client, runtime = app_client
    dispatcher = runtime.messaging.integrations  # type: ignore[union-attr]
    dispatcher.backoff, dispatcher.max_failures = (0.05, 0.05), 2
    owner = await signup(client)
    room = (await client.post("/api/v1/rooms", json={"name": "ops"}, headers=owner.headers)).json()[
        "id"
    ]
    receiver.status = 500
    created = await client.post(
        f"/api/v1/rooms/{room}/outgoing-webhooks", json={"url": receiver.url}, headers=owner.headers
    )
    assert created.status_code == 201, created.text
    for i in range(2):
        await client.post(
            f"/api/v1/rooms/{room}/messages",
            json={"client_msg_id": f"m{i}", "body": f"hi {i}"},
            headers=owner.headers,
        )
        await wait_for(lambda n=3 * (i + 1): _count(receiver, n))

    async def told():  # type: ignore[no-untyped-def]
        items = (await client.get(f"/api/v1/rooms/{room}/messages", headers=owner.headers)).json()[
            "items"
        ]
        return [m for m in items if m["kind"] == "whisper" and "disabled" in m["body"]]

    await wait_for(told)
    hooks = (
        await client.get(f"/api/v1/rooms/{room}/outgoing-webhooks", headers=owner.headers)
    ).json()
    assert hooks[0]["disabled"] is True and hooks[0]["failures"] == 2
    before = len(receiver.requests)
    await client.post(
        f"/api/v1/rooms/{room}/messages",
        json={"client_msg_id": "m9", "body": "more"},
        headers=owner.headers,
    )
    await asyncio.sleep(0.5)
    assert len(receiver.requests) == before  # disabled: nothing more is sent


async def _count(receiver: Receiver, n: int) -> bool:
    return len(receiver.requests) >= n


@pytest.mark.parametrize("insecure", [False], indirect=True)
@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://user:pw@example.com/hook",
        "ftp://example.com/hook",
        "https://exa mple.com/hook",
        "https://127.1/hook",
    ],
)
async def test_private_and_insecure_endpoints_are_refused(
    app_client: tuple[httpx.AsyncClient, Runtime], url: str
) -> None:
    from tests.support.api import signup

    client, _ = app_client
    owner = await signup(client)
    room = (
        await client.post(
            "/api/v1/rooms", json={"name": f"r{uuid.uuid4().hex[:8]}"}, headers=owner.headers
        )
    ).json()["id"]
    answer = await client.post(
        f"/api/v1/rooms/{room}/outgoing-webhooks", json={"url": url}, headers=owner.headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] in ("endpoint_refused", "validation_failed")


async def test_the_checked_address_is_the_one_connected_to() -> None:
    """Resolution happens once per attempt and the delivery goes to that address."""
    target = await resolve("http://localhost:8123/x?y=1", allow_insecure=True)
    assert target.address in ("127.0.0.1", "::1")
    assert target.connect_url.endswith(":8123/x?y=1") and target.host_header == "localhost:8123"
