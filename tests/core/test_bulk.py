"""`parley.core.bulk` below SQLAlchemy on SQLite answers exactly what Core answers: the same
rows, the same stored text, the types' processing both ways."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import create_async_engine

from parley.core.bulk import BulkInsert, RawStatement
from parley.core.database import UTCDateTime

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("touched", UTCDateTime, nullable=True, onupdate=lambda: datetime.now(UTC)),
)
T0 = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'bulk.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _stored(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        return list(raw.execute("SELECT id, name, at, flag FROM things ORDER BY id").fetchall())


def test_a_bulk_insert_stores_what_core_stores_even_when_rows_share_values(
    engine: Engine, tmp_path: Path
) -> None:
    # the same datetime object in consecutive rows is processed once; others each time
    later = T0 + timedelta(minutes=1)
    ats = [T0, T0, later, T0, later.astimezone(), T0]
    rows = [(n, f"n{n}", at, n % 2 == 0) for n, at in enumerate(ats, start=1)]
    with engine.begin() as conn:
        BulkInsert(things, ("id", "name", "at", "flag"))(conn, rows)
    bulk = _stored(engine)
    with engine.begin() as conn:
        conn.execute(things.delete())
        conn.execute(
            things.insert(), [dict(zip(("id", "name", "at", "flag"), r, strict=True)) for r in rows]
        )
    assert bulk == _stored(engine)
    assert bulk[4][2] == bulk[2][2]  # a local-time value is stored in UTC


def test_a_raw_select_answers_what_core_answers_with_types_processed(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            things.insert(),
            [
                {"id": n, "name": f"n{n}", "at": T0 + timedelta(seconds=n), "flag": n > 2}
                for n in range(1, 6)
            ],
        )
    statement = select(things.c.id, things.c.at, things.c.flag, literal("x").label("x")).where(
        things.c.at >= bindparam("since"), things.c.name != "n4"
    )
    params = {"since": (T0 + timedelta(seconds=2)).astimezone()}  # an aware local time
    with engine.begin() as conn:
        raw = RawStatement(statement).rows(conn, params)
        core = [tuple(row) for row in conn.execute(statement, params)]
    assert raw == core
    with engine.begin() as conn, pytest.raises(KeyError, match="since"):
        RawStatement(statement).rows(conn, {})  # a missing value is not sent as NULL
    assert [row[0] for row in raw] == [2, 3, 5]
    assert raw[1][1] == T0 + timedelta(seconds=3) and raw[1][1].tzinfo is UTC
    assert raw[0][2] is False and raw[1][2] is True


def test_an_update_with_a_python_side_default_is_refused_unless_the_value_is_given(
    engine: Engine,
) -> None:
    with engine.begin() as conn:
        conn.execute(things.insert(), {"id": 1, "name": "a", "at": T0, "flag": True})
        bump = update(things).where(things.c.id == bindparam("key")).values(name="b")
        with pytest.raises(TypeError, match="touched"):
            RawStatement(bump.returning(things.c.name)).rows(conn, {"key": 1})
        given = bump.values(touched=bindparam("now")).returning(things.c.touched)
        (touched,) = RawStatement(given).rows(conn, {"key": 1, "now": T0})[0]
    assert touched == T0


def test_an_expanding_parameter_goes_through_sqlalchemy(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            things.insert(), [{"id": n, "name": "a", "at": T0, "flag": True} for n in (1, 2, 3)]
        )
        listed = select(func.count()).where(things.c.id.in_(bindparam("ids", expanding=True)))
        assert RawStatement(listed).rows(conn, {"ids": [1, 3, 9]}) == [(2,)]


async def test_on_the_async_driver_a_raw_statement_runs_through_sqlalchemy(tmp_path: Path) -> None:
    # `run_sync` on aiosqlite: its cursor belongs to the driver's thread, not this one
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'async.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.execute(things.insert(), {"id": 1, "name": "a", "at": T0, "flag": True})
            statement = select(things.c.at, things.c.flag).where(things.c.id == bindparam("key"))
            rows = await conn.run_sync(lambda sync: RawStatement(statement).rows(sync, {"key": 1}))
        assert rows == [(T0, True)]
    finally:
        await engine.dispose()
