"""/rekap: the numbers as a short text and a chart, for supervisors, leaders, and the leadership groups."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from ..clock import utcnow
from ..domain.periods import PeriodError, parse_period
from ..domain.render import cut
from ..domain.stats import recap_text, spoken_summary
from ..domain.text import CAPTION_LIMIT, plain_fit, visible
from ..i18n import Html
from ..services import people, stats
from ..services.reports import labels
from .handlers import reply, services_of


async def rekap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rekap [hari|minggu|bulan|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD] [desa]: text first, then the chart."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    svc = services_of(context)
    info = await people.who_am_i(svc, user.id, chat.id)
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
