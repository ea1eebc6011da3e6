"""The chat domain's public surface: the message path, history, summaries, hooks."""

from __future__ import annotations

from parley.chat.attachment_ids import InvalidAttachments, parse_attachment_ids
from parley.chat.batch import Ack, Send, SendRejected
from parley.chat.changes import delete_message
from parley.chat.export import messages_sent_by, visible_room_messages
from parley.chat.frames import message_payload
from parley.chat.history import message_visible_to, read_messages, read_timeline, visible_to
from parley.chat.hooks import UploadInfo, hooks
from parley.chat.lookup import MessageRef, find_message
from parley.chat.models import Message
from parley.chat.reads import my_mentions
from parley.chat.retention import purge_batch
from parley.chat.service import add_system_message, mark_read
from parley.chat.summaries import latest_visible, mention_counts, unread_counts
from parley.chat.writer import MessageWriter

__all__ = [
    "Ack",
    "InvalidAttachments",
    "Message",
    "MessageRef",
    "MessageWriter",
    "Send",
    "SendRejected",
    "UploadInfo",
    "add_system_message",
    "delete_message",
    "find_message",
    "hooks",
    "latest_visible",
    "mark_read",
    "mention_counts",
    "message_payload",
    "message_visible_to",
    "messages_sent_by",
    "my_mentions",
    "parse_attachment_ids",
    "purge_batch",
    "read_messages",
    "read_timeline",
    "unread_counts",
    "visible_room_messages",
    "visible_to",
]
