"""Messages: each has a per-room `seq`, assigned in the transaction that stores it.

A message's life (issue 12) is a timeline too: every edit, delete, reaction and pin takes the
room's next seq and leaves a `MessageUpdate` row keyed (room_id, seq), which replays and gap
fills read back beside the messages. Earlier versions are `MessageEdit` rows; reactions and
mentions have their own tables so that counts and "my mentions" are index lookups.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("room_id", "seq", name="uq_messages_room_seq"),
        UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_client_msg"),
        Index("ix_messages_to_member_id", "to_member_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    room_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(BigInteger)
    #: NULL once the sender has withdrawn: shown as a deleted member
    sender_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16), default="text")  # text | system | whisper
    body: Mapped[str] = mapped_column(Text)
    client_msg_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: whisper target; a whisper whose target withdrew stays visible to its sender only
    to_member_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    #: JSON details of a system message (event, member ids)
    meta: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the body's Markdown rendered and sanitised at write time (mentions as @nickname)
    html: Mapped[str] = mapped_column(Text, default="", server_default="")
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: "sender" or "moderator" once deleted (body, html and attachments are emptied)
    deleted_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: the message this one replies to (same room); kept as a plain id, checked at write time
    reply_to_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: the quote of the original as it was when replied to (emptied if the original is
    #: deleted): a later edit of the original does not silently change this message
    reply_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: JSON list of the member ids the body mentions (resolved at write time), or NULL
    mentions: Mapped[str | None] = mapped_column(Text, nullable=True)
    mentions_room: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MessageUpdate(Base):
    """A change to a message as a timeline event: its seq, what changed and who did it.

    The frame is rebuilt from the message's current state when read back (a replay after a
    delete never resurrects the deleted text)."""

    __tablename__ = "message_updates"
    __table_args__ = (Index("ix_message_updates_message_id", "message_id"),)

    room_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE")
    )
    #: edit | delete | react | unreact | pin | unpin
    change: Mapped[str] = mapped_column(String(16))
    #: who made the change; a moderator's delete is recorded here (and the audit hook)
    by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageEdit(Base):
    """An earlier version of an edited message (removed when the message is deleted)."""

    __tablename__ = "message_edits"
    __table_args__ = (
        Index("ix_message_edits_message_id", "message_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE")
    )
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    #: when this version was written (the message's creation, or the edit before)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MessageReaction(Base):
    """One member's reaction; `emoji_key` is the emoji's code points in hex joined by '-'
    (ASCII, so no database collation can fold two emoji into one)."""

    __tablename__ = "message_reactions"

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    emoji_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageMention(Base):
    """A resolved `<@member_id>` of a message: "my mentions" and unread mention counts."""

    __tablename__ = "message_mentions"
    __table_args__ = (Index("ix_message_mentions_member", "member_id", "room_id", "seq"),)

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    room_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(BigInteger)
