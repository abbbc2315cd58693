"""End to end, the call log (issue 12): a prank logged with /panggilan reaches no group, a number with a history is
flagged to the call taker, /nomor stays in the call center, /rekap counts calls beside reports, and a hearse
request outside the SOP becomes a call — through the real `sigap112` process and the fake Bot API."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest

from bot.clock import utcnow
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess
from tests.conftest import WIT

from .steps import NUMBER, card, file_fire

pytestmark = pytest.mark.e2e

PRANK_PHONE = "0811 2222 3333"
PRANK_DIGITS = ("2222", "3333")
HEARSE = """/lapor
kategori: jenazah
kecamatan: Sirimau
alamat: RSUD dr. M. Haulussy, Kudamati
asal: RSUD Haulussy
tujuan: rumah keluarga di Batu Merah
telepon: 0813 9876 5432
keterangan: keluarga minta jenazah diantar dari rumah sakit ke rumah"""


def said_by_bot(fake: FakeTelegram, chat_id: int, contains: str, after: int = 0) -> Sent:
    """The bot's first message here, past the first `after` ones, containing the text."""
    return fake.wait_until(lambda: next((m for m in fake.bot_messages(chat_id)[after:] if contains in m.text), None),
                           what=f"{contains!r} in {chat_id}")


def log_prank_with_buttons(fake: FakeTelegram, chat_id: int, details: str) -> Sent:
    """/panggilan, tap 🤡 Iseng, reply with the phone and a note; -> the bot's answer to the reply."""
    before = len(fake.bot_messages(chat_id))
    fake.send_text(world.CALL_TAKER, chat_id, "/panggilan")
    prompt = said_by_bot(fake, chat_id, "Panggilan apa?", before)
    data = next(d for label, d in prompt.buttons() if "Iseng" in label)
    fake.wait_for_answer(fake.press(world.CALL_TAKER, chat_id, prompt.message_id, data))
    fake.wait_until(lambda: "dicatat" in prompt.text and [label for label, _ in prompt.buttons()] == ["✔️ Selesai"],
                    what="the prompt turned into the logged call with a Selesai button")
    assert "Tidak dikirim ke grup mana pun" in prompt.text
    after = len(fake.bot_messages(chat_id))
    fake.send_text(world.CALL_TAKER, chat_id, details, reply_to=prompt.message_id)
    return said_by_bot(fake, chat_id, "📞", after)


def no_group_saw(fake: FakeTelegram, *texts: str) -> None:
    for key, chat_id in world.GROUPS.items():
        if key == "call_center":
            continue
        for message in fake.bot_messages(chat_id):
            # the daily recap (posted at start-up when it is due) counts false reports as "Palsu/iseng"
            shown = message.text.replace("Palsu/iseng", "")
            assert not any(t in shown for t in texts), (key, message.text)


def test_a_prank_logged_with_panggilan_never_reaches_any_group_and_its_number_is_flagged_the_second_time(
        running: BotProcess, fake: FakeTelegram) -> None:
    first = log_prank_with_buttons(fake, world.CALL_TAKER, f"{PRANK_PHONE} anak-anak tertawa")
    assert "iseng" in first.text and "0811-2222-3333" in first.text and "anak-anak tertawa" in first.text
    assert "belum pernah menelepon" in first.text and "⚠️" not in first.text
    before = len(fake.bot_messages(world.CALL_TAKER))
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/panggilan prank {PRANK_PHONE} lagi, suara musik")
    second = said_by_bot(fake, world.CALL_TAKER, "📞", before)
    assert "⚠️ Nomor ini: 1 iseng dalam 30 hari, terakhir" in second.text, second.text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/call silent")
    said_by_bot(fake, world.CALL_TAKER, "Panggilan diam dicatat", before)
    number = file_fire(fake)  # a report after the calls: the outbox has posted by the time its cards are up
    for key in world.FIRE_GROUPS:
        card(fake, key, number)
    no_group_saw(fake, *PRANK_DIGITS, "iseng", "anak-anak tertawa", "📞 Panggilan")


