"""Statistics of a period from the database: counts are SQL aggregates over an index on created_at;
response times come from the agencies' step times (minutes from the report; on scene from the claim)."""

from __future__ import annotations

import asyncio

from ..db.uow import UnitOfWork
from ..domain.calls import call_stats
from ..domain.chart_data import CHART_TEXTS, ChartData
from ..domain.periods import Period, month_period
from ..domain.rule_schemas import AgencyKind
from ..domain.stats import MEASURES, AgencyResponse, Measure, Recap, measure
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
    repo, rules, start, end = uow.repo, services.rules, period.start, period.end
    by_subtype = sorted(await repo.count_by_subtype(start, end), key=lambda r: (-r[2], r[0], r[1] or ""))
    per_category: dict[str, int] = dict.fromkeys(rules.categories, 0)
    for category, _, count in by_subtype:
        per_category[category] = per_category.get(category, 0) + count
    total = sum(per_category.values())
    places = await repo.count_by_place(start, end)
    outcomes = await repo.count_by_outcome(start, end)
    still_open = await repo.count_unclosed(start, end)
    village_counts: list[tuple[str, int]] = []
    if villages:
        village_counts = sorted(await repo.count_by_village(start, end), key=lambda r: (-r[1], r[0]))
    return Recap(
        period=period, total=total,
        by_category=sorted(per_category.items(), key=lambda kv: -kv[1]), by_subtype=by_subtype,
        by_kecamatan=_kecamatan(services, places), false_reports=int(outcomes.get("palsu", 0)),
        duplicates=int(outcomes.get("duplikat", 0)), still_open=still_open,
        response=await _response(uow, services, period), by_village=village_counts,
        calls=call_stats(await repo.count_calls_by_kind(start, end),
                         [(filed - called).total_seconds() for called, filed in await repo.call_to_report(start, end)]))


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
    """Response times per agency, from histograms the database aggregates (see response_histograms)."""
    rules = services.rules
    responders = [k for k, a in rules.agencies.items() if a.kind == AgencyKind.RESPONDER]
    targets, histograms = await uow.repo.response_histograms(period.start, period.end, responders,
                                                             _deadlines(services))

    def measure_of(key: str, name: str) -> Measure:
        return measure(histograms.get((key, name), []), MEASURES[name][1] is not None)

    return [AgencyResponse(key, rules.agency_name(key), targets[key], *(measure_of(key, m) for m in MEASURES))
            for key in responders if targets.get(key)]


def _deadlines(services: Services) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """The rules' deadline of each step in seconds: per priority, and per category where one has its own block."""
    escalation = services.rules.escalation
    return {kind: ({p: getattr(policy, kind).within.total_seconds() for p, policy in escalation.priorities.items()},
                   {c: getattr(policy, kind).within.total_seconds() for c, policy in escalation.categories.items()})
            for kind in ("acknowledge", "on_scene", "resolve")}


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
    from ..chart_drawing import recap_png

    return await asyncio.to_thread(recap_png, chart_data(services, summary))


async def month_chart(services: Services, month_key: str) -> tuple[bytes, str]:
    year, month = (int(p) for p in month_key.split("-"))
    period = month_period(year, month, services.tz, services.tr)
    async with services.db.uow() as uow:
        summary = await recap(uow, services, period)
    return await chart_png(services, summary), period.label
