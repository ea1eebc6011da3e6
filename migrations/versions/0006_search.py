"""search that works in Korean (issue 15): the message index

Revision ID: 0006_search
Revises: 0005_community
Create Date: 2026-12-01 22:20:00

Reserved in the chain so that work on several issues at once keeps one head; the revision
fills in with its issue's tables.
"""

from collections.abc import Sequence

revision: str = "0006_search"
down_revision: str | None = "0005_community"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
