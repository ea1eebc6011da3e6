"""event path: the outbox relay lease; direct rooms leave the room-name namespace

Revision ID: 0003_event_path
Revises: 0002_social_files
Create Date: 2026-12-01 22:10:00

- `outbox_lease`: which relay publishes the outbox (a lease, not a lock held across I/O).
- `rooms.name_key` becomes nullable: direct rooms have none, so no group room name can
  collide with (squat, or probe for) a direct room. Existing direct rooms lose theirs.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import parley.core.database

revision: str = "0003_event_path"
down_revision: str | None = "0002_social_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_lease",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", parley.core.database.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_outbox_lease")),
    )
    with op.batch_alter_table("rooms") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=200), nullable=True)
    op.execute("UPDATE rooms SET name_key = NULL WHERE kind = 'direct'")


def downgrade() -> None:
    op.execute("UPDATE rooms SET name_key = 'dm:' || id WHERE kind = 'direct'")
    with op.batch_alter_table("rooms") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=200), nullable=False)
    op.drop_table("outbox_lease")
