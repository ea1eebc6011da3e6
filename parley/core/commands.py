"""What every `parley` subcommand needs: settings from its arguments, database work that
fails with a message instead of a traceback. Shared by `parley.cli` and the domains' own
subcommands (`parley files gc`), which may not import the CLI module itself."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from parley.core.config import ConfigError, Settings, load_settings


def settings_from_args(args: argparse.Namespace) -> Settings:
    if getattr(args, "config", None):
        os.environ["PARLEY_CONFIG"] = args.config
    overrides = {
        key: value
        for key in ("host", "port", "role")
        if (value := getattr(args, key, None)) is not None
    }
    return load_settings(**overrides)


T = TypeVar("T")


def run_database(work: Coroutine[Any, Any, T]) -> T:
    """Run database work; an unreachable or refusing database is a message, not a traceback."""
    try:
        return asyncio.run(work)
    except OSError as exc:  # connection refused, unknown host, timeout
        raise ConfigError(f"cannot reach the database: {exc}") from None
    except DBAPIError as exc:  # the server answered no: unknown database, bad password, …
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigError(f"the database refused: {reason}") from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"database error: {type(exc).__name__}: {exc}") from None


async def prepare_database(settings: Settings) -> None:
    """Migrate the embedded SQLite database; insist that a server database is migrated."""
    from parley.core.database import create_engine
    from parley.core.migrate import schema_is_current, upgrade_database

    engine = create_engine(settings)
    try:
        if settings.is_sqlite:
            settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
            await upgrade_database(engine)
            return
        current, now, head = await schema_is_current(engine)
        if not current:
            raise ConfigError(
                f"the database schema is at {now or 'nothing'}, not {head}: run `parley migrate`"
            )
    finally:
        await engine.dispose()
