"""Shared fixtures: rules, databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), services."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.rules import load_rules
from bot.services.context import Services

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "rules"
WIT = ZoneInfo("Asia/Jayapura")
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules(RULES_DIR)


@pytest.fixture(scope="session")
def tr() -> Catalogue:
    return Catalogue("id")


def _pg_admin(sql: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["TEST_DATABASE_URL"])

    async def run() -> None:
        conn = await asyncpg.connect(user=url.username, password=url.password, host=url.host or "127.0.0.1",
                                     port=url.port or 5432, database=url.database or "postgres")
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the backend, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sigap112.db'}"
        return
    name = f"sigap_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    from sqlalchemy.engine import make_url

    try:
        yield make_url(os.environ["TEST_DATABASE_URL"]).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the latest migration, built through Alembic like production."""
    for url in fresh_database_url(request.param, tmp_path):
        migrate.upgrade(url)
        yield url


@pytest.fixture
async def services(database_url: str, rules: Rules, tr: Catalogue):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield Services(Database(make_session_factory(engine)), rules, WIT, tr, frozenset({1}), lapor_per_minute=10)
    await engine.dispose()