def test_a_report_from_a_number_with_pranks_warns_the_call_taker_and_nobody_else(
        running: BotProcess, fake: FakeTelegram) -> None:
    for note in ("tertawa", "diam lalu tutup"):
        before = len(fake.bot_messages(world.CALL_TAKER))
        fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/panggilan iseng 0812 3456 7890 {note}")
        said_by_bot(fake, world.CALL_TAKER, "📞", before)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT.replace("kecamatan: Sirimau\n", ""))
    unfinished = fake.wait_for_message(world.CALL_TAKER, "wajib diisi")  # seen at once, before the report is filed
    assert unfinished.text.startswith("⚠️ Nomor ini: 2 iseng dalam 30 hari"), unfinished.text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)  # the fire's caller has the same number
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    assert "⚠️ Nomor ini: 2 iseng dalam 30 hari" in accepted.text, accepted.text
    match = NUMBER.search(accepted.text)
    assert match
    for key in world.FIRE_GROUPS:
        assert "Nomor ini" not in card(fake, key, match.group(0)).text


def test_nomor_shows_a_numbers_history_in_the_call_center_only(running: BotProcess, fake: FakeTelegram) -> None:
    center = world.GROUPS["call_center"]
    answer = log_prank_with_buttons(fake, center, f"{PRANK_PHONE} minta pulsa")
    assert "0811-2222-3333" in answer.text
    before = len(fake.bot_messages(center))
    fake.send_text(world.CALL_TAKER, center, f"/nomor {PRANK_PHONE}")
    history = said_by_bot(fake, center, "Riwayat", before).text
    assert "0811-2222-3333" in history and "⚠️ Nomor ini: 1 iseng" in history and "minta pulsa" in history
    damkar = world.GROUPS["damkar"]
    before = len(fake.bot_messages(damkar))
    fake.send_text(world.CALL_TAKER, damkar, f"/nomor {PRANK_PHONE}")
    refused = said_by_bot(fake, damkar, "grup Call Center 112", before)
    assert not any(d in refused.text for d in PRANK_DIGITS)
    fake.send_text(world.CALL_TAKER, damkar, "/panggilan iseng")
    said_by_bot(fake, damkar, "grup Call Center 112", before + 1)
    fake.send_text(world.STRANGER, world.STRANGER, f"/nomor {PRANK_PHONE}")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/nomor {PRANK_PHONE}")  # processed after the stranger's
    said_by_bot(fake, world.CALL_TAKER, "Riwayat")
    assert fake.bot_messages(world.STRANGER) == []
    no_group_saw(fake, *PRANK_DIGITS, "minta pulsa")


def test_rekap_counts_calls_beside_reports_and_the_time_from_call_to_report(
        running: BotProcess, fake: FakeTelegram) -> None:
    for line in ("iseng", "iseng 0811 2222 3333", "info"):
        before = len(fake.bot_messages(world.CALL_TAKER))
        fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/panggilan {line}")
        said_by_bot(fake, world.CALL_TAKER, "📞", before)
    came_in = (utcnow() - timedelta(minutes=5)).astimezone(WIT)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER,
                   world.FIRE_REPORT + f"\nwaktu_panggilan: {came_in:%d-%m-%Y %H.%M}")
    fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    # From the call's day to today (WIT): run just after midnight, the call came in yesterday.
    first, last = came_in.date().isoformat(), utcnow().astimezone(WIT).date().isoformat()
    fake.send_text(world.SUPERVISOR, world.SUPERVISOR, f"/rekap {first}..{last}")
    recap = fake.wait_for_message(world.SUPERVISOR, "Rekap").text
    assert "Panggilan: 4 (iseng 2, darurat (laporan) 1, informasi 1); iseng 50% dari semua panggilan" in recap, recap
    assert re.search(r"Dari panggilan masuk sampai laporan tercatat: biasanya [56],\d menit", recap), recap
    assert "1 laporan" in recap and "2222" not in recap
    rows = json.loads(running.cli("stats", "--from", first, "--to", last, "--format", "json").stdout)["rows"]
    assert {"group": "panggilan", "key": "iseng", "value": 2} in rows
    assert {"group": "panggilan", "key": "iseng_persen", "value": 50.0} in rows
    assert any(r["group"] == "panggilan_ke_laporan" and r["key"] == "median_menit" and 5 <= r["value"] <= 6
               for r in rows), rows
    exported = list(csv.DictReader(io.StringIO(running.cli("export", "--format", "calls").stdout)))
    assert sorted(r["jenis"] for r in exported) == ["darurat", "info", "iseng", "iseng"]
    assert {r["telepon"] for r in exported} == {"", "…333", "…890"} and "2222" not in str(exported)


