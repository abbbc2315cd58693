"""A surge: far more reports than a group may receive one by one; digests keep every group about a minute behind."""

from __future__ import annotations

import re
import time

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .conftest import add_staff, bind_all_groups
from .settle import wait_recorded

pytestmark = pytest.mark.e2e
NUMBER = re.compile(r"112-\d{4}-\d{5}")
SURGE = 45
CALL_TAKERS = [world.CALL_TAKER, 1101, 1102, 1103, 1104]  # a surge is the whole shift answering calls


def test_in_a_surge_every_group_sees_every_report_within_about_a_minute(process: BotProcess,
                                                                          fake: FakeTelegram) -> None:
    process.env["LAPOR_PER_MINUTE"] = "1000"
    for n, user_id in enumerate(CALL_TAKERS):
        if user_id not in fake.users:
            fake.add_user(user_id, f"Petugas {n}")
    add_staff(process, [(user_id, f"Petugas {n}", "call_taker") for n, user_id in enumerate(CALL_TAKERS)])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    began = time.monotonic()
    for i in range(SURGE):
        user_id = CALL_TAKERS[i % len(CALL_TAKERS)]
        fake.send_text(user_id, user_id, f"/lapor\nkategori: kebakaran\nkecamatan: Sirimau\nalamat: Gudang {i}\n"
                                         "keterangan: Api")

    def accepted() -> set[str]:
        return {n for user_id in CALL_TAKERS for m in fake.bot_messages(user_id) if "Laporan tercatat" in m.text
                for n in NUMBER.findall(m.text)}

    numbers = fake.wait_until(lambda: (lambda found: found if len(found) >= SURGE else None)(accepted()),
                              timeout=60, what="every report accepted")

    def seen(key: str) -> set[str]:
        return {n for m in fake.bot_messages(world.GROUPS[key]) for n in NUMBER.findall(m.text)}

    for key in world.FIRE_GROUPS:
        fake.wait_until(lambda key=key: seen(key) >= numbers, timeout=90, what=f"every report in {key}")
    assert time.monotonic() - began < 90
    monitoring = fake.bot_messages(world.GROUPS["monitoring"])
    digests = [m for m in monitoring if "laporan baru sekaligus" in m.text]
    assert digests and len(monitoring) < SURGE + 5
    damkar_digest = next(m for m in fake.bot_messages(world.GROUPS["damkar"]) if "laporan baru sekaligus" in m.text)
    label, data = damkar_digest.buttons()[0]
    answer = fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], damkar_digest.message_id,
                                             data))
    assert answer["text"] == "Tercatat: laporan diterima Damkar."
    number = label.split()[-1]
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    assert "Damkar: ✅ diterima" in fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text
    # Damkar took it from the digest: its full card follows, to go on with, and stays in sync everywhere.
    card = fake.wait_for_message(world.GROUPS["damkar"], f"LAPORAN {number}", timeout=60)
    assert "Damkar: ✅ diterima" in card.text
    data = next(d for text, d in card.buttons() if "Berangkat" in text)
    assert fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], card.message_id, data))
    fake.wait_until(lambda: "Damkar: 🚗 berangkat" in fake.wait_for_message(
        world.GROUPS["damkar"], f"LAPORAN {number}").text, timeout=60, what="the claim on the new card")
    # A reply to the digest of several reports: the bot asks which one; a reply naming one counts for that one.
    damkar, listed = world.GROUPS["damkar"], NUMBER.findall(damkar_digest.text)
    wait_recorded(fake, process, [damkar_digest])
    fake.send_text(world.DAMKAR_STAFF, damkar, "siap", reply_to=damkar_digest.message_id)
    assert listed[1] in fake.wait_for_message(damkar, "berisi beberapa laporan").text
    fake.send_text(world.DAMKAR_STAFF, damkar, f"{listed[1]} OTW 1 unit", reply_to=damkar_digest.message_id)
    assert listed[1] in fake.wait_for_message(damkar, "Damkar berangkat untuk").text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {listed[1]}")
    assert "Damkar: 🚗 berangkat" in fake.wait_for_message(world.CALL_TAKER, f"Riwayat {listed[1]}").text
