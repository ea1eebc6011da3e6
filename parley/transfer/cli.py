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
    purge = commands.add_parser(
        "purge", help="delete messages past their retention (PARLEY_RETENTION_DAYS, per room)"
    )
    purge.add_argument("--room", type=int, help="with --days: set this room's retention first")
    purge.add_argument(
        "--days", help="the room's retention in days (0: keep forever; 'default': the instance's)"
    )
    purge.set_defaults(handler=command_purge)


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
        return _import_slack(args, settings)

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


def _import_slack(args: argparse.Namespace, settings: Any) -> int:
    from parley.core.commands import prepare_database, run_database
    from parley.core.config import ConfigError
    from parley.core.runtime import Runtime
    from parley.transfer.archive import ArchiveError
    from parley.transfer.slack_format import open_export
    from parley.transfer.slack_import import SlackReport, import_slack

    async def run() -> SlackReport:
        export = open_export(args.file)
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            return await import_slack(runtime, export)
        finally:
            await runtime.close()

    try:
        report = run_database(run())
    except (ArchiveError, ConfigError) as exc:
        raise ConfigError(f"Slack import refused, the database is unchanged: {exc}") from None
    print(
        f"imported from Slack: {len(report.members)} new member(s), {report.rooms} room(s), "
        f"{report.messages} message(s), {report.reactions} reaction(s)"
        + (f"; {report.skipped} empty message(s) skipped" if report.skipped else "")
    )
    if report.members:
        print(
            "recovery codes (hand each to its member, who sets a password with it on the "
            "sign-in page's account recovery or POST /api/v1/auth/recover; "
            "`parley admin recover --login-id ID` issues a new one):"
        )
        for login_id, code, until in report.members:
            print(f"  {login_id}\t{code}\tvalid until {until:%Y-%m-%d %H:%M} UTC")
    return 0


def command_purge(args: argparse.Namespace) -> int:
    from parley.core.commands import prepare_database, run_database, settings_from_args
    from parley.core.config import ConfigError
    from parley.core.runtime import Runtime
    from parley.flows.retention import PurgeReport, purge_once
    from parley.rooms import api as rooms

    settings = settings_from_args(args)
    if (args.room is None) != (args.days is None):
        raise ConfigError("--room and --days go together")
    days: int | None = None
    if args.days is not None and args.days != "default":
        if not args.days.isdigit():
            raise ConfigError("--days is a number of days, or 'default'")
        days = int(args.days)

    async def run() -> PurgeReport:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            if args.room is not None:
                async with runtime.db.transaction() as session:
                    if not await rooms.set_retention(session, args.room, days):
                        raise ConfigError(f"there is no room {args.room}")
            return await purge_once(runtime)
        finally:
            await runtime.close()

    report = run_database(run())
    print(
        f"purged {report.messages} message(s) in {len(report.rooms)} room(s); "
        f"{report.uploads} upload(s) and {report.blobs} file(s) no longer used were deleted"
    )
    return 0
