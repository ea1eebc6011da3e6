"""The flows layer's public surface for the real-time layer: the send path of slash commands."""

from __future__ import annotations

from parley.flows.commands import BUILT_IN, CommandDone, SendPath

__all__ = ["BUILT_IN", "CommandDone", "SendPath"]
