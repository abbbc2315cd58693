"""Statistics of a period from the database: counts are SQL aggregates over an index on created_at;
response times come from the agencies' step times (minutes from the report; on scene from the claim)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select

from ..charts_data import ChartData
from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.periods import Period, month_period
from ..domain.rules import AgencyKind
from ..domain.stats import AgencyResponse, Measure, Recap
from .context import Services

OUTSIDE = "luar Kota Ambon"


async def recap(uow: UnitOfWork, services: Services, period: Period, villages: bool = False) -> Recap:
    session, rules = uow.session, services.rules
    in_period = (db.Incident.created_at >= period.start, db.Incident.created_at < period.end)
    rows = (await session.execute(select(db.Incident.category, db.Incident.subtype, func.count())
                                  .where(*in_period).group_by(db.Incident.category, db.Incident.subtype))).all()
    by_subtype = sorted(((c, s, int(n)) for c, s, n in rows), key=lambda r: (-r[2], r[0], r[1] or ""))
    per_category: dict[str, int] = dict.fromkeys(rules.categories, 0)
    for category, _, count in by_subtype:
        per_category[category] = per_category.get(category, 0) + count
    total = sum(per_category.values())
    places = (await session.execute(select(db.Incident.kecamatan, db.Incident.outside_city, func.count())
                                    .where(*in_period).group_by(db.Incident.kecamatan, db.Incident.outside_city))).all()
    outcomes = dict((await session.execute(select(db.Incident.outcome, func.count()).where(*in_period)
                                           .group_by(db.Incident.outcome))).all())
    still_open = int(await session.scalar(select(func.count()).select_from(db.Incident)
                                          .where(*in_period, db.Incident.status != "closed")) or 0)
    village_counts: list[tuple[str, int]] = []
    if villages:
        village_rows = (await session.execute(select(db.Incident.village, func.count()).where(
            *in_period, db.Incident.village.is_not(None)).group_by(db.Incident.village))).all()
        village_counts = sorted(((v, int(n)) for v, n in village_rows), key=lambda r: (-r[1], r[0]))
    return Recap(
        period=period, total=total,
        by_category=sorted(per_category.items(), key=lambda kv: -kv[1]), by_subtype=by_subtype,
        by_kecamatan=_kecamatan(services, places), false_reports=int(outcomes.get("palsu", 0)),
        duplicates=int(outcomes.get("duplikat", 0)), still_open=still_open,
        response=await _response(uow, services, period), by_village=village_counts)


def _kecamatan(services: Services, rows: list[tuple[str | None, bool, int]]) -> list[tuple[str, int]]:
    """Every kecamatan (also those with none: 'Leitimur Selatan lowest' needs its zero), BPS names."""
    display = {k.name: k.bps_name for k in services.rules.gazetteer.kecamatan}
    counts = dict.fromkeys(display.values(), 0)
    for kecamatan, outside, count in rows:
        name = OUTSIDE if outside or kecamatan is None else display.get(kecamatan, kecamatan)
        counts[name] = counts.get(name, 0) + int(count)
    if not counts.get(OUTSIDE):
        counts.pop(OUTSIDE, None)
    return sorted(counts.items(), key=lambda kv: -kv[1])


async def _response(uow: UnitOfWork, services: Services, period: Period) -> list[AgencyResponse]:
    rules = services.rules
    responders = [k for k, a in rules.agencies.items() if a.kind == AgencyKind.RESPONDER]
    rows = (await uow.session.execute(
        select(db.IncidentTarget.agency_key, db.Incident.category, db.Incident.priority, db.Incident.created_at,
               db.IncidentTarget.acknowledged_at, db.IncidentTarget.claimed_at, db.IncidentTarget.arrived_at,
               db.IncidentTarget.done_at)
        .join(db.Incident, db.Incident.id == db.IncidentTarget.incident_id)
        .where(db.Incident.created_at >= period.start, db.Incident.created_at < period.end,
               db.IncidentTarget.agency_key.in_(responders)))).all()
    grouped: dict[str, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for row in rows:
        grouped[row[0]].append(row)
    return [_agency(services, key, grouped[key]) for key in responders if grouped.get(key)]


def _agency(services: Services, key: str, rows: list[tuple]) -> AgencyResponse:  # type: ignore[type-arg]
    ack, ack_due, claim, scene, scene_due, done, done_due = [], [], [], [], [], [], []
    for _, category, priority, created, acknowledged, claimed, arrived, finished in rows:
        policy = services.rules.policy(category, priority)
        if acknowledged:
            ack.append(_minutes(created, acknowledged))
            ack_due.append(policy.acknowledge.within.total_seconds() / 60)
        if claimed:
            claim.append(_minutes(created, claimed))
        if arrived and claimed:
            scene.append(_minutes(claimed, arrived))
            scene_due.append(policy.on_scene.within.total_seconds() / 60)
        if finished:
            done.append(_minutes(created, finished))
            done_due.append(policy.resolve.within.total_seconds() / 60)
    return AgencyResponse(key, services.rules.agency_name(key), len(rows), Measure.of(ack, ack_due),
                          Measure.of(claim), Measure.of(scene, scene_due), Measure.of(done, done_due))


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def chart_data(services: Services, summary: Recap) -> ChartData:
    labels = {k: c.label for k, c in services.rules.categories.items()}
    return ChartData(
        title=f"Rekap {summary.period.label} — {summary.total} laporan",
        categories=[(labels[k], n) for k, n in summary.by_category],
        kecamatan=list(summary.by_kecamatan),
        response=[(r.name, r.acknowledge.median, r.on_scene.median) for r in summary.response])


async def chart_png(services: Services, summary: Recap) -> bytes:
    """Rendered in a worker thread: matplotlib takes a few hundred milliseconds and must not block the bot."""
    from ..charts import recap_png

    return await asyncio.to_thread(recap_png, chart_data(services, summary))


async def month_chart(services: Services, month_key: str) -> tuple[bytes, str]:
    year, month = (int(p) for p in month_key.split("-"))
    period = month_period(year, month, services.tz)
    async with services.db.uow() as uow:
        summary = await recap(uow, services, period)
    return await chart_png(services, summary), period.label
