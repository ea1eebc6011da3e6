"""Check frames against `docs/protocol/asyncapi.yaml`, so the document and the gateway agree.

The schemas are read from the AsyncAPI document itself (no copy here): operations with
`action: receive` list the client frames, `action: send` the server frames, and each frame's
`type` is the `const` of its payload's `type` property.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # no stubs in the dev extra
from jsonschema import Draft7Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "docs" / "protocol" / "asyncapi.yaml"
DOCUMENT_URI = "urn:parley:asyncapi"
CLIENT, SERVER = "client", "server"
_DIRECTIONS = {"receive": CLIENT, "send": SERVER}


@dataclass(frozen=True)
class Frame:
    """One frame type of the protocol as the document describes it."""

    direction: str
    type: str
    message: dict[str, Any]
    pointer: str  # JSON pointer of the payload schema inside the document


@cache
def load_document() -> dict[str, Any]:
    with DOCUMENT_PATH.open(encoding="utf-8") as handle:
        document: dict[str, Any] = yaml.safe_load(handle)
    return document


def resolve(ref: str, document: dict[str, Any] | None = None) -> tuple[str, Any]:
    """Follow a local `$ref` (and any chain of them); returns (final pointer, value)."""
    document = document if document is not None else load_document()
    seen: set[str] = set()
    while True:
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are used, not {ref!r}")
        if ref in seen:
            raise ValueError(f"reference cycle at {ref!r}")
        seen.add(ref)
        node: Any = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if isinstance(node, dict) and set(node) == {"$ref"}:
            ref = node["$ref"]
            continue
        return ref, node


def iter_frames(document: dict[str, Any] | None = None) -> Iterator[Frame]:
    """Every frame the operations mention, with its direction."""
    document = document if document is not None else load_document()
    for name, operation in document["operations"].items():
        direction = _DIRECTIONS.get(operation["action"])
        if direction is None:
            raise ValueError(f"operation {name} has an unknown action {operation['action']!r}")
        for ref in operation["messages"]:
            _, message = resolve(ref["$ref"], document)
            pointer, payload = resolve(message["payload"]["$ref"], document)
            yield Frame(direction, payload["properties"]["type"]["const"], message, pointer)


@cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT7.create_resource(load_document())
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
    return registry


@cache
def frames_by_type() -> dict[tuple[str, str], Frame]:
    frames: dict[tuple[str, str], Frame] = {}
    for frame in iter_frames():
        key = (frame.direction, frame.type)
        if key in frames:
            raise ValueError(f"{frame.direction} frame {frame.type!r} is described twice")
        frames[key] = frame
    return frames


@cache
def _validator(direction: str, frame_type: str) -> Draft7Validator:
    frame = frames_by_type()[(direction, frame_type)]
    schema = {"$ref": f"{DOCUMENT_URI}#{frame.pointer[1:]}"}
    return Draft7Validator(schema, registry=_registry())


def _where(path: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def validate_frame(direction: str, frame: Any) -> None:
    """Raise AssertionError naming every way `frame` breaks the documented protocol."""
    if not isinstance(frame, dict):
        raise AssertionError(f"a {direction} frame must be a JSON object, got {frame!r}")
    frame_type = frame.get("type")
    if (direction, frame_type) not in frames_by_type():
        known = sorted(t for d, t in frames_by_type() if d == direction)
        raise AssertionError(
            f"{direction} frame type {frame_type!r} is not in the protocol document "
            f"(known: {', '.join(known)}): {frame!r}"
        )
    errors = sorted(
        _validator(direction, frame_type).iter_errors(frame), key=lambda e: list(e.path)
    )
    if errors:
        problems = "\n".join(f"  at {_where(e.absolute_path)}: {e.message}" for e in errors)
        raise AssertionError(f"{direction} frame {frame_type!r} breaks the protocol:\n{problems}")


def validate_server_frame(frame: dict[str, Any]) -> None:
    validate_frame(SERVER, frame)


def validate_client_frame(frame: dict[str, Any]) -> None:
    validate_frame(CLIENT, frame)
