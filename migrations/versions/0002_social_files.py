"""social and files: friendships, blocks, direct rooms, uploads, attachments

Revision ID: 0002_social_files
Revises: 0001_initial
Create Date: 2026-11-25 17:14:31.694947

New tables only, so the revision runs the same on SQLite, PostgreSQL and MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0002_social_files"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "file_blobs",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("thumbnail_type", sa.String(length=32), nullable=True),
        sa.Column("created_at", parley.core.database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_file_blobs")),
    )
    op.create_table(
        "blocks",
        sa.Column("blocker_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", parley.core.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["members.id"],
            name=op.f("fk_blocks_blocked_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["members.id"],
            name=op.f("fk_blocks_blocker_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_blocks")),
    )
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_blocks_blocked_id"), ["blocked_id"], unique=False)

    op.create_table(
        "friendships",
        sa.Column("low_id", sa.BigInteger(), nullable=False),
        sa.Column("high_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_by", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", parley.core.database.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", parley.core.database.UTCDateTime(), nullable=True),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_friendships_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["high_id"],
            ["members.id"],
            name=op.f("fk_friendships_high_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["low_id"],
            ["members.id"],
            name=op.f("fk_friendships_low_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("low_id", "high_id", name=op.f("pk_friendships")),
    )
    with op.batch_alter_table("friendships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_friendships_high_id"), ["high_id"], unique=False)

    op.create_table(
        "uploads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("blob_sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", parley.core.database.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["blob_sha256"], ["file_blobs.sha256"], name=op.f("fk_uploads_blob_sha256_file_blobs")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["members.id"],
            name=op.f("fk_uploads_owner_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uploads")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uploads_blob_sha256"), ["blob_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_uploads_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "direct_rooms",
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("low_id", sa.BigInteger(), nullable=False),
        sa.Column("high_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("low_id < high_id", name=op.f("ck_direct_rooms_ordered_pair")),
        sa.ForeignKeyConstraint(
            ["high_id"],
            ["members.id"],
            name=op.f("fk_direct_rooms_high_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["low_id"],
            ["members.id"],
            name=op.f("fk_direct_rooms_low_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_direct_rooms_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_direct_rooms")),
        sa.UniqueConstraint("low_id", "high_id", name="uq_direct_rooms_pair"),
    )
    with op.batch_alter_table("direct_rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_direct_rooms_high_id"), ["high_id"], unique=False)

    op.create_table(
        "message_attachments",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("upload_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_attachments_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["uploads.id"], name=op.f("fk_message_attachments_upload_id_uploads")
        ),
        sa.PrimaryKeyConstraint("message_id", "upload_id", name=op.f("pk_message_attachments")),
    )
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_attachments_upload_id"), ["upload_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_attachments_upload_id"))

    op.drop_table("message_attachments")
    with op.batch_alter_table("direct_rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_direct_rooms_high_id"))

    op.drop_table("direct_rooms")
    with op.batch_alter_table("uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uploads_owner_id"))
        batch_op.drop_index(batch_op.f("ix_uploads_created_at"))
        batch_op.drop_index(batch_op.f("ix_uploads_blob_sha256"))

    op.drop_table("uploads")
    with op.batch_alter_table("friendships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_friendships_high_id"))

    op.drop_table("friendships")
    with op.batch_alter_table("blocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_blocks_blocked_id"))

    op.drop_table("blocks")
    op.drop_table("file_blobs")
