"""Scheduled jobs (PTB's JobQueue), apart from the handlers: the one repeating sweep."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from ..clock import utcnow
from ..services import boards, followups, health, scheduled_posts
from .context import Context

log = logging.getLogger(__name__)
T = TypeVar("T")


async def sweep_job(context: Context) -> None:
    """The one repeating job: due follow-up rungs, then due scheduled reports; then wake the sender. Each part
    fails alone (logged): a broken follow-up never stops the recaps, nor a broken recap the heartbeat."""
    svc, now, data = context.services, utcnow(), context.bot_data
    result = await _part("follow-ups", followups.sweep(svc, now))
    posted = await _part("scheduled reports", scheduled_posts.run_due(svc, now))
    await _part("heartbeat", health.beat(svc, data.holder, data.last_update_at, now))
    ticked = await _part("boards", boards.tick(svc, now, svc.board_repost_every))
    if ticked:
        context.wake_sender()
    if (result and (result.reminders or result.escalations)) or posted:
        log.info("sweep: %d reminders, %d escalations, reports %s", result.reminders if result else 0,
                 result.escalations if result else 0, posted)
        context.wake_sender()


async def _part(what: str, step: Awaitable[T]) -> T | None:
    try:
        return await step
    except Exception:  # the next run tries again; the rows are the schedule
        log.exception("sweep: %s failed", what)
        return None
