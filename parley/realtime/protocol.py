"""Protocol v1 as typed models: every client and every server frame (DESIGN §4, §7).

msgspec Structs, tagged by `type`: decoding a client frame is one C call that parses and
validates together (strict: `"1"`, `1.0` and `true` are not integers), about 3x faster than
`orjson.loads` plus hand-written checks and 4x faster than a pydantic TypeAdapter (figures in
docs/protocol.md). `decode_client_frame` turns msgspec's refusal into the protocol's error
codes. `docs/protocol/asyncapi.yaml` is checked against these models by
`tests/realtime/test_protocol_models.py`: add a frame (e.g. `message_update`) here and there.

Unknown fields of client frames are ignored (newer clients may send more); server frames
carry exactly their fields, optional ones (`UNSET`) left out rather than sent as null.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

import msgspec
import orjson
from msgspec import UNSET, Meta, Struct, UnsetType, field

from parley.core.database import MAX_BIGINT
from parley.core.fields import (
    BODY_MAX_INPUT_CHARS,
    CLIENT_MSG_ID_MAX,
    MAX_ATTACHMENTS,
    ClientMsgId,
    Id,
    MessageBody,
    Seq,
    client_msg_id_is_valid,
)

CALL_ACTIONS = ("request", "accept", "reject", "hangup", "offer", "answer", "ice")
CALL_DATA_MAX_BYTES = 16 * 1024
PING_ID_MAX = 64

CallAction = Literal["request", "accept", "reject", "hangup", "offer", "answer", "ice"]
#: echoed back unchanged in `pong`
PingId = (
    Annotated[str, Meta(max_length=PING_ID_MAX)]
    | Annotated[int, Meta(ge=-MAX_BIGINT, le=MAX_BIGINT)]
)
#: ISO-8601 in UTC with a `Z` suffix
Timestamp = Annotated[str, Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")]


class FrameError(Exception):
    """A refused frame: answered with `error {code, detail, ref?}`, the connection goes on."""

    def __init__(self, code: str, detail: str, ref: str | int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.ref = ref


# -- client -> server ---------------------------------------------------------------------


class ClientFrame(Struct, tag_field="type", frozen=True, gc=False):
    """Base of the frames a client sends."""


class ClientSubscribe(ClientFrame, tag="subscribe", frozen=True, gc=False):
    room_id: Id
    #: replay every message with a greater seq before going live
    after_seq: Seq | None = None


class ClientUnsubscribe(ClientFrame, tag="unsubscribe", frozen=True, gc=False):
    room_id: Id


class ClientSend(ClientFrame, tag="send", frozen=True, gc=False):
    room_id: Id
    client_msg_id: ClientMsgId
    #: an empty body is refused as `empty_body`; the length limit after cleaning is
    #: `PARLEY_MESSAGE_MAX_CHARS` (checked by the service: it is a setting)
    body: Annotated[MessageBody, Meta(min_length=1)]
    #: whisper target
    to: Id | None = None
    #: ids of files uploaded with `POST /api/v1/files`
    attachments: Annotated[list[Id], Meta(max_length=MAX_ATTACHMENTS)] | None = None
    #: the id of a message of the same room that the sender can see
    reply_to: Id | None = None

    def __post_init__(self) -> None:
        if not client_msg_id_is_valid(self.client_msg_id):
            raise ValueError("invalid_field: client_msg_id must be printable")


class ClientTyping(ClientFrame, tag="typing", frozen=True, gc=False):
    room_id: Id


class ClientRead(ClientFrame, tag="read", frozen=True, gc=False):
    room_id: Id
    seq: Seq


class ClientCall(ClientFrame, tag="call", frozen=True, gc=False):
    room_id: Id
    to: Id
    action: CallAction
    #: opaque WebRTC payload (SDP, ICE candidate), relayed as is
    data: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.data is not None and len(orjson.dumps(self.data)) > CALL_DATA_MAX_BYTES:
            raise ValueError("too_large: call data is too large")


class ClientPing(ClientFrame, tag="ping", frozen=True, gc=False):
    id: PingId


CLIENT_FRAMES: tuple[type[ClientFrame], ...] = (
    ClientSubscribe,
    ClientUnsubscribe,
    ClientSend,
    ClientTyping,
    ClientRead,
    ClientCall,
    ClientPing,
)
AnyClientFrame = (
    ClientSubscribe
    | ClientUnsubscribe
    | ClientSend
    | ClientTyping
    | ClientRead
    | ClientCall
    | ClientPing
)
_decoder = msgspec.json.Decoder(AnyClientFrame)


def decode_client_frame(text: str | bytes) -> AnyClientFrame:
    """Parse and validate one client frame, or raise `FrameError` with the protocol's code."""
    try:
        return _decoder.decode(text)
    except msgspec.ValidationError as exc:
        raise _refusal(str(exc), text) from None
    except msgspec.DecodeError:
        raise FrameError("malformed_frame", "frame is not valid JSON") from None
    except RecursionError:
        raise FrameError("malformed_frame", "frame nests too deeply") from None


