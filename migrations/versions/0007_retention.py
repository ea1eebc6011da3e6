"""data that belongs to its people (issue 16): per-room retention, import references

Revision ID: 0007_retention
Revises: 0006_search
Create Date: 2026-12-01 22:45:00

`rooms.retention_days` (NULL: the instance's PARLEY_RETENTION_DAYS), `rooms.purged_seq` (every
seq up to it was purged: a resume from before it gets `reset`) and `import_refs`, which
remembers what an import (Slack) already created, so importing twice does not duplicate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_retention"
down_revision: str | None = "0006_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("purged_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.create_table(
        "import_refs",
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("local_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", "kind", "external_id", name=op.f("pk_import_refs")),
    )


def downgrade() -> None:
    op.drop_table("import_refs")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("purged_seq")
        batch.drop_column("retention_days")
