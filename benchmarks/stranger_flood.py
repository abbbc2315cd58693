"""Stranger flood: the call takers' normal work, once quiet and once while strangers send 500 commands from groups
no agency uses (10 groups, 10 people, /whoami, /start, /bantuan, /lapor, /tutup, spread over the work). Measures,
per report, the call taker's answer time (report sent -> "Laporan tercatat" accepted by Telegram) and the
first-card time (report sent -> the first agency group's card accepted), p50 and p99, in both runs; and how many
answers the strangers got.

Normal work: 25 fire reports, one every 6 s, rotated over 10 call takers, each to 8 groups: under every group's
Telegram budget (10 a minute), so no digest; the emulator enforces Telegram's flood limits with real 429s and the
bot keeps its own budget, as in production.

    .venv/bin/python -m benchmarks.stranger_flood                      # SQLite files in a temporary directory
    .venv/bin/python -m benchmarks.stranger_flood --reports 10 --every 3   # a quicker look
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from pathlib import Path

from bot.sandbox.fake_api import FakeTelegram, Limits

from .world import NUMBER, Clock, percentile, running_bot, summary

CALL_TAKERS = list(range(1001, 1011))
STRANGERS = list(range(9001, 9011))
UNBOUND_GROUPS = [-1002000000000 - i for i in range(1, 11)]
COMMANDS = ["/whoami", "/start", "/bantuan", "/lapor\nkategori: kebakaran\nalamat: iseng", "/tutup 1 palsu"]


def report(i: int) -> str:
    return (f"/lapor\nkategori: kebakaran\nkecamatan: Sirimau\nkelurahan: Batu Merah\n"
            f"alamat: Jl. Banjir Pesan No. {i:04d}\npelapor: Ibu Maria\ntelepon: 0812 3456 7890\n"
            f"keterangan: Rumah terbakar, 2 orang terjebak di lantai 2")


def flood(fake: FakeTelegram, commands: int, seconds: float, stop: threading.Event,
          windows: list[tuple[float, float]] | None = None) -> None:
    """`commands` commands from the strangers' groups, evenly over `seconds` of flood time: from now on, or
    within the given (start, end) windows (time.monotonic)."""
    windows = windows or [(time.monotonic(), time.monotonic() + seconds)]
    total = sum(end - start for start, end in windows)
    senders = itertools.cycle(zip(STRANGERS, UNBOUND_GROUPS, strict=True))
    texts = itertools.cycle(COMMANDS)
    for n in range(commands):
        offset = n * total / commands
        for start, end in windows:  # the moment `offset` seconds of flood time have passed
            if offset < end - start:
                due = start + offset
                break
            offset -= end - start
        while time.monotonic() < due:
            if stop.wait(min(0.05, due - time.monotonic())):
                return
        user, group = next(senders)
        fake.send_text(user, group, next(texts))


def run(database_url: str, reports: int, every: float, commands: int) -> dict[str, list[float] | int]:
    with running_bot(database_url, CALL_TAKERS, limits=Limits(), env={}) as (fake, _bot, clock):
        for user in STRANGERS:
            fake.add_user(user, f"Orang {user}")
        for group in UNBOUND_GROUPS:
            fake.add_group(group, f"Grup iseng {group}")
        stop = threading.Event()
        flooder = threading.Thread(target=flood, args=(fake, commands, reports * every, stop), daemon=True)
        if commands:
            flooder.start()
        sent_at: list[tuple[int, float]] = []
        began = time.monotonic()
        for i in range(reports):
            time.sleep(max(0.0, began + i * every - time.monotonic()))
            user = CALL_TAKERS[i % len(CALL_TAKERS)]
            fake.send_text(user, user, report(i))
            sent_at.append((user, time.monotonic()))
        stop.set()
        if commands:
            flooder.join()
        answers, cards = wait_for_all(clock, sent_at)
        strangers = [at for at, chat, _ in list(clock.posts) if chat in UNBOUND_GROUPS]
        return {"answer": answers, "card": cards, "stranger_answers": len(strangers),
                "flood_429s": len(fake.flood_429s)}


def run_interleaved(database_url: str, reports: int, every: float, commands: int,
                    block: int) -> dict[str, dict[str, list[float] | int]]:
    """One bot, the reports in blocks of `block`: quiet, flood, quiet, flood ... so that both see the same
    machine (other programs' load changes over minutes)."""
    with running_bot(database_url, CALL_TAKERS, limits=Limits(), env={}) as (fake, _bot, clock):
        for user in STRANGERS:
            fake.add_user(user, f"Orang {user}")
        for group in UNBOUND_GROUPS:
            fake.add_group(group, f"Grup iseng {group}")
        began = time.monotonic() + 1
        span = block * every
        windows = [(began + b * span, began + (b + 1) * span) for b in range(1, reports // block + 1, 2)]
        stop = threading.Event()
        flooder = threading.Thread(target=flood, args=(fake, commands, 0, stop, windows), daemon=True)
        flooder.start()
        sent_at: list[tuple[int, float]] = []
        for i in range(reports):
            time.sleep(max(0.0, began + i * every - time.monotonic()))
            user = CALL_TAKERS[i % len(CALL_TAKERS)]
            fake.send_text(user, user, report(i))
            sent_at.append((user, time.monotonic()))
        flooder.join()
        answers, cards = wait_for_all(clock, sent_at)
        strangers = len([at for at, chat, _ in list(clock.posts) if chat in UNBOUND_GROUPS])
        results: dict[str, dict[str, list[float] | int]] = {}
        for name, parity in (("quiet", 0), ("flood", 1)):
            picked = [i for i in range(reports) if (i // block) % 2 == parity]
            results[name] = {"answer": [answers[i] for i in picked], "card": [cards[i] for i in picked],
                             "stranger_answers": strangers if parity else 0, "flood_429s": len(fake.flood_429s)}
        return results


def wait_for_all(clock: Clock, sent_at: list[tuple[int, float]], deadline: float = 120) -> tuple[list[float],
                                                                                                   list[float]]:
    """Each report's answer time and first-card time, once every report has both."""
    stop = time.monotonic() + deadline
    while True:
        posts = list(clock.posts)
        answers, cards = [], []
        for user, at in sent_at:
            answer = next(((t, s) for t, chat, s in posts if chat == user and t >= at and "Laporan tercatat" in s.text),
                          None)
            if answer is None:
                break
            number = NUMBER.search(answer[1].text)
            assert number is not None
            card = min((t for t, chat, s in posts if chat < 0 and number.group(0) in s.text and "LAPORAN" in s.text),
                       default=None)
            if card is None:
                break
            answers.append(answer[0] - at)
            cards.append(card - at)
        else:
            return answers, cards
        if time.monotonic() > stop:
            raise SystemExit(f"only {len(answers)} of {len(sent_at)} reports answered and carded in {deadline} s")
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=25)
    parser.add_argument("--every", type=float, default=6.0, help="seconds between two reports")
    parser.add_argument("--commands", type=int, default=500, help="the strangers' commands in the flood run")
    parser.add_argument("--interleave", type=int, default=0, metavar="BLOCK",
                        help="one bot; blocks of BLOCK reports alternately quiet and flooded (on a shared machine)")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="sigap112-flood-") as work:
        if args.interleave:
            url = f"sqlite+aiosqlite:///{Path(work) / 'interleaved.db'}"
            results = run_interleaved(url, args.reports, args.every, args.commands, args.interleave)
        for name, commands in () if args.interleave else (("quiet", 0), ("flood", args.commands)):
            url = f"sqlite+aiosqlite:///{Path(work) / f'{name}.db'}"
            results[name] = run(url, args.reports, args.every, commands)
    for name, result in results.items():
        answer, card = result["answer"], result["card"]
        assert isinstance(answer, list) and isinstance(card, list)
        print(f"{name}: answer {summary(answer)}; first card {summary(card)}; "
              f"strangers answered {result['stranger_answers']} times; 429s {result['flood_429s']}")
    for measure in ("answer", "card"):
        quiet, loud = results["quiet"][measure], results["flood"][measure]
        assert isinstance(quiet, list) and isinstance(loud, list)
        print(f"{measure}: p99 with the flood / quiet = {percentile(loud, 99) / percentile(quiet, 99):.2f}")


if __name__ == "__main__":
    main()
