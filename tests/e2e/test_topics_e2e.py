"""End to end, forum topics (issue 15): agencies that share one forum supergroup, each in its own topic, get their
cards, edits, replies and reminders there; a closed or deleted topic is reported and its posts wait, none lost —
through the real `sigap112` process and the fake Bot API."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

from .conftest import add_staff, bind_all_groups
from .steps import NUMBER

pytestmark = pytest.mark.e2e
FORUM = -1001000000300  # "Posko Bencana Kota Ambon": BPBD and SAR each in a topic
FLOOD = """/lapor
kategori: bencana
jenis: banjir
kecamatan: Sirimau
kelurahan: Batu Merah
alamat: Jl. Jend. Sudirman, dekat jembatan
pelapor: Pak Yos
telepon: 0812 3456 7000
keterangan: Air masuk rumah setinggi 1 meter"""


def file_flood(fake: FakeTelegram) -> str:
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, FLOOD)
    match = NUMBER.search(fake.wait_for_message(world.CALL_TAKER, "Laporan tercatat").text)
    assert match
    return match.group(0)


def topic_card(fake: FakeTelegram, thread: int | None, number: str) -> Sent:
    return fake.wait_until(lambda: next((m for m in fake.in_topic(FORUM, thread)
                                         if number in m.text and "LAPORAN" in m.text), None),
                           what=f"{number} in topic {thread}")


@pytest.fixture
def forum(process: BotProcess, fake: FakeTelegram, fast_rules: Path) -> tuple[int, int]:
    """The bot running with a fast reminder ladder; BPBD and SAR bound to two topics of one forum supergroup."""
    fake.add_forum(FORUM, "Posko Bencana Kota Ambon")
    bpbd, sar = fake.open_topic(FORUM, "BPBD"), fake.open_topic(FORUM, "SAR")
    process.env.update(RULES_DIR=str(fast_rules), SWEEP_INTERVAL="0.5")
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    fake.send_in_topic(world.ADMIN, FORUM, bpbd, "/daftar_grup bpbd")
    fake.wait_until(lambda: any("sekarang terdaftar" in m.text and "🧵" in m.text for m in fake.in_topic(FORUM, bpbd)),
                    what="BPBD bound in its topic")
    process.cli("groups", "add", "--chat-id", str(FORUM), "--topic", str(sar), "--key", "sar")
    return bpbd, sar


def test_agencies_sharing_a_forum_get_their_own_cards_edits_and_reminders_in_their_topics(
        forum: tuple[int, int], process: BotProcess, fake: FakeTelegram) -> None:
    bpbd, sar = forum
    assert f"sar\t{FORUM}\t{sar}" in process.cli("groups", "list").stdout
    number = file_flood(fake)
    bpbd_card, sar_card = topic_card(fake, bpbd, number), topic_card(fake, sar, number)
    assert not [m for m in fake.in_topic(FORUM, None) if number in m.text]  # nothing in the General topic
    assert not [m for m in fake.bot_messages(world.GROUPS["bpbd"]) if number in m.text]  # BPBD's old group
    assert len([m for m in fake.in_topic(FORUM, bpbd) if "LAPORAN" in m.text]) == 1

    data = next(d for label, d in bpbd_card.buttons() if "✅" in label)
    fake.wait_for_answer(fake.press(world.DAMKAR_STAFF, FORUM, bpbd_card.message_id, data))
    fake.wait_until(lambda: "BPBD: ✅" in sar_card.text and "BPBD: ✅" in bpbd_card.text, what="the edit in both")
    reminder = fake.wait_until(lambda: next((m for m in fake.in_topic(FORUM, sar) if "Pengingat" in m.text
                                             and number in m.text), None), what="SAR's reminder in its topic")
    assert "SAR" in reminder.text
    fake.send_in_topic(world.DAMKAR_STAFF, FORUM, sar, "otw 1 perahu karet", reply_to=sar_card.message_id)
    fake.wait_until(lambda: "SAR (Basarnas): 🚗" in bpbd_card.text, what="SAR's claim by reply, on BPBD's copy")
    assert not [m for m in fake.in_topic(FORUM, bpbd) if "Pengingat" in m.text]  # BPBD acknowledged in time


def test_a_closed_topic_is_reported_and_its_card_waits_until_the_topic_opens_again(
        forum: tuple[int, int], process: BotProcess, fake: FakeTelegram) -> None:
    bpbd, sar = forum
    fake.send_text(world.ADMIN, world.ADMIN, "/start")  # the admin's private chat with the bot is open
    fake.close_topic(FORUM, sar)
    number = file_flood(fake)
    topic_card(fake, bpbd, number)
    alert = fake.wait_for_message(world.ADMIN, "topik grup forum ditutup")
    assert "SAR" in alert.text
    fake.wait_for_message(world.GROUPS["call_center"], "topik grup forum ditutup")
    assert not [m for m in fake.in_topic(FORUM, sar) if number in m.text]  # held, not lost
    assert f"sar\t{FORUM}\t{sar}\tunreachable" in process.cli("groups", "list").stdout
    fake.close_topic(FORUM, sar, closed=False, by=world.ADMIN)  # its service message: the card goes at once
    topic_card(fake, sar, number)
    fake.wait_for_message(world.ADMIN, "dapat dihubungi lagi")


def test_a_deleted_topic_holds_the_posts_until_the_agency_is_bound_to_another_topic(
        forum: tuple[int, int], process: BotProcess, fake: FakeTelegram) -> None:
    bpbd, sar = forum
    fake.delete_topic(FORUM, sar)
    number = file_flood(fake)
    fake.wait_for_message(world.GROUPS["call_center"], "topik grup forum tidak ditemukan")
    new_topic = fake.open_topic(FORUM, "SAR (baru)")
    fake.send_in_topic(world.ADMIN, FORUM, new_topic, "/daftar_grup sar")
    topic_card(fake, new_topic, number)
    assert len([m for m in fake.in_topic(FORUM, bpbd) if number in m.text and "LAPORAN" in m.text]) == 1


def test_a_call_center_bound_to_a_topic_files_reports_and_answers_desk_commands_in_that_topic(
        forum: tuple[int, int], fake: FakeTelegram) -> None:
    """Review #8: /lapor in the call center's topic was ignored without a word (the report lost)."""
    bpbd, _ = forum
    desk_topic = fake.open_topic(FORUM, "Call Center 112")
    fake.send_in_topic(world.ADMIN, FORUM, desk_topic, "/daftar_grup call_center")
    fake.wait_until(lambda: any("sekarang terdaftar" in m.text for m in fake.in_topic(FORUM, desk_topic)),
                    what="the call center bound in its topic")
    fake.send_in_topic(world.CALL_TAKER, FORUM, desk_topic, FLOOD)
    filed = fake.wait_until(lambda: next((m for m in fake.in_topic(FORUM, desk_topic)
                                          if "Laporan tercatat" in m.text), None), what="the answer in the topic")
    match = NUMBER.search(filed.text)
    assert match
    topic_card(fake, bpbd, match.group(0))
    # Review #7: the delivery report goes to the topic the report was filed in, not to the General topic.
    fake.wait_until(lambda: any("terkirim ke semua grup" in m.text for m in fake.in_topic(FORUM, desk_topic)),
                    what="the delivery report in the call center's topic")
    fake.send_in_topic(world.CALL_TAKER, FORUM, desk_topic, "/aktif")
    fake.wait_until(lambda: any(match.group(0) in m.text and "tercatat" not in m.text and "LAPORAN" not in m.text
                                for m in fake.in_topic(FORUM, desk_topic)), what="/aktif answered in the topic")
    assert not [m for m in fake.in_topic(FORUM, None) if "Laporan tercatat" in m.text]


