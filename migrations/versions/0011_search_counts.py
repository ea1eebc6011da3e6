"""search: postings per gram (issue 15, speed)

Revision ID: 0011_search_counts
Revises: 0010_push
Create Date: 2026-12-02 01:00:00

- `search_gram_counts` (gram, postings): how many messages hold each bigram, kept by the
  indexer in the transaction that writes the grams. A search reads the counts of its few
  candidate grams in one lookup and scans the rarest, instead of counting up to 5,000
  postings of each. Filled here from the grams already indexed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_search_counts"
down_revision: str | None = "0010_push"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_gram_counts",
        sa.Column("gram", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("postings", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gram", name=op.f("pk_search_gram_counts")),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO search_gram_counts (gram, postings)"
        " SELECT gram, COUNT(*) FROM search_grams GROUP BY gram"
    )


def downgrade() -> None:
    op.drop_table("search_gram_counts")
