"""End to end: buttons and replies in several groups, every copy in sync, permissions, races, closing."""

from __future__ import annotations

import re
import threading

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

from .steps import all_responders_finish, card, everywhere, file_fire, press

pytestmark = pytest.mark.e2e


def incident_id_of(message: Sent) -> str:
    return next(d for _, d in message.buttons()).split(":")[1]


def test_steps_in_different_groups_show_on_every_copy(running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    answer = press(fake, world.PLN_STAFF, "pln", number, "Diterima")
    assert answer["text"] == "Tercatat: laporan diterima PLN."
    everywhere(fake, number, "PLN: ✅ diterima")
    damkar_card = card(fake, "damkar", number)
    fake.send_text(world.DAMKAR_STAFF, world.GROUPS["damkar"], "OTW 2 unit", reply_to=damkar_card.message_id)
    fake.wait_for_message(world.GROUPS["damkar"], "Damkar berangkat untuk")
    everywhere(fake, number, "Damkar: 🚗 berangkat")
    monitoring = card(fake, "monitoring", number).text
    assert "(Budi) — OTW 2 unit" in monitoring and "Dinkes/RS: ⏳ belum merespons" in monitoring
    assert [t for t, _ in card(fake, "pln", number).buttons()] == ["🚗 Berangkat", "📍 Tiba di lokasi", "🏁 Selesai",
                                                                    "🚫 Bukan wewenang", "⏸ Tidak ada unit",
                                                                    "📞 Nomor pelapor"]
    assert [t for t, _ in card(fake, "damkar", number).buttons()] == ["📍 Tiba di lokasi", "🏁 Selesai",
                                                                       "📞 Nomor pelapor"]
    assert card(fake, "monitoring", number).buttons() == [] and card(fake, "call_center", number).buttons() == []


def test_presses_that_are_not_allowed_change_nothing_and_say_why(running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    incident = incident_id_of(card(fake, "damkar", number))
    monitoring = card(fake, "monitoring", number)
    query = fake.press(world.LEADER, world.GROUPS["monitoring"], monitoring.message_id, f"a1:{incident}:clm",
                       forge=True)
    assert "hanya memantau" in fake.wait_for_answer(query)["text"]
    sar_group = world.GROUPS["sar"]
    fake.send_text(world.ADMIN, sar_group, "/whoami")
    fake.wait_for_message(sar_group, "ID Telegram")
    stray = fake.last(sar_group)
    stray_query = fake.press(world.DAMKAR_STAFF, sar_group, stray.message_id, f"a1:{incident}:clm", forge=True)
    assert "tidak ditugaskan" in fake.wait_for_answer(stray_query)["text"]
    junk = fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], card(fake, "damkar", number).message_id,
                      "a1:99999999:zzz", forge=True)
    assert "tidak berlaku" in fake.wait_for_answer(junk)["text"]
    assert "Damkar: ⏳ belum merespons" in card(fake, "monitoring", number).text


def test_two_people_claiming_at_once_exactly_one_wins(running: BotProcess, fake: FakeTelegram) -> None:
    fake.add_user(2003, "Rudi")
    number = file_fire(fake)
    message = card(fake, "damkar", number)
    data = next(d for text, d in message.buttons() if "Berangkat" in text)
    queries: list[str] = []
    gate = threading.Barrier(2)

    def tap(user: int) -> None:
        gate.wait()
        queries.append(fake.press(user, world.GROUPS["damkar"], message.message_id, data))

    threads = [threading.Thread(target=tap, args=(u,)) for u in (world.DAMKAR_STAFF, 2003)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answers = sorted(fake.wait_for_answer(q)["text"] for q in queries)
    assert answers[0].startswith("Sudah tercatat: Damkar") and answers[1].startswith("Tercatat: Damkar")
    everywhere(fake, number, "Damkar: 🚗 berangkat")
    history = _status(fake, number).split("🗒 Riwayat")[1]  # the card above it names the same step
    assert history.count("Damkar: 🚗 berangkat") == 1


def _status(fake: FakeTelegram, number: str) -> str:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    return fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text


def test_when_every_agency_is_done_the_caller_is_confirmed_and_the_incident_closes(
        running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    all_responders_finish(fake, number)
    ask = fake.wait_for_message(world.CALL_TAKER, "Telepon pelapor")
    assert "Ibu Maria" in ask.text and "0812-3456-7890" in ask.text
    everywhere(fake, number, "menunggu konfirmasi pelapor")
    data = next(d for t, d in ask.buttons() if "mengonfirmasi" in t)
    incident = incident_id_of(ask)
    fake.wait_for_answer(fake.press(world.CALL_TAKER, world.CALL_TAKER, ask.message_id, data))
    everywhere(fake, number, "DITUTUP: tertangani")
    assert fake.last(world.CALL_TAKER).buttons() == []  # the question is answered: its buttons are gone
    assert all(card(fake, key, number).buttons() == [] for key in world.FIRE_GROUPS)
    late = fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], card(fake, "damkar", number).message_id,
                      f"a1:{incident}:arr", forge=True)
    assert "sudah ditutup" in fake.wait_for_answer(late)["text"]
    history = _status(fake, number).split("Riwayat", 1)[1]
    order = [history.index(s) for s in ("laporan tercatat", "Damkar: ✅ diterima", "semua instansi selesai",
                                        "pelapor mengonfirmasi", "ditutup: tertangani")]
    assert order == sorted(order)
    assert history.count("✅ diterima") == 5 and history.count("🏁 selesai") == 5


def test_the_desk_adds_an_agency_changes_priority_closes_as_false_and_reopens(
        running: BotProcess, fake: FakeTelegram) -> None:
    me = world.CALL_TAKER
    number = file_fire(fake)
    short = str(int(number.rsplit("-", 1)[1]))
    fake.send_text(me, me, f"/tambah {short} sar")
    fake.wait_for_message(me, "SAR (Basarnas) ditambahkan")
    card(fake, "sar", number)
    everywhere(fake, number, "SAR (Basarnas): ⏳ belum merespons")
    fake.send_text(me, me, f"/prioritas {number} sedang")
    fake.wait_for_message(me, "sekarang Sedang")
    everywhere(fake, number, "🟡 SEDANG · ")
    fake.send_text(me, me, "/aktif")
    active = fake.wait_for_message(me, "Laporan terbuka")
    assert number in active.text and "belum merespons: " in active.text and "Damkar" in active.text
    fake.send_text(me, me, f"/tutup {number} palsu anak iseng")
    fake.wait_for_message(me, "ditutup: palsu/iseng")
    everywhere(fake, number, "DITUTUP: palsu/iseng")
    fake.send_text(me, me, f"/buka {number}")
    fake.wait_for_message(me, "dibuka lagi")
    fake.wait_until(lambda: "DITUTUP" not in card(fake, "monitoring", number).text, what="reopened card")
    fake.wait_until(lambda: re.search(r"Diterima", " ".join(t for t, _ in card(fake, "damkar", number).buttons())),
                    what="the Damkar buttons back after reopening")


def test_a_responder_cannot_use_the_desk_commands(running: BotProcess, fake: FakeTelegram) -> None:
    running.cli("users", "add", "--id", str(world.DAMKAR_STAFF), "--name", "Budi", "--role", "responder",
                "--agency", "damkar")
    number = file_fire(fake)
    fake.send_text(world.DAMKAR_STAFF, world.DAMKAR_STAFF, f"/tutup {number} batal")
    fake.wait_for_message(world.DAMKAR_STAFF, "Hanya petugas Call Center 112")
    assert "DITUTUP" not in card(fake, "monitoring", number).text
