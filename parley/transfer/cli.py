"""`parley export FILE` and `parley import FILE` (`--from slack` for a Slack export)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_transfer_parsers(commands: Any) -> None:
    export = commands.add_parser(
        "export", help="write a consistent snapshot of the whole instance to FILE"
    )
    export.add_argument("file", type=Path)
    export.set_defaults(handler=command_export)
    restore = commands.add_parser(
        "import", help="import FILE (a `parley export`, or a Slack export) into this database"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--from",
        dest="source",
        choices=["parley", "slack"],
        default="parley",
        help="what FILE is (default: a `parley export`)",
    )
    restore.set_defaults(handler=command_import)


def _storage(runtime: Any) -> Any:
    from parley.files.service import FilesService

    return FilesService(runtime).storage


def command_export(args: argparse.Namespace) -> int:
    from parley.core.commands import prepare_database, run_database, settings_from_args
    from parley.core.config import ConfigError
    from parley.core.runtime import Runtime
    from parley.transfer.archive import ArchiveError
    from parley.transfer.snapshot import export_instance

    settings = settings_from_args(args)

    async def run() -> dict[str, Any]:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            return await export_instance(runtime.db.engine, _storage(runtime), args.file)
        finally:
            await runtime.close()

    try:
        summary = run_database(run())
    except (ArchiveError, OSError) as exc:
        raise ConfigError(f"export failed: {exc}") from None
    rows = sum(int(table["rows"]) for table in summary["tables"].values())
    print(f"exported {rows:,} rows and {summary['files']:,} files to {args.file}")
    return 0


def command_import(args: argparse.Namespace) -> int:
    from parley.core.commands import prepare_database, run_database, settings_from_args
    from parley.core.config import ConfigError
    from parley.core.runtime import Runtime
    from parley.transfer.archive import ArchiveError
    from parley.transfer.restore import TargetError, import_instance, summary_of

    settings = settings_from_args(args)
    if args.source == "slack":
        raise ConfigError("importing a Slack export is not built yet")

    async def run() -> dict[str, int]:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            return await import_instance(runtime.db.engine, _storage(runtime), args.file)
        finally:
            await runtime.close()

    try:
        counts = run_database(run())
    except (ArchiveError, TargetError, ConfigError) as exc:
        # one transaction: whatever failed, nothing of the file stayed
        raise ConfigError(f"import refused, the database is unchanged: {exc}") from None
    print(f"imported {summary_of(counts)} from {args.file}")
    return 0
