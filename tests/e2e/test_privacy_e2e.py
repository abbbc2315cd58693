"""End to end: callers' data goes no further than each reader needs, is revealed privately and on record, never
reaches the log, and lives in files only the owner can read."""

from __future__ import annotations

import asyncio
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.db.engine import is_sqlite, make_engine
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

from .conftest import bind_all_groups
from .steps import NUMBER

pytestmark = pytest.mark.e2e

NAME = "Ibu Theresia"
PHONE = "081398765437"  # no 4 digits of it occur in a date, a time or a report number
REPORT = world.FIRE_REPORT.replace("pelapor: Ibu Maria", f"pelapor: {NAME}").replace(
    "telepon: 0812 3456 7890", "telepon: 0813 9876 5437")
RESPONDERS = {"damkar", "pln", "dinkes", "dishub", "tni_polri"}


def phone_runs(text: str) -> set[str]:
    """The runs of 4 or more of the caller's digits in the text, separators inside numbers ignored."""
    digits = " ".join(re.sub(r"[ .\-]", "", m) for m in re.findall(r"\d[\d .\-]*", text))
    return {PHONE[i:i + 4] for i in range(len(PHONE) - 3) if PHONE[i:i + 4] in digits}


def file_report(fake: FakeTelegram, text: str = REPORT) -> str:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, text)
    match = NUMBER.search(fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat").text)
    assert match
    return match.group(0)


def card(fake: FakeTelegram, key: str, number: str) -> Sent:
    return fake.wait_until(lambda: next((m for m in fake.bot_messages(world.GROUPS[key])
                                         if number in m.text and "LAPORAN" in m.text), None), what=f"{key} card")


def phone_data(message: Sent) -> str:
    return next(d for t, d in message.buttons() if "Nomor pelapor" in t)


def test_each_group_sees_only_what_it_needs_and_a_responder_reveals_the_number_privately(
        running: BotProcess, fake: FakeTelegram) -> None:
    number = file_report(fake)
    for key in ("monitoring", "pimpinan"):
        text = card(fake, key, number).text
        assert NAME not in text and "Theresia" not in text and phone_runs(text) == set(), text
        assert "tidak ditampilkan" in text and not any("Nomor pelapor" in t for t, _ in card(fake, key, number)
                                                       .buttons())
    for key in RESPONDERS:
        text = card(fake, key, number).text
        assert f"{NAME} · …437" in text and phone_runs(text) == set(), text
    assert f"{NAME} · 0813-9876-5437" in card(fake, "call_center", number).text

    damkar = card(fake, "damkar", number)
    answer = fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], damkar.message_id,
                                             phone_data(damkar)))
    assert answer["show_alert"] and "0813-9876-5437" in answer["text"] and len(answer["text"]) <= 200
    assert all(phone_runs(m.text) == set() for m in fake.bot_messages(world.GROUPS["damkar"]))

    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    history = fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text
    assert re.search(r"\d\d\.\d\d 📞 nomor pelapor dibuka oleh Budi \(Damkar\)", history), history


def test_a_press_from_a_reader_or_an_unassigned_group_is_refused_politely(running: BotProcess,
                                                                          fake: FakeTelegram) -> None:
    number = file_report(fake)
    data = phone_data(card(fake, "damkar", number))
    monitoring = card(fake, "monitoring", number)
    refusals = [fake.press(world.STRANGER, world.GROUPS["monitoring"], monitoring.message_id, data, forge=True)]
    fake.send_text(world.ADMIN, world.GROUPS["sar"], "/whoami")
    stray = fake.wait_for_message(world.GROUPS["sar"], "ID Telegram")
    refusals.append(fake.press(world.STRANGER, world.GROUPS["sar"], stray.message_id, data, forge=True))
    for query in refusals:
        answer = fake.wait_for_answer(query)
        assert answer["text"].startswith("Maaf, nomor pelapor hanya untuk") and phone_runs(answer["text"]) == set()
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    assert "dibuka oleh" not in fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text


