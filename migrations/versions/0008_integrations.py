"""integrations (issue 17): bots and their tokens, incoming and outgoing webhooks

Revision ID: 0008_integrations
Revises: 0007_retention
Create Date: 2026-12-01 23:00:00

New tables only, so the revision runs the same on SQLite, PostgreSQL and MariaDB.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0008_integrations"
down_revision: str | None = "0007_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = parley.core.database.UTCDateTime


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        _fk("bots", "member_id", "members", "CASCADE"),
        _fk("bots", "owner_id", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_bots")),
    )
    op.create_index(op.f("ix_bots_owner_id"), "bots", ["owner_id"])
    op.create_table(
        "bot_tokens",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("rooms", sa.Text(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        _fk("bot_tokens", "bot_id", "members", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_bot_tokens_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_bot_tokens_bot_id"), "bot_tokens", ["bot_id"])
    op.create_table(
        "incoming_webhooks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        _fk("incoming_webhooks", "room_id", "rooms", "CASCADE"),
        _fk("incoming_webhooks", "bot_id", "members", "CASCADE"),
        _fk("incoming_webhooks", "created_by", "members", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_webhooks")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_incoming_webhooks_secret_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_incoming_webhooks_room_id"), "incoming_webhooks", ["room_id"])
    op.create_table(
        "outgoing_webhooks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("room_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("trigger_words", sa.Text(), nullable=True),
        sa.Column("command", sa.String(length=32), nullable=True),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", _WHEN(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        _fk("outgoing_webhooks", "room_id", "rooms", "CASCADE"),
        _fk("outgoing_webhooks", "bot_id", "members", "CASCADE"),
        _fk("outgoing_webhooks", "created_by", "members", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_webhooks")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_outgoing_webhooks_room_id"), "outgoing_webhooks", ["room_id"])


def downgrade() -> None:
    for table in ("outgoing_webhooks", "incoming_webhooks", "bot_tokens", "bots"):
        op.drop_table(table)
