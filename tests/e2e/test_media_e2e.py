"""End to end (issue 13): photos, videos and voice notes on an incident — a call taker's forwarded album reaches
every group as one album under its card; a responder's photo reply is counted on every copy and reaches the call
center; a hearse report's photo stays out of the monitoring group; a sticker gets a clear answer."""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import models as db
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

from .conftest import RULES_DIR, add_staff, bind_all_groups
from .settle import wait_read, wait_recorded
from .steps import NUMBER, card, everywhere, file_fire

pytestmark = pytest.mark.e2e
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "cap12.xsd"

HEARSE = """/lapor
kategori: jenazah
kecamatan: Sirimau
kelurahan: Batu Merah
alamat: Jl. Jend. Sudirman
asal: rumah duka Jl. Jend. Sudirman
tujuan: TPU Kapaha
pelapor: Ibu Maria
telepon: 0812 3456 7890
keterangan: Mohon mobil jenazah"""


def album_under(fake: FakeTelegram, key: str, number: str, size: int) -> list[Sent]:
    """The album of `size` items the bot sent to a group as a reply to that group's card."""
    chat, card_id = world.GROUPS[key], card(fake, key, number).message_id
    return fake.wait_until(lambda: next((a for a in fake.albums(chat) if len(a) == size
                                         and all(s.reply_to == card_id for s in a)), None),
                           what=f"an album of {size} under the {key} card; got {fake.albums(chat)}")


def test_a_forwarded_album_reaches_every_group_as_one_album_under_its_card(running: BotProcess, fake: FakeTelegram,
                                                                           tmp_path: Path) -> None:
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")  # every copy recorded: albums reply to them
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/lampir {number}")
    fake.wait_for_message(world.CALL_TAKER, "📎 Kirim atau teruskan")
    fake.send_album(world.CALL_TAKER, world.CALL_TAKER, ["photo", "photo", "photo", "video"],
                    caption="dari grup WA RT 03", forwarded_from="Warga Batu Merah")
    told = fake.wait_for_message(world.CALL_TAKER, "dilampirkan ke 112")
    assert "3 foto, 1 video" in told.text and number in told.text and "Damkar" in told.text, told.text
    for key in ("damkar", "pln", "monitoring"):
        album = album_under(fake, key, number, 4)
        assert [fake.media_of(s)["kind"] for s in album] == ["photo", "photo", "photo", "video"]
        assert all(number in s.text and "Rina" in s.text for s in album), [s.text for s in album]
        assert "Warga" not in " ".join(s.text for s in album)  # the forward's origin is not shown
        assert "dari grup WA RT 03" in album[0].text
    everywhere(fake, number, "📷 3 · 🎥 1")
    assert not fake.violations, fake.violations
    # /status: who sent what and when, with a link to each item (its copy in the call center group).
    wait_recorded(fake, running, album_under(fake, "call_center", number, 4)[:1])
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    status = fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}")
    assert "📷 3 · 🎥 1 dari Rina" in status.text and status.html.count("https://t.me/c/1000000001/") == 4
    # The exports: a CAP <resource> per item (valid CAP 1.2), EIDO-shaped attachments, the CSV's media count.
    today = datetime.now(ZoneInfo("Asia/Jayapura")).date()
    period = ("--from", str(today - timedelta(days=1)), "--to", str(today + timedelta(days=1)))
    out = tmp_path / "cap"
    running.cli("export", *period, "--format", "cap", "--output", str(out))
    [alert] = sorted(out.glob("*.xml"))
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(alert))
    assert alert.read_text().count("<resource>") == 4 and "<mimeType>video/mp4</mimeType>" in alert.read_text()
    eido = json.loads(running.cli("export", *period, "--format", "json").stdout)
    assert [a["attachmentType"] for a in eido["incidents"][0]["attachments"]] == ["photo"] * 3 + ["video"]
    rows = list(csv.DictReader(io.StringIO(running.cli("export", *period, "--format", "csv").stdout)))
    assert rows[0]["media"] == "4"


def test_a_responders_photo_reply_is_counted_everywhere_and_reaches_the_call_center(running: BotProcess,
                                                                                   fake: FakeTelegram) -> None:
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    damkar = world.GROUPS["damkar"]
    hostile = "api sudah padam sebagian <b>&amp;</b>\u202e" + "🔥" * 1100  # markup, a bidi mark, too long
    fake.send_media(world.DAMKAR_STAFF, damkar, "photo", caption=hostile,
                    reply_to=card(fake, "damkar", number).message_id)
    assert "diteruskan ke: Call Center 112" in fake.wait_for_message(damkar, "dari Damkar tercatat").text
    call_center = world.GROUPS["call_center"]
    photo = fake.wait_until(lambda: next((s for s in fake.media_sent(call_center) if number in s.text), None),
                            what="the photo in the call center group")
    assert "Damkar" in photo.text and "api sudah padam sebagian <b>&amp;</b>" in photo.text
    assert "\u202e" not in photo.text and not fake.violations, fake.violations  # cleaned, and within 1024
    assert photo.reply_to == card(fake, "call_center", number).message_id
    everywhere(fake, number, "📷 1")
    assert not fake.media_sent(world.GROUPS["pln"])
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/status {number}")
    assert "dari Budi (Damkar)" in fake.wait_for_message(world.CALL_TAKER, f"Riwayat {number}").text
    # A location reply is evidence too: a map link under the call center's card, 📍 on every copy.
    fake.send_location_reply(world.DAMKAR_STAFF, damkar, -3.6951, 128.1812, card(fake, "damkar", number).message_id)
    fake.wait_for_message(damkar, "1 lokasi dari Damkar tercatat")
    link = fake.wait_for_message(call_center, "-3.695100, 128.181200")
    assert number in link.text and link.reply_to == card(fake, "call_center", number).message_id
    everywhere(fake, number, "📷 1 · 📍 1")


