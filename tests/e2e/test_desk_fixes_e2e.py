"""End to end, the desk's corrections (issue 12): `/lepas` takes a wrongly routed agency off a report, `/ubah`
corrects a filed report — each on every copy of the card — and the defects the first desk work left: an alert
or an update threads under a card that was still on its way, a reply to a reminder never recorded counts, and a
step the desk recorded is shown in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

from .conftest import add_staff
from .settle import wait_quiet, wait_recorded
from .steps import card, everywhere, file_fire, press

pytestmark = pytest.mark.e2e
CARDS = "LAPORAN"  # only the cards: the faults below hold a group's card, not the texts about it


def start_fast(process: BotProcess, fake: FakeTelegram, rules: Path) -> None:
    process.env.update(RULES_DIR=str(rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    for key, chat_id in world.GROUPS.items():
        fake.send_text(world.ADMIN, chat_id, f"/daftar_grup {key}")
    for chat_id in world.GROUPS.values():
        fake.wait_for_message(chat_id, "sekarang terdaftar")


def desk(fake: FakeTelegram, text: str, expect: str) -> str:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, text)
    return fake.wait_for_message(world.CALL_TAKER, expect).text


def copy_of(fake: FakeTelegram, key: str, message_id: int) -> Sent:
    return next(m for m in fake.bot_messages(world.GROUPS[key]) if m.message_id == message_id)


def test_lepas_takes_a_wrongly_routed_agency_off_the_report_on_every_copy_and_stops_its_chase(
        process: BotProcess, fake: FakeTelegram, fast_rules: Path) -> None:
    start_fast(process, fake, fast_rules)
    number = file_fire(fake)
    done = desk(fake, f"/lepas {number} dishub bukan kecelakaan lalu lintas", "dilepas dari")
    assert "Dishub dilepas dari" in done and number in done
    everywhere(fake, number, "Dishub: ↩️ dilepas Call Center")
    assert "— bukan kecelakaan lalu lintas" in card(fake, "monitoring", number).text
    assert card(fake, "dishub", number).buttons() == []  # no steps, no decline, no caller's number
    assert "Damkar: ⏳ belum merespons" in card(fake, "dishub", number).text
    assert "tidak dikenal" in desk(fake, f"/lepas {number} ojek", "tidak dikenal")
    assert "tidak ditugaskan" in desk(fake, f"/lepas {number} sar", "tidak ditugaskan")
    assert "tidak dapat dilepas" in desk(fake, f"/lepas {number} dishub", "tidak dapat dilepas")
    assert "112-" in desk(fake, "/lepas 99999 dishub", "tidak ada")
    history = desk(fake, f"/status {number}", f"Riwayat {number}")
    assert "Dishub: ↩️ dilepas dari laporan ini (Rina)" in history
    assert "↩️ Dishub dilepas: bukan kecelakaan lalu lintas (Rina)" in history
    # Damkar, still silent, is reminded; Dishub, released, never is.
    fake.wait_for_message(world.GROUPS["damkar"], "Pengingat 1/1", timeout=90)
    wait_quiet(fake, process)
    assert not any("Pengingat" in m.text for m in fake.bot_messages(world.GROUPS["dishub"]))
    # Released by mistake: added again, on the card it already has, with its buttons back.
    assert "Dishub ditambahkan" in desk(fake, f"/tambah {number} dishub", "Dishub ditambahkan")
    everywhere(fake, number, "Dishub: ⏳ belum merespons")
    fake.wait_until(lambda: "✅ Diterima" in [t for t, _ in card(fake, "dishub", number).buttons()],
                    what="the dishub copy's buttons back")
    assert len([m for m in fake.bot_messages(world.GROUPS["dishub"]) if "LAPORAN" in m.text]) == 1
    desk(fake, f"/tutup {number} palsu", "ditutup")
    assert "sudah ditutup" in desk(fake, f"/lepas {number} pln", "sudah ditutup")


def test_ubah_corrects_a_filed_report_on_every_copy_and_keeps_old_and_new_in_the_timeline(
        running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    done = desk(fake, f"/ubah {number}\nalamat: Jl. Sultan Hairun no. 5\ntelepon: 0813 1111 2222",
                f"✏️ {number} diubah")
    assert "alamat" in done and "telepon" in done and "tidak berubah" in done
    everywhere(fake, number, "Jl. Sultan Hairun no. 5")
    assert "Jend. Sudirman" not in card(fake, "damkar", number).text
    assert "…222" in card(fake, "damkar", number).text  # a responder sees the last digits of the new number
    for key in ("monitoring", "pimpinan"):
        assert "2222" not in card(fake, key, number).text and "1111" not in card(fake, key, number).text
    history = desk(fake, f"/status {number}", f"Riwayat {number}")
    assert "alamat Jl. Jend. Sudirman, belakang masjid → Jl. Sultan Hairun no. 5" in history
    assert "telepon diubah" in history and "0813" not in history.split("Riwayat")[1]
    # A village the gazetteer does not know: kept as typed, with the intake's warning.
    warned = desk(fake, f"/ubah {number}\nkelurahan: Lorong Tujuh Belas", "diubah: kelurahan")
    assert "⚠️" in warned and "Lorong Tujuh Belas" in warned
    everywhere(fake, number, "Lorong Tujuh Belas")
    assert "tidak dapat diubah" in desk(fake, f"/ubah {number}\nkategori: banjir", "tidak dapat diubah")
    refused = desk(fake, f"/ubah {number}\nkecamatan: Atlantis", "tidak diubah")
    assert "Atlantis" in refused
    assert "Cara pakai" in desk(fake, f"/ubah {number}\nsesuatu tanpa kunci", "Cara pakai")
    assert "Tidak ada yang berubah" in desk(fake, f"/ubah {number}\nalamat: Jl. Sultan Hairun no. 5",
                                            "Tidak ada yang berubah")


def test_a_decline_alert_waits_for_the_call_centers_card_and_threads_under_it(
        process: BotProcess, fake: FakeTelegram, fast_rules: Path) -> None:
    start_fast(process, fake, fast_rules)
    fake.fail("server_error", method="sendMessage", chat_id=world.GROUPS["call_center"], times=-1, containing=CARDS)
    number = file_fire(fake)
    answer = press(fake, world.PLN_STAFF, "dinkes", number, "Bukan wewenang")
    assert answer["text"].startswith("Tercatat: bukan wewenang Dinkes/RS.")
    fake.clear_faults()
    alert = fake.wait_for_message(world.GROUPS["call_center"], "menyatakan 🚫 bukan wewenang")
    assert alert.reply_to == card(fake, "call_center", number).message_id


def test_an_update_reaches_a_group_whose_card_was_still_on_its_way_after_the_card(
        running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("server_error", method="sendMessage", chat_id=world.GROUPS["damkar"], times=-1, containing=CARDS)
    number = file_fire(fake)
    card(fake, "pln", number)
    done = desk(fake, f"/kabari {number} 2 korban sudah dievakuasi", "📢 Kabar untuk")
    assert f"{len(world.FIRE_GROUPS)} grup" in done
    fake.clear_faults()
    update = fake.wait_for_message(world.GROUPS["damkar"], f"Kabar {number}")
    damkar = card(fake, "damkar", number)
    assert update.reply_to == damkar.message_id and update.message_id > damkar.message_id
    assert "2 korban sudah dievakuasi" in damkar.text


def test_a_reply_to_a_reminder_whose_send_was_not_yet_recorded_is_a_note_on_that_incident(
        process: BotProcess, fake: FakeTelegram, fast_rules: Path) -> None:
    start_fast(process, fake, fast_rules)
    number = file_fire(fake)
    dinkes = world.GROUPS["dinkes"]
    wait_recorded(fake, process, [card(fake, "dinkes", number)])
    fake.slow("sendMessage", 25, chat_id=dinkes)  # the reminder is in the chat; the bot hears so only later
    reminder = fake.wait_for_message(dinkes, "Pengingat 1/1", timeout=90)
    fake.send_text(world.PLN_STAFF, dinkes, "ambulans sedang di RS lain", reply_to=reminder.message_id)
    fake.wait_for_message(dinkes, "📝 Catatan Dinkes/RS", timeout=20)
    assert fake.held_answers("sendMessage", dinkes) == 1  # the note was taken before the bot heard of its send
    fake.answer_held()  # the rest need not sit out the 25 s
    everywhere(fake, number, "— ambulans sedang di RS lain", {"dinkes", "monitoring"})


def test_a_step_the_desk_recorded_is_shown_in_the_readers_language(running: BotProcess,
                                                                   fake: FakeTelegram) -> None:
    number = file_fire(fake)
    damkar = card(fake, "damkar", number)
    desk(fake, f"/catat {number} damkar tiba", "📻")
    everywhere(fake, number, "(dicatat Call Center: Rina)")
    running.stop()
    running.env["LANGUAGE"] = "en"
    running.start()
    fake.wait_polling()
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/kabari {number} two casualties evacuated")
    fake.wait_for_message(world.CALL_TAKER, "📢 Update for")
    fake.wait_until(lambda: "Latest update" in copy_of(fake, "damkar", damkar.message_id).text,
                    what="the damkar copy re-rendered in English")
    text = copy_of(fake, "damkar", damkar.message_id).text
    assert "(recorded by Call Center: Rina)" in text and "dicatat" not in text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    history = fake.wait_for_message(world.CALL_TAKER, f"History of {number}").text
    assert "recorded by Call Center: Rina" in history.split(f"History of {number}")[1]
