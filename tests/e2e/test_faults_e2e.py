"""Telegram's error answers through the real process: each handled where tg/errors.py classifies it."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess

from .steps import NUMBER, card, everywhere, file_fire, press

pytestmark = pytest.mark.e2e


def test_a_429_pauses_only_that_group_until_retry_after(running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("retry_after", method="sendMessage", chat_id=world.GROUPS["damkar"], retry_after=8)
    began = time.monotonic()
    number = file_fire(fake)
    fake.wait_for_message(world.GROUPS["pln"], number)
    others_at = time.monotonic() - began
    fake.wait_for_message(world.GROUPS["damkar"], number, timeout=90)
    damkar_at = time.monotonic() - began
    assert others_at < 8 <= damkar_at
    assert len([m for m in fake.bot_messages(world.GROUPS["damkar"]) if number in m.text]) == 1


def test_a_group_upgraded_to_a_supergroup_is_re_keyed_and_gets_its_post(running: BotProcess,
                                                                        fake: FakeTelegram) -> None:
    new_id = -1009999999999
    fake.migrate_group(world.GROUPS["dishub"], new_id)
    number = file_fire(fake)
    fake.wait_for_message(new_id, number)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    assert f"dishub\t{new_id}" in running.cli("groups", "list").stdout


def test_a_post_telegram_cannot_parse_is_sent_as_plain_text(running: BotProcess, fake: FakeTelegram) -> None:
    fake.fail("bad_html", method="sendMessage", chat_id=world.GROUPS["pimpinan"])
    number = file_fire(fake)
    card = fake.wait_for_message(world.GROUPS["pimpinan"], number)
    assert "<b>" not in card.text and "Rumah terbakar" in card.text
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")


def test_a_press_that_loses_a_deadlock_is_run_again_and_answered(running: BotProcess, fake: FakeTelegram,
                                                                  e2e_database_url: str) -> None:
    """PostgreSQL aborts one side of a deadlock: when that is a handler's transaction, the update runs again
    (it was rolled back whole) and the responder sees the press take effect, not an error."""
    if not e2e_database_url.startswith("postgresql"):
        pytest.skip("a deadlock between two transactions needs row locks (PostgreSQL)")
    number = file_fire(fake)
    incident = next(d for _, d in card(fake, "pln", number).buttons()).split(":")[1]
    # Every post recorded first: the outbox's records lock the report too, and one of them waiting on the held
    # follow-ups would take the press's place in the deadlock.
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    url = make_url(e2e_database_url)
    locked, done = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    async def other_transaction() -> None:
        """Hold the report's follow-ups, wait until the press waits for them, then ask for the report itself:
        the press holds it, so the two wait for each other; with a long deadlock_timeout here, PostgreSQL
        aborts the press's transaction."""
        connect = dict(user=url.username, host=url.host, port=url.port or 5432, database=url.database)
        conn, watch = await asyncpg.connect(**connect), await asyncpg.connect(**connect)
        try:
            async with conn.transaction():
                await conn.execute("SET LOCAL deadlock_timeout = '60s'")
                await conn.fetch("SELECT id FROM followup WHERE incident_id = $1 FOR UPDATE", int(incident))
                locked.set()
                async with asyncio.timeout(60):  # a wait on PostgreSQL's state, bounded
                    while not await watch.fetchval(  # a transaction waiting for the follow-ups this one holds
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
                            " AND $2 = ANY(pg_blocking_pids(pid))", url.database, conn.get_server_pid()):
                        # Waiting on PostgreSQL's state, not a delay: no event announces a lock wait, so
                        # pg_stat_activity is looked at again every 50 ms (bounded by the timeout above).
                        await asyncio.sleep(0.05)
                await conn.fetch("SELECT id FROM incident WHERE id = $1 FOR UPDATE", int(incident))
        finally:
            await conn.close()
            await watch.close()

    def run() -> None:
        try:
            asyncio.run(other_transaction())
        except BaseException as exc:  # reported by the test below
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert locked.wait(60)
    answer = press(fake, world.PLN_STAFF, "pln", number, "Diterima")
    assert done.wait(60) and not failure, failure
    assert answer["text"] == "Tercatat: laporan diterima PLN."
    everywhere(fake, number, "PLN: ✅ diterima")
    assert "lost a race in the database" in running.logs()


def test_a_report_after_postgresql_dropped_every_connection_is_filed_without_an_error(
        running: BotProcess, fake: FakeTelegram, e2e_database_url: str) -> None:
    """The server ended every connection of the bot (a PostgreSQL restart, an administrator's
    pg_terminate_backend) between two reports. The connections were in use a moment before, so they are not
    pinged on their way out of the pool: the next report's transaction finds its connection gone, is run again
    on a new one, and the report is filed and posted; the call taker sees its number, not an error."""
    if not e2e_database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop the connection")
    first = file_fire(fake)
    fake.wait_for_message(world.CALL_TAKER, "terkirim ke semua grup")
    url = make_url(e2e_database_url)

    async def drop_connections() -> int:
        conn = await asyncpg.connect(user=url.username, host=url.host, port=url.port or 5432, database=url.database)
        try:
            return int(await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()", url.database))
        finally:
            await conn.close()

    assert asyncio.run(drop_connections()) > 0
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT.replace("Jl. ", "Jalan "))
    accepted = fake.wait_until(lambda: next((m for m in fake.bot_messages(world.CALL_TAKER)
                                             if "Laporan tercatat" in m.text and first not in m.text), None),
                               what="the second report's number")
    second = NUMBER.search(accepted.text)
    assert second is not None, accepted.text
    everywhere(fake, second.group(0), "LAPORAN")
    assert not [m.text for m in fake.bot_messages(world.CALL_TAKER) if "terjadi kesalahan" in m.text]


def test_a_report_number_reaches_the_call_taker_through_a_short_telegram_outage(running: BotProcess,
                                                                               fake: FakeTelegram) -> None:
    """Telegram answers the bot's reply 502 twice: the reply is tried again, and the call taker gets the number
    (the report is filed and reaches the groups meanwhile)."""
    fake.fail("bad_gateway", method="sendMessage", chat_id=world.CALL_TAKER, times=2)
    number = file_fire(fake)  # waits for "Laporan tercatat" with the number
    fake.wait_for_message(world.GROUPS["damkar"], number)
    assert "Telegram unreachable" in running.logs()


def test_sigterm_while_an_answer_waits_out_an_outage_ends_the_bot_within_seconds(running: BotProcess,
                                                                                 fake: FakeTelegram) -> None:
    """An answer being tried again through an outage (up to a minute) does not hold a deploy's SIGTERM: given up
    at once (before, the stop waited out the 15 s it gives updates in flight)."""
    fake.fail("server_error", method="sendMessage", chat_id=world.CALL_TAKER, times=-1)
    fake.send_text(world.CALL_TAKER, world.CALL_TAKER, world.FIRE_REPORT)
    fake.wait_for_message(world.GROUPS["damkar"], "LAPORAN")  # filed and posted while its answer waits
    fake.wait_until(lambda: sum(1 for c in fake.calls_of("sendMessage") if c.get("chat_id") == world.CALL_TAKER)
                    >= 2, what="the answer tried again")
    assert running.terminate(within=10) == 0
