"""The database holds callers' data: its SQLite files are the owner's only, and its errors never quote it."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.db.engine import make_engine
from bot.logsafe import FORMAT, RedactingFormatter, redact


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_sqlite_database_and_its_wal_files_are_created_0600_in_a_0700_folder(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        database = tmp_path / "var" / "sigap112.db"
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (a)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        wal, shm = database.with_name("sigap112.db-wal"), database.with_name("sigap112.db-shm")
        assert (mode(database), mode(wal), mode(shm), mode(database.parent)) == (0o600, 0o600, 0o600, 0o700)
        await engine.dispose()
    finally:
        os.umask(old)


async def test_an_existing_world_readable_database_is_made_private_at_start(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    assert mode(database) == 0o600
    await engine.dispose()


async def test_a_failed_statement_names_the_sql_but_not_the_callers_name_or_number(
        database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(database_url)
    with pytest.raises(DBAPIError) as failure:
        async with engine.begin() as conn:  # no number, category, ...: the NOT NULL constraints refuse it
            await conn.execute(text("INSERT INTO incident (caller_name, caller_phone) VALUES (:name, :phone)"),
                               {"name": "Ibu Theresia", "phone": "+6281398765437"})
    await engine.dispose()
    logging.getLogger("bot.test").error("error while handling an update", exc_info=failure.value)
    [record] = caplog.records
    written = RedactingFormatter(FORMAT).format(record)  # as the bot's log handler writes it
    assert "INSERT INTO incident" in written and "SQL parameters hidden" in written
    assert "Theresia" not in written and "98765437" not in written


def test_database_error_details_that_quote_values_are_cut_from_log_lines() -> None:
    text = ('asyncpg.exceptions.UniqueViolationError: duplicate key value violates unique constraint "uq"\n'
            "DETAIL:  Key (caller_phone)=(+6281398765437) already exists.\n"
            "sqlalchemy.exc.IntegrityError: ... Key (caller_name)=(Ibu Theresia) already exists.\n"
            "[parameters: ('Ibu Theresia', '+6281398765437')]")
    cleaned = redact(text)
    assert "Theresia" not in cleaned and "98765437" not in cleaned
    assert "duplicate key value violates unique constraint" in cleaned and "Key (caller_name)=" in cleaned


def test_the_bots_token_in_a_quoted_bot_api_url_is_cut_from_log_lines() -> None:
    text = ("aiohttp.client_exceptions.ConnectionTimeoutError: Connection timeout to host "
            "https://api.telegram.org/bot42:not-a-real-token_for-tests/sendMessage")
    cleaned = redact(text)
    assert "not-a-real-token_for-tests" not in cleaned and "bot42" not in cleaned
    assert "https://api.telegram.org/bot<token>/sendMessage" in cleaned
