"""Statistics of a period: read from the per-day roll-ups (bot/db/rollups.py), counts and response-time
histograms (minutes from the report; on scene from the claim), or computed directly from the incidents."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

from ..db.uow import UnitOfWork
from ..domain import rollups
from ..domain.calls import CallStats, call_stats
from ..domain.chart_data import CHART_TEXTS, ChartData
from ..domain.histogram import Buckets, bucket
from ..domain.periods import Period, month_period
from ..domain.rule_schemas import AgencyKind
from ..domain.stats import MEASURES, AgencyResponse, Measure, Recap, measure
from .context import Services, rollup_policy

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
    """The recap from the per-day roll-ups: a year reads a few thousand small rows, whatever the number of
    incidents. A period that does not begin and end at midnight (none does today) is computed directly."""
    first, last = _days(services, period)
    if first is None or last is None:
        return await recap_direct(uow, services, period, villages)
    counts = await uow.repo.rollup_counts(first, last)

    def of(dimension: str) -> list[tuple[str, int]]:
        return [(key, n) for (d, key), n in counts.items() if d == dimension]

    by_subtype = [(*_split(key), n) for key, n in of(rollups.SUBTYPE)]
    places = [(kecamatan or None, outside == "1", n) for key, n in of(rollups.PLACE)
              for kecamatan, outside in [rollups.split_key(key)]]
    outcomes: dict[str | None, int] = {key or None: n for key, n in of(rollups.OUTCOME)}
    village_counts = [(key, n) for key, n in of(rollups.VILLAGE)] if villages else []
    histograms: dict[tuple[str, str], Buckets] = {}
    for agency, name, start, n, inside in await uow.repo.rollup_response(first, last):
        histograms.setdefault((agency, name), []).append((start / 60, n, inside))
    targets = dict(of(rollups.TARGETS))
    calls = call_stats(dict(of(rollups.CALL)), to_report=histograms.get(("", rollups.CALL_TO_REPORT), []))
    return _assemble(services, period, by_subtype, places, outcomes, counts.get((rollups.OPEN, ""), 0),
                     village_counts, targets, histograms, calls)


async def recap_direct(uow: UnitOfWork, services: Services, period: Period, villages: bool = False) -> Recap:
    """The same recap computed from the incidents, their agencies and the call log themselves (the roll-ups
    are proved equal to it; also for a period that does not fall on whole days)."""
    repo, start, end = uow.repo, period.start, period.end
    outcomes = await repo.count_by_outcome(start, end)
    village_counts = await repo.count_by_village(start, end) if villages else []
    policy = services.db.rollups or rollup_policy(services.rules, services.tz)
    histograms: dict[tuple[str, str], Buckets] = {}
    targets: dict[str, int] = {}
    for agency, priority, category, *moments in await repo.response_moments(start, end):
        targets[agency] = targets.get(agency, 0) + 1
        at = dict(zip(("created", "acknowledged", "claimed", "arrived", "done"), moments, strict=True))
        for name, ((first, last), step) in MEASURES.items():
            if at[first] is None or at[last] is None:
                continue
            seconds = (at[last] - at[first]).total_seconds()
            inside = int(step is not None and seconds <= policy.due(step, priority, category))
            histograms.setdefault((agency, name), []).append((bucket(seconds) / 60, 1, inside))
    calls = call_stats(await repo.count_calls_by_kind(start, end),
                       [(filed - called).total_seconds() for called, filed in await repo.call_to_report(start, end)])
    return _assemble(services, period, await repo.count_by_subtype(start, end), await repo.count_by_place(start, end),
                     outcomes, await repo.count_unclosed(start, end), village_counts, targets, histograms, calls)


def _assemble(services: Services, period: Period, by_subtype: list[tuple[str, str | None, int]],
              places: list[tuple[str | None, bool, int]], outcomes: dict[str | None, int], still_open: int,
              village_counts: list[tuple[str, int]], targets: dict[str, int],
              histograms: dict[tuple[str, str], Buckets], calls: CallStats) -> Recap:
    rules = services.rules
    by_subtype = sorted(((c, s, n) for c, s, n in by_subtype if n), key=lambda r: (-r[2], r[0], r[1] or ""))
    per_category: dict[str, int] = dict.fromkeys(rules.categories, 0)
    for category, _, count in by_subtype:
        per_category[category] = per_category.get(category, 0) + count
    responders = [k for k, a in rules.agencies.items() if a.kind == AgencyKind.RESPONDER]

    def measure_of(key: str, name: str) -> Measure:
        return measure(_merged(histograms.get((key, name), [])), MEASURES[name][1] is not None)

    response = [AgencyResponse(key, rules.agency_name(key), targets[key], *(measure_of(key, m) for m in MEASURES))
                for key in responders if targets.get(key)]
    return Recap(
        period=period, total=sum(per_category.values()),
        by_category=sorted(per_category.items(), key=lambda kv: -kv[1]), by_subtype=by_subtype,
        by_kecamatan=_kecamatan(services, [p for p in places if p[2]]), false_reports=int(outcomes.get("palsu", 0)),
        duplicates=int(outcomes.get("duplikat", 0)), still_open=still_open, response=response,
        by_village=sorted(((v, n) for v, n in village_counts if n), key=lambda r: (-r[1], r[0])), calls=calls)


def _merged(buckets: Buckets) -> Buckets:
    """Buckets of the same start added up (the direct computation lists one per duration)."""
    merged: dict[float, tuple[int, int]] = {}
    for value, n, inside in buckets:
        was = merged.get(value, (0, 0))
        merged[value] = (was[0] + n, was[1] + inside)
    return [(value, n, inside) for value, (n, inside) in sorted(merged.items())]


def _split(key: str) -> tuple[str, str | None]:
    category, subtype = rollups.split_key(key)
    return category, subtype or None


def _days(services: Services, period: Period) -> tuple[date | None, date | None]:
    """The first and last day of a period of whole days in the statistics' time zone (else None, None)."""
    tz = services.db.rollups.tz if services.db.rollups else services.tz
    start, end = period.start.astimezone(tz), period.end.astimezone(tz)
    if start.timetz().replace(tzinfo=None) != time(0) or end.timetz().replace(tzinfo=None) != time(0):
        return None, None
    return start.date(), end.date() - timedelta(days=1)