def test_the_phone_button_stays_on_every_re_render_until_the_report_is_closed(running: BotProcess,
                                                                             fake: FakeTelegram) -> None:
    number = file_report(fake)
    damkar = card(fake, "damkar", number)
    ack = next(d for t, d in damkar.buttons() if "Diterima" in t)
    fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, world.GROUPS["damkar"], damkar.message_id, ack))
    fake.wait_until(lambda: "Damkar: ✅ diterima" in card(fake, "damkar", number).text, what="the edit")
    assert [t for t, _ in card(fake, "damkar", number).buttons()] == ["🚗 Berangkat", "📍 Tiba di lokasi", "🏁 Selesai",
                                                                       "🚫 Bukan wewenang", "⏸ Tidak ada unit",
                                                                       "📞 Nomor pelapor"]
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/tutup {number} palsu")
    fake.wait_until(lambda: "DITUTUP" in card(fake, "damkar", number).text, what="the closed card")
    assert card(fake, "damkar", number).buttons() == []


def _install_failing_insert(url: str) -> None:
    """Every new incident row fails inside the database, after the INSERT carried the caller's data."""
    if is_sqlite(url):
        statements = ["CREATE TRIGGER refuse BEFORE INSERT ON incident BEGIN SELECT RAISE(ABORT, 'refused by "
                      "test trigger'); END"]
    else:
        statements = ["CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test "
                      "trigger'; END $$ LANGUAGE plpgsql",
                      "CREATE TRIGGER refuse BEFORE INSERT ON incident FOR EACH ROW EXECUTE FUNCTION refuse()"]

    async def run() -> None:
        engine = make_engine(url)
        async with engine.begin() as conn:
            for sql in statements:
                await conn.exec_driver_sql(sql)
        await engine.dispose()

    asyncio.run(run())


def test_neither_debug_logging_nor_a_database_error_writes_the_callers_data_to_the_log(
        process: BotProcess, fake: FakeTelegram, e2e_database_url: str) -> None:
    process.env["LOG_LEVEL"] = "DEBUG"
    process.cli("users", "add", "--id", str(world.CALL_TAKER), "--name", "Rina", "--role", "call_taker")
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    number = file_report(fake)
    card(fake, "call_center", number)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    _install_failing_insert(e2e_database_url)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, REPORT.replace("Jl. Jend. Sudirman", "Jl. Pattimura"))
    fake.wait_until(lambda: "refused by test trigger" in process.logs(), what="the database error in the log")
    log = process.logs()
    assert "Theresia" not in log and phone_runs(log) == set() and "6281398765437" not in log


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_backups_and_exports_are_readable_by_the_owner_only(
        process: BotProcess, e2e_database_url: str, tmp_path: Path) -> None:
    if is_sqlite(e2e_database_url):
        database = Path(make_url(e2e_database_url).database or "")
        database.unlink()  # the fixture copied a migrated template: let the program create its own file
        process.cli("db", "upgrade")
        assert _mode(database) == 0o600
        process.cli("db", "backup", "--output", str(tmp_path / "backup" / "copy.db"))
        assert _mode(tmp_path / "backup" / "copy.db") == 0o600 and _mode(tmp_path / "backup") == 0o700
    process.cli("export", "--format", "csv", "--output", str(tmp_path / "out.csv"))
    assert _mode(tmp_path / "out.csv") == 0o600
    (tmp_path / "old.csv").write_text("stale")
    (tmp_path / "old.csv").chmod(0o644)
    process.cli("export", "--format", "json", "--output", str(tmp_path / "old.csv"))
    assert _mode(tmp_path / "old.csv") == 0o600


def test_settings_check_warns_when_the_env_file_is_readable_by_others(process: BotProcess) -> None:
    env = process.workdir / ".env"
    env.write_text("LANGUAGE=id\n")
    env.chmod(0o644)
    assert "chmod 600" in process.cli("settings", "check").stderr
    env.chmod(0o600)
    assert "chmod 600" not in process.cli("settings", "check").stderr
