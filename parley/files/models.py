"""Uploaded files: content-addressed blobs, one upload row per upload, message attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base, BigIntPK, UTCDateTime, utcnow


class FileBlob(Base):
    """Stored bytes, keyed by their SHA-256: the same content is kept once, whoever sent it.

    Its storage key (and its thumbnail's) derive from `sha256` alone, never from a name.
    """

    __tablename__ = "file_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: decided from the content's magic bytes, never from the name or the declared type
    content_type: Mapped[str] = mapped_column(String(64))
    #: the thumbnail's media type, or null when there is none (not an image)
    thumbnail_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Upload(Base):
    """One upload by one member: what a message refers to and what access is checked on."""

    __tablename__ = "uploads"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: no cascade: a blob is removed only once no upload refers to it
    blob_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("file_blobs.sha256"), index=True
    )
    #: NULL once the uploader withdrew (files already in messages stay)
    owner_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: a display name only (sanitised, no directories); never used to build a path
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MessageAttachment(Base):
    __tablename__ = "message_attachments"

    message_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    #: no cascade: the garbage collector cannot delete an upload a message still uses
    upload_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("uploads.id"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
