"""Waiting on the bot's state instead of sleeping: read its database (as `sigap112 health` would) until a
condition holds, with a deadline. Timing on a busy machine varies; the state the test needs does not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import models as db
from bot.db.engine import make_engine
from bot.domain.model import DeliveryStatus
from bot.sandbox.fake_api import FakeTelegram, Sent
from bot.sandbox.process import BotProcess

T = TypeVar("T")


def read(process: BotProcess, query: Callable[[AsyncSession], Any]) -> Any:
    """Run `query` (an async function of a session) on the bot's database and return what it returns."""
    async def run() -> Any:
        engine = make_engine(process.env["DATABASE_URL"])
        try:
            async with AsyncSession(engine) as session:
                return await query(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def wait_read(fake: FakeTelegram, process: BotProcess, query: Callable[[AsyncSession], Any],
              holds: Callable[[Any], bool], timeout: float = 90.0, what: str = "condition") -> Any:
    """Read the bot's database with `query` until `holds` accepts what it returns (returned). One engine and one
    connection for the whole wait: a new engine for every look (20 a second) cost a connection each, and with it
    CPU the bot under test needs."""
    loop = asyncio.new_event_loop()
    engine = make_engine(process.env["DATABASE_URL"])

    async def look() -> tuple[bool, Any]:
        async with AsyncSession(engine) as session:
            value = await query(session)
        return holds(value), value

    try:
        return fake.wait_until(lambda: (lambda got: got if got[0] else None)(loop.run_until_complete(look())),
                               timeout, what)[1]
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()


def wait_recorded(fake: FakeTelegram, process: BotProcess, messages: Iterable[Sent], timeout: float = 90.0) -> None:
    """Until the bot has recorded each of these posts as sent (its message id stored): a kill after this can
    repeat none of them."""
    wanted = {(m.chat_id, m.message_id) for m in messages}

    async def recorded(session: AsyncSession) -> set[tuple[int, int]]:
        rows = await session.execute(select(db.Delivery.sent_chat_id, db.Delivery.message_id)
                                     .where(db.Delivery.status == DeliveryStatus.SENT))
        return {(int(c), int(m)) for c, m in rows.all() if c is not None and m is not None}

    wait_read(fake, process, recorded, lambda sent: wanted <= sent, timeout, f"the bot to record {sorted(wanted)}")


def wait_quiet(fake: FakeTelegram, process: BotProcess, timeout: float = 120.0) -> None:
    """Until every instance has run a whole sweep that began after now, and nothing waits in the outbox: whatever
    the bot was going to send by now has been sent."""
    mark = datetime.now(UTC)

    async def quiet(session: AsyncSession) -> bool:
        beats = (await session.scalars(select(db.Heartbeat))).all()
        pending = (await session.scalars(select(db.Delivery.id).where(
            db.Delivery.status == DeliveryStatus.PENDING).limit(1))).first()
        return bool(beats) and all(b.last_sweep_at and b.last_sweep_at > mark for b in beats) and pending is None

    wait_read(fake, process, quiet, bool, timeout, "a sweep after now and an empty outbox")
