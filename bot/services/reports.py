"""Scheduled reports: shift handover, the empty-shift flag, the daily recap. Each period is claimed by
inserting one scheduled_run row, so it is posted once however many processes run, and after a restart."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.lifecycle import IncidentStatus
from ..domain.model import Role
from ..domain.render import cut
from ..domain.schedule_rules import ShiftSlot, previous_shift, shift_at
from ..domain.timeline import active_lines
from ..i18n import Html
from .context import Services
from .incidents import notice

CATCH_UP = timedelta(hours=1)  # a handover missed while the bot was down is still posted within this window
RECAP_CATCH_UP = timedelta(hours=6)


@dataclass(frozen=True)
class Stats:
    count: int
    by_category: list[tuple[str, int]]
    by_kecamatan: list[tuple[str, int]]
    response: list[tuple[str, float | None, float | None, float | None, float | None, int]]  # agency, ack, on scene
    still_open: list[str]


async def run_due(services: Services, now: datetime) -> list[str]:
    """Post whatever scheduled report is due at `now` and not yet posted; returns what was posted."""
    posted = []
    rules, tz = services.rules, services.tz
    slot = shift_at(rules.shifts.shifts, now, tz)
    if now - slot.start < CATCH_UP and await _claim(services, "handover", slot.start, now):
        await _post_handover(services, previous_shift(rules.shifts.shifts, slot, tz), slot, now)
        posted.append("handover")
    grace_end = slot.start + rules.shifts.checkin_grace
    if grace_end <= now < slot.end and not await _anyone_checked_in(services, slot, now) \
            and await _claim(services, "empty_shift", slot.start, now):
        await _flag_empty_shift(services, slot, now)
        posted.append("empty_shift")
    recap_at = datetime.combine(now.astimezone(tz).date(), rules.shifts.daily_recap, tzinfo=tz)
    if timedelta(0) <= now - recap_at < RECAP_CATCH_UP and await _claim(services, "daily_recap", recap_at, now):
        await _post_daily_recap(services, recap_at, now)
        posted.append("daily_recap")
    return posted


async def _claim(services: Services, kind: str, period: datetime, now: datetime) -> bool:
    async with services.db.uow() as uow:
        won = await uow.repo.claim_run(kind, period.isoformat(timespec="minutes"), now)
        await uow.commit()
        return won


async def _anyone_checked_in(services: Services, slot: ShiftSlot, now: datetime) -> bool:
    async with services.db.uow() as uow:
        return bool(await uow.repo.checkins_between(slot.start, now))


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
    return moment.astimezone(services.tz).strftime("%H:%M")


async def _post_handover(services: Services, ended: ShiftSlot, started: ShiftSlot, now: datetime) -> None:
    async with services.db.uow() as uow:
        text = await handover_text(uow, services, ended, started.start, now)
        await _to_agency(uow, "call_center", text, now)
        uow.repo.event(now, "handover", detail={"ended": ended.name, "started": started.name})
        await uow.commit()


async def _flag_empty_shift(services: Services, slot: ShiftSlot, now: datetime) -> None:
    tr = services.tr
    text = tr("empty_shift", shift=slot.name, start=_hm(slot.start, services), end=_hm(slot.end, services))
    async with services.db.uow() as uow:
        await _to_agency(uow, "call_center", text, now)
        supervisors = await uow.repo.people_with_role({Role.SUPERVISOR.value, Role.ADMIN.value})
        for chat_id in sorted({p.telegram_id for p in supervisors} | set(services.admin_ids)):
            uow.repo.add(notice(chat_id, text, now))
        uow.repo.event(now, "empty_shift", detail={"shift": slot.name})
        await uow.commit()


async def _to_agency(uow: UnitOfWork, key: str, text: str, now: datetime) -> None:
    from .incidents import PRIORITY_NOTICE

    uow.repo.add(db.Delivery(kind="notice", agency_key=key, text=text, priority=PRIORITY_NOTICE + 2,
                             status="pending", attempts=0, next_attempt_at=now, created_at=now))


# daily recap --------------------------------------------------------------------------------------------------
async def stats_between(uow: UnitOfWork, services: Services, start: datetime, end: datetime) -> Stats:
    rules = services.rules
    created = await uow.repo.incidents_between(start, end)
    by_category = Counter(rules.categories[i.category].label for i in created).most_common()
    by_kecamatan = Counter(i.kecamatan or ("luar Kota Ambon" if i.outside_city else "-") for i in created)
    targets = await uow.repo.targets_of([i.id for i in created])
    created_at = {i.id: i.created_at for i in created}
    response = []
    for key in rules.agencies:
        rows = [t for t in targets if t.agency_key == key]
        if not rows or rules.agency_kind(key) != "responder":
            continue
        ack = [_minutes(t.acknowledged_at - created_at[t.incident_id]) for t in rows if t.acknowledged_at]
        scene = [_minutes(t.arrived_at - created_at[t.incident_id]) for t in rows if t.arrived_at]
        response.append((rules.agency_name(key), median(ack), p90(ack), median(scene), p90(scene), len(rows)))
    still_open = [i.number for i in created if i.status != IncidentStatus.CLOSED]
    return Stats(len(created), by_category, by_kecamatan.most_common(), response, still_open)


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[float]) -> float | None:
    """90th percentile (inclusive method, as spreadsheets compute it)."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def recap_text(services: Services, stats: Stats, day_label: str) -> Html:
    tr = services.tr
    fmt = lambda v: tr("minutes_short", n=f"{v:.1f}".replace(".", ",")) if v is not None else "-"  # noqa: E731
    lines = [tr("recap_title", day=day_label, count=stats.count),
             tr("recap_categories", items=", ".join(f"{k} {n}" for k, n in stats.by_category) or tr("none")),
             tr("recap_kecamatan", items=", ".join(f"{k} {n}" for k, n in stats.by_kecamatan) or tr("none"))]
    if stats.response:
        lines.append(tr("recap_response_header"))
        lines += [tr("recap_response_line", agency=a, ack=fmt(am), ack90=fmt(a9), scene=fmt(sm), scene90=fmt(s9), n=n)
                  for a, am, a9, sm, s9, n in stats.response]
    lines.append(tr("recap_open", count=len(stats.still_open), items=", ".join(stats.still_open) or tr("none")))
    return Html(cut("\n".join(lines)))


