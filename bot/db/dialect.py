"""What differs between SQLite and PostgreSQL, and what a forged id must not reach."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm


def insert_for(session: AsyncSession) -> Any:
    """The INSERT with ON CONFLICT of the session's database."""
    assert session.bind is not None
    return insert_of(session.bind.dialect.name)


def insert_of(dialect: str) -> Any:
    """The INSERT with ON CONFLICT of a dialect, by its name."""
    return pg_insert if dialect == "postgresql" else sqlite_insert


def fits(row_id: int) -> bool:
    """Ids from callback data or commands may be forged: one past a 32-bit column names no row (and PostgreSQL
    would refuse the query instead of finding nothing)."""
    return 0 < row_id <= dm.MAX_DB_ID
