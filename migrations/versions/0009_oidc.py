"""OpenID Connect (issue 17): members linked to a provider's accounts by (issuer, sub)

Revision ID: 0009_oidc
Revises: 0008_integrations
Create Date: 2026-12-01 23:30:00

A new table only, so the revision runs the same on SQLite, PostgreSQL and MariaDB (the
unique key is 2 x 255 utf8mb4 characters, under InnoDB's 3072-byte limit).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0009_oidc"
down_revision: str | None = "0008_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_WHEN = parley.core.database.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "oidc_links",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("member_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.Column("last_login_at", _WHEN(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_oidc_links_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_links")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_oidc_links_issuer_subject")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_oidc_links_member_id"), "oidc_links", ["member_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_oidc_links_member_id"), table_name="oidc_links")
    op.drop_table("oidc_links")
