"""How long rendering a live board takes with many reports open (boards.render in its own unit of work, as the
outbox does when a board is sent: the open reports, the agencies still waiting, the day's counts, the text). The
board is re-rendered after every change and on a timer while reports are open, in the same event loop as the
intake, so its time is time a report being filed can wait.

    .venv/bin/python -m benchmarks.board_benchmark --database-url sqlite+aiosqlite:////tmp/board.db --open 100
    .venv/bin/python -m benchmarks.board_benchmark --database-url postgresql+asyncpg://postgres@127.0.0.1/board

The database is made anew (schema through the migrations; a PostgreSQL database must exist and is emptied)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.db import migrate
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.i18n import Catalogue
from bot.rules_loader import load_rules
from bot.services import boards, intake, people
from bot.services.context import Actor, Services
from bot.services.stats import rollup_policy

from .filing_benchmark import ADMIN, CALL_TAKER, ROOT, START, fresh_database
from .latency_benchmark import report


async def run(url: str, open_reports: int, renders: int, board: str) -> None:
    engine = make_engine(url)
    rules = load_rules(ROOT / "rules")
    services = Services(Database(make_session_factory(engine)), rules, ZoneInfo("Asia/Jayapura"), Catalogue("id"),
                        frozenset({ADMIN}), lapor_per_minute=1_000_000)
    services.db.keep_rollups(rollup_policy(rules, services.tz))
    await people.add_user(services, CALL_TAKER, "Rina", "call_taker", None, START)
    for i, key in enumerate(rules.agencies):
        await people.bind_group(services, Actor(ADMIN, "Admin"), -1000 - i, f"Grup {key}", key, START)
    rina = Actor(CALL_TAKER, "Rina")
    for i in range(open_reports):
        outcome = await intake.lapor(services, rina, CALL_TAKER, True, 100 + i,
                                     report(i).removeprefix("/lapor\n"), START + timedelta(minutes=i))
        assert isinstance(outcome, intake.Accepted), outcome
    now = START + timedelta(minutes=open_reports + 1)

    async def once() -> float:
        began = time.perf_counter()
        async with services.db.uow() as uow:
            await boards.render(uow, services, board, now)
        return (time.perf_counter() - began) * 1000

    for _ in range(5):
        await once()
    took = sorted([await once() for _ in range(renders)])
    print(f"board of {board} with {open_reports} open reports on {url.split('://')[0]}: "
          f"p50 {statistics.median(took):.1f} ms, min {took[0]:.1f} ms, max {took[-1]:.1f} ms (n={renders})")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--open", type=int, default=100, help="open reports on the board")
    parser.add_argument("--renders", type=int, default=100)
    parser.add_argument("--board", default="pimpinan", help="the agency key of a group with a board")
    args = parser.parse_args()
    fresh_database(args.database_url)
    migrate.upgrade(args.database_url)  # Alembic runs its own event loop: before ours starts
    asyncio.run(run(args.database_url, args.open, args.renders, args.board))


if __name__ == "__main__":
    main()
