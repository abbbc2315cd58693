"""How long a month's and a year's recap take: from the per-day roll-ups (what /rekap reads) and computed directly
from the incidents (what it read before them).

    .venv/bin/python -m benchmarks.recap_benchmark --database-url sqlite+aiosqlite:////tmp/bench.db
    .venv/bin/python -m benchmarks.recap_benchmark --database-url postgresql+asyncpg://postgres@127.0.0.1/bench

The database is created (schema through the migrations) and filled on the first run, then its roll-ups are
rebuilt (`sigap112 stats rebuild`); later runs reuse it (--rebuild to start over). Incidents are spread over
--years years ending 31 Dec 2025, each with its routed agencies and their step times, as the bot would have
stored them. 1,000,000 over 5 years is 548 a day; --incidents 200000 --years 1 is the same 548 a day in 2025,
which is all that the month (June 2025) and the year (2025) read."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from bot.db import migrate
from bot.db import models as db
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.domain.periods import Period, month_period
from bot.i18n import Catalogue
from bot.rules_loader import load_rules
from bot.services import stats
from bot.services.context import Services

ROOT = Path(__file__).resolve().parents[1]
CHUNK = 20_000


def build_services(url: str) -> tuple[Services, object]:
    rules = load_rules(ROOT / "rules")
    engine = make_engine(url)
    from zoneinfo import ZoneInfo

    return Services(Database(make_session_factory(engine)), rules, ZoneInfo("Asia/Jayapura"), Catalogue("id")), engine


async def fill(services: Services, count: int, years: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    rules = services.rules
    end = datetime(2026, 1, 1, tzinfo=UTC)
    start = end - timedelta(days=365 * years)
    span = (end - start).total_seconds()
    kinds = [(c, s) for c, cat in rules.categories.items() for s in (list(cat.subtypes) or [None])]
    kecamatan = [k for k in rules.gazetteer.kecamatan]
    async with services.db.uow() as uow:
        conn = await uow.session.connection()
        for first in range(0, count, CHUNK):
            incidents, targets = [], []
            for i in range(first, min(first + CHUNK, count)):
                created = start + timedelta(seconds=span * i / count)
                category, subtype = kinds[rng.randrange(len(kinds))]
                kec = kecamatan[rng.randrange(len(kecamatan))]
                incidents.append({
                    "id": i + 1, "number": f"112-{created.year}-{i + 1:07d}", "year": created.year, "seq": i + 1,
                    "source_key": f"bench:{i}", "category": category, "subtype": subtype,
                    "priority": rules.default_priority(category, subtype), "cap_category": "Other",
                    "kecamatan": kec.name, "kecamatan_code": kec.code, "village": None, "village_code": None,
                    "outside_city": False, "address": "-", "description": "-", "status": "closed",
                    "outcome": "palsu" if rng.random() < 0.1 else "tertangani", "created_by": 1,
                    "created_by_name": "bench", "created_chat_id": 1, "created_at": created, "updated_at": created})
                for key in rules.targets(category, subtype):
                    row = {"incident_id": i + 1, "agency_key": key, "created_at": created, "status": "pending"}
                    if rules.agency_kind(key) == "responder":
                        ack = created + timedelta(seconds=rng.expovariate(1 / 120))
                        claim = ack + timedelta(seconds=rng.expovariate(1 / 60))
                        arrive = claim + timedelta(seconds=rng.expovariate(1 / 600))
                        row.update(status="done", acknowledged_at=ack, claimed_at=claim, arrived_at=arrive,
                                   done_at=arrive + timedelta(seconds=rng.expovariate(1 / 1800)))
                    targets.append(row)
            await conn.execute(insert(db.Incident), incidents)
            for j in range(0, len(targets), CHUNK):
                batch = targets[j:j + CHUNK]
                keys = set().union(*(r.keys() for r in batch))
                await conn.execute(insert(db.IncidentTarget), [{k: r.get(k) for k in keys} for r in batch])
            print(f"  {min(first + CHUNK, count):>9,} incidents", flush=True)
        await uow.commit()


async def measure(services: Services, period: Period, rounds: int, recap: Any) -> list[float]:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        async with services.db.uow() as uow:
            await recap(uow, services, period)
        times.append(time.perf_counter() - began)
    return times


def cli() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="sqlite+aiosqlite:////tmp/sigap112-bench.db")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-direct", action="store_true", help="only the roll-ups (the direct year is slow)")
    args = parser.parse_args()
    if args.rebuild and args.database_url.startswith("sqlite"):
        Path(args.database_url.split("///", 1)[1]).unlink(missing_ok=True)
    migrate.upgrade(args.database_url)  # Alembic runs its own event loop: before ours starts
    return args


async def main(args: argparse.Namespace) -> None:
    url = args.database_url
    services, engine = build_services(url)
    async with services.db.uow() as uow:
        existing = int(await uow.session.scalar(select(func.count()).select_from(db.Incident)) or 0)
    if existing != args.incidents:
        if existing:
            raise SystemExit(f"the database holds {existing:,} incidents; use --rebuild or another database")
        print(f"filling {args.incidents:,} incidents over {args.years} years ...", flush=True)
        began = time.perf_counter()
        await fill(services, args.incidents, args.years)
        print(f"filled in {time.perf_counter() - began:.0f} s", flush=True)
        began = time.perf_counter()
        await stats.rebuild(services, datetime.now(UTC))
        print(f"roll-ups rebuilt in {time.perf_counter() - began:.0f} s", flush=True)
        async with services.db.uow() as uow:
            await uow.session.execute(text("ANALYZE"))
            await uow.session.commit()
    tz = services.tz
    month = month_period(2025, 6, tz)
    year = Period(datetime(2025, 1, 1, tzinfo=tz), datetime(2026, 1, 1, tzinfo=tz), "2025")
    async with services.db.uow() as uow:
        in_month = await uow.repo.incidents_created_between(month.start, month.end)
        in_year = await uow.repo.incidents_created_between(year.start, year.end)
        day_rows = [int(await uow.session.scalar(select(func.count()).select_from(model).where(
            model.day >= date(2025, 1, 1), model.day < date(2026, 1, 1))) or 0)
            for model in (db.StatsCount, db.StatsResponse, db.StatsResponseMonth)]
    print(f"roll-up rows of 2025: {day_rows[0]:,} daily counts, {day_rows[1]:,} daily histogram buckets, "
          f"{day_rows[2]:,} monthly histogram buckets", flush=True)
    for label, period, n in (("month (June 2025)", month, in_month), ("year (2025)", year, in_year)):
        for how, recap in (("roll-ups", stats.recap), ("direct", stats.recap_direct)):
            if how == "direct" and args.skip_direct:
                continue
            times = await measure(services, period, args.rounds, recap)
            print(f"{label:<18} {n:>8,} incidents, {how:<8}: median {statistics.median(times) * 1000:7.0f} ms, "
                  f"best {min(times) * 1000:7.0f} ms ({args.rounds} runs)", flush=True)
    await engine.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    asyncio.run(main(cli()))
