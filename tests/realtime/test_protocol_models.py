"""The typed protocol models and docs/protocol/asyncapi.yaml say the same thing.

For every frame model, its JSON Schema (from msgspec) and the document's payload schema are
reduced to one canonical shape (types, enums, bounds, patterns, required and properties,
recursively) and compared property by property: a field, a bound or an enum value that one
has and the other lacks fails here. The documented examples and the guide's quoted frames
must also decode with the models, and model-built frames must validate against the document.
"""

from __future__ import annotations

import json
from typing import Any, Union

import msgspec
import pytest

from parley.realtime import protocol
from parley.realtime.protocol import (
    CLIENT_FRAMES,
    SERVER_FRAMES,
    ClientFrame,
    FrameError,
    ServerFrame,
    decode_client_frame,
    encode,
)
from tests.support.protocol import CLIENT, SERVER, frames_by_type, iter_frames, resolve
from tests.support.protocol import validate_server_frame as validate_against_document
from tests.test_protocol_doc import _guide_frames

_MODEL_SCHEMAS, _MODEL_DEFS = msgspec.json.schema_components(
    CLIENT_FRAMES + SERVER_FRAMES, ref_template="#/$defs/{name}"
)
_BOUNDS = {
    "integer": ("minimum", "maximum"),
    "string": ("minLength", "maxLength", "pattern"),
    "array": ("minItems", "maxItems"),
}
AnyServerFrame = Union[SERVER_FRAMES]  # type: ignore[valid-type]  # noqa: UP007


def _follow(node: Any, lookup: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**lookup(node["$ref"]), **extra}
    return node


def _model_lookup(ref: str) -> Any:
    return _MODEL_DEFS[ref.removeprefix("#/$defs/")]


def _doc_lookup(ref: str) -> Any:
    return resolve(ref)[1]


def shape(node: Any, lookup: Any) -> list[Any]:
    """The values a schema admits, as a sorted list of alternatives (descriptions ignored)."""
    node = _follow(node, lookup)
    for combinator in ("allOf",):
        if combinator in node:  # the document wraps a $ref to add a description
            merged = {k: v for k, v in node.items() if k != combinator}
            for part in node[combinator]:
                merged.update(_follow(part, lookup))
            node = merged
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            found = [alt for part in node[combinator] for alt in shape(part, lookup)]
            return sorted(found, key=lambda alt: json.dumps(alt, sort_keys=True))
    if "const" in node or "enum" in node:
        return [{"enum": sorted([node["const"]] if "const" in node else node["enum"])}]
    types = node.get("type", [])
    alternatives = []
    for kind in [types] if isinstance(types, str) else types:
        alt: dict[str, Any] = {"type": kind}
        alt.update({key: node[key] for key in _BOUNDS.get(kind, ()) if key in node})
        if kind == "array" and "items" in node:
            alt["items"] = shape(node["items"], lookup)
        if kind == "object":
            alt["required"] = sorted(node.get("required", []))
            alt["properties"] = {
                name: shape(value, lookup) for name, value in node.get("properties", {}).items()
            }
        alternatives.append(alt)
    return sorted(alternatives, key=lambda alt: json.dumps(alt, sort_keys=True))


def _tag(model: type[Any]) -> str:
    return str(model.__struct_config__.tag)


def _direction(model: type[Any]) -> str:
    return CLIENT if issubclass(model, ClientFrame) else SERVER


def _model_payload(model: type[Any]) -> dict[str, Any]:
    (object_shape,) = shape(_MODEL_DEFS[model.__name__], _model_lookup)
    if _direction(model) == CLIENT:
        # an optional client field may be sent as null (taken as absent): leniency of the
        # server, not part of what the document asks of clients
        for name, alternatives in object_shape["properties"].items():
            if name not in object_shape["required"]:
                alternatives[:] = [a for a in alternatives if a != {"type": "null"}]
    result: dict[str, Any] = object_shape
    return result


def _doc_payload(model: type[Any]) -> dict[str, Any]:
    frame = frames_by_type()[(_direction(model), _tag(model))]
    (object_shape,) = shape(resolve(frame.pointer)[1], _doc_lookup)
    result: dict[str, Any] = object_shape
    return result


@pytest.mark.parametrize("direction", [CLIENT, SERVER])
def test_every_documented_frame_has_a_model_and_back(direction: str) -> None:
    models = CLIENT_FRAMES if direction == CLIENT else SERVER_FRAMES
    documented = {t for d, t in frames_by_type() if d == direction}
    assert {_tag(m) for m in models} == documented


@pytest.mark.parametrize("model", CLIENT_FRAMES + SERVER_FRAMES, ids=lambda m: m.__name__)
def test_model_and_document_agree(model: type[Any]) -> None:
    ours, theirs = _model_payload(model), _doc_payload(model)
    assert ours["required"] == theirs["required"], "required fields differ"
    assert set(ours["properties"]) == set(theirs["properties"]), "fields differ"
    for name, alternatives in ours["properties"].items():
        assert alternatives == theirs["properties"][name], f"{model.__name__}.{name} differs"