# msgspec says what it refused and where: "Expected `int` >= 1 - at `$.room_id`",
# "Object missing required field `body`", or our own "code: detail" from __post_init__
_WHERE = re.compile(r" - at `\$\.?([A-Za-z_]*)[^`]*`$")
_MISSING = re.compile(r"^Object missing required field `([A-Za-z_]+)`")
_OWN = re.compile(r"^([a-z_]+): (.+)$")
_FIELD_ERRORS: dict[str, tuple[str, str]] = {
    "room_id": ("invalid_field", "room_id must be a positive integer"),
    "to": ("invalid_field", "to must be a positive integer"),
    "after_seq": ("invalid_field", "after_seq must be a non-negative integer"),
    "seq": ("invalid_field", "seq must be a non-negative integer"),
    "client_msg_id": (
        "invalid_field",
        f"client_msg_id must be a string of 1 to {CLIENT_MSG_ID_MAX} chars",
    ),
    "body": ("invalid_field", "body must be a string"),
    "attachments": ("invalid_field", "attachments must be a list of positive integer file ids"),
    "action": ("invalid_field", f"action must be one of {sorted(CALL_ACTIONS)}"),
    "data": ("invalid_field", "data must be a JSON object"),
    "id": ("invalid_field", "id must be a short string or an integer"),
}
#: a limit on a field's size has a code of its own
_SIZE_ERRORS: dict[tuple[str, str], tuple[str, str]] = {
    ("attachments", "<="): (
        "too_many_attachments",
        f"a message carries at most {MAX_ATTACHMENTS} files",
    ),
    ("body", "<="): ("body_too_long", f"body is longer than {BODY_MAX_INPUT_CHARS} characters"),
    ("body", ">="): ("empty_body", "body is empty"),
}


def _refusal(message: str, text: str | bytes) -> FrameError:
    ref = _send_ref(text)
    own = _OWN.match(message)
    if own is not None:
        return FrameError(own.group(1), own.group(2), ref)
    where = _WHERE.search(message)
    missing = _MISSING.match(message)
    name = where.group(1) if where else missing.group(1) if missing else ""
    if name == "type":
        return FrameError("unknown_type", "unknown or missing frame type")
    if not name:
        return FrameError("malformed_frame", "frame must be a JSON object")
    if "of length " in message:
        bound = "<=" if "length <=" in message else ">="
        if (name, bound) in _SIZE_ERRORS:
            return FrameError(*_SIZE_ERRORS[name, bound], ref)
    code, detail = _FIELD_ERRORS.get(name, ("invalid_field", f"{name} is invalid"))
    return FrameError(code, detail, ref)


def _send_ref(text: str | bytes) -> str | None:
    """A refused `send` names its `client_msg_id` (when it has a usable one), so the client
    can tell which message failed; read again only on this error path."""
    try:
        frame = orjson.loads(text)
    except (orjson.JSONDecodeError, RecursionError):
        return None
    if not isinstance(frame, dict) or frame.get("type") != "send":
        return None
    client_msg_id = frame.get("client_msg_id")
    if isinstance(client_msg_id, str) and 0 < len(client_msg_id) <= CLIENT_MSG_ID_MAX:
        return client_msg_id
    return None


# -- server -> client ---------------------------------------------------------------------


class ServerFrame(Struct, tag_field="type", frozen=True, gc=False):
    """Base of the frames the server sends."""


class MemberRef(Struct, frozen=True, gc=False):
    id: Id
    nickname: str


