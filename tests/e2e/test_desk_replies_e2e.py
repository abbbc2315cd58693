"""End to end: a reply claims only when it says so; replies to the bot's other messages about an incident count;
agencies can decline; leaders see what is open without the caller."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .conftest import add_staff, bind_all_groups
from .settle import wait_quiet, wait_recorded
from .steps import card, everywhere, file_fire, press

pytestmark = pytest.mark.e2e


def start_fast(process: BotProcess, fake: FakeTelegram, rules: Path) -> None:
    process.env.update(RULES_DIR=str(rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)


def test_a_plain_reply_is_a_note_and_otw_is_a_claim(running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")  # every copy recorded: a reply finds its card
    damkar = world.GROUPS["damkar"]
    fake.send_text(world.DAMKAR_STAFF, damkar, "bukan wewenang kami", reply_to=card(fake, "damkar", number).message_id)
    fake.wait_for_message(damkar, "📝 Catatan Damkar")
    everywhere(fake, number, "— bukan wewenang kami")
    assert "Damkar: ⏳ belum merespons" in card(fake, "monitoring", number).text
    assert not any("berangkat untuk" in m.text for m in fake.bot_messages(damkar))
    fake.send_text(world.DAMKAR_STAFF, damkar, "Otw, 2 unit", reply_to=card(fake, "damkar", number).message_id)
    fake.wait_for_message(damkar, "Damkar berangkat untuk")
    everywhere(fake, number, "Damkar: 🚗 berangkat")


def test_a_reply_to_a_reminder_is_a_note_on_that_incident(process: BotProcess, fake: FakeTelegram,
                                                          fast_rules: Path) -> None:
    start_fast(process, fake, fast_rules)
    number = file_fire(fake)
    reminder = fake.wait_for_message(world.GROUPS["dinkes"], "Pengingat 1/1", timeout=90)
    wait_recorded(fake, process, [reminder])  # the bot knows what it sent once the send is recorded
    fake.send_text(world.PLN_STAFF, world.GROUPS["dinkes"], "ambulans sedang di RS lain", reply_to=reminder.message_id)
    fake.wait_for_message(world.GROUPS["dinkes"], "📝 Catatan Dinkes/RS")
    everywhere(fake, number, "— ambulans sedang di RS lain", {"dinkes", "monitoring", "call_center"})
    assert "Dinkes/RS: ⏳ belum merespons" in card(fake, "dinkes", number).text
    press(fake, world.PLN_STAFF, "dinkes", number, "Diterima")


def test_a_leaders_aktif_and_status_in_the_monitoring_group_show_no_caller(process: BotProcess, fake: FakeTelegram,
                                                                           fast_rules: Path) -> None:
    add_staff(process, [(world.LEADER, "Pak Wali", "leader")])
    start_fast(process, fake, fast_rules)
    number = file_fire(fake)
    monitoring = world.GROUPS["monitoring"]
    fake.send_text(world.LEADER, monitoring, "/aktif")
    listed = fake.wait_for_message(monitoring, "Laporan terbuka: 1")
    assert number in listed.text and "Damkar" in listed.text
    fake.send_text(world.LEADER, monitoring, f"/status {number}")
    shown = fake.wait_for_message(monitoring, f"Riwayat {number}")
    for text in (listed.text, shown.text):
        assert "Maria" not in text and "7890" not in text and "0812" not in text, text
    fake.send_text(world.LEADER, world.LEADER, "/aktif")
    assert number in fake.wait_for_message(world.LEADER, "Laporan terbuka").text
    fake.send_text(world.LEADER, world.GROUPS["damkar"], "/aktif")
    assert number not in fake.wait_for_message(world.GROUPS["damkar"], "Hanya petugas Call Center").text


def test_a_decline_stops_that_agencys_chase_and_alerts_the_call_center(process: BotProcess, fake: FakeTelegram,
                                                                       fast_rules: Path) -> None:
    start_fast(process, fake, fast_rules)
    number = file_fire(fake)
    # The alert threads under the call center's copy, whose id the bot knows once it has recorded that post.
    wait_recorded(fake, process, [card(fake, "call_center", number)])
    answer = press(fake, world.PLN_STAFF, "dinkes", number, "Bukan wewenang")
    assert answer["text"].startswith("Tercatat: bukan wewenang Dinkes/RS.")
    for key in ("pln", "dishub", "tni_polri"):
        press(fake, world.PLN_STAFF, key, number, "Diterima")
    alert = fake.wait_for_message(world.GROUPS["call_center"], "menyatakan 🚫 bukan wewenang")
    assert number in alert.text and "Dinkes/RS" in alert.text
    assert alert.reply_to == card(fake, "call_center", number).message_id
    everywhere(fake, number, "Dinkes/RS: 🚫 bukan wewenang")
    dinkes = card(fake, "dinkes", number)
    assert [t for t, _ in dinkes.buttons()] == ["📞 Nomor pelapor"]
    fake.send_text(world.PLN_STAFF, world.GROUPS["dinkes"], "tidak ada korban, otw tidak perlu",
                   reply_to=dinkes.message_id)
    fake.wait_for_message(world.GROUPS["dinkes"], "📝 Catatan Dinkes/RS")
    everywhere(fake, number, "— tidak ada korban, otw tidak perlu", {"dinkes", "call_center", "monitoring"})
    assert "Dinkes/RS: 🚫 bukan wewenang" in card(fake, "monitoring", number).text  # a reply after a no claims nothing
    # Damkar, still silent, is chased up the whole ladder; Dinkes/RS, which said no, never is.
    fake.wait_for_message(world.GROUPS["damkar"], "Pengingat 1/1", timeout=90)
    fake.wait_until(lambda: any("ESKALASI" in m.text and "Damkar" in m.text
                                for m in fake.bot_messages(world.GROUPS["pimpinan"])), what="Damkar's escalation")
    wait_quiet(fake, process)
    assert not any("Pengingat" in m.text for m in fake.bot_messages(world.GROUPS["dinkes"]))
    assert not any("Dinkes/RS belum" in m.text for key in ("call_center", "pimpinan")
                   for m in fake.bot_messages(world.GROUPS[key]))