def test_drift_is_caught() -> None:
    """The comparison sees a changed bound, a dropped enum value and a new field."""
    (base,) = shape(
        {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}}, _doc_lookup
    )
    (bound,) = shape(
        {"type": "object", "properties": {"n": {"type": "integer", "maximum": 6}}}, _doc_lookup
    )
    assert base != bound
    assert shape({"enum": ["a", "b"]}, _doc_lookup) != shape({"enum": ["a"]}, _doc_lookup)
    assert shape({"type": ["string", "integer"]}, _doc_lookup) == shape(
        {"anyOf": [{"type": "integer"}, {"type": "string"}]}, _doc_lookup
    )


def _examples(direction: str) -> list[dict[str, Any]]:
    documented = [
        example["payload"]
        for frame in iter_frames()
        if frame.direction == direction
        for example in frame.message.get("examples") or []
    ]
    return documented + [frame for d, frame in _guide_frames() if d == direction]


@pytest.mark.parametrize("example", _examples(CLIENT), ids=lambda e: e["type"])
def test_documented_client_frames_decode(example: dict[str, Any]) -> None:
    frame = decode_client_frame(json.dumps(example))
    assert _tag(type(frame)) == example["type"]


@pytest.mark.parametrize("example", _examples(SERVER), ids=lambda e: e["type"])
def test_documented_server_frames_fit_the_models_and_encode_back(example: dict[str, Any]) -> None:
    frame = msgspec.convert(example, AnyServerFrame, strict=True)
    assert isinstance(frame, ServerFrame)
    encoded = json.loads(encode(frame))
    assert encoded == example
    validate_against_document(encoded)


def test_model_built_frames_validate() -> None:
    for frame in (
        protocol.ServerCall(3, 5, "offer", {"sdp": "v=0"}),
        protocol.ServerCall(3, 5, "hangup"),
        protocol.error("invalid_field", "room_id must be a positive integer"),
        protocol.error("not_a_member", "not a member of this room", 3),
        protocol.ServerPong("x"),
    ):
        validate_against_document(json.loads(encode(frame)))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "malformed_frame"),
        ("[]", "malformed_frame"),
        ('{"type": "subscribe", "room_id": 1, "x": ' + "[" * 5000 + "]" * 5000 + "}", None),
        ('{"type": "subscribe", "room_id": 1.0}', "invalid_field"),
        ('{"type": "subscribe", "room_id": 9223372036854775808}', "invalid_field"),
        ('{"type": "subscribe", "room_id": 9223372036854775807}', "ok"),
        ('{"type": "unsubscribe"}', "invalid_field"),
        ('{"type": "read", "room_id": 1, "seq": -1}', "invalid_field"),
        ('{"type": "read", "room_id": 1, "seq": 0}', "ok"),
        ('{"type": "call", "room_id": 1, "to": 2, "action": "ice", "data": "x"}', "invalid_field"),
        ('{"type": "call", "room_id": 1, "to": 2, "action": "ice", "data": [1]}', "invalid_field"),
        ('{"type": "call", "room_id": 1, "to": 2, "action": "ice", "data": null}', "ok"),
        ('{"type": "ping", "id": true}', "invalid_field"),
        ('{"type": "ping", "id": -3}', "ok"),
        (
            '{"type": "send", "room_id": 1, "client_msg_id": "a", "body": "x", "to": 0}',
            "invalid_field",
        ),
        (
            '{"type": "send", "room_id": 1, "client_msg_id": "a", "body": "x", "attachments": [0]}',
            "invalid_field",
        ),
        ('{"type": "send", "room_id": 1, "client_msg_id": "a", "body": "x", "extra": 1}', "ok"),
    ],
)
def test_decoder_codes(text: str, code: str | None) -> None:
    if code == "ok":
        decode_client_frame(text)
        return
    with pytest.raises(FrameError) as refused:
        decode_client_frame(text)
    assert refused.value.code == (code or "malformed_frame")


def test_call_data_is_bounded() -> None:
    big = {"sdp": "x" * (protocol.CALL_DATA_MAX_BYTES)}
    frame = {"type": "call", "room_id": 1, "to": 2, "action": "offer", "data": big}
    with pytest.raises(FrameError) as refused:
        decode_client_frame(json.dumps(frame))
    assert refused.value.code == "too_large"


def test_a_refused_send_names_its_client_msg_id() -> None:
    with pytest.raises(FrameError) as refused:
        decode_client_frame('{"type": "send", "room_id": "1", "client_msg_id": "m-1", "body": "x"}')
    assert (refused.value.code, refused.value.ref) == ("invalid_field", "m-1")
