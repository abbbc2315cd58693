"""Surge: 300 flood and landslide reports in 60 s (one every 0.2 s, from a shift of 20 call takers), each routed to
7 groups (BPBD, SAR, Perkim, DLHP, call center, leadership, monitoring), through the emulator enforcing Telegram's
flood limits with real 429 answers (20 a minute per group, 30 a second overall, about one a second in a private
chat). Measures, for every report and group, the time from the report being sent to the group seeing its number
(in a card or a digest); the 429s the bot received; the reports a group never saw (must be 0); whether every call
taker got every answer; and the bot's resident memory (peak over the whole run, from /proc/<pid>/status VmHWM).

    .venv/bin/python -m benchmarks.surge_benchmark --database-url sqlite+aiosqlite:////tmp/surge.db

With `--photo-every K` (issue 13), the call taker of every K-th report replies to its "Laporan tercatat" answer with
a photo from the scene, which the bot relays by file_id to every group under its card: the report times are then
measured on cards and digests only, and the photos' own times (photo sent -> group shows it) are reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.sandbox.fake_api import Limits

from .world import GROUPS, NUMBER, running_bot, summary

CALL_TAKERS = list(range(1001, 1021))
SURGE_GROUPS = {k: GROUPS[k] for k in ("bpbd", "sar", "perkim", "dlhp", "call_center", "pimpinan", "monitoring")}
KINDS = ["banjir", "tanah longsor"]
PLACES = [("Sirimau", "Batu Merah"), ("Nusaniwe", "Benteng"), ("Baguala", "Passo"), ("Teluk Ambon", "Poka"),
          ("Leitimur Selatan", "Hutumuri")]


def report(i: int) -> str:
    kecamatan, village = PLACES[i % len(PLACES)]
    return (f"/lapor\nkategori: bencana\njenis: {KINDS[i % len(KINDS)]}\nkecamatan: {kecamatan}\n"
            f"kelurahan: {village}\nalamat: RT {i % 30 + 1:02d}, rumah nomor {i}\npelapor: Warga {i}\n"
            f"telepon: 0812 3456 {i:04d}\nketerangan: Air setinggi dada, warga perlu dievakuasi")


def run(database_url: str, reports: int, seconds: float, deadline: float, verbose: int = 0,
        group_limit: int = 20, photo_every: int = 0) -> None:
    env = {"LAPOR_PER_MINUTE": "100"}  # 300 a minute from 20 people is 15 each; the flood guard stays on
    limits = Limits(group_per_minute=group_limit)
    with running_bot(database_url, CALL_TAKERS, limits=limits, env=env) as (fake, bot, clock):
        idle = bot.memory_kib()
        sent_at: dict[int, list[float]] = {user: [] for user in CALL_TAKERS}  # when each one's reports were sent
        photo_sent: dict[str, float] = {}  # report number -> when its photo was sent
        answers_used = 0

        def send_photos() -> None:
            """Reply with a photo to every new 'Laporan tercatat' answer of a report chosen to have one."""
            nonlocal answers_used
            answers = [(chat, sent) for _at, chat, sent in list(clock.posts)
                       if chat in sent_at and "Laporan tercatat" in sent.text]
            for n in range(answers_used, len(answers)):
                chat, sent = answers[n]
                number = NUMBER.search(sent.text)
                if number and int(number.group(0)[-5:]) % photo_every == 0:
                    fake.send_media(chat, chat, "photo", caption="foto dari lokasi", reply_to=sent.message_id)
                    photo_sent[number.group(0)] = time.monotonic()
            answers_used = len(answers)

        began = time.monotonic()
        for i in range(reports):
            due = began + i * seconds / reports
            time.sleep(max(0.0, due - time.monotonic()))
            user = CALL_TAKERS[i % len(CALL_TAKERS)]
            fake.send_text(user, user, report(i))
            sent_at[user].append(time.monotonic())
            if photo_every:
                send_photos()
        sending_took = time.monotonic() - began

        def numbers_of_reports() -> dict[str, float]:
            """Report number -> when it was sent, from the call takers' 'Laporan tercatat' answers (a call taker's
            messages are answered in order, so the k-th answer is about their k-th report)."""
            found = {}
            answered = {user: 0 for user in CALL_TAKERS}
            for _at, chat, sent in list(clock.posts):
                if chat in answered and "Laporan tercatat" in sent.text:
                    number = NUMBER.search(sent.text)
                    if number:
                        found[number.group(0)] = sent_at[chat][answered[chat]]
                        answered[chat] += 1
            return found

        def seen() -> dict[tuple[str, int], float]:
            """(report number, group) -> when the group first saw it (in a card or a digest)."""
            first: dict[tuple[str, int], float] = {}
            for at, chat, sent in list(clock.posts):
                if chat in SURGE_GROUPS.values() and sent.kind == "text":  # a card or a digest, not a photo
                    for number in NUMBER.findall(sent.text):
                        first.setdefault((number, chat), at)
            return first

        def photos_seen() -> dict[tuple[str, int], float]:
            """(report number, group) -> when the group got the report's photo."""
            first: dict[tuple[str, int], float] = {}
            for at, chat, sent in list(clock.posts):
                if chat in SURGE_GROUPS.values() and sent.kind == "photo":
                    for number in NUMBER.findall(sent.text):
                        first.setdefault((number, chat), at)
            return first

        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            numbers = numbers_of_reports()
            if photo_every:
                send_photos()
            photos_done = len(photos_seen()) == len(photo_sent) * len(SURGE_GROUPS) and (
                len(photo_sent) == reports // photo_every if photo_every else True)
            if len(numbers) == reports and len(seen()) == reports * len(SURGE_GROUPS) and photos_done:
                break
            time.sleep(0.5)
        peak = bot.memory_kib()
        numbers, first = numbers_of_reports(), seen()
        lags = [first[(n, g)] - sent for n, sent in numbers.items() for g in SURGE_GROUPS.values() if (n, g) in first]
        lost = [(n, k) for n in numbers for k, g in SURGE_GROUPS.items() if (n, g) not in first]
        all_seen = max(first.values()) - began if first else float("nan")
        per_group = {k: sum(1 for _, chat, _ in clock.posts if chat == g) for k, g in SURGE_GROUPS.items()}
        digests = sum(1 for _, chat, sent in clock.posts if chat in SURGE_GROUPS.values()
                      and "laporan baru sekaligus" in sent.text)
        behind = {k: max((first[(n, g)] - s for n, s in numbers.items() if (n, g) in first), default=0.0)
                  for k, g in SURGE_GROUPS.items()}
        private_429 = sum(1 for chat, _ in fake.flood_429s if chat > 0)
        if verbose:
            for at, chat, sent in clock.posts:
                if chat in SURGE_GROUPS.values() or verbose > 1:
                    print(f"{at - began:7.2f} s  {chat}  {len(NUMBER.findall(sent.text))} numbers  "
                          f"{sent.text.splitlines()[0][:70]}")
        print(f"database: {database_url.split(':')[0]}; Telegram's group limit: {group_limit} a minute")
        print(f"reports sent: {reports} in {sending_took:.1f} s by {len(CALL_TAKERS)} call takers; "
              f"answered 'Laporan tercatat': {len(numbers)}")
        print(f"every group saw every report {all_seen:.1f} s after the first report was sent")
        print(f"time from a report to a group seeing it: {summary(lags, seconds=True)}; "
              f"mean {statistics.mean(lags):.1f} s")
        print("worst per group: " + ", ".join(f"{k} {v:.1f} s" for k, v in behind.items()))
        print(f"messages per group: {per_group}; digests: {digests}")
        print(f"429s received: {len(fake.flood_429s)} ({private_429} in private chats)")
        print(f"lost (a group never saw a report within {deadline:.0f} s): {len(lost)}")
        if photo_every:
            shown = photos_seen()
            photo_lags = [shown[(n, g)] - at for n, at in photo_sent.items() for g in SURGE_GROUPS.values()
                          if (n, g) in shown]
            missing = len(photo_sent) * len(SURGE_GROUPS) - len(photo_lags)
            print(f"photos: {len(photo_sent)} sent (every {photo_every}th report), {len(photo_lags)} shown in groups; "
                  f"photo sent -> group shows it: {summary(photo_lags, seconds=True) if photo_lags else '-'}; "
                  f"not shown within {deadline:.0f} s: {missing}")
        print(f"bot memory: {idle['VmRSS'] / 1024:.0f} MiB before the surge, peak {peak['VmHWM'] / 1024:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a fresh database for the run")
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--deadline", type=float, default=300.0, help="how long to wait for every group")
    parser.add_argument("--group-limit", type=int, default=20,
                        help="messages a minute the emulator lets into a group (below 20: Telegram stricter than "
                             "the bot assumes, so it answers 429s)")
    parser.add_argument("--photo-every", type=int, default=0,
                        help="every K-th report gets a photo from the scene, relayed to every group (0: none)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="list the groups' messages (-vv: all)")
    args = parser.parse_args()
    run(args.database_url, args.reports, args.seconds, args.deadline, args.verbose, args.group_limit,
        args.photo_every)


if __name__ == "__main__":
    main()
