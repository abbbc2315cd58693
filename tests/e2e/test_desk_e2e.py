"""End to end, the desk as Ambon works it (issue 12): places people name, `/report`, the desk's own steps and
updates — through the real `sigap112` process and the fake Bot API."""

from __future__ import annotations

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .steps import NUMBER, card, everywhere

pytestmark = pytest.mark.e2e


def fire_at(fake: FakeTelegram, village: str, command: str = "/lapor") -> tuple[str, str]:
    """File the fire with another village line; -> (number, the call taker's confirmation)."""
    text = f"{command}\n" + world.FIRE.replace("kelurahan: Batu Merah", f"kelurahan: {village}")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, text)
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    return match.group(0), accepted.text


def test_mardika_is_filed_at_its_village(running: BotProcess, fake: FakeTelegram) -> None:
    number, accepted = fire_at(fake, "Mardika")
    assert "Rijali" in accepted and "⚠️" not in accepted
    assert "Kel. Rijali" in card(fake, "damkar", number).text


def test_an_unknown_village_is_filed_as_typed_with_a_warning_to_the_call_taker(
        running: BotProcess, fake: FakeTelegram) -> None:
    number, accepted = fire_at(fake, "Lorong Tujuh Belas")
    assert "⚠️" in accepted and "Lorong Tujuh Belas" in accepted and "dicatat apa adanya" in accepted
    damkar = card(fake, "damkar", number).text
    assert "Lorong Tujuh Belas" in damkar and "Kec. Sirimau" in damkar


def test_report_is_the_english_name_of_lapor_in_the_menu_the_help_and_the_command_itself(
        running: BotProcess, fake: FakeTelegram) -> None:
    number, accepted = fire_at(fake, "Batu Merah", command="/report")
    assert "Batu Merah" in card(fake, "damkar", number).text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/bantuan")
    help_text = fake.wait_for_message(world.CALL_TAKER, "Perintah untuk Anda").text
    assert "/lapor" in help_text and "/report" in help_text
    menus = fake.wait_until(lambda: [[c["command"] for c in call["commands"]]
                                     for call in fake.calls_of("setMyCommands")
                                     if (call.get("scope") or {}).get("chat_id") == world.CALL_TAKER],
                            what="the call taker's command menu")
    assert all("lapor" in menu and "report" in menu for menu in menus)


def test_a_step_reported_by_radio_is_recorded_by_the_desk_on_every_copy_and_in_the_timeline(
        running: BotProcess, fake: FakeTelegram) -> None:
    number, _ = fire_at(fake, "Batu Merah")
    card(fake, "damkar", number)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/catat {number} damkar tiba 2 unit di lokasi")
    done = fake.wait_for_message(world.CALL_TAKER, "📻")
    assert number in done.text and "Damkar" in done.text and "tiba di lokasi" in done.text
    everywhere(fake, number, "📍 tiba di lokasi")
    everywhere(fake, number, "dicatat Call Center: Rina")
    assert "2 unit di lokasi" in card(fake, "damkar", number).text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/catat {number} damkar berangkat")
    assert "tidak dapat dicatat" in fake.wait_for_message(world.CALL_TAKER, "tidak dapat dicatat").text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/catat {number} sar tiba")
    fake.wait_for_message(world.CALL_TAKER, "tidak ditugaskan")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    history = fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text
    assert "Damkar: 📍 tiba di lokasi (dicatat Call Center: Rina)" in history


def test_an_update_from_the_desk_reaches_every_group_as_a_reply_to_its_card_and_shows_on_every_card(
        running: BotProcess, fake: FakeTelegram) -> None:
    number, _ = fire_at(fake, "Batu Merah")
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/kabari {number} 2 korban sudah dievakuasi")
    done = fake.wait_for_message(world.CALL_TAKER, "📢 Kabar untuk")
    assert f"{len(world.FIRE_GROUPS)} grup" in done.text
    for key in world.FIRE_GROUPS:
        copy = card(fake, key, number)
        update = fake.wait_for_message(world.GROUPS[key], f"Kabar {number}")
        assert "2 korban sudah dievakuasi" in update.text and update.reply_to == copy.message_id, key
    everywhere(fake, number, "Kabar terakhir")
    assert "2 korban sudah dievakuasi" in card(fake, "monitoring", number).text
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    history = fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text
    assert "kabar ke semua grup: 2 korban sudah dievakuasi (Rina)" in history