class RoomSeq(Struct, frozen=True, gc=False):
    room_id: Id
    last_seq: Seq


class ServerReady(ServerFrame, tag="ready", frozen=True, gc=False):
    member: MemberRef
    #: every room the member belongs to, with its newest seq
    rooms: list[RoomSeq]


class ServerSubscribed(ServerFrame, tag="subscribed", frozen=True, gc=False):
    room_id: Id
    #: sent after any replay; live messages with a greater seq follow
    last_seq: Seq
    #: the member's own read marker in the room, read once this socket listens: a page that
    #: read its unread counts before its socket connected sees a read made in between
    read_seq: Seq


class Sender(Struct, frozen=True, gc=False):
    #: null once the author withdrew
    id: Id | None
    nickname: str


class Attachment(Struct, frozen=True, gc=False):
    id: Id
    name: Annotated[str, Meta(max_length=200)]
    content_type: str
    size: Annotated[int, Meta(ge=1)]
    sha256: Annotated[str, Meta(pattern="^[0-9a-f]{64}$")]
    has_thumbnail: bool


class Reaction(Struct, frozen=True, gc=False):
    #: one Unicode emoji (fully qualified)
    emoji: Annotated[str, Meta(min_length=1, max_length=16)]
    count: Annotated[int, Meta(ge=1)]
    #: who reacted, in the order they did
    member_ids: list[Id]


class ReplyQuote(Struct, frozen=True, gc=False):
    """The message replied to: enough to quote it and jump to it (`around_seq`)."""

    id: Id
    seq: Id
    #: null for system messages
    sender: Sender | None
    #: the start of its body on one line (empty once deleted)
    excerpt: Annotated[str, Meta(max_length=120)]


class MessageState(Struct, frozen=True, gc=False):
    """A message as history items show it; `message_update` carries this whole."""

    room_id: Id
    seq: Id
    id: Id
    #: null for system messages
    sender: Sender | None
    kind: Literal["text", "system", "whisper"]
    body: str
    created_at: Timestamp
    #: the body's Markdown rendered and sanitised at write time (mentions as @nickname)
    html: str
    edited_at: Timestamp | None
    deleted: bool
    #: who deleted it: its sender, or a room owner/admin or site admin
    deleted_by: Literal["sender", "moderator"] | None
    #: one entry per emoji, in the order first used
    reactions: Annotated[list[Reaction], Meta(max_length=20)]
    reply_to: ReplyQuote | None
    #: member ids the body mentions (resolved at write time)
    mentions: Annotated[list[Id], Meta(max_length=50)]
    #: the body mentions everyone (`<@room>`)
    mentions_room: bool
    pinned: bool
    client_msg_id: ClientMsgId | UnsetType = UNSET
    #: whisper target (only on whispers); null once the target withdrew
    to: Id | UnsetType | None = UNSET
    #: details of a system message, e.g. `{"event": "join", "member_id": 7}`
    meta: dict[str, Any] | UnsetType = UNSET
    attachments: (
        Annotated[list[Attachment], Meta(min_length=1, max_length=MAX_ATTACHMENTS)] | UnsetType
    ) = UNSET


class ServerMessage(ServerFrame, MessageState, tag="message", frozen=True, gc=False):
    """A committed message (the fields of `MessageState`); built as bytes by
    `parley.chat.frames` on the hot path, this model is its contract."""


class ServerMessageUpdate(ServerFrame, tag="message_update", frozen=True, gc=False):
    """A change to a message, a timeline event with the room's next seq (DESIGN §7)."""

    room_id: Id
    seq: Id
    change: Literal["edit", "delete", "react", "unreact", "pin", "unpin"]
    #: who made the change; null once they withdrew
    by: Id | None
    message: MessageState


class ServerAck(ServerFrame, tag="ack", frozen=True, gc=False):
    client_msg_id: ClientMsgId
    room_id: Id
    seq: Id
    id: Id


class ServerCommandDone(ServerFrame, tag="command_done", frozen=True, gc=False):
    """A slash command that stored no message of the sender's ran (`/topic`, `/invite`,
    `/kick`, a custom command): the answer to its `send`, in place of an `ack`."""

    client_msg_id: ClientMsgId
    room_id: Id
    command: Annotated[str, Meta(pattern="^[a-z0-9_-]{1,32}$")]


