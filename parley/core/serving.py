"""How `parley serve` holds up against idle and stalled connections.

uvicorn closes an idle keep-alive connection, but a connection that sends nothing, or stops
half-way through its headers, is kept forever: enough of them exhaust the file descriptors
and the server stops accepting. `DeadlineHttpProtocol` is uvicorn's httptools protocol with
one timer per connection:

* waiting for a request (just accepted, or after a response): the request line and headers
  must be complete within `request_timeout` seconds, however slowly they trickle in;
* reading a request body: the peer must send some of it every `request_timeout` seconds
  (a slow upload is fine, a stalled one is cut; time the app takes to read does not count);
* while the app works, streams a response, or after the upgrade to WebSocket (whose pings
  reap dead peers): no timer.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from parley.core.collector import tune_collector

log = logging.getLogger(__name__)
Waiting = Literal["request", "body"]
#: takes over an upgraded connection: (the request's scope, uvicorn's server state) -> protocol
UpgradeHandler = Callable[[dict[str, Any], Any], asyncio.Protocol]


class DeadlineHttpProtocol(HttpToolsProtocol):
    """HTTP/1.1 that closes connections which do not deliver a request in time."""

    #: seconds; set on a subclass by `deadline_protocol`
    request_timeout: float = 10.0
    #: WebSocket upgrades by path served by a protocol of their own instead of ASGI
    upgrade_routes: ClassVar[Mapping[str, UpgradeHandler]] = {}
    _deadline: asyncio.TimerHandle | None = None
    _waiting: Waiting | None = None

    def handle_websocket_upgrade(self) -> None:
        url = httptools.parse_url(self.url)
        handler = self.upgrade_routes.get(url.path.decode("latin-1"))
        if handler is None:
            super().handle_websocket_upgrade()
            return
        self._stop()
        self.connections.discard(self)
        scope = dict(self.scope)
        scope["path"] = url.path.decode("latin-1")
        scope["query_string"] = url.query or b""
        protocol = handler(scope, self.server_state)
        self.transport.set_protocol(protocol)
        protocol.connection_made(self.transport)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow(data_arrived=True)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _follow(self, data_arrived: bool = False) -> None:
        """Arm, keep or drop the timer for what the connection now waits for."""
        transport = self.transport
        if transport.is_closing() or transport.get_protocol() is not self:  # closed, upgraded
            self._stop()
            return
        cycle = self.cycle
        waiting: Waiting | None
        if cycle is None or cycle.response_complete:
            waiting = "request"
        elif cycle.more_body and not cycle.disconnected:
            waiting = "body"
        else:
            waiting = None  # the app has the whole request
        if waiting == self._waiting and not (waiting == "body" and data_arrived):
            return  # a request deadline runs on while its headers trickle in
        self._stop()
        if waiting is not None:
            self._waiting = waiting
            self._deadline = self.loop.call_later(self.request_timeout, self._expired)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = None
        self._waiting = None

    def _expired(self) -> None:
        waiting, self._deadline, self._waiting = self._waiting, None, None
        if waiting == "body" and self.flow.read_paused:  # the app is slow to read, not the peer
            self._waiting = waiting
            self._deadline = self.loop.call_later(self.request_timeout, self._expired)
            return
        transport = self.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size():
            transport.abort()  # a peer that neither sends nor reads: do not wait for it
        else:
            transport.close()


def deadline_protocol(
    request_timeout: float, upgrade_routes: Mapping[str, UpgradeHandler] | None = None
) -> type[DeadlineHttpProtocol]:
    """The protocol class uvicorn instantiates per connection, with the timeout and the
    native upgrade routes baked in."""
    return type(
        "DeadlineHttpProtocol",
        (DeadlineHttpProtocol,),
        {"request_timeout": request_timeout, "upgrade_routes": dict(upgrade_routes or {})},
    )


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard one, as nginx and Go's runtime do.

    Every connection costs a descriptor; distributions default the soft limit to 1024 while
    the hard limit is usually far higher. Returns the limit now in force.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft >= hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:  # e.g. macOS caps below the reported hard limit
        log.warning("cannot raise the open-file limit above %d: %s", soft, exc)
        return soft
    return hard


class CollectorTunedServer(uvicorn.Server):
    """uvicorn's server, with the garbage collector tuned once start-up is complete (after
    the lifespan has built the runtime), in each worker (`parley.core.collector`)."""

    def __init__(self, config: uvicorn.Config, gc_young_threshold: int) -> None:
        super().__init__(config)
        self.gc_young_threshold = gc_young_threshold

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            tune_collector(self.gc_young_threshold)
