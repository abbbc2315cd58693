"""Statistics of a period from the database: counts are SQL aggregates over an index on created_at;
response times come from the agencies' step times (minutes from the report; on scene from the claim)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, literal, select, union_all

from ..charts_data import CHART_TEXTS, ChartData
from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.periods import Period, month_period
from ..domain.rules import AgencyKind
from ..domain.stats import AgencyResponse, Measure, Recap
from .context import Services

OUTSIDE = "luar Kota Ambon"


RECAP_ROLES = {"supervisor", "leader", "admin"}
RECAP_GROUPS = {"pimpinan", "monitoring", "call_center"}


def recap_access(role: str | None, group_key: str | None) -> str:
    """Who may ask for /rekap: supervisors, leaders, admins, and anyone in the call center, leadership or
    monitoring group. Strangers in unbound chats are ignored ('ignore'); others are told ('rekap_not_allowed')."""
    if role is None and group_key is None:
        return "ignore"
    if role in RECAP_ROLES or group_key in RECAP_GROUPS:
        return "ok"
    return "rekap_not_allowed"


async def recap_of(services: Services, period: Period, villages: bool = False) -> Recap:
    async with services.db.uow() as uow:
        return await recap(uow, services, period, villages=villages)


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


# measure -> (from, to): both are seconds columns of the `moments` CTE; and the rules' deadline it is held to
MEASURES = {"acknowledge": (("created", "acknowledged"), "acknowledge"), "claim": (("created", "claimed"), None),
            "on_scene": (("claimed", "arrived"), "on_scene"), "resolve": (("created", "done"), "resolve")}


async def _response(uow: UnitOfWork, services: Services, period: Period) -> list[AgencyResponse]:
    """Response times per agency, aggregated in the database in one statement: each timestamp is turned into
    seconds once per row (a materialized CTE); then, per step, a histogram of durations (exact to the second
    below 10 minutes, to 6 s below 2 hours, to the minute beyond) and the count within the rules' deadline.
    Only small rows come back, whatever the size of the period."""
    rules = services.rules
    responders = [k for k, a in rules.agencies.items() if a.kind == AgencyKind.RESPONDER]
    dialect = uow.session.bind.dialect.name
    t = db.IncidentTarget
    moments = (select(t.agency_key.label("agency"), _epoch(dialect, db.Incident.created_at).label("created"),
                      _epoch(dialect, t.acknowledged_at).label("acknowledged"),
                      _epoch(dialect, t.claimed_at).label("claimed"), _epoch(dialect, t.arrived_at).label("arrived"),
                      _epoch(dialect, t.done_at).label("done"),
                      *(_deadline_seconds(services, kind).label(f"{kind}_due")
                        for kind in ("acknowledge", "on_scene", "resolve")))
               .join(db.Incident, db.Incident.id == t.incident_id)
               .where(*_in(period), t.agency_key.in_(responders))
               .cte("moments").prefix_with("MATERIALIZED"))
    parts = [select(literal("targets").label("measure"), moments.c.agency, literal(-1.0).label("bucket"),
                    func.count().label("n"), literal(0).label("inside")).group_by(moments.c.agency)]
    for name, ((first, last), deadline) in MEASURES.items():
        seconds = func.round(moments.c[last] - moments.c[first], 3)
        bucket = case((seconds < 600, func.floor(seconds)),
                      (seconds < 7200, 600 + func.floor((seconds - 600) / 6) * 6),
                      else_=7200 + func.floor((seconds - 7200) / 60) * 60)
        inside = func.sum(case((seconds <= moments.c[f"{deadline}_due"], 1), else_=0)) if deadline else literal(0)
        parts.append(select(literal(name).label("measure"), moments.c.agency, bucket.label("bucket"),
                            func.count().label("n"), inside.label("inside"))
                     .where(moments.c[first].is_not(None), moments.c[last].is_not(None))
                     .group_by(moments.c.agency, bucket))
    rows = (await uow.session.execute(union_all(*parts))).all()
    histograms: dict[tuple[str, str], list[tuple[float, int, int]]] = defaultdict(list)
    targets: dict[str, int] = {}
    for measure, agency, value, count, inside in rows:
        if measure == "targets":
            targets[agency] = int(count)
        else:
            histograms[(agency, measure)].append((max(0.0, float(value)) / 60, int(count), int(inside or 0)))

    def measure_of(key: str, name: str) -> Measure:
        return _measure(histograms.get((key, name), []), MEASURES[name][1] is not None)

    return [AgencyResponse(key, rules.agency_name(key), targets[key], *(measure_of(key, m) for m in MEASURES))
            for key in responders if targets.get(key)]


def _in(period: Period) -> tuple:  # type: ignore[type-arg]
    return db.Incident.created_at >= period.start, db.Incident.created_at < period.end


def _epoch(dialect: str, column: Any) -> Any:
    """A timestamp as seconds (SQLite keeps them as text: julianday parses it, once per row here)."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return func.julianday(column) * 86400.0


def _deadline_seconds(services: Services, kind: str) -> Any:
    """The rules' deadline of each incident for this step: its category's block if any, else its priority's."""
    escalation = services.rules.escalation
    by_priority = case(*((db.Incident.priority == p, getattr(policy, kind).within.total_seconds())
                         for p, policy in escalation.priorities.items()), else_=0)
    if not escalation.categories:
        return by_priority
    return case(*((db.Incident.category == c, getattr(policy, kind).within.total_seconds())
                  for c, policy in escalation.categories.items()), else_=by_priority)


def _measure(buckets: list[tuple[float, int, int]], has_deadline: bool) -> Measure:
    buckets = sorted(buckets)
    n = sum(count for _, count, _ in buckets)
    within = sum(inside for _, _, inside in buckets) / n if has_deadline and n else None
    return Measure(n, _quantile(buckets, n, 0.5), _quantile(buckets, n, 0.9), within)


def _quantile(buckets: list[tuple[float, int, int]], n: int, q: float) -> float | None:
    """The inclusive-method quantile (as statistics.quantiles and spreadsheets) of the values in the buckets."""
    if n == 0:
        return None
    position = (n - 1) * q
    lower, fraction = int(position), position - int(position)
    low, high = _nth(buckets, lower), _nth(buckets, min(lower + 1, n - 1))
    return low + (high - low) * fraction


def _nth(buckets: list[tuple[float, int, int]], index: int) -> float:
    seen = 0
    for value, count, _ in buckets:
        seen += count
        if index < seen:
            return value
    return buckets[-1][0]


def chart_data(services: Services, summary: Recap) -> ChartData:
    labels = {k: c.label for k, c in services.rules.categories.items()}
    tr = services.tr
    texts = {key: str(tr(f"chart.{key}")) for key in CHART_TEXTS}
    return ChartData(
        title=str(tr("chart.title", period=summary.period.label, total=summary.total)), texts=texts,
        categories=[(labels[k], n) for k, n in summary.by_category],
        kecamatan=list(summary.by_kecamatan),
        response=[(r.name, r.acknowledge.median, r.on_scene.median) for r in summary.response])


async def chart_png(services: Services, summary: Recap) -> bytes:
    """Rendered in a worker thread: matplotlib takes a few hundred milliseconds and must not block the bot."""
    from ..charts import recap_png

    return await asyncio.to_thread(recap_png, chart_data(services, summary))


async def month_chart(services: Services, month_key: str) -> tuple[bytes, str]:
    year, month = (int(p) for p in month_key.split("-"))
    period = month_period(year, month, services.tz, services.tr)
    async with services.db.uow() as uow:
        summary = await recap(uow, services, period)
    return await chart_png(services, summary), period.label
