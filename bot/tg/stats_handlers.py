"""Handlers for the numbers: /rekap as a short text and a chart (supervisors, leaders, the leadership groups),
/kesehatan on the bot itself (admins)."""

from __future__ import annotations

from telegram import Update

from ..clock import utcnow
from ..domain.model import Role
from ..domain.periods import PeriodError, parse_period
from ..domain.render import cut
from ..domain.stats import recap_text, spoken_summary
from ..i18n import Html
from ..i18n.text import CAPTION_LIMIT, plain_fit, visible
from ..services import health, people, stats
from ..services.scheduled_posts import labels
from .common import at_desk, reply, said
from .context import Context


async def rekap(update: Update, context: Context) -> None:
    """/rekap [hari|minggu|bulan|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD] [desa]: text first, then the chart."""
    if (got := said(update)) is None:
        return
    svc, message = context.services, got.message
    info = await people.who_am_i(svc, got.user.id, got.chat.id)
    access = stats.recap_access(info.role.value if info.role else None, info.group_key)
    if access != "ok":
        if access != "ignore":
            await reply(message, svc.tr(access))
        return
    args = [a.lower() for a in context.args or []]
    villages = "desa" in args
    words = [a for a in args if a != "desa"]
    try:
        period = parse_period(words[0] if words else None, utcnow(), svc.tz, svc.tr)
    except PeriodError as exc:
        await reply(message, svc.tr("rekap_usage", problem=exc.text(svc.tr)))
        return
    summary = await stats.recap_of(svc, period, villages=villages)
    cats, subs = labels(svc)
    text = Html(spoken_summary(summary, cats, svc.tr) + "\n\n" + recap_text(summary, cats, subs, svc.tr))
    await reply(message, cut(text))
    png = await stats.chart_png(svc, summary)
    await message.reply_photo(png, caption=plain_fit(visible(svc.tr("chart_caption", period=period.label)),
                                                     CAPTION_LIMIT))


async def kesehatan(update: Update, context: Context) -> None:
    """/kesehatan (admins): last update, outbox backlog per group, unreachable groups, sweep lag."""
    if (got := said(update)) is None:
        return
    svc = context.services
    if (await people.who_am_i(svc, got.user.id, got.user.id)).role != Role.ADMIN or not await at_desk(got, context):
        return
    report = await health.check(svc, utcnow(), context.bot_data.last_update_at)
    await reply(got.message, health.render(report, svc.tr, svc.tz))
