"""Shared fixtures: rules, databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), services."""

from __future__ import annotations

import asyncio
import os
import shutil
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
from bot.rules_loader import load_rules
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
    try:
        yield _pg_url(name)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MigratedTemplates:
    """One database per backend migrated through Alembic once per test process; each test gets a copy of it.

    Running every migration for every test cost about a second and a half each (a `sigap112 db upgrade` process
    for the end-to-end tests); a copy costs a few milliseconds: a file copy for SQLite, `CREATE DATABASE … TEMPLATE`
    for PostgreSQL. The migrations themselves are still run and checked by `tests/db/test_migrations.py`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: dict[str, str] = {}

    def _template(self, backend: str) -> str:
        if backend not in self.made:
            if backend == "sqlite":
                url = f"sqlite+aiosqlite:///{self.root / 'template.db'}"
                migrate.upgrade(url)
                self.made[backend] = str(self.root / "template.db")
            else:
                name = f"sigap_tmpl_{uuid.uuid4().hex[:12]}"
                _pg_admin(f'CREATE DATABASE "{name}"')
                self.made[backend] = name
                migrate.upgrade(_pg_url(name))
        return self.made[backend]

    def copy(self, backend: str, tmp_path: Path) -> Iterator[str]:
        """A migrated database of the backend for one test, dropped afterwards."""
        template = self._template(backend)
        if backend == "sqlite":
            target = tmp_path / "sigap112.db"
            shutil.copyfile(template, target)
            yield f"sqlite+aiosqlite:///{target}"
            return
        name = f"sigap_test_{uuid.uuid4().hex[:12]}"
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:
            yield _pg_url(name)
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop(self) -> None:
        if "postgresql" in self.made:
            _pg_admin(f'DROP DATABASE IF EXISTS "{self.made["postgresql"]}" WITH (FORCE)')


def _pg_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(os.environ["TEST_DATABASE_URL"]).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.drop()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path,
                 migrated_templates: MigratedTemplates) -> Iterator[str]:
    """A database at the latest migration, built through Alembic like production (copied from a template)."""
    yield from migrated_templates.copy(request.param, tmp_path)


@pytest.fixture
async def services(database_url: str, rules: Rules, tr: Catalogue):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield Services(Database(make_session_factory(engine)), rules, WIT, tr, frozenset({1}), lapor_per_minute=10)
    await engine.dispose()


# The longest tests first (each waits on Telegram's flood budgets or on timers for tens of seconds), then the
# other end-to-end tests, then the rest: with `--dist worksteal` (Makefile) a worker that runs out takes half of
# another's remaining queue, so the short ones fill the gaps at the end instead of one long test starting last
# and holding the whole run (measured: the last 4 % of the tests took two minutes in collection order).
LONGEST_FIRST = (
    "tests/e2e/test_demo_e2e.py", "tests/e2e/test_deployment_e2e.py::test_two_instances",
    "tests/e2e/test_surge_e2e.py", "tests/e2e/test_defects_e2e.py::test_the_caller_confirmation",
    "tests/e2e/test_topics_e2e.py::test_agencies_sharing", "tests/e2e/test_board_e2e.py",
    "tests/e2e/test_followups_e2e.py", "tests/e2e/test_stats_e2e.py", "tests/e2e/test_desk_fixes_e2e.py::test_lepas",
    "tests/e2e/test_lifecycle_e2e.py::test_when_every_agency", "tests/e2e/test_shutdown_e2e.py",
    "tests/e2e/test_bmkg_e2e.py", "tests/e2e/test_desk_replies_e2e.py::test_a_decline", "tests/e2e/test_media_e2e.py",
    "tests/e2e/test_inbox_e2e.py", "tests/e2e/test_faults_e2e.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        for i, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(LONGEST_FIRST) + (0 if item.nodeid.startswith("tests/e2e/") else 1)

    items.sort(key=rank)  # stable: within a rank, the files' own order
