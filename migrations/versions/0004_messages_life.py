"""messages with a life (issue 12): edits, reactions, pins, replies, mentions, html

Revision ID: 0004_messages_life
Revises: 0003_event_path
Create Date: 2026-12-01 22:20:00

Reserved in the chain so that work on several issues at once keeps one head; the revision
fills in with its issue's tables.
"""

from collections.abc import Sequence

revision: str = "0004_messages_life"
down_revision: str | None = "0003_event_path"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
