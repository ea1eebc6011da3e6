"""The integrations domain's public surface: the webhook dispatcher and the routes."""

from __future__ import annotations

from parley.integrations.dispatch import Dispatcher
from parley.integrations.views import router

__all__ = ["Dispatcher", "router"]
