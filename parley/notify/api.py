"""The notify domain's public surface: the push dispatcher and the routes."""

from __future__ import annotations

from parley.notify.dispatch import PushDispatcher
from parley.notify.views import router

__all__ = ["PushDispatcher", "router"]
