"""Who the client is behind a reverse proxy: `X-Forwarded-For` / `-Proto` from trusted peers.

Behind nginx every connection comes from nginx, so without this every client shares one
address (30 bad logins from anyone lock out everyone) and the scheme is `http` even when
the browser used HTTPS (no cookie would be `Secure`). The headers are believed only when the
connection itself comes from an address in `PARLEY_FORWARDED_ALLOW_IPS` (default: nobody):
anyone else could send them to pick any address. It is an application middleware, so it
works under any ASGI server (uvicorn's own `proxy_headers` stays off).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_SCHEMES = {"http": ("http", "ws"), "https": ("https", "wss")}


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """`10.0.0.5`, `10.0.0.0/8`, `fd00::/8` as networks; ValueError names a bad entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError as exc:
            raise ValueError(
                f"{exc} (expected IP addresses or CIDR networks like 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An address from a forwarded entry: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class ForwardedHeadersMiddleware:
    """Set the scope's `client` and `scheme` from a trusted proxy's forwarded headers."""

    def __init__(self, app: ASGIApp, trusted: Iterable[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)
        self._is_trusted = lru_cache(maxsize=4096)(self._check)

    def _check(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in network for network in self.trusted)

    def client_from(self, forwarded_for: str) -> str | None:
        """The client: the nearest entry not a trusted proxy (each proxy appends the peer it
        saw, so entries left of an untrusted one may be forged by the client)."""
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return None  # garbage where a proxy writes an address: believe nothing
            if not any(address in network for network in self.trusted):
                return str(address)
        first = _address(hops[0]) if hops else None
        return str(first) if first is not None else None  # all hops are our own proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.resolve(scope)
        await self.app(scope, receive, send)

    def resolve(self, scope: Scope) -> None:
        """Put the client's address and scheme in `scope` when the peer is a trusted proxy
        (also for the native WebSocket path, which passes no middleware)."""
        if self.trusted:
            client = scope.get("client")
            if client and self._is_trusted(client[0]):
                self._apply(scope)

    def _apply(self, scope: Scope) -> None:
        forwarded_for: list[bytes] = []
        proto: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                proto = value
        if forwarded_for:
            host = self.client_from(b",".join(forwarded_for).decode("latin-1"))
            if host is not None:
                scope["client"] = (host, 0)
        if proto is not None:
            # the nearest proxy's word: the last entry if a chain appended several
            scheme = proto.decode("latin-1").rsplit(",", 1)[-1].strip().lower()
            if scheme in _SCHEMES:
                http, ws = _SCHEMES[scheme]
                scope["scheme"] = ws if scope["type"] == "websocket" else http
