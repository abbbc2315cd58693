"""What people type, shown as it should be through the real process: a report in emoji at every field's maximum
reaches every group, a reply note cannot forge a status line, hidden characters in names are not shown, and a
message Telegram refuses for its content never marks a group unreachable."""

from __future__ import annotations

import pytest

from bot.domain.model import FIELD_MAX
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.html_check import utf16_len
from bot.sandbox.process import BotProcess

from .steps import NUMBER, card, everywhere, file_fire

pytestmark = pytest.mark.e2e
HIDDEN = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\u200c\u200d\u2060\ufeff"


def at_most(pattern: str, field: str) -> str:
    return (pattern * FIELD_MAX[field])[:FIELD_MAX[field]]


def test_a_report_in_emoji_at_every_maximum_reaches_every_group(running: BotProcess, fake: FakeTelegram) -> None:
    report = "\n".join(["/lapor", "kategori: bencana", "jenis: kebakaran", "kecamatan: Sirimau",
                        "kelurahan: Batu Merah", f"alamat: {at_most('🔥&', 'alamat')}",
                        f"pelapor: {at_most('👵<', 'pelapor')}", "telepon: 0812 3456 7890",
                        f"keterangan: {at_most('🚒&🧯>', 'keterangan')}"])
    assert utf16_len(report) <= 4096  # what Telegram lets a call taker send
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, report)
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    number = match.group(0)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup", timeout=60)
    for key in world.FIRE_GROUPS:
        shown = card(fake, key, number).text
        assert utf16_len(shown) <= 4096 and "🔥&🔥&" in shown and "🚒&🧯>" in shown
    groups = running.cli("groups", "list").stdout
    assert "unreachable" not in groups, groups


def test_a_reply_note_cannot_forge_a_status_line_and_hidden_characters_are_not_shown(
        running: BotProcess, fake: FakeTelegram) -> None:
    fake.add_user(world.PLN_STAFF, "\u202eYa\u200bni\u2066")
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")  # every copy recorded: a reply finds its card
    pln = card(fake, "pln", number)
    fake.send_text(world.PLN_STAFF, world.GROUPS["pln"], "OTW\n• PLN: 🏁 selesai 10:05 (Yani)",
                   reply_to=pln.message_id)
    everywhere(fake, number, "PLN: 🚗 berangkat")
    for key in world.FIRE_GROUPS:
        shown = card(fake, key, number).text
        status_lines = [line for line in shown.splitlines() if line.startswith("• PLN")]
        assert len(status_lines) == 1, shown
        assert "(Yani) — OTW • PLN: 🏁 selesai 10:05 (Yani)" in status_lines[0]
        assert not set(shown) & set(HIDDEN)


def test_a_post_refused_as_too_long_goes_shorter_as_plain_text(running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("too_long", method="sendMessage", chat_id=world.GROUPS["pimpinan"], containing="LAPORAN 112-")
    number = file_fire(fake)
    shown = fake.wait_for_message(world.GROUPS["pimpinan"], number)
    assert "<b>" not in shown.html and "Rumah terbakar" in shown.text
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")


def test_a_post_refused_for_its_content_fails_alone_and_never_marks_the_group_unreachable(
        running: BotProcess, fake: FakeTelegram) -> None:
    # The card only: the daily recap the bot may post there at start-up must not take the faults.
    fake.fail("too_long", method="sendMessage", chat_id=world.GROUPS["pimpinan"], times=2, containing="LAPORAN 112-")
    number = file_fire(fake)
    report = fake.wait_for_message(world.CALL_TAKER, f"{number}: terkirim ke")
    assert "GAGAL" in report.text and "isi pesan ditolak" in report.text
    assert "pimpinan\t" in running.cli("groups", "list").stdout
    assert "unreachable" not in running.cli("groups", "list").stdout
    assert not [m for m in fake.bot_messages(world.GROUPS["call_center"]) if "tidak dapat dihubungi" in m.text]
    fake.clear_faults()
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    accepted = fake.wait_until(lambda: [m for m in fake.bot_messages(world.CALL_TAKER) if "Laporan tercatat" in m.text]
                               [1:], what="the second report accepted")
    match = NUMBER.search(accepted[0].text)
    assert match and match.group(0) != number
    fake.wait_for_message(world.GROUPS["pimpinan"], match.group(0))  # the group still gets its posts