def test_a_hearse_outside_the_sop_is_logged_as_a_call_and_a_supervisor_may_file_it_with_a_reason(
        running: BotProcess, fake: FakeTelegram) -> None:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, HEARSE)
    refused = fake.wait_for_message(world.CALL_TAKER, "sesuai SOP")
    data = next(d for label, d in refused.buttons() if "jenazah di luar SOP" in label)
    fake.wait_for_answer(fake.press(world.CALL_TAKER, world.CALL_TAKER, refused.message_id, data))
    fake.wait_until(lambda: "Panggilan jenazah di luar SOP dicatat" in refused.text, what="the hearse as a call")
    assert "RSUD Haulussy → rumah keluarga di Batu Merah" in refused.text and refused.buttons() == []
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, HEARSE + "\nalasan_sop: keluarga tidak mampu")
    fake.wait_for_message(world.CALL_TAKER, "hanya supervisor")
    fake.send_text(world.SUPERVISOR, world.SUPERVISOR, HEARSE + "\nalasan_sop: keluarga tidak mampu, disetujui")
    accepted = fake.wait_for_message(world.SUPERVISOR, "Laporan tercatat")
    match = NUMBER.search(accepted.text)
    assert match
    card(fake, "jenazah", match.group(0))
    fake.send_text(world.SUPERVISOR, world.SUPERVISOR, f"/status {match.group(0)}")
    history = fake.wait_for_message(world.SUPERVISOR, f"Riwayat {match.group(0)}").text
    assert "dilaporkan di luar SOP ambulans jenazah: keluarga tidak mampu, disetujui (Sari)" in history
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/nomor 0813 9876 5432")
    numbers = fake.wait_for_message(world.CALL_TAKER, "Riwayat 0813").text
    assert "jenazah di luar SOP" in numbers and "darurat (laporan)" in numbers


def test_private_text_after_a_call_is_taken_for_it_only_when_it_opens_with_a_phone_number(
        running: BotProcess, fake: FakeTelegram) -> None:
    """Review #15: after a kind was tapped without Selesai, ANY private text of the next 10 minutes became that
    call's phone or note; one opening with an incident number was answered "bad phone"."""
    me = world.CALL_TAKER
    fake.send_text(me, me, "/panggilan")
    prompt = said_by_bot(fake, me, "Panggilan apa?")
    data = next(d for label, d in prompt.buttons() if "Iseng" in label)
    fake.wait_for_answer(fake.press(me, me, prompt.message_id, data))
    fake.wait_until(lambda: "dicatat" in prompt.text, what="the call logged, its details still open")
    fake.send_text(me, me, "112-2026-00001 sudah ditangani belum?")  # about a report, not the call
    fake.send_text(me, me, "/nomor 0812 3456 7890")  # answered after the text above
    fake.wait_for_message(me, "Riwayat 0812")
    assert not [m for m in fake.bot_messages(me) if "tidak dapat dibaca" in m.text]
    assert "112-2026-00001" not in prompt.text
    after = len(fake.bot_messages(me))
    fake.send_text(me, me, f"{PRANK_PHONE} suara musik")  # opens with a phone: the call's details
    told = said_by_bot(fake, me, "📞", after)
    assert "suara musik" in told.text
