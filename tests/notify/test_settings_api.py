"""Notification levels and push subscriptions over HTTP, on every database backend."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import httpx

from tests.support.api import assert_problem, signup
from tests.support.push_service import PushService


async def test_levels_default_per_kind_can_be_set_and_show_in_my_rooms(
    client: httpx.AsyncClient,
) -> None:
    a, b, outsider = await signup(client), await signup(client), await signup(client)
    group = (
        await client.post("/api/v1/rooms", json={"name": "general"}, headers=a.headers)
    ).json()["id"]
    secret = (
        await client.post(
            "/api/v1/rooms", json={"name": "hidden", "is_private": True}, headers=a.headers
        )
    ).json()["id"]
    direct = (await client.post("/api/v1/dms", json={"member_id": b.id}, headers=a.headers)).json()[
        "id"
    ]
    url = "/api/v1/me/rooms/{}/settings"
    got = (await client.get(url.format(group), headers=a.headers)).json()
    assert got == {"room_id": group, "notify": "mentions", "muted_until": None, "is_default": True}
    assert (await client.get(url.format(direct), headers=b.headers)).json()["notify"] == "all"

    until = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    put = await client.put(
        url.format(group),
        json={"notify": "none", "muted_until": until.isoformat()},
        headers=a.headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["notify"] == "none" and put.json()["is_default"] is False
    assert datetime.fromisoformat(put.json()["muted_until"]) == until
    listed = {r["id"]: r for r in (await client.get("/api/v1/me/rooms", headers=a.headers)).json()}
    assert listed[group]["notify"] == "none"
    assert datetime.fromisoformat(listed[group]["muted_until"]) == until
    assert listed[direct]["notify"] == "all" and listed[direct]["muted_until"] is None
    again = await client.put(url.format(group), json={"notify": "all"}, headers=a.headers)
    assert again.json()["muted_until"] is None  # PUT replaces: no mute given, none kept

    for bad in (
        {"notify": "loud"},
        {},
        {"notify": "all", "muted_until": "2030-01-01T00:00:00"},
        {"notify": "all", "extra": 1},
    ):
        assert_problem(
            await client.put(url.format(group), json=bad, headers=a.headers),
            422,
            "validation_failed",
        )
    assert_problem(
        await client.get(url.format(group), headers=outsider.headers), 403, "not_a_member"
    )
    assert_problem(
        await client.put(url.format(secret), json={"notify": "all"}, headers=outsider.headers),
        404,
        "room_not_found",
    )
    assert_problem(await client.get(url.format(999_999), headers=a.headers), 404, "room_not_found")
    assert (await client.get(url.format(group))).status_code == 401


async def test_subscriptions_are_checked_and_owned(client: httpx.AsyncClient) -> None:
    a, b = await signup(client), await signup(client)
    key = (await client.get("/api/v1/push/vapid-key")).json()["public_key"]
    point = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(point) == 65 and point[0] == 4
    assert (await client.get("/api/v1/push/vapid-key")).json()["public_key"] == key  # kept

    browser = PushService(origin="https://push.example.com").subscription()
    subs = "/api/v1/me/push-subscriptions"
    # insecure endpoints are off here: http and private addresses are refused
    for endpoint in (
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "ftp://push.example.com/x",
    ):
        assert_problem(
            await client.post(subs, json={**browser, "endpoint": endpoint}, headers=a.headers),
            422,
            "endpoint_refused",
        )
    for keys in (
        {"p256dh": "AAAA", "auth": browser["keys"]["auth"]},
        {"p256dh": browser["keys"]["p256dh"], "auth": "AAAA"},
    ):
        # a public address that resolves: the keys are what is refused
        assert_problem(
            await client.post(
                subs, json={"endpoint": "https://1.1.1.1/push/x", "keys": keys}, headers=a.headers
            ),
            422,
            "invalid_subscription_keys",
        )
    assert_problem(
        await client.post(subs, json={"endpoint": "https://1.1.1.1/x"}, headers=a.headers),
        422,
        "validation_failed",
    )
    created = await client.post(
        subs, json={**browser, "endpoint": "https://1.1.1.1/push/abc"}, headers=a.headers
    )
    assert created.status_code == 201, created.text
    sub_id = created.json()["id"]
    assert_problem(
        await client.delete(f"{subs}/{sub_id}", headers=b.headers), 404, "subscription_not_found"
    )
    assert (await client.delete(f"{subs}/{sub_id}", headers=a.headers)).status_code == 204
    assert_problem(await client.delete(f"{subs}/{sub_id}", headers=a.headers), 404)
    assert (await client.post(subs, json=browser)).status_code == 401
