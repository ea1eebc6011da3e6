"""Notification levels on memberships and Web Push subscriptions (issue 13)

Revision ID: 0010_push
Revises: 0009_oidc
Create Date: 2026-12-02 01:15:00

Two nullable columns and a new table, so the revision runs the same on SQLite, PostgreSQL
and MariaDB (the unique key is a 64-character digest of the endpoint, not the endpoint).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0010_push"
down_revision: str | None = "0009_oidc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = parley.core.database.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("room_members") as batch:
        batch.add_column(sa.Column("notify", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("notify_muted_until", _WHEN(), nullable=True))
    op.create_table(
        "push_subscriptions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("endpoint_key", sa.String(length=64), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_push_subscriptions_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint_key", name=op.f("uq_push_subscriptions_endpoint_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_push_subscriptions_member_id"), "push_subscriptions", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_push_subscriptions_member_id"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    with op.batch_alter_table("room_members") as batch:
        batch.drop_column("notify_muted_until")
        batch.drop_column("notify")
