"""SQLite through aiosqlite in one trip to its thread per statement.

aiosqlite runs sqlite3 in a thread of its own and SQLAlchemy's adapter crosses over to it for each step of a
statement: open a cursor, execute, fetch the rows, close (three or four trips, each a queue put, a thread switch
and a wake-up of the event loop through its self-pipe). On the 2-core machine that carries the bot, those trips
cost more than SQLite's own work: a /lapor is about 30 statements. Here the whole statement is one function run
in that thread; what SQLAlchemy reads afterwards (description, rowcount, lastrowid) stays on the sqlite3 cursor.

Plugged in as the engine's DBAPI module (`create_async_engine(module=...)`): the dialect, its SQL and its
handling of errors stay SQLAlchemy's own. Server-side cursors (streamed results) keep the adapter's."""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor up front (a trip of its own): the sqlite3 cursor is made with the statement.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> int:
        return 0 if self._cursor is None else int(self._cursor.lastrowid or 0)

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        connection = self._connection

        def run() -> tuple[sqlite3.Cursor, list[Any] | None]:
            cursor = connection._conn.cursor()
            try:
                cursor.execute(operation, () if parameters is None else parameters)
                return cursor, cursor.fetchall() if cursor.description else None
            finally:
                cursor.close()  # its description, rowcount and lastrowid stay readable

        async with self._adapt_connection._execute_mutex:
            self._cursor, rows = await connection._execute(run)
            if rows is not None:
                self._rows = collections.deque(rows)
            return self._cursor

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        connection = self._connection

        def run() -> sqlite3.Cursor:
            cursor = connection._conn.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return cursor
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            self._cursor = await connection._execute(run)
            return self._cursor

    async def _async_soft_close(self) -> None:
        return None  # closed in the thread already

    def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = super().connect(*arg, **kw)
        return _OneTripConnection(self, connection._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)

