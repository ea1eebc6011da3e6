"""Sequences that span domains, and the assembly that injects what lower domains need.

Domains have a direction (DESIGN §7): rooms may not import chat, chat may not import social
or files. What a lower domain needs from a higher one is a hook (`rooms.hooks`,
`chat.hooks`) that `install()` fills in when the app or the CLI is assembled. Sequences that
cross domains (withdrawal, a nickname change, direct rooms, system messages) live here.
"""

from __future__ import annotations


def install() -> None:
    """Wire the domains together (idempotent): rooms asks chat and social, chat asks social
    and files, through their public modules."""
    from parley.chat import api as chat
    from parley.files import api as files
    from parley.flows.moderation import audit_message_deleted, audit_room_action
    from parley.flows.timeline import write_system_message
    from parley.rooms import api as rooms
    from parley.search import api as search
    from parley.social import api as social

    rooms.hooks.system_message = write_system_message
    rooms.hooks.latest_visible = chat.latest_visible
    rooms.hooks.unread_counts = chat.unread_counts
    rooms.hooks.mention_counts = chat.mention_counts
    rooms.hooks.has_blocked = social.has_blocked
    rooms.hooks.audit = audit_room_action
    chat.hooks.moderator_deleted = audit_message_deleted
    chat.hooks.blocked_sends = social.blocked_sends
    chat.hooks.uploads_of = files.uploads_of
    chat.hooks.link_attachments = files.link
    chat.hooks.attachments_of = files.attachments_of
    chat.hooks.unlink_attachments = files.unlink
    search.hooks.has_file = files.message_has_file
