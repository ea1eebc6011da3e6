"""Forwarded headers: which entry is the client, and who may set it (the app, in-process)."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from parley.core.config import ConfigError, load_settings
from parley.core.proxy import ForwardedHeadersMiddleware, parse_networks


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    body = f"{scope['client'][0]} {scope['scheme']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def _seen(peer: str, trusted: str, headers: dict[str, str]) -> str:
    app = ForwardedHeadersMiddleware(_echo, parse_networks(trusted.split(",") if trusted else []))
    transport = httpx.ASGITransport(app=app, client=(peer, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://parley") as client:
        return (await client.get("/", headers=headers)).text


@pytest.mark.parametrize(
    ("peer", "trusted", "headers", "seen"),
    [
        ("10.0.0.5", "", {"X-Forwarded-For": "1.2.3.4"}, "10.0.0.5 http"),  # default: nobody
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "1.2.3.4"}, "1.2.3.4 http"),
        ("10.0.0.5", "10.0.0.5", {"X-Forwarded-Proto": "https"}, "10.0.0.5 https"),
        ("192.0.2.1", "10.0.0.0/8", {"X-Forwarded-For": "1.2.3.4"}, "192.0.2.1 http"),
        # a forged entry on the left is skipped: the nearest untrusted hop is the client
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "6.6.6.6, 1.2.3.4"}, "1.2.3.4 http"),
        # a chain of our own proxies: skip them all
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "1.2.3.4, 10.0.0.9"}, "1.2.3.4 http"),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "10.0.0.7, 10.0.0.9"}, "10.0.0.7 http"),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "[2001:db8::1]:443"}, "2001:db8::1 http"),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "1.2.3.4:5678"}, "1.2.3.4 http"),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-For": "not-an-address"}, "10.0.0.5 http"),
        (
            "::1",
            "::1",
            {"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https"},
            "1.2.3.4 https",
        ),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-Proto": "gopher"}, "10.0.0.5 http"),
        ("10.0.0.5", "10.0.0.0/8", {"X-Forwarded-Proto": "https, http"}, "10.0.0.5 http"),
    ],
)
async def test_the_client_and_scheme_seen_by_the_app(
    peer: str, trusted: str, headers: dict[str, str], seen: str
) -> None:
    assert await _seen(peer, trusted, headers) == seen


def test_the_setting_is_a_comma_list_of_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PARLEY_FORWARDED_ALLOW_IPS", " 172.28.0.80, 10.244.0.0/16,::1")
    assert load_settings().forwarded_allow_ips == ["172.28.0.80/32", "10.244.0.0/16", "::1/128"]
    monkeypatch.setenv("PARLEY_FORWARDED_ALLOW_IPS", "")
    assert load_settings().forwarded_allow_ips == []
    for wrong in ("nginx", "10.0.0.1/8", "*"):
        monkeypatch.setenv("PARLEY_FORWARDED_ALLOW_IPS", wrong)
        with pytest.raises(ConfigError, match="PARLEY_FORWARDED_ALLOW_IPS"):
            load_settings()
