"""Handlers for follow-ups and shifts: /tunda, /serahterima, /mulai_shift, /akhiri_shift, and the sweep job."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from ..clock import utcnow
from ..domain.model import Role
from ..services import desk, followups, health, people, scheduled_posts
from .desk_handlers import _desk_text
from .handlers import actor_of, is_private, reply, services_of, wake_sender

log = logging.getLogger(__name__)
T = TypeVar("T")


async def tunda(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/tunda <nomor> <durasi> <alasan>: pause the chase on one incident (supervisors)."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc, args = services_of(context), context.args or []
    if len(args) < 3:
        await reply(message, svc.tr("usage.tunda"))
        return
    result = await desk.snooze(svc, actor_of(user), chat.id, is_private(chat), args[0], args[1], " ".join(args[2:]),
                               utcnow())
    if result.key != "ignore":
        await reply(message, _desk_text(result, svc))


async def _at_desk(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Call center staff, in their private chat with the bot or in the call center group (as the desk commands);
    elsewhere they are told where, and anyone else gets no answer."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return False
    svc = services_of(context)
    refused = await desk.refusal(svc, actor_of(user), chat.id, is_private(chat))
    if refused is None:
        return True
    if refused != "ignore":
        await reply(message, svc.tr(refused))
    return False


async def serahterima(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/serahterima: the handover summary of the shift so far."""
    message = update.effective_message
    if message is None or not await _at_desk(update, context):
        return
    await reply(message, await scheduled_posts.handover_now(services_of(context), utcnow()))


async def mulai_shift(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mulai_shift: check in."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await _at_desk(update, context):
        return
    svc = services_of(context)
    await reply(message, svc.tr(await scheduled_posts.check_in(svc, user.id, actor_of(user).name, utcnow())))


async def akhiri_shift(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/akhiri_shift: check out."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not await _at_desk(update, context):
        return
    svc = services_of(context)
    await reply(message, svc.tr(await scheduled_posts.check_out(svc, user.id, utcnow())))


async def sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The one repeating job: due follow-up rungs, then due scheduled reports; then wake the sender. Each part
    fails alone (logged): a broken follow-up never stops the recaps, nor a broken recap the heartbeat."""
    svc, now = services_of(context), utcnow()
    result = await _part("follow-ups", followups.sweep(svc, now))
    posted = await _part("scheduled reports", scheduled_posts.run_due(svc, now))
    await _part("heartbeat", health.beat(svc, context.bot_data["holder"], context.bot_data.get("last_update_at"), now))
    if (result and (result.reminders or result.escalations)) or posted:
        log.info("sweep: %d reminders, %d escalations, reports %s", result.reminders if result else 0,
                 result.escalations if result else 0, posted)
        wake_sender(context)


async def _part(what: str, step: Awaitable[T]) -> T | None:
    try:
        return await step
    except Exception:  # the next run tries again; the rows are the schedule
        log.exception("sweep: %s failed", what)
        return None


async def kesehatan(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/kesehatan (admins): last update, outbox backlog per group, unreachable groups, sweep lag."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    svc = services_of(context)
    if (await people.who_am_i(svc, user.id, user.id)).role != Role.ADMIN or not await _at_desk(update, context):
        return
    report = await health.check(svc, utcnow(), context.bot_data.get("last_update_at"))
    await reply(message, health.render(report, svc.tr, svc.tz))
