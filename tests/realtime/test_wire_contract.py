"""The uvicorn internals that parley/realtime/wire.py relies on are still where it expects.

`FastWebSocketProtocol` subclasses uvicorn's private sans-I/O WebSocket protocol and reads and
writes its connection state directly. Those are not public API: they appeared in uvicorn 0.52.1
(the close timer, `disconnected`, `pause_writing`) and may move in any minor release. When this
test fails after an upgrade, read the new `websockets_sansio_impl.py`, update wire.py to it,
then update the `uvicorn[standard]` range in pyproject.toml and the lists below.
"""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from packaging.requirements import Requirement
from uvicorn.server import ServerState

from parley.realtime.wire import FastWebSocketProtocol

SANSIO = "uvicorn.protocols.websockets.websockets_sansio_impl"
WHAT_TO_DO = (
    "parley/realtime/wire.py relies on this uvicorn internal; uvicorn {version} changed it. "
    "Update wire.py to the new websockets_sansio_impl.py, then the uvicorn[standard] range in "
    "pyproject.toml and tests/realtime/test_wire_contract.py."
)
#: state wire.py reads or writes on the protocol (set by uvicorn's __init__)
STATE: dict[str, type] = {
    "handshake_initiated": bool,
    "handshake_complete": bool,
    "close_sent": bool,
    "disconnected": bool,
    "read_paused": bool,
    "close_timer": type(None),
    "writable": asyncio.Event,
    "queue": asyncio.Queue,
    "loop": asyncio.AbstractEventLoop,
}
#: methods wire.py calls or overrides, with the parameters it passes
METHODS = {
    "handle_connect": ["event"],
    "data_received": ["data"],
    "shutdown": [],
    "stop_keepalive": [],
    "pause_writing": [],
    "resume_writing": [],
    "connection_lost": ["exc"],
}
#: what `Wire.close` expects uvicorn to do with the timer it sets: cancel it when the peer
#: answers the close (handle_close) or the connection ends (connection_lost, shutdown)
USES_CLOSE_TIMER = ("handle_close", "connection_lost", "shutdown", "run_asgi")


def explain() -> str:
    return WHAT_TO_DO.format(version=uvicorn.__version__)


async def _asgi(scope: Any, receive: Any, send: Any) -> None:  # never called
    raise AssertionError


@pytest.fixture
def protocol() -> Iterator[FastWebSocketProtocol]:
    """A real protocol object, built the way uvicorn builds one for a new connection."""
    config = uvicorn.Config(_asgi, ws=FastWebSocketProtocol, log_config=None)
    config.load()
    loop = asyncio.new_event_loop()
    try:
        yield FastWebSocketProtocol(config, ServerState(), {}, _loop=loop)
    finally:
        loop.close()


def test_the_base_class_is_uvicorns_sans_io_protocol() -> None:
    bases = [f"{c.__module__}.{c.__name__}" for c in FastWebSocketProtocol.__mro__]
    assert f"{SANSIO}.WebSocketsSansIOProtocol" in bases, explain()


def test_the_connection_state_wire_uses_is_there(protocol: FastWebSocketProtocol) -> None:
    for name, kind in STATE.items():
        assert hasattr(protocol, name), f"{name} is gone. " + explain()
        assert isinstance(getattr(protocol, name), kind), f"{name} changed type. " + explain()
    conn = protocol.conn
    for name in ("send_close", "data_to_send", "handshake_exc", "accept"):
        assert hasattr(conn, name), f"conn.{name} (websockets ServerProtocol) is gone. " + explain()


def test_the_methods_wire_calls_keep_their_parameters() -> None:
    base = FastWebSocketProtocol.__mro__[1]
    for name, params in METHODS.items():
        method = vars(base).get(name)
        assert callable(method), f"{name}() is no longer uvicorn's own. " + explain()
        actual = [p for p in inspect.signature(method).parameters if p != "self"]
        assert actual == params, f"{name}{tuple(actual)} is not {name}{tuple(params)}. " + (
            explain()
        )


def test_uvicorn_still_cancels_the_close_timer_wire_sets() -> None:
    base = FastWebSocketProtocol.__mro__[1]
    for name in USES_CLOSE_TIMER:
        source = inspect.getsource(getattr(base, name))
        assert "close_timer" in source, f"{name}() no longer handles close_timer. " + explain()


def test_uvicorn_pauses_writable_with_the_transport() -> None:
    """`Wire.drain` waits on `writable`: uvicorn must clear it when the buffer is full."""
    base = FastWebSocketProtocol.__mro__[1]
    for name in ("pause_writing", "resume_writing"):
        assert "self.writable" in inspect.getsource(getattr(base, name)), (
            f"{name}() no longer drives writable. " + explain()
        )


def test_the_handshake_fills_the_scope_wire_extends() -> None:
    """`handle_connect` sets `request`, `response` and `scope["extensions"]`."""
    base = FastWebSocketProtocol.__mro__[1]
    source = inspect.getsource(vars(base)["handle_connect"])
    for needle in ("self.request =", "self.response =", "self.scope", '"extensions"'):
        assert needle in source, f"handle_connect no longer sets {needle}. " + explain()


def test_the_installed_uvicorn_is_in_the_declared_range(project_root: Path) -> None:
    pyproject = tomllib.loads((project_root / "pyproject.toml").read_text())
    declared = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    (uvicorn_req,) = [r for r in declared if r.name == "uvicorn"]
    assert uvicorn_req.specifier, "pyproject.toml must bound uvicorn: wire.py uses its internals"
    assert any(s.operator == "<" for s in uvicorn_req.specifier), "uvicorn needs an upper bound"
    installed = version("uvicorn")
    assert uvicorn_req.specifier.contains(installed), (
        f"uvicorn {installed} is outside {uvicorn_req.specifier}: check wire.py against it, "
        "then widen the range in pyproject.toml"
    )
