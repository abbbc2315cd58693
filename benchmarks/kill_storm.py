"""Kill storm: the bot is killed with SIGKILL 20 times (and started again at once) while 8 call takers file 80 fire
reports, with Telegram down for 45 seconds in the middle (every call answered 502). Most kills are aimed at the
dangerous moment: right after a getUpdates answer handed the bot updates that it has not yet acknowledged.
Counts, from the database and from what the emulator's chats show:
- lost: a report sent but never filed, or a call taker who never got its number;
- duplicated: a report filed twice, or a group that got two cards of one report;
- missing: a (report, group) pair where the group never saw the report (card or digest).

    .venv/bin/python -m benchmarks.kill_storm --database-url sqlite+aiosqlite:////tmp/storm.db   # a new file
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.fake_api import FakeTelegram, Limits
from bot.sandbox.process import BotProcess

from .world import GROUPS, NUMBER, running_bot

CALL_TAKERS = list(range(1001, 1009))
FIRE_GROUPS = ("damkar", "pln", "dinkes", "dishub", "tni_polri", "call_center", "pimpinan", "monitoring")
PLACES = [("Sirimau", "Batu Merah"), ("Nusaniwe", "Benteng"), ("Baguala", "Passo"), ("Teluk Ambon", "Poka")]


def report(i: int) -> str:
    kecamatan, village = PLACES[i % len(PLACES)]
    return (f"/lapor\nkategori: bencana\njenis: kebakaran\nkecamatan: {kecamatan}\nkelurahan: {village}\n"
            f"alamat: Lorong {i}, rumah nomor {i}\npelapor: Warga {i}\ntelepon: 0812 3456 {i:04d}\n"
            f"keterangan: Api di dapur rumah nomor {i}")


def query(database_url: str, statement: str) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                return [tuple(r) for r in (await conn.execute(text(statement))).fetchall()]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def kill_at_a_bad_moment(fake: FakeTelegram, bot: BotProcess, wait: float = 1.5) -> str:
    """SIGKILL right after a getUpdates answer handed out updates not yet acknowledged, if that happens within
    `wait` seconds; otherwise wherever the bot is. Then start it again."""
    deadline = time.monotonic() + wait
    aimed = False
    while time.monotonic() < deadline:
        if fake.handed_out > fake.acknowledged:
            aimed = True
            break
        time.sleep(0.005)
    bot.kill()
    bot.start()
    return "aimed" if aimed else "anywhere"


def run(database_url: str, reports: int, seconds: float, kills: int, outage_at: float, outage: float,
        deadline: float) -> None:
    env = {"LAPOR_PER_MINUTE": "100"}
    with running_bot(database_url, CALL_TAKERS, limits=Limits(), env=env) as (fake, bot, clock):
        sent: list[tuple[int, int]] = []  # (call taker, message id) of every report
        kill_times = [seconds * (k + 0.5) / kills for k in range(kills)]
        began = time.monotonic()
        kinds: collections.Counter[str] = collections.Counter()
        next_report, next_kill, outage_started = 0, 0, False
        while next_report < reports or next_kill < kills:
            now = time.monotonic() - began
            if not outage_started and now >= outage_at:
                fake.outage(outage)
                outage_started = True
            if next_report < reports and now >= next_report * seconds / reports:
                user = CALL_TAKERS[next_report % len(CALL_TAKERS)]
                message = fake.send_text(user, user, report(next_report))
                sent.append((user, message["message_id"]))
                next_report += 1
            elif next_kill < kills and now >= kill_times[next_kill]:
                kinds[kill_at_a_bad_moment(fake, bot)] += 1
                next_kill += 1
            else:
                time.sleep(0.01)
        storm_took = time.monotonic() - began

        def answered() -> dict[int, set[str]]:
            numbers: dict[int, set[str]] = {user: set() for user in CALL_TAKERS}
            for _at, chat, message in list(clock.posts):
                if chat in numbers and ("Laporan tercatat" in message.text or "sudah tercatat" in message.text):
                    numbers[chat].update(NUMBER.findall(message.text))
            return numbers

        def seen() -> set[tuple[str, int]]:
            return {(n, chat) for _at, chat, message in list(clock.posts)
                    for n in NUMBER.findall(message.text) if chat in group_ids}

        group_ids = {GROUPS[k] for k in FIRE_GROUPS}
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            if sum(len(v) for v in answered().values()) >= reports and len(seen()) >= reports * len(group_ids):
                break
            time.sleep(1.0)
        settled = time.monotonic() - began
        incidents = query(database_url, "SELECT number, source_key FROM incident")
        filed_keys = collections.Counter(key for _, key in incidents)
        keys = [f"msg:{user}:{message_id}" for user, message_id in sent]
        not_filed = [k for k in keys if k not in filed_keys]
        filed_twice = [k for k, c in filed_keys.items() if c > 1]
        numbers = answered()
        per_user = collections.Counter(user for user, _ in sent)
        no_number = {u: per_user[u] - len(numbers[u]) for u in CALL_TAKERS if len(numbers[u]) < per_user[u]}
        cards: collections.Counter[tuple[str, int]] = collections.Counter()
        for _at, chat, message in list(clock.posts):
            if chat in group_ids and "LAPORAN" in message.text:
                for n in set(NUMBER.findall(message.text)):
                    cards[(n, chat)] += 1
        two_cards = [(n, chat) for (n, chat), c in cards.items() if c > 1]
        everything = {(n, g) for n, _ in incidents for g in group_ids}
        missing = everything - seen()
        unprocessed = query(database_url, "SELECT count(*) FROM inbox_update WHERE processed_at IS NULL")[0][0]
        print(f"database: {database_url.split(':')[0]}")
        print(f"{reports} reports from {len(CALL_TAKERS)} call takers and {kills} SIGKILLs "
              f"({kinds['aimed']} right after updates were handed out, {kinds['anywhere']} elsewhere) in "
              f"{storm_took:.0f} s; Telegram down (502) for {outage:.0f} s from {outage_at:.0f} s")
        print(f"settled {settled:.0f} s after the first report (deadline {deadline:.0f} s after the storm)")
        print(f"incidents filed: {len(incidents)}; reports never filed: {len(not_filed)}; "
              f"call takers without a number: {sum(no_number.values())} {no_number or ''}")
        print(f"reports filed twice: {len(filed_twice)}; a group with two cards of one report: {len(two_cards)} "
              f"{two_cards[:5] or ''}")
        print(f"(report, group) pairs never seen: {len(missing)} of {len(everything)}")
        print(f"429s received: {len(fake.flood_429s)}; inbox rows left unprocessed: {unprocessed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a fresh database for the run")
    parser.add_argument("--reports", type=int, default=80)
    parser.add_argument("--seconds", type=float, default=150.0, help="the reports and kills are spread over this")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--outage-at", type=float, default=50.0)
    parser.add_argument("--outage", type=float, default=45.0)
    parser.add_argument("--deadline", type=float, default=400.0)
    args = parser.parse_args()
    run(args.database_url, args.reports, args.seconds, args.kills, args.outage_at, args.outage, args.deadline)


if __name__ == "__main__":
    main()
