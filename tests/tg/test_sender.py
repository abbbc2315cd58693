"""The outbox sender against the Bot API emulator and a real database: it keeps no state for a chat it is done
with."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import pytest
from sqlalchemy import select
from telegram.ext import ExtBot

from bot.db import models as db
from bot.sandbox.fake_api import FakeTelegram
from bot.services import intake
from bot.services.context import Services
from bot.tg import sender as sender_module
from bot.tg.budget import Budget, BudgetLimiter
from bot.tg.sender import OutboxSender
from tests.center import FIRE, NOW, RINA, setup_center


async def eventually(condition: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)  # the poll interval of a wait on state, bounded by the deadline


async def center_emulator_and_sender(services: Services) -> tuple[FakeTelegram, ExtBot[dict[str, bool]],
                                                                    OutboxSender]:
    """The emulator with the call taker and every agency's group (as setup_center binds them), a bot on it without
    flood limits, and a sender (not started)."""
    fake = FakeTelegram(limits=None).start()
    fake.add_user(RINA.id, RINA.name)
    fake.started_private.add(RINA.id)
    for i, key in enumerate(services.rules.agencies):
        fake.add_group(-1000 - i, f"Grup {key}")
    budget = Budget(group_per_minute=1_000_000, overall_per_second=1_000_000)
    bot: ExtBot[dict[str, bool]] = ExtBot(fake.token, base_url=f"{fake.url}/bot",
                                          base_file_url=f"{fake.url}/file/bot", rate_limiter=BudgetLimiter(budget))
    await bot.initialize()
    return fake, bot, OutboxSender(bot, services, "test", budget)


async def test_a_chats_delivery_worker_is_forgotten_once_its_messages_are_sent(services: Services) -> None:
    await setup_center(services)
    fake, bot, sender = await center_emulator_and_sender(services)
    running = asyncio.create_task(sender.run())
    try:
        outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
        assert isinstance(outcome, intake.Accepted)
        sender.wake()

        async def all_sent() -> bool:
            async with services.db.uow() as uow:
                cards = await uow.repo.deliveries_for(outcome.incident_id, "card")
            return all(d.status == "sent" for d in cards)

        deadline = time.monotonic() + 30
        while not await all_sent():
            assert time.monotonic() < deadline, "the cards were not all sent"
            await asyncio.sleep(0.1)  # the poll interval of a wait on state, bounded by the deadline
        assert len({m.chat_id for chat in fake.sent for m in fake.bot_messages(chat)}) >= len(outcome.targets)
        await eventually(lambda: sender.active_routes == 0, "every worker to be forgotten")
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await sender.stop()
        await bot.shutdown()
        fake.stop()


async def one_turn_of_the_loop() -> None:
    """Let every callback already scheduled run once (not a wait: nothing here depends on time)."""
    loop = asyncio.get_running_loop()
    turn = loop.create_future()
    loop.call_soon(turn.set_result, None)
    await turn


async def test_the_sender_stops_when_it_is_woken_just_as_it_is_cancelled(services: Services) -> None:
    """SIGTERM while deliveries keep waking the sender: with asyncio.wait_for (Python 3.11), a wake that landed
    just before the cancel swallowed it, the sender looked at the outbox for ever and the bot ignored SIGTERM."""
    await setup_center(services)
    fake = FakeTelegram(limits=None).start()
    budget = Budget(group_per_minute=1_000_000, overall_per_second=1_000_000)
    bot: ExtBot[dict[str, bool]] = ExtBot(fake.token, base_url=f"{fake.url}/bot",
                                          base_file_url=f"{fake.url}/file/bot", rate_limiter=BudgetLimiter(budget))
    await bot.initialize()
    sender = OutboxSender(bot, services, "test", budget)
    try:
        for turns in range(4):  # the cancel lands at different points after the wake
            running = asyncio.create_task(sender.run())
            await eventually(lambda: sender.waiting, "the sender to be idle")
            sender.wake()
            for _ in range(turns):
                await one_turn_of_the_loop()
            running.cancel()
            done, _ = await asyncio.wait({running}, timeout=10)
            assert running in done, f"the sender went on after its cancellation ({turns} turns after a wake)"
    finally:
        await sender.stop()
        await bot.shutdown()
        fake.stop()


async def test_a_stop_waits_for_the_records_of_posts_telegram_accepted(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM while the database is slow to take the records of cards Telegram has just accepted: the workers are
    stopped after the grace, but the process ends only once those records are written (a card whose record is
    lost goes out a second time after the restart)."""
    await setup_center(services)
    monkeypatch.setattr(sender_module, "STOP_GRACE", 0.2)
    fake, bot, sender = await center_emulator_and_sender(services)
    fake.slow("sendMessage", 60, times=-1)  # Telegram takes every card at once and answers when told
    running = asyncio.create_task(sender.run())
    try:
        outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
        assert isinstance(outcome, intake.Accepted)
        sender.wake()
        await eventually(lambda: fake.held_answers("sendMessage") >= 1, "a card taken by Telegram")
        async with contextlib.AsyncExitStack() as slow_database:
            uow = await slow_database.enter_async_context(services.db.uow())  # SQLite: holds its one writer
            await uow.session.execute(select(db.Delivery.id).where(db.Delivery.incident_id == outcome.incident_id)
                                      .with_for_update())  # PostgreSQL: holds the report's deliveries
            held = fake.held_answers("sendMessage")
            fake.clear_faults()
            fake.answer_held()
            await eventually(lambda: sender.recording >= held, "the answers to reach the sender")
            stopping = asyncio.create_task(sender.stop())
            await eventually(lambda: sender.active_routes == 0, "the workers to be stopped after the grace")
            for _ in range(5):
                await one_turn_of_the_loop()
            assert not stopping.done(), "the sender stopped with accepted posts unrecorded"
        await asyncio.wait_for(stopping, 30)
        assert sender.recording == 0
        async with services.db.uow() as uow:
            cards = await uow.repo.deliveries_for(outcome.incident_id, "card")
        assert sum(1 for d in cards if d.status == "sent" and d.message_id) >= held
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await sender.stop()
        await bot.shutdown()
        fake.stop()