def test_a_hearse_reports_photo_stays_out_of_the_monitoring_group(running: BotProcess, fake: FakeTelegram) -> None:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, HEARSE)
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat")
    number = NUMBER.search(accepted.text).group(0)  # type: ignore[union-attr]
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    fake.send_media(world.CALL_TAKER, world.CALL_TAKER, "photo", reply_to=accepted.message_id)
    told = fake.wait_for_message(world.CALL_TAKER, "dilampirkan ke 112")
    assert "Call Center 112" in told.text and "Ambulans Jenazah" in told.text and "Pemantauan" not in told.text
    for key in ("call_center", "jenazah"):
        fake.wait_until(lambda key=key: any(number in s.text for s in fake.media_sent(world.GROUPS[key])),
                        what=f"the photo in {key}")
    everywhere(fake, number, "📷 1", {"call_center", "jenazah"})
    assert not fake.media_sent(world.GROUPS["monitoring"])
    assert "📷" not in card(fake, "monitoring", number).text


def test_a_sticker_or_a_photo_for_no_report_gets_a_clear_answer(running: BotProcess, fake: FakeTelegram) -> None:
    fake.send_other(world.CALL_TAKER, world.CALL_TAKER, "sticker")
    fake.wait_for_message(world.CALL_TAKER, "Stiker tidak disimpan")
    fake.send_media(world.CALL_TAKER, world.CALL_TAKER, "photo")
    fake.wait_for_message(world.CALL_TAKER, "Untuk laporan mana?")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "/lapor\nkategori: bencana")  # a draft is open now
    fake.wait_for_message(world.CALL_TAKER, "kecamatan")
    fake.send_media(world.CALL_TAKER, world.CALL_TAKER, "video", file_size=80 * 1024 * 1024)  # relayed by file_id
    assert "1 video" in fake.wait_for_message(world.CALL_TAKER, "disimpan bersama draf").text
    fake.send_other(world.CALL_TAKER, world.GROUPS["damkar"], "dice")  # chatter in a group: no answer
    fake.send_other(world.CALL_TAKER, world.CALL_TAKER, "poll")
    fake.wait_for_message(world.CALL_TAKER, "Polling tidak dipakai")
    assert not any("Dadu" in m.text for m in fake.bot_messages(world.GROUPS["damkar"]))


def test_a_photo_sent_while_a_draft_is_open_goes_out_with_the_report(running: BotProcess, fake: FakeTelegram) -> None:
    without_address = "\n".join(line for line in world.FIRE_REPORT.splitlines() if not line.startswith("alamat"))
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, without_address)
    fake.wait_for_message(world.CALL_TAKER, "alamat")
    fake.send_media(world.CALL_TAKER, world.CALL_TAKER, "voice")
    fake.wait_for_message(world.CALL_TAKER, "disimpan bersama draf")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, "alamat: Jl. Jend. Sudirman, belakang masjid")
    number = NUMBER.search(fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat").text).group(0)  # type: ignore[union-attr]
    told = fake.wait_for_message(world.CALL_TAKER, "dilampirkan ke 112")
    assert "1 pesan suara" in told.text and number in told.text
    voice = fake.wait_until(lambda: next(iter(fake.media_sent(world.GROUPS["damkar"])), None), what="the voice note")
    assert fake.media_of(voice)["kind"] == "voice" and number in voice.text
    everywhere(fake, number, "🎙 1")


def test_an_album_gathering_when_the_bot_is_killed_goes_out_once_after_the_restart(
        process: BotProcess, fake: FakeTelegram, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "media.yaml").write_text("album_window: 5s\n")  # long enough to kill the bot inside it
    process.env.update(RULES_DIR=str(rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    number = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, f"/lampir {number}")
    fake.wait_for_message(world.CALL_TAKER, "📎 Kirim atau teruskan")
    fake.send_album(world.CALL_TAKER, world.CALL_TAKER, ["photo", "photo", "photo"])

    async def kept(session: AsyncSession) -> int:
        return len((await session.scalars(select(db.MediaItem.id))).all())

    wait_read(fake, process, kept, lambda n: n == 3, what="the three photos kept")
    process.kill()  # inside the album's window: nothing was relayed yet; the timer is a row
    assert not fake.albums(world.GROUPS["damkar"])
    process.start()
    for key in ("damkar", "pln", "monitoring"):
        album_under(fake, key, number, 3)
    fake.wait_for_message(world.CALL_TAKER, "3 foto dilampirkan")
    assert [len(a) for a in fake.albums(world.GROUPS["damkar"])] == [3]


def test_a_responders_80_mb_video_is_kept_and_relayed_by_file_id(running: BotProcess, fake: FakeTelegram) -> None:
    """Review #10: files over 50 MB were refused although a bot re-sends any file_id whatever its size."""
    number = file_fire(fake)
    damkar = world.GROUPS["damkar"]
    fake.send_media(world.DAMKAR_STAFF, damkar, "video", file_size=80 * 1024 * 1024,
                    reply_to=card(fake, "damkar", number).message_id)
    fake.wait_for_message(damkar, "dari Damkar tercatat")
    video = fake.wait_until(lambda: next((s for s in fake.media_sent(world.GROUPS["call_center"])
                                          if number in s.text), None), what="the video in the call center group")
    assert fake.media_of(video)["kind"] == "video"
