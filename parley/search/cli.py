"""`parley search reindex`: rebuild the message index (after a restore, or a bulk import)."""

from __future__ import annotations

import argparse
from typing import Any


def add_search_parser(commands: Any) -> None:
    search = commands.add_parser("search", help="message search")
    search_commands = search.add_subparsers(dest="search_command", required=True)
    reindex = search_commands.add_parser(
        "reindex", help="index every message again (or, with --pending, only the queue)"
    )
    reindex.add_argument(
        "--pending", action="store_true", help="only the messages queued since their change"
    )
    reindex.set_defaults(handler=command_search_reindex)


def command_search_reindex(args: argparse.Namespace) -> int:
    from parley.core.commands import prepare_database, run_database, settings_from_args
    from parley.core.runtime import Runtime
    from parley.search.indexer import reindex

    settings = settings_from_args(args)

    async def run() -> int:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            return await reindex(runtime.db, everything=not args.pending)
        finally:
            await runtime.close()

    count = run_database(run())
    print(f"indexed {count} message(s)")
    return 0
