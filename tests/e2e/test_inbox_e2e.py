"""Exactly-once intake through the real process: every update is stored before Telegram is told it arrived, a
crash loses and repeats nothing, and a card Telegram accepted but whose answer was lost still works."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess, free_port

from .conftest import add_staff, bind_all_groups
from .steps import NUMBER, file_fire, webhook_env

pytestmark = pytest.mark.e2e


def sql(process: BotProcess, statement: str, **params: Any) -> list[tuple[Any, ...]]:
    async def run() -> list[tuple[Any, ...]]:
        engine = create_async_engine(process.env["DATABASE_URL"])
        try:
            async with engine.begin() as conn:
                result = await conn.execute(text(statement), params)
                return [tuple(r) for r in result.fetchall()] if result.returns_rows else []
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cards(fake: FakeTelegram, key: str, number: str) -> list[Sent]:
    return [m for m in fake.bot_messages(world.GROUPS[key]) if number in m.text and "LAPORAN" in m.text]


def every_group_has_one_card(fake: FakeTelegram, number: str) -> None:
    for key in world.FIRE_GROUPS:
        fake.wait_until(lambda key=key: cards(fake, key, number), what=f"the {key} card of {number}")
    for key in world.FIRE_GROUPS:
        assert len(cards(fake, key, number)) == 1, f"{key} got {len(cards(fake, key, number))} cards of {number}"


def test_a_report_acknowledged_to_telegram_just_before_a_kill_is_filed_exactly_once_after_restart(
        running: BotProcess, fake: FakeTelegram) -> None:
    # The groups' posts do not get through before the kill (502, nothing posted): a post Telegram accepted in the
    # instant before a SIGKILL, unrecorded, is sent again after the restart (README: Telegram has no idempotency
    # key), and the handler now starts while the update is stored, so without this the kill could fall there.
    for chat_id in world.GROUPS.values():
        fake.fail("bad_gateway", method="sendMessage", chat_id=chat_id, times=-1)
    message = fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    update_id = fake.updates[-1]["update_id"]
    # Telegram forgets an update once the next getUpdates passes it: from then on only the bot has it.
    fake.wait_until(lambda: fake.acknowledged >= update_id, timeout=90, what="the update acknowledged")
    running.kill()
    fake.clear_faults()
    running.start()
    accepted = fake.wait_for_message(world.CALL_TAKER, "Laporan", timeout=60)
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    every_group_has_one_card(fake, match.group(0))
    assert sql(running, "SELECT count(*) FROM incident") == [(1,)]
    assert sql(running, "SELECT source_key FROM incident") == [(f"msg:{world.CALL_TAKER}:{message['message_id']}",)]


def test_an_update_the_library_cannot_read_is_skipped_alone_and_the_next_report_is_filed(
        running: BotProcess, fake: FakeTelegram) -> None:
    # Telegram adds fields faster than libraries follow: one unreadable update must not stop all intake.
    fake.send_unreadable(world.CALL_TAKER)
    number = file_fire(fake)
    every_group_has_one_card(fake, number)
    assert running.proc is not None and running.proc.poll() is None


def test_an_update_left_unprocessed_by_a_crash_is_processed_again_without_a_second_report(
        running: BotProcess, fake: FakeTelegram) -> None:
    number = file_fire(fake)
    every_group_has_one_card(fake, number)
    running.stop()
    # As a crash after the report was filed but before the update was marked: the whole inbox is replayed.
    sql(running, "UPDATE inbox_update SET processed_at = NULL")
    running.start()
    fake.wait_until(lambda: sql(running, "SELECT count(*) FROM inbox_update WHERE processed_at IS NULL") == [(0,)],
                    timeout=60, what="the replayed updates processed")
    fake.wait_for_message(world.CALL_TAKER, "tidak dibuat dua kali")
    assert sql(running, "SELECT count(*) FROM incident") == [(1,)]
    every_group_has_one_card(fake, number)


def another_report(fake: FakeTelegram, address: str) -> tuple[str, int]:
    """A fire report at another address, filed: its number (not one the call taker got before) and update id."""
    before = {m.text for m in fake.bot_messages(world.CALL_TAKER)}
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT.replace("Jl. Jend. Sudirman", address))
    update_id = fake.updates[-1]["update_id"]
    accepted = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.CALL_TAKER)
                                             if "Laporan tercatat" in m.text and m.text not in before), None),
                               what=f"the number of the report at {address}")
    number = NUMBER.search(accepted.text)
    assert number is not None, accepted.text
    return number.group(0), update_id


def test_reports_handled_while_their_update_is_being_stored_are_marked_processed_and_survive_a_restart(
        running: BotProcess, fake: FakeTelegram) -> None:
    """After the first batch, the handlers of an update start while it is stored (not after): its mark waits for
    the store, so every update ends processed, and a restart replays none of them (no second report)."""
    file_fire(fake)
    second, update_id = another_report(fake, "Jl. Pattimura")
    every_group_has_one_card(fake, second)
    fake.wait_until(lambda: sql(running, "SELECT processed_at IS NOT NULL FROM inbox_update WHERE update_id = :u",
                                u=update_id) == [(True,)], timeout=60, what="the second report's update marked")
    fake.wait_until(lambda: sql(running, "SELECT count(*) FROM inbox_update WHERE processed_at IS NULL") == [(0,)],
                    timeout=60, what="every update marked")
    running.stop()
    running.start()
    fake.wait_polling()
    third, _ = another_report(fake, "Jl. Said Perintah")  # the first report after the restart
    every_group_has_one_card(fake, third)
    assert sql(running, "SELECT count(*) FROM incident") == [(3,)]
    assert not [m.text for m in fake.bot_messages(world.CALL_TAKER) if "tidak dibuat dua kali" in m.text]


def test_webhook_mode_stores_an_update_before_answering_200_and_a_kill_after_it_loses_nothing(
        process: BotProcess, fake: FakeTelegram) -> None:
    port = free_port()
    process.env.update(webhook_env(port))
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start("--webhook")
    fake.wait_until(lambda: fake.webhook, what="setWebhook")
    bind_all_groups(fake)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    update_id = fake.updates[-1]["update_id"]
    fake.wait_until(lambda: not any(u["update_id"] == update_id for u in fake.updates), what="a 200 for it")
    process.kill()  # right after the 200: Telegram will not send it again
    assert sql(process, "SELECT count(*) FROM inbox_update WHERE update_id = :u", u=update_id) == [(1,)]
    process.start("--webhook")
    # The call taker learns the number either way: "Laporan tercatat" when the kill came before the report was
    # filed, "sudah tercatat … tidak dibuat dua kali" when it came between filing and answering.
    accepted = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.CALL_TAKER)
                                             if "tercatat" in m.text and NUMBER.search(m.text)), None),
                               timeout=60, what="the call taker told the report's number")
    match = NUMBER.search(accepted.text)
    assert match, accepted.text
    every_group_has_one_card(fake, match.group(0))
    assert sql(process, "SELECT count(*) FROM incident") == [(1,)]


def test_a_slow_answer_from_telegram_is_awaited_and_the_group_gets_one_card(
        running: BotProcess, fake: FakeTelegram) -> None:
    fake.slow("sendMessage", 8.0, chat_id=world.GROUPS["damkar"])
    number = file_fire(fake)
    every_group_has_one_card(fake, number)
    damkar = cards(fake, "damkar", number)[0]
    fake.send_text(world.DAMKAR_STAFF, world.GROUPS["damkar"], "OTW", reply_to=damkar.message_id)
    fake.wait_for_message(world.GROUPS["damkar"], "Damkar berangkat untuk")
    fake.wait_until(lambda: "Damkar: 🚗" in cards(fake, "damkar", number)[0].text, what="the card edited")


def test_a_reply_to_a_copy_whose_send_answer_was_lost_is_taken_as_a_reply_to_that_card(
        process: BotProcess, fake: FakeTelegram) -> None:
    process.env["TELEGRAM_READ_TIMEOUT"] = "2"
    add_staff(process, [(world.CALL_TAKER, "Rina", "call_taker")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    # Telegram posts the card but its answer never arrives in time: the outbox tries again, a second copy.
    fake.slow("sendMessage", 5.0, chat_id=world.GROUPS["damkar"])
    number = file_fire(fake)
    fake.wait_until(lambda: len(cards(fake, "damkar", number)) == 2, timeout=60, what="the second copy")
    lost = cards(fake, "damkar", number)[0]
    fake.send_text(world.DAMKAR_STAFF, world.GROUPS["damkar"], "OTW 2 unit", reply_to=lost.message_id)
    fake.wait_for_message(world.GROUPS["damkar"], "Damkar berangkat untuk")
    for copy in cards(fake, "damkar", number):  # both copies are kept in sync from now on
        fake.wait_until(lambda copy=copy: "OTW 2 unit" in copy.text, what=f"copy {copy.message_id} edited")
