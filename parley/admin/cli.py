"""`parley admin create` and `parley admin recover`: site administration from a shell.

Both work only on a database that exists: run from the wrong directory, `admin create` used
to create an empty `parley.db` there and report an admin that the real server never saw.
`--create-database` says a fresh SQLite database is meant. Without a terminal, the password
must come from `--password-stdin` or PARLEY_ADMIN_PASSWORD, and the command says so.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import make_url

from parley.core.commands import prepare_database, run_database, settings_from_args
from parley.core.config import ConfigError, Settings


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    from_env = os.environ.get("PARLEY_ADMIN_PASSWORD")
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise ConfigError(
            "no terminal to ask for the password: pipe it with --password-stdin "
            "or set PARLEY_ADMIN_PASSWORD"
        )
    first = getpass.getpass("Password for the admin account: ")
    if getpass.getpass("Repeat it: ") != first:
        raise ConfigError("the passwords differ")
    return first


def _refuse_fresh_database(settings: Settings, create: bool) -> None:
    """A SQLite file that does not exist yet is created only when asked for."""
    if not settings.is_sqlite or create:
        return
    database = make_url(settings.database_url).database or ""
    if database in ("", ":memory:"):
        return
    path = Path(database).expanduser().resolve()
    if not path.exists():
        raise ConfigError(
            f"there is no database at {path}: run this where the server keeps its data "
            "(or set PARLEY_DATABASE_URL / --config); to start a new one, add --create-database"
        )


def command_create(args: argparse.Namespace) -> int:
    from parley.accounts.api import SignupRequest, create_admin
    from parley.core.runtime import Runtime

    settings = settings_from_args(args)
    try:
        request = SignupRequest(
            login_id=args.login_id,
            nickname=args.nickname or args.login_id,
            password=_read_password(args),
        )
    except ValidationError as exc:
        fields = ", ".join(str(e["loc"][0]) + ": " + e["msg"] for e in exc.errors())
        print(f"parley: invalid admin account: {fields}", file=sys.stderr)
        return 2
    _refuse_fresh_database(settings, args.create_database)

    async def run() -> int:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.sessions() as session:
                member = await create_admin(
                    session, runtime, request.login_id, request.nickname, request.password
                )
                return member.id
        finally:
            await runtime.close()

    member_id = run_database(run())
    print(f"admin {request.login_id} (id {member_id}) is ready")
    return 0


def command_recover(args: argparse.Namespace) -> int:
    """Issue one recovery code for a member (an admin locked out included)."""
    from sqlalchemy import select

    from parley.accounts.api import Member
    from parley.admin import service
    from parley.core.runtime import Runtime

    settings = settings_from_args(args)
    _refuse_fresh_database(settings, False)

    async def run() -> tuple[str, Any] | None:
        await prepare_database(settings)
        runtime = Runtime.build(settings)
        try:
            async with runtime.db.sessions() as session:
                member_id = await session.scalar(
                    select(Member.id).where(Member.login_id == args.login_id)
                )
                if member_id is None:
                    return None
                return await service.issue_recovery(session, runtime, None, member_id)
        finally:
            await runtime.close()

    issued = run_database(run())
    if issued is None:
        raise ConfigError(f"no member has the login id {args.login_id!r}")
    code, expires = issued
    print(f"recovery code for {args.login_id}: {code}")
    print(f"valid once, until {expires.isoformat()} (POST /api/v1/auth/recover)")
    return 0


def add_admin_parser(commands: Any) -> None:
    admin = commands.add_parser("admin", help="site administration")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create", help="create (or promote) a site admin")
    create.add_argument("--login-id", required=True)
    create.add_argument("--nickname")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.add_argument(
        "--create-database",
        action="store_true",
        help="create the SQLite database if there is none (otherwise that is an error)",
    )
    create.set_defaults(handler=command_create)
    recover = admin_commands.add_parser(
        "recover", help="issue a one-time recovery code for a member"
    )
    recover.add_argument("--login-id", required=True)
    recover.set_defaults(handler=command_recover)
