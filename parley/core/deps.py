"""Typed FastAPI dependencies shared by every domain's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from parley.core.config import Settings
from parley.core.database import MAX_BIGINT
from parley.core.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_db_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session for the request; routes commit what they change, the rest is rolled back."""
    async with runtime.db.sessions() as session:
        yield session


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session for read-only routes (a plain BEGIN on SQLite, so it never waits for writers)."""
    async with runtime.db.read_sessions() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(get_db_session)]
ReadSession = Annotated[AsyncSession, Depends(get_read_session)]

#: a database id in a path: a positive 64-bit integer, so huge numbers are a 422, not a 500
IdPath = Annotated[int, Path(ge=1, le=MAX_BIGINT)]
PageQuery = Annotated[int, Query(ge=1, le=10_000, description="1-based page number")]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
