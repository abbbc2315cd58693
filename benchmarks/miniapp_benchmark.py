"""How long the map's data request (GET /peta/api/reports) takes with 500 open reports — aim: under 50 ms.

    .venv/bin/python -m benchmarks.miniapp_benchmark --database-url sqlite+aiosqlite:////tmp/map-bench.db  # new file
    createdb -h 127.0.0.1 -U postgres sigap112_map
    .venv/bin/python -m benchmarks.miniapp_benchmark --database-url postgresql+asyncpg://postgres@127.0.0.1/sigap112_map

The real `sigap112 run` process (polling, the map on its WEB_PORT) against the Bot API emulator; the open reports are
written straight into its database (each with its routed agencies at mixed steps), then the request is timed from
this process over HTTP on 127.0.0.1 with signed initData and gzip accepted, as the page sends it every 10 s (the
page's later polls usually get 304: nothing changed). Server-Timing gives the server's own share."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import random
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.db import models as db
from bot.db.engine import make_engine
from bot.domain.webapp_auth import sign
from bot.rules_loader import load_rules
from bot.sandbox.process import free_port

from .world import ADMIN, running_bot, summary

ROOT = Path(__file__).resolve().parents[1]
STEPS = ["pending", "pending", "acknowledged", "claimed", "on_scene", "done"]


async def fill(url: str, count: int, seed: int = 11) -> None:
    rules = load_rules(ROOT / "rules")
    rng = random.Random(seed)
    kinds = [(c, s) for c, cat in rules.categories.items() for s in (list(cat.subtypes) or [None])]
    villages = rules.gazetteer.villages
    now = datetime.now(UTC)
    incidents, targets = [], []
    for i in range(count):
        created = now - timedelta(minutes=rng.randrange(1, 600))
        category, subtype = kinds[rng.randrange(len(kinds))]
        village = villages[rng.randrange(len(villages))]
        incidents.append({
            "id": i + 1, "number": f"112-{created.year}-{i + 1:05d}", "year": created.year, "seq": i + 1,
            "source_key": f"bench:{i}", "category": category, "subtype": subtype,
            "priority": rules.default_priority(category, subtype), "cap_category": "Other",
            "kecamatan": village.kecamatan, "kecamatan_code": None, "village": village.name,
            "village_code": village.code, "outside_city": False, "address": "Jl. Contoh No. 1",
            "description": "Uraian kejadian " * 8, "caller_name": "Penelepon", "caller_phone": "+6281234567890",
            "status": "open", "created_by": 1, "created_by_name": "bench", "created_chat_id": 1,
            "created_at": created, "updated_at": created})
        for key in rules.targets(category, subtype):
            targets.append({"incident_id": i + 1, "agency_key": key, "created_at": created,
                            "status": STEPS[rng.randrange(len(STEPS))]})
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.execute(insert(db.Incident), incidents)
        await conn.execute(insert(db.IncidentTarget), targets)
    await engine.dispose()


def timed_get(url: str, init: str) -> tuple[float, float, dict]:  # type: ignore[type-arg]
    """(seconds for the whole request, seconds the server spent on the data (Server-Timing), the answer)."""
    request = urllib.request.Request(url, headers={"Authorization": f"tma {init}", "Accept-Encoding": "gzip"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        body = gzip.decompress(response.read())  # as a phone asks for it: compressed
        server = float(response.headers["Server-Timing"].split("dur=")[1]) / 1000
        size = int(response.headers["Content-Length"] or 0)
    return time.perf_counter() - began, server, {**json.loads(body), "_wire": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="sqlite+aiosqlite:////tmp/sigap112-map-bench.db")
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    env = {"WEB_PORT": str(port), "WEBAPP_URL": f"http://127.0.0.1:{port}/peta/"}
    with running_bot(args.database_url, [], limits=None, env=env) as (fake, _bot, _clock):
        asyncio.run(fill(args.database_url, args.reports))
        user = json.dumps({"id": ADMIN, "first_name": "Admin"})
        init = sign({"user": user, "auth_date": str(int(time.time()))}, fake.token)
        url = f"http://127.0.0.1:{port}/peta/api/reports"
        deadline = time.monotonic() + 30
        while True:  # the map's server comes up with the bot
            try:
                _, _, first = timed_get(url, init)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert len(first["reports"]) == args.reports, len(first["reports"])
        runs = [timed_get(url, init) for _ in range(args.requests)]
        size = len(json.dumps(first).encode())
        print(f"{args.reports} open reports, answer {size / 1024:.0f} KiB ({first['_wire'] / 1024:.0f} KiB gzipped)")
        print(f"  request (HTTP, as the page sees it): {summary([r[0] for r in runs])}")
        print(f"  data (query and shaping, Server-Timing): {summary([r[1] for r in runs])}")


if __name__ == "__main__":
    main()
