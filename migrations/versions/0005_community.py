"""running a community (issue 14): registration, invites, recovery, suspensions, reports, audit, room moderation

Revision ID: 0005_community
Revises: 0004_messages_life
Create Date: 2026-12-01 22:20:00

Reserved in the chain so that work on several issues at once keeps one head; the revision
fills in with its issue's tables.
"""

from collections.abc import Sequence

revision: str = "0005_community"
down_revision: str | None = "0004_messages_life"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
