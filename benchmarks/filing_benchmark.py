"""How long filing one complete /lapor takes inside the process (intake.lapor: parse, number, incident, its
agencies, follow-ups, the 8 groups' posts in the outbox, the call log, the statistics roll-ups, one commit), with
the statements it runs and, on SQLite, the trips to aiosqlite's thread (the latency benchmark's report: with a
caller's name and number). No Telegram: the part of a report's
latency that is the database's and ours, measured without the noise of the sends.

    .venv/bin/python -m benchmarks.filing_benchmark --database-url sqlite+aiosqlite:////tmp/filing.db
    .venv/bin/python -m benchmarks.filing_benchmark --database-url postgresql+asyncpg://postgres@127.0.0.1/filing

The database is made anew (schema through the migrations; a PostgreSQL database must exist and is emptied)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiosqlite
from sqlalchemy import event, text

from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.i18n import Catalogue
from bot.rules_loader import load_rules
from bot.services import intake, people
from bot.services.context import Actor, Services
from bot.services.stats import rollup_policy

from .latency_benchmark import report

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN, CALL_TAKER = 1, 1001


async def run(url: str, reports: int, warmup: int) -> None:
    engine = make_engine(url)
    rules = load_rules(ROOT / "rules")
    services = Services(Database(make_session_factory(engine)), rules, ZoneInfo("Asia/Jayapura"), Catalogue("id"),
                        frozenset({ADMIN}), lapor_per_minute=1_000_000)
    services.db.keep_rollups(rollup_policy(rules, services.tz))  # as the bot runs (bot/__main__.py)
    await people.add_user(services, CALL_TAKER, "Rina", "call_taker", None, START)
    admin = Actor(ADMIN, "Admin")
    for i, key in enumerate(rules.agencies):
        await people.bind_group(services, admin, -1000 - i, f"Grup {key}", key, START)
    statements, trips = [0], [0]

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(*_: Any) -> None:
        statements[0] += 1

    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    rina = Actor(CALL_TAKER, "Rina")
    took = []
    for i in range(warmup + reports):
        statements[0] = trips[0] = 0
        now = START + timedelta(minutes=i)
        began = time.perf_counter()
        outcome = await intake.lapor(services, rina, CALL_TAKER, True, 100 + i, report(i).removeprefix("/lapor\n"),
                                     now)
        if i >= warmup:
            took.append((time.perf_counter() - began) * 1000)
        assert isinstance(outcome, intake.Accepted), outcome
    took.sort()
    print(f"filing one /lapor on {url.split('://')[0]}: p50 {statistics.median(took):.1f} ms, "
          f"p99 {took[int(len(took) * 0.99) - 1]:.1f} ms (n={len(took)}); {statements[0]} statements, "
          f"{trips[0]} trips to aiosqlite's thread")
    await engine.dispose()


def fresh_database(url: str) -> None:
    """An empty database at `url`: the SQLite file removed, or PostgreSQL's public schema emptied."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            each.unlink(missing_ok=True)
        return

    async def empty() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()

    asyncio.run(empty())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    fresh_database(args.database_url)
    migrate.upgrade(args.database_url)  # Alembic runs its own event loop: before ours starts
    asyncio.run(run(args.database_url, args.reports, args.warmup))


if __name__ == "__main__":
    main()
