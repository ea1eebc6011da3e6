"""The rooms domain's public surface: membership checks, the seq counter, listings, hooks."""

from __future__ import annotations

from parley.rooms import membership
from parley.rooms.access import (
    advance_read_marker,
    allocate_seqs,
    bump_seqs,
    get_membership,
    get_room,
    last_seqs,
    nicknames_of_members,
    room_ids_of,
    room_mention_rights,
    rooms_of_member,
)
from parley.rooms.direct import create_direct_room, reseat
from parley.rooms.events import announce_member, announce_room, room_payload
from parley.rooms.guard import find_membership, load_room, not_a_member, room_not_found
from parley.rooms.hooks import hooks
from parley.rooms.listing import my_rooms
from parley.rooms.models import Room
from parley.rooms.moderation import (
    SendRestrictions,
    all_rooms,
    is_moderator,
    send_restrictions,
    transfer_ownership,
)
from parley.rooms.notify import NotifyLevel, levels_of
from parley.rooms.retention import mark_purged, purged_seq_of, retention_plan, set_retention
from parley.rooms.schemas import MemberId, MyRoomOut, RoomOut, RoomUpdate
from parley.rooms.service import delete_room, leave_all_rooms, update_room

__all__ = [
    "MemberId",
    "MyRoomOut",
    "NotifyLevel",
    "Room",
    "RoomOut",
    "RoomUpdate",
    "SendRestrictions",
    "advance_read_marker",
    "all_rooms",
    "allocate_seqs",
    "announce_member",
    "announce_room",
    "bump_seqs",
    "create_direct_room",
    "delete_room",
    "find_membership",
    "get_membership",
    "get_room",
    "hooks",
    "is_moderator",
    "last_seqs",
    "leave_all_rooms",
    "levels_of",
    "load_room",
    "mark_purged",
    "membership",
    "my_rooms",
    "nicknames_of_members",
    "not_a_member",
    "purged_seq_of",
    "reseat",
    "retention_plan",
    "room_ids_of",
    "room_mention_rights",
    "room_not_found",
    "room_payload",
    "rooms_of_member",
    "send_restrictions",
    "set_retention",
    "transfer_ownership",
    "update_room",
]
