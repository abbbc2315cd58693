"""Latency: 200 fire reports one after another, from the moment the update is available to the moment Telegram
accepted the last of its 8 group posts; against a bare python-telegram-bot bot that answers the same command with
the same number of messages and no database (benchmarks/bare_bot.py), the framework's floor.

The emulator runs without flood limits and the bot's own budget is lifted (TELEGRAM_GROUP_PER_MINUTE): 200
reports back to back would otherwise measure Telegram's 20-a-minute limit, not the bot. On a normal day (fewer
than 10 posts a minute to a group) the budget never delays a post, so this is the latency a call taker sees.

    .venv/bin/python -m benchmarks.latency_benchmark --database-url sqlite+aiosqlite:////tmp/lat.db
    .venv/bin/python -m benchmarks.latency_benchmark --bare
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.sandbox.fake_api import FakeTelegram

from .world import ADMIN, GROUPS, Clock, percentile, running_bot, summary

# The reports rotate over a shift of call takers: one person cannot file a report every few tens of
# milliseconds, and Telegram allows about one message a second in a private chat (each report gets two there).
CALL_TAKERS = list(range(1001, 1041))
FIRE_GROUPS = [GROUPS[k] for k in ("damkar", "pln", "dinkes", "dishub", "tni_polri", "call_center", "pimpinan",
                                    "monitoring")]
WARM_UP = 5


def report(i: int) -> str:
    return (f"/lapor\nkategori: kebakaran\nkecamatan: Sirimau\nkelurahan: Batu Merah\n"
            f"alamat: Jl. Benchmark No. {i:04d}\npelapor: Ibu Maria\ntelepon: 0812 3456 7890\n"
            f"keterangan: Rumah terbakar, 2 orang terjebak di lantai 2")


def measure(fake: FakeTelegram, clock: Clock, count: int, gap: float = 0.0) -> list[float]:
    """Send the reports one after another; each waits until every fire group has its post (and then `gap`
    seconds more: the bot finishes recording the previous report before the next one comes)."""
    latencies = []
    for i in range(WARM_UP + count):
        if i and gap:
            time.sleep(gap)
        took = one_report(fake, clock, i)
        if i >= WARM_UP:
            latencies.append(took)
    return latencies


def one_report(fake: FakeTelegram, clock: Clock, i: int) -> float:
    """Report i, from the update's arrival to its last fire group's post, in seconds."""
    marker = f"No. {i:04d}"
    with clock.lock:
        start_index = len(clock.posts)
    began = time.monotonic()
    user = CALL_TAKERS[i % len(CALL_TAKERS)]
    fake.send_text(user, user, report(i))
    with clock.changed:
        if not clock.changed.wait_for(lambda s=start_index, m=marker: last_post(clock, s, m) is not None,  # type: ignore[misc]
                                      timeout=60):
            raise SystemExit(f"report {i}: not every group got its post within 60 s")
        finished = last_post(clock, start_index, marker)
    assert finished is not None
    return finished - began


def paired(fake: FakeTelegram, clock: Clock, bare: FakeTelegram, bare_clock: Clock, count: int,
           gap: float) -> tuple[list[float], list[float]]:
    """The same reports to Sigap 112 and to the bare bot, alternately (report i to one, then to the other, `gap`
    seconds after each): both measured in the same seconds of the machine's life, so a neighbour's load or a
    slower minute weighs on both alike. Sigap's latencies and the bare bot's."""
    sigap: list[float] = []
    floor: list[float] = []
    first = True
    for i in range(WARM_UP + count):
        for into, its_clock, out in ((bare, bare_clock, floor), (fake, clock, sigap))[::1 if i % 2 else -1]:
            if not first:
                time.sleep(gap)
            first = False
            took = one_report(into, its_clock, i)
            if i >= WARM_UP:
                out.append(took)
    return sigap, floor


def last_post(clock: Clock, start_index: int, marker: str) -> float | None:
    """When the last fire group got the post carrying `marker`, once every one has."""
    chats = {chat: at for at, chat, sent in clock.posts[start_index:] if marker in sent.text}
    return max(chats.values()) if all(g in chats for g in FIRE_GROUPS) else None


SIGAP_ENV = {"TELEGRAM_GROUP_PER_MINUTE": "1000000", "TELEGRAM_PER_SECOND": "1000000", "LAPOR_PER_MINUTE": "100000"}


def run_sigap(database_url: str, count: int, gap: float = 0.0) -> list[float]:
    with running_bot(database_url, CALL_TAKERS, limits=None, env=SIGAP_ENV) as (fake, _bot, clock):
        return measure(fake, clock, count, gap)


def run_bare(count: int, gap: float = 0.0, transport: str = "httpx") -> list[float]:
    with bare_bot(transport) as (fake, clock):
        return measure(fake, clock, count, gap)


def run_paired(database_url: str, count: int, gap: float,
               transport: str = "httpx") -> tuple[list[float], list[float]]:
    with bare_bot(transport) as (bare, bare_clock), \
            running_bot(database_url, CALL_TAKERS, limits=None, env=SIGAP_ENV) as (fake, _bot, clock):
        return paired(fake, clock, bare, bare_clock, count, gap)


@contextmanager
def bare_bot(transport: str = "httpx") -> Iterator[tuple[FakeTelegram, Clock]]:
    """The bare python-telegram-bot bot (benchmarks/bare_bot.py) with its own emulator, polling; `transport`:
    its HTTP, python-telegram-bot's own (httpx) or the one Sigap 112 uses (aiohttp, bot/tg/http.py)."""
    fake = FakeTelegram(limits=None).start()
    fake.add_user(ADMIN, "Admin")
    for user in CALL_TAKERS:
        fake.add_user(user, "Petugas")
        fake.started_private.add(user)
    for key, chat_id in GROUPS.items():
        fake.add_group(chat_id, f"Grup {key}")
    clock = Clock()
    fake.listeners.append(clock.listener)
    env = {**os.environ, "BOT_TOKEN": fake.token, "TELEGRAM_API_URL": fake.url,
           "BARE_GROUPS": ",".join(map(str, FIRE_GROUPS)), "BARE_TRANSPORT": transport}
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.bare_bot"], env=env,
                            cwd=Path(__file__).resolve().parents[1])
    try:
        fake.wait_polling()
        yield fake, clock
    finally:
        proc.terminate()
        proc.wait(20)
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="run Sigap 112 on this database (a fresh one)")
    parser.add_argument("--bare", action="store_true", help="run the bare python-telegram-bot bot instead")
    parser.add_argument("--with-bare", action="store_true",
                        help="run the bare bot beside Sigap 112 and send each report to both, alternately (the "
                             "ratio of the two medians, measured in the same seconds)")
    parser.add_argument("--bare-transport", choices=("httpx", "aiohttp"), default="httpx",
                        help="the bare bot's HTTP: python-telegram-bot's default (httpx, the framework as it ships) "
                             "or the aiohttp transport Sigap 112 uses (bot/tg/http.py)")
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.0,
                        help="seconds between one report's last group post and the next report (default: none, "
                             "back to back; a call center has seconds to minutes between reports)")
    args = parser.parse_args()
    if args.bare:
        latencies = run_bare(args.reports, args.gap, args.bare_transport)
        print(f"bare python-telegram-bot ({args.bare_transport}): {summary(latencies)}")
    elif args.with_bare:
        latencies, floor = run_paired(args.database_url, args.reports, args.gap, args.bare_transport)
        print(f"bare python-telegram-bot ({args.bare_transport}): {summary(floor)}")
        print(f"Sigap 112 on {args.database_url.split(':')[0]}: {summary(latencies)}")
        print(f"ratio: p50 {statistics.median(latencies) / statistics.median(floor):.2f} x, "
              f"p99 {percentile(latencies, 99) / percentile(floor, 99):.2f} x")
        print("slowest (Sigap / bare, ms): " + ", ".join(
            f"{a * 1000:.0f}/{b * 1000:.0f}" for a, b in sorted(zip(latencies, floor, strict=True), reverse=True)[:5]))
    else:
        latencies = run_sigap(args.database_url, args.reports, args.gap)
        print(f"Sigap 112 on {args.database_url.split(':')[0]}: {summary(latencies)}")
    print(f"mean {statistics.mean(latencies) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
