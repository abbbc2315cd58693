"""Alembic from code: upgrade to head, and the start-up check that the schema is current.

The start-up check (`current_revision`, `head_revision`) does not import Alembic: with Mako and Pygments behind
it, that import cost ≈ 45 ms of every `sigap112 run` and CLI start. It reads the database's `alembic_version`
row with one query and the code's head from the revision lines of `migrations/versions/*.py` (the test suite
proves both equal to Alembic's own answers); anything unusual there (branches, a computed revision) is left to
Alembic."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text

from .engine import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSIONS = PROJECT_ROOT / "migrations" / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    """The code's newest revision: read from the scripts' revision lines, or asked of Alembic when they are not
    one plain chain."""
    return _scanned_head() or alembic_head_revision(database_url)


def alembic_head_revision(database_url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=\n]*)?=\s*(?:'([^'\n]*)'|\"([^\"\n]*)\"|(None))\s*$",
                       re.MULTILINE)


def _scanned_head() -> str | None:
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in VERSIONS.glob("*.py"):
        found = {m[1]: m[2] or m[3] or None for m in _REVISION.finditer(script.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return None  # not a plain script: Alembic decides
        revisions.add(found["revision"])  # type: ignore[arg-type]
        if found["down_revision"]:
            parents.add(found["down_revision"])  # type: ignore[arg-type]
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


async def current_revision(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def _current(connection: Connection) -> str | None:
    """What Alembic's MigrationContext.get_current_revision says for a single-head schema: none without the table."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) > 1:
        raise RuntimeError(f"{VERSION_TABLE} names several heads ({', '.join(rows)}); this program has one")
    return rows[0] if rows else None