class ServerError(ServerFrame, tag="error", frozen=True, gc=False):
    code: Annotated[str, Meta(pattern="^[a-z][a-z0-9_]*$")]
    detail: str
    #: what the error is about: a refused send's client_msg_id, a refused subscribe's room
    ref: str | int | UnsetType = UNSET


class ServerTyping(ServerFrame, tag="typing", frozen=True, gc=False):
    room_id: Id
    member_id: Id


class ServerPresence(ServerFrame, tag="presence", frozen=True, gc=False):
    member_id: Id
    status: Literal["online", "offline"]


class RoomMember(Struct, frozen=True, gc=False):
    id: Id
    nickname: str
    #: the role after the change; null when it leaves them outside the room
    role: Literal["owner", "admin", "member"] | None


class ServerMember(ServerFrame, tag="member", frozen=True, gc=False):
    room_id: Id
    event: Literal["join", "leave", "invite", "kick", "ban", "unban", "role", "owner"]
    member: RoomMember


class RoomInfo(Struct, frozen=True, gc=False):
    """The API's `RoomOut`."""

    id: Id
    name: str
    kind: Literal["group", "direct"]
    is_private: bool
    topic: str
    capacity: Annotated[int, Meta(ge=2)]
    member_count: Annotated[int, Meta(ge=0)]
    members_can_invite: bool
    created_at: Timestamp
    slow_mode_seconds: Annotated[int, Meta(ge=0)]


class ServerRoom(ServerFrame, tag="room", frozen=True, gc=False):
    event: Literal["update", "delete"]
    room: RoomInfo


class ServerMute(ServerFrame, tag="mute", frozen=True, gc=False):
    """To the muted member: their sends to the room are refused until `until` (null: lifted)."""

    room_id: Id
    member_id: Id
    until: Timestamp | None


class ServerRead(ServerFrame, tag="read", frozen=True, gc=False):
    room_id: Id
    member_id: Id
    seq: Seq


class ServerCall(ServerFrame, tag="call", frozen=True, gc=False):
    room_id: Id
    from_: Id = field(name="from")
    action: CallAction
    data: dict[str, Any] | UnsetType = UNSET


class ServerReset(ServerFrame, tag="reset", frozen=True, gc=False):
    room_id: Id
    last_seq: Seq


class ServerPong(ServerFrame, tag="pong", frozen=True, gc=False):
    id: PingId


class ServerSessionEnded(ServerFrame, tag="session_ended", frozen=True, gc=False):
    """The login session behind this socket ended; the server closes it with 4001 next."""

    reason: Literal["logout", "password_changed", "refresh_reuse", "withdrawn", "suspended"]


class ProfileMember(Struct, frozen=True, gc=False):
    id: Id
    nickname: str


class ServerProfile(ServerFrame, tag="profile", frozen=True, gc=False):
    """A member who shares a room (or is a friend) changed their nickname."""

    member: ProfileMember


class FriendMember(Struct, frozen=True, gc=False):
    id: Id
    nickname: str | None


class ServerFriend(ServerFrame, tag="friend", frozen=True, gc=False):
    """A friendship of this member changed; `member` is the other one, `by` who acted."""

    event: Literal["request", "accept", "decline", "remove"]
    member: FriendMember
    by: Id


class ServerBlock(ServerFrame, tag="block", frozen=True, gc=False):
    """This member blocked or unblocked `member` (on another tab, say)."""

    event: Literal["add", "remove"]
    member: FriendMember


SERVER_FRAMES: tuple[type[ServerFrame], ...] = (
    ServerReady,
    ServerSubscribed,
    ServerMessage,
    ServerMessageUpdate,
    ServerAck,
    ServerCommandDone,
    ServerError,
    ServerTyping,
    ServerPresence,
    ServerMember,
    ServerRoom,
    ServerRead,
    ServerMute,
    ServerCall,
    ServerReset,
    ServerPong,
    ServerSessionEnded,
    ServerProfile,
    ServerFriend,
    ServerBlock,
)
_encoder = msgspec.json.Encoder()


def encode(frame: ServerFrame) -> bytes:
    """The frame's JSON text, `type` first."""
    return _encoder.encode(frame)


def error(code: str, detail: str, ref: str | int | None = None) -> ServerError:
    return ServerError(code, detail, UNSET if ref is None else ref)
