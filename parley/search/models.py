"""The search index: bigrams of each message's key, and the messages waiting to be indexed.

All three tables are derived from `messages` only: database triggers (migration 0006) queue
every inserted message and every body change in `search_pending`; the indexer turns the queue
into grams and keeps `search_gram_counts` (postings per gram) in step. A message that is
removed takes its grams and queue row with it (foreign keys, ON DELETE CASCADE); its counts
stay, so a count is an upper bound: a query uses it only to choose which gram to read.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base


class SearchGram(Base):
    """One distinct bigram of a message's key (`parley.search.text.gram`)."""

    __tablename__ = "search_grams"
    __table_args__ = (
        Index("ix_search_grams_message_id", "message_id"),
        # the primary key is the table (a posting list per gram), not a copy of it
        {"sqlite_with_rowid": False},
    )

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


class SearchPending(Base):
    """A message whose grams are missing or stale; searches check these by brute force."""

    __tablename__ = "search_pending"

    message_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("messages.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )


class SearchGramCount(Base):
    """How many postings a gram has (at most: a cascaded delete does not decrement it).

    A hint, never an answer: a search reads the gram with the smallest count first."""

    __tablename__ = "search_gram_counts"
    __table_args__ = ({"sqlite_with_rowid": False, "info": {"parley_derived": True}},)

    gram: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    postings: Mapped[int] = mapped_column(BigInteger)