async def rebuild(services: Services, now: datetime) -> tuple[int, int]:
    """`sigap112 stats rebuild`: the roll-ups computed again from the incidents and the call log, in one
    transaction. Returns (incidents, calls) read."""
    counted = await _rebuild(services, now, only_if_stale=False)
    assert counted is not None
    return counted


async def _rebuild(services: Services, now: datetime, only_if_stale: bool) -> tuple[int, int] | None:
    """The rebuild in a transaction that holds the roll-ups' state row (one instance at a time); None when
    `only_if_stale` and another instance has just built them for these deadlines."""
    policy = services.db.rollups or rollup_policy(services.rules, services.tz)
    async with services.db.uow() as uow:
        built_for = await uow.repo.lock_rollups(now)
        if only_if_stale and built_for == policy.fingerprint():
            return None
        counted = await uow.repo.rebuild_rollups(policy, now)
        await uow.commit()
    return counted


async def rollups_current(services: Services) -> bool:
    """Whether the roll-ups were built for these deadlines and this time zone."""
    policy = services.db.rollups or rollup_policy(services.rules, services.tz)
    async with services.db.uow() as uow:
        return await uow.repo.rollup_fingerprint() == policy.fingerprint()


async def ensure_rollups(services: Services, now: datetime) -> tuple[int, int] | None:
    """At start-up: rebuild the roll-ups when they were never built (just migrated) or were built for another
    time zone or other deadlines. None when they are current (also when another instance starting at the same
    moment built them first)."""
    if await rollups_current(services):
        return None
    return await _rebuild(services, now, only_if_stale=True)


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