def test_a_reminder_after_the_agency_moved_to_another_group_replies_to_nothing_of_the_old_place(
        forum: tuple[int, int], fake: FakeTelegram) -> None:
    """Review #6: the old place's card id was used as reply_to in the new chat — a reply to an unrelated message."""
    _, sar = forum
    number = file_flood(fake)
    topic_card(fake, sar, number)
    moved_to = world.GROUPS["bpbd"]  # BPBD's old group, free since BPBD moved to its topic
    fake.send_text(world.ADMIN, moved_to, "/daftar_grup sar")
    reminder = fake.wait_until(lambda: next((m for m in fake.bot_messages(moved_to) if "Pengingat" in m.text
                                             and number in m.text), None), what="SAR's reminder in its new group")
    cards_here = {m.message_id for m in fake.bot_messages(moved_to) if number in m.text}
    assert reminder.reply_to is None or reminder.reply_to in cards_here


def test_an_albums_answer_goes_to_the_topic_it_was_sent_in(forum: tuple[int, int], fake: FakeTelegram) -> None:
    """Review #7: the "kept" answer after an album went to the General topic of a shared forum."""
    bpbd, _ = forum
    number = file_flood(fake)
    bpbd_card = topic_card(fake, bpbd, number)
    fake.send_album(world.DAMKAR_STAFF, FORUM, ["photo", "photo"], reply_to=bpbd_card.message_id, thread_id=bpbd)
    fake.wait_until(lambda: any("tercatat" in m.text and number in m.text and "2" in m.text
                                for m in fake.in_topic(FORUM, bpbd)), what="the album's answer in BPBD's topic")
    assert not [m for m in fake.in_topic(FORUM, None) if "tercatat" in m.text]
