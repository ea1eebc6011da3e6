"""The search domain's public surface: the router, the indexer and its hooks."""

from __future__ import annotations

from parley.search.hooks import hooks
from parley.search.indexer import Indexer, index_pending, reindex
from parley.search.service import Filters, Page, search_messages
from parley.search.text import QueryError, grams_of_key, highlights, matches, parse_query
from parley.search.views import router

__all__ = [
    "Filters",
    "Indexer",
    "Page",
    "QueryError",
    "grams_of_key",
    "highlights",
    "hooks",
    "index_pending",
    "matches",
    "parse_query",
    "reindex",
    "router",
    "search_messages",
]
