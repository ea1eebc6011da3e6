"""messages with a life (issue 12): edits, deletes, reactions, pins, replies, mentions, html

Revision ID: 0004_messages_life
Revises: 0003_event_path
Create Date: 2026-12-01 22:20:00

- `messages` gains `html`, `edited_at`, `deleted_by`, `reply_to_id`, `mentions`,
  `mentions_room`, `pinned_at`. Existing messages keep an empty `html` (clients fall back to
  the body).
- `message_updates` (room_id, seq): every change to a message is a timeline event.
- `message_edits`: earlier versions. `message_reactions`, `message_mentions`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0004_messages_life"
down_revision: str | None = "0003_event_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = parley.core.database.UTCDateTime
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("html", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("edited_at", UTC(), nullable=True))
        batch.add_column(sa.Column("deleted_by", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("reply_to_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reply_excerpt", sa.Text(), nullable=True))
        batch.add_column(sa.Column("mentions", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("mentions_room", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("pinned_at", UTC(), nullable=True))
    op.create_table(
        "message_updates",
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_message_updates_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_updates_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["members.id"],
            name=op.f("fk_message_updates_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("room_id", "seq", name=op.f("pk_message_updates")),
    )
    op.create_index("ix_message_updates_message_id", "message_updates", ["message_id"])
    op.create_table(
        "message_edits",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_edits_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_edits")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_message_edits_message_id", "message_edits", ["message_id"])
    op.create_table(
        "message_reactions",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("emoji_key", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_reactions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_message_reactions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "message_id", "emoji_key", "member_id", name=op.f("pk_message_reactions")
        ),
    )
    op.create_table(
        "message_mentions",
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_mentions_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_message_mentions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "member_id", name=op.f("pk_message_mentions")),
    )
    op.create_index(
        "ix_message_mentions_member", "message_mentions", ["member_id", "room_id", "seq"]
    )


def downgrade() -> None:
    op.drop_index("ix_message_mentions_member", table_name="message_mentions")
    op.drop_table("message_mentions")
    op.drop_table("message_reactions")
    op.drop_index("ix_message_edits_message_id", table_name="message_edits")
    op.drop_table("message_edits")
    op.drop_index("ix_message_updates_message_id", table_name="message_updates")
    op.drop_table("message_updates")
    with op.batch_alter_table("messages") as batch:
        for column in (
            "pinned_at",
            "mentions_room",
            "mentions",
            "reply_excerpt",
            "reply_to_id",
            "deleted_by",
            "edited_at",
            "html",
        ):
            batch.drop_column(column)
