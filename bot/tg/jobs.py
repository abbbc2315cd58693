"""Scheduled jobs (PTB's JobQueue), apart from the handlers: the one repeating sweep."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from ..clock import utcnow
from ..feeds import FeedClient
from ..services import bmkg, bmkg_warnings, boards, calls, followups, health, media, scheduled_posts
from .context import Context

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class FeedJob:
    """What a feed's repeating job holds: its HTTP client (one session for the process) and its URL."""

    client: FeedClient
    base_url: str


async def sweep_job(context: Context) -> None:
    """The one repeating job: due follow-up rungs, then due scheduled reports; then wake the sender. Each part
    fails alone (logged): a broken follow-up never stops the recaps, nor a broken recap the heartbeat."""
    svc, now, data = context.services, utcnow(), context.bot_data
    result = await _part("follow-ups", followups.sweep(svc, now))
    posted = await _part("scheduled reports", scheduled_posts.run_due(svc, now))
    await _part("call log retention", calls.forget_old_phones(svc, now))
    await _part("heartbeat", health.beat(svc, data.holder, data.last_update_at, now))
    ticked = await _part("boards", boards.tick(svc, now, svc.board_repost_every))
    if await _part("albums", media.flush_albums(svc, now)) or ticked:  # an album a crash interrupted; boards
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


async def bmkg_job(context: Context) -> None:
    """BMKG's earthquake feeds, every BMKG_POLL_SECONDS (with jitter): a failing feed is recorded for /kesehatan
    and `sigap112 health`, never raised; the next run tries again."""
    assert context.job is not None and isinstance(context.job.data, FeedJob)
    feed = context.job.data
    result = await _part("BMKG feed", bmkg.poll(context.services, feed.client.get, feed.base_url, utcnow()))
    if result is None:
        return
    if result.errors:
        log.warning("BMKG feed: %s", "; ".join(result.errors))
    if result.changed:
        log.info("BMKG feed: new %s, revised %s", result.created, result.revised)
        context.wake_sender()


async def cap_job(context: Context) -> None:
    """BMKG's weather warnings (CAP), every BMKG_POLL_SECONDS (with jitter): new ones for the city are posted."""
    assert context.job is not None and isinstance(context.job.data, FeedJob)
    feed = context.job.data
    result = await _part("BMKG warnings", bmkg_warnings.poll(context.services, feed.client.get, feed.base_url,
                                                             utcnow()))
    if result is None:
        return
    if result.errors:
        log.warning("BMKG warnings: %s", "; ".join(result.errors))
    if result.changed:
        log.info("BMKG warnings posted: %s", result.created)
        context.wake_sender()
