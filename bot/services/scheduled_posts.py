"""Scheduled posts: shift handover, the empty-shift flag, the daily recap and the monthly report. Each period is
claimed by inserting one scheduled_run row in the transaction that queues its post, so it is posted once however
many processes run, and after a restart — and a failure between the claim and the post loses neither."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta

from ..db.uow import UnitOfWork
from ..domain.ladders_and_shifts import ShiftSlot, previous_shift, shift_at
from ..domain.model import DeliveryPriority, Role
from ..domain.periods import Period, month_period
from ..domain.render import cut
from ..domain.stats import recap_text, spoken_summary
from ..domain.timeline import active_lines
from ..i18n import Html
from ..i18n.text import TEXT_LIMIT, visible_len
from . import boards, calls, deliveries, stats
from .context import Services

log = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=1)  # a handover missed while the bot was down is still posted within this window
RECAP_CATCH_UP = timedelta(hours=6)
MONTHLY_AT = time(8, 0)  # the monthly report goes out on the 1st at 08:00 (local)


async def run_due(services: Services, now: datetime) -> list[str]:
    """Post whatever scheduled report is due at `now` and not yet posted; returns what was posted. Each is claimed
    in the transaction that queues it (a failure in between loses neither: the next sweep posts it), and one that
    fails does not hold back the others."""
    posted = []
    rules, tz = services.rules, services.tz
    slot = shift_at(rules.shifts.shifts, now, tz)
    due: list[tuple[str, datetime, Post]] = []
    if now - slot.start < CATCH_UP:
        ended = previous_shift(rules.shifts.shifts, slot, tz)
        due.append(("handover", slot.start, lambda uow: _post_handover(uow, services, ended, slot, now)))
    grace_end = slot.start + rules.shifts.checkin_grace
    if grace_end <= now < slot.end:
        due.append(("empty_shift", slot.start, lambda uow: _flag_empty_shift(uow, services, slot, now)))
    recap_at = datetime.combine(now.astimezone(tz).date(), rules.shifts.daily_recap, tzinfo=tz)
    if timedelta(0) <= now - recap_at < RECAP_CATCH_UP:
        due.append(("daily_recap", recap_at, lambda uow: _post_daily_recap(uow, services, recap_at, now)))
    local = now.astimezone(tz)
    month_at = datetime.combine(local.date().replace(day=1), MONTHLY_AT, tzinfo=tz)
    if timedelta(0) <= now - month_at < RECAP_CATCH_UP:
        due.append(("monthly_report", month_at, lambda uow: _post_monthly_report(uow, services, month_at, now)))
    week_at = calls.weekly_due(services, now)
    if week_at and now - week_at < RECAP_CATCH_UP:
        due.append(("weekly_repeat_numbers", week_at, lambda uow: _weekly(uow, services, week_at, now)))
    for kind, period, post in due:
        try:
            if await _once(services, kind, period, now, post):
                posted.append(kind)
        except Exception:
            log.exception("the scheduled %s could not be posted; the next sweep tries again", kind)
    return posted


Post = Callable[[UnitOfWork], Awaitable[bool]]  # queues a scheduled post; False: nothing to post this period


async def _once(services: Services, kind: str, period: datetime, now: datetime, post: Post) -> bool:
    """Post once however many processes run, and after a restart: the period is claimed by inserting its
    scheduled_run row in the transaction that queues the post (another process's insert waits for this one to
    commit, then finds it there)."""
    async with services.db.uow() as uow:
        if await uow.repo.run_claimed(kind, period.isoformat(timespec="minutes")):
            return False  # the common case (every sweep): one read, nothing written
    async with services.db.uow() as uow:
        if not await uow.repo.claim_run(kind, period.isoformat(timespec="minutes"), now):
            return False
        if not await post(uow):
            await uow.commit()  # nothing to say this period (someone checked in): the claim alone is kept
            return False
        await uow.commit()
        return True


async def _weekly(uow: UnitOfWork, services: Services, week_at: datetime, now: datetime) -> bool:
    await calls.post_weekly_repeats(uow, services, week_at, now)
    return True


# handover -----------------------------------------------------------------------------------------------------
async def handover_text(uow: UnitOfWork, services: Services, ended: ShiftSlot, until: datetime,
                        now: datetime) -> Html:
    """Open incidents, who has not responded, escalations and counts by category in [ended.start, until)."""
    from .desk import active_items

    tr, rules = services.tr, services.rules
    created = await uow.repo.incidents_between(ended.start, until)
    counts = Counter(rules.categories[i.category].label for i in created)
    escalations = await uow.repo.escalations_between(ended.start, until)
    people = sorted({c.person_name for c in await uow.repo.checkins_between(ended.start, until)})
    items = await active_items(uow, services)
    lines = [
        tr("handover_title", shift=ended.name, start=_hm(ended.start, services), end=_hm(until, services),
           date=until.astimezone(services.tz).strftime("%d-%m-%Y")),
        tr("handover_counts", count=len(created),
           categories=", ".join(f"{label} {n}" for label, n in counts.most_common()) or tr("none")),
        tr("handover_escalations", count=len(escalations),
           items=", ".join(sorted({f"{number} ({rules.agency_name(key or '')})"
                                   for number, key in escalations})) or tr("none")),
        tr("handover_people", people=", ".join(people) or tr("handover_nobody")),
        active_lines(items, tr, now),
    ]
    return Html(cut("\n\n".join(lines)))


def _hm(moment: datetime, services: Services) -> str:
    return moment.astimezone(services.tz).strftime("%H.%M")


async def _post_handover(uow: UnitOfWork, services: Services, ended: ShiftSlot, started: ShiftSlot,
                         now: datetime) -> bool:
    text = await handover_text(uow, services, ended, started.start, now)
    await _to_agency(uow, "call_center", text, now)
    uow.repo.event(now, "handover", detail={"ended": ended.name, "started": started.name})
    return True


async def _flag_empty_shift(uow: UnitOfWork, services: Services, slot: ShiftSlot, now: datetime) -> bool:
    """Nobody checked in for the shift by the end of its grace: the call center and the supervisors are told."""
    if await uow.repo.checkins_between(slot.start, now):
        return False
    tr = services.tr
    text = tr("empty_shift", shift=slot.name, start=_hm(slot.start, services), end=_hm(slot.end, services))
    await _to_agency(uow, "call_center", text, now)
    supervisors = await uow.repo.people_with_role({Role.SUPERVISOR.value, Role.ADMIN.value})
    for chat_id in sorted({p.telegram_id for p in supervisors} | set(services.admin_ids)):
        deliveries.notice(uow.repo, chat_id, text, now)
    uow.repo.event(now, "empty_shift", detail={"shift": slot.name})
    return True


async def _to_agency(uow: UnitOfWork, key: str, text: str, now: datetime) -> None:
    deliveries.notice_to_agency(uow.repo, key, text, now, priority=DeliveryPriority.SCHEDULED_POST)


# daily recap and monthly report -------------------------------------------------------------------------------
async def _post_daily_recap(uow: UnitOfWork, services: Services, recap_at: datetime, now: datetime) -> bool:
    day_end = datetime.combine(recap_at.date(), time(0), tzinfo=services.tz)
    day_start = day_end - timedelta(days=1)
    period = Period(day_start, day_end, services.tr("period_daily", date=f"{day_start:%d-%m-%Y}"))
    summary = await stats.recap(uow, services, period)
    text = recap_text(summary, *labels(services), services.tr)
    # ... and the list of what is still open now (most urgent first; no caller data), within one message.
    text = Html(text + "\n\n" + await boards.still_open(uow, services, now, TEXT_LIMIT - visible_len(text) - 2))
    for key in ("pimpinan", "monitoring"):
        await _to_agency(uow, key, text, now)
    uow.repo.event(now, "daily_recap", detail={"day": day_start.date().isoformat(), "count": summary.total})
    return True


def labels(services: Services) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    cats = services.rules.categories
    return ({k: c.label for k, c in cats.items()},
            {(k, s): sub.label for k, c in cats.items() for s, sub in c.subtypes.items()})


async def _post_monthly_report(uow: UnitOfWork, services: Services, month_start: datetime, now: datetime) -> bool:
    """On the 1st: last month in a sentence, the numbers, and the chart (rendered when it is sent)."""
    last = (month_start - timedelta(days=1)).astimezone(services.tz)
    period = month_period(last.year, last.month, services.tz, services.tr)
    summary = await stats.recap(uow, services, period)
    text = Html(services.tr("monthly_title") + "\n" + spoken_summary(summary, labels(services)[0], services.tr)
                + "\n\n" + recap_text(summary, *labels(services), services.tr))
    for key in ("pimpinan", "monitoring"):
        await _to_agency(uow, key, cut(text), now)
        deliveries.chart(uow.repo, key, f"{last.year}-{last.month:02d}", now)
    uow.repo.event(now, "monthly_report", detail={"month": f"{last.year}-{last.month:02d}",
                                                  "count": summary.total})
    return True


async def check_in(services: Services, person_id: int, name: str, now: datetime) -> str:
    async with services.db.uow() as uow:
        if await uow.repo.open_checkin(person_id):
            return "checkin_already"
        uow.repo.check_in(person_id, name, now)
        await uow.commit()
        return "checkin_done"


async def check_out(services: Services, person_id: int, now: datetime) -> str:
    async with services.db.uow() as uow:
        if not await uow.repo.check_out(person_id, now):
            return "checkout_none"
        await uow.commit()
        return "checkout_done"


async def handover_now(services: Services, now: datetime) -> Html:
    """/serahterima: the current shift so far."""
    slot = shift_at(services.rules.shifts.shifts, now, services.tz)
    async with services.db.uow() as uow:
        return await handover_text(uow, services, slot, now, now)