async def _post_daily_recap(services: Services, recap_at: datetime, now: datetime) -> None:
    day_end = datetime.combine(recap_at.date(), time(0), tzinfo=services.tz)
    day_start = day_end - timedelta(days=1)
    async with services.db.uow() as uow:
        stats = await stats_between(uow, services, day_start, day_end)
        text = recap_text(services, stats, day_start.strftime("%d-%m-%Y"))
        for key in ("pimpinan", "monitoring"):
            await _to_agency(uow, key, text, now)
        uow.repo.event(now, "daily_recap", detail={"day": day_start.date().isoformat(), "count": stats.count})
        await uow.commit()


# check-in -----------------------------------------------------------------------------------------------------
async def check_in(services: Services, person_id: int, name: str, now: datetime) -> str:
    async with services.db.uow() as uow:
        if await uow.repo.open_checkin(person_id):
            return "checkin_already"
        uow.repo.add(db.ShiftCheckin(person_id=person_id, person_name=name, started_at=now))
        await uow.commit()
        return "checkin_done"


async def check_out(services: Services, person_id: int, now: datetime) -> str:
    async with services.db.uow() as uow:
        row = await uow.repo.open_checkin(person_id)
        if row is None:
            return "checkout_none"
        row.ended_at = now
        await uow.commit()
        return "checkout_done"


async def handover_now(services: Services, now: datetime) -> Html:
    """/serahterima: the current shift so far."""
    slot = shift_at(services.rules.shifts.shifts, now, services.tz)
    async with services.db.uow() as uow:
        return await handover_text(uow, services, slot, now, now)
