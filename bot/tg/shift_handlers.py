"""Handlers for shifts at the call center desk: /serahterima, /mulai_shift, /akhiri_shift."""

from __future__ import annotations

from telegram import Update

from ..clock import utcnow
from ..services import scheduled_posts
from .common import at_desk, reply, said
from .context import Context


async def serahterima(update: Update, context: Context) -> None:
    """/serahterima: the handover summary of the shift so far."""
    if (got := said(update)) is None or not await at_desk(got, context):
        return
    await reply(got.message, await scheduled_posts.handover_now(context.services, utcnow()))


async def mulai_shift(update: Update, context: Context) -> None:
    """/mulai_shift: check in."""
    if (got := said(update)) is None or not await at_desk(got, context):
        return
    svc = context.services
    await reply(got.message, svc.tr(await scheduled_posts.check_in(svc, got.user.id, got.actor.name, utcnow())))


async def akhiri_shift(update: Update, context: Context) -> None:
    """/akhiri_shift: check out."""
    if (got := said(update)) is None or not await at_desk(got, context):
        return
    svc = context.services
    await reply(got.message, svc.tr(await scheduled_posts.check_out(svc, got.user.id, utcnow())))
