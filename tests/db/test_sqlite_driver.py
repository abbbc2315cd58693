"""The SQLite engine runs each statement in one trip to aiosqlite's thread (bot/db/sqlite_driver.py): what
SQLAlchemy reads back — rows, counts, new ids, errors, streamed results — is what SQLite said."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.db.engine import make_engine


async def test_rows_counts_ids_errors_and_streams_come_back_as_sqlite_gave_them(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER)"))
            inserted = await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 1)"))
            assert inserted.lastrowid == 1 and inserted.rowcount == 1
            many = await conn.execute(text("INSERT INTO t (name, n) VALUES (:name, :n)"),
                                      [{"name": f"x{i}", "n": i} for i in range(5)])
            assert many.rowcount == 5
            returned = await conn.execute(text("INSERT INTO t (name, n) VALUES ('b', 7) RETURNING id, n"))
            assert returned.all() == [(7, 7)]
            updated = await conn.execute(text("UPDATE t SET n = n + 1 WHERE n >= 3"))
            assert updated.rowcount == 3
            rows = await conn.execute(text("SELECT name, n FROM t WHERE n > :low ORDER BY id"), {"low": 3})
            assert list(rows.keys()) == ["name", "n"] and rows.all() == [("x3", 4), ("x4", 5), ("b", 8)]
            assert (await conn.execute(text("SELECT count(*) FROM t WHERE n < 0"))).scalar_one() == 0
            streamed = await conn.stream(text("SELECT id FROM t ORDER BY id"))
            assert [row[0] async for row in streamed] == list(range(1, 8))
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (name, n) VALUES ('a', 2)"))
        async with engine.connect() as conn:  # the failed transaction left nothing behind, the database works
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 7
    finally:
        await engine.dispose()
