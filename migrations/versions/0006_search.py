"""search that works in Korean (issue 15): the message index

Revision ID: 0006_search
Revises: 0005_community
Create Date: 2026-12-01 22:20:00

- `search_grams` (gram, message_id): the distinct bigrams of each message's NFKC-casefolded
  body, as integers (no collation can fold two of them).
- `search_pending` (message_id): messages whose grams are missing or stale. Triggers on
  `messages` queue every insert and every change of `body` (edits, deletes that empty it), so
  the message path is not touched; the indexer drains the queue, and searches check queued
  messages by brute force, so an answer never lags the messages table.
- Every existing message is queued: the running server (or `parley search reindex`) indexes
  them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_search"
down_revision: str | None = "0005_community"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE = [
    """CREATE TRIGGER search_messages_insert AFTER INSERT ON messages
    BEGIN INSERT OR IGNORE INTO search_pending (message_id) VALUES (NEW.id); END""",
    """CREATE TRIGGER search_messages_update AFTER UPDATE OF body ON messages
    WHEN NEW.body IS NOT OLD.body
    BEGIN INSERT OR IGNORE INTO search_pending (message_id) VALUES (NEW.id); END""",
]
_POSTGRESQL = [
    """CREATE FUNCTION search_queue_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO search_pending (message_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
      RETURN NULL;
    END $$""",
    """CREATE TRIGGER search_messages_insert AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION search_queue_message()""",
    """CREATE TRIGGER search_messages_update AFTER UPDATE OF body ON messages
    FOR EACH ROW WHEN (NEW.body IS DISTINCT FROM OLD.body)
    EXECUTE FUNCTION search_queue_message()""",
]
_MYSQL = [
    """CREATE TRIGGER search_messages_insert AFTER INSERT ON messages FOR EACH ROW
    INSERT IGNORE INTO search_pending (message_id) VALUES (NEW.id)""",
    """CREATE TRIGGER search_messages_update AFTER UPDATE ON messages FOR EACH ROW
    BEGIN
      IF NOT (NEW.body <=> OLD.body) THEN
        INSERT IGNORE INTO search_pending (message_id) VALUES (NEW.id);
      END IF;
    END""",
]


def upgrade() -> None:
    op.create_table(
        "search_grams",
        sa.Column("gram", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_search_grams_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gram", "message_id", name=op.f("pk_search_grams")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_search_grams_message_id", "search_grams", ["message_id"])
    op.create_table(
        "search_pending",
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_search_pending_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_search_pending")),
    )
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(dialect, _MYSQL)
    for statement in statements:
        op.execute(statement)
    op.execute("INSERT INTO search_pending (message_id) SELECT id FROM messages")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP TRIGGER IF EXISTS search_messages_insert" + _on(dialect))
    op.execute("DROP TRIGGER IF EXISTS search_messages_update" + _on(dialect))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS search_queue_message()")
    op.drop_table("search_pending")
    op.drop_index("ix_search_grams_message_id", table_name="search_grams")
    op.drop_table("search_grams")


def _on(dialect: str) -> str:
    return " ON messages" if dialect == "postgresql" else ""
