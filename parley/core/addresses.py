"""Where outgoing requests (webhooks, Web Push) may point: `https` and public addresses.

DESIGN §9 and §12; `parley.integrations` and `parley.notify` both check their endpoints here.

`PARLEY_ALLOW_INSECURE_ENDPOINTS=true` (tests, development) allows `http` and any address.
Otherwise the host is resolved and every address must be public (no loopback, private,
link-local, multicast, reserved or unspecified one). The check runs when the webhook is
created and again before each delivery, and the delivery connects to the very address that
was checked (the name is not resolved twice), so DNS rebinding cannot slip past it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from parley.core.errors import ParleyError

MAX_URL = 2000


@dataclass(frozen=True)
class Target:
    """A checked endpoint: connect to `address`, present `host` (Host header, TLS SNI)."""

    scheme: str
    host: str
    port: int
    address: str
    path: str

    @property
    def connect_url(self) -> str:
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{shown}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def refused(detail: str) -> ParleyError:
    return ParleyError(422, "endpoint_refused", detail)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def parse(url: str, allow_insecure: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, path?query) of an acceptable URL, or 422 `endpoint_refused`."""
    if len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise refused("the URL is too long or has spaces or control characters")
    parts = urlsplit(url)
    allowed = ("https", "http") if allow_insecure else ("https",)
    if parts.scheme not in allowed:
        raise refused("only https endpoints are allowed")
    if parts.username is not None or parts.password is not None:
        raise refused("credentials in the URL are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise refused("the port is not valid") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise refused("the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path


async def resolve(url: str, allow_insecure: bool) -> Target:
    """Parse, resolve and check; the first acceptable address is the one to connect to."""
    scheme, host, port, path = parse(url, allow_insecure)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise refused(f"cannot resolve {host}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise refused(f"cannot resolve {host}")
    if not allow_insecure:
        bad = [a for a in addresses if not is_public(a)]
        if bad:  # one private answer is enough to refuse: the client could pick it
            raise refused(f"{host} resolves to a non-public address ({bad[0]})")
    return Target(scheme, host, port, addresses[0], path)


def pinned_request(
    client: httpx.AsyncClient,
    target: Target,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
) -> httpx.Request:
    """A POST to the checked address itself (no second resolution), presenting the host
    name in the Host header and in TLS SNI."""
    return client.build_request(
        "POST",
        target.connect_url,
        content=content,
        headers={"Host": target.host_header, **headers},
        timeout=timeout,
        extensions={"sni_hostname": target.host},
    )
