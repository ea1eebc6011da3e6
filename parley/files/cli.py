"""`parley files gc`: delete uploads never attached to a message, and unused blobs."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any


def add_files_parser(commands: Any) -> None:
    files = commands.add_parser("files", help="uploaded files")
    files_commands = files.add_subparsers(dest="files_command", required=True)
    gc = files_commands.add_parser(
        "gc", help="delete orphaned uploads (never attached) and blobs nothing uses"
    )
    gc.add_argument(
        "--older-than-hours",
        type=float,
        help="orphan age (default: PARLEY_FILES_ORPHAN_HOURS, 24)",
    )
    gc.set_defaults(handler=command_files_gc)


def command_files_gc(args: argparse.Namespace) -> int:
    from parley.core.commands import prepare_database, run_database, settings_from_args
    from parley.core.runtime import Runtime
    from parley.files.service import FilesService

    settings = settings_from_args(args)
    hours = args.older_than_hours

    async def run() -> tuple[int, int]:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            service = FilesService(runtime)
            age = timedelta(hours=hours) if hours is not None else None
            return await service.collect_garbage(age)
        finally:
            await runtime.close()

    uploads, blobs = run_database(run())
    print(f"deleted {uploads} orphaned upload(s) and {blobs} unused blob(s)")
    return 0
