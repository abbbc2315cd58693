"""Queries behind statistics and the health check: aggregates computed in the database, small rows back."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import String, case, cast, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.stats import MEASURES
from .models import Delivery, Followup, Heartbeat, Incident, IncidentTarget

# Per step: the deadline in seconds by priority, and by category where the rules set one for it.
Deadlines = dict[str, tuple[dict[str, float], dict[str, float]]]
Histograms = dict[tuple[str, str], list[tuple[float, int, int]]]


class ReportQueries:
    session: AsyncSession

    # statistics ---------------------------------------------------------------------------------------------
    async def count_by_subtype(self, start: datetime, end: datetime) -> list[tuple[str, str | None, int]]:
        rows = (await self.session.execute(select(Incident.category, Incident.subtype, func.count())
                                           .where(*_between(start, end))
                                           .group_by(Incident.category, Incident.subtype))).all()
        return [(c, s, int(n)) for c, s, n in rows]

    async def count_by_place(self, start: datetime, end: datetime) -> list[tuple[str | None, bool, int]]:
        rows = (await self.session.execute(select(Incident.kecamatan, Incident.outside_city, func.count())
                                           .where(*_between(start, end))
                                           .group_by(Incident.kecamatan, Incident.outside_city))).all()
        return [(k, bool(o), int(n)) for k, o, n in rows]

    async def count_by_outcome(self, start: datetime, end: datetime) -> dict[str | None, int]:
        rows = (await self.session.execute(select(Incident.outcome, func.count()).where(*_between(start, end))
                                           .group_by(Incident.outcome))).all()
        return {o: int(n) for o, n in rows}

    async def count_unclosed(self, start: datetime, end: datetime) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Incident)
                                             .where(*_between(start, end), Incident.status != "closed")) or 0)

    async def count_by_village(self, start: datetime, end: datetime) -> list[tuple[str, int]]:
        rows = (await self.session.execute(select(Incident.village, func.count()).where(
            *_between(start, end), Incident.village.is_not(None)).group_by(Incident.village))).all()
        return [(str(v), int(n)) for v, n in rows]

    async def response_histograms(self, start: datetime, end: datetime, responders: list[str],
                                  deadlines: Deadlines) -> tuple[dict[str, int], Histograms]:
        """Response times per agency, aggregated in the database in one statement: each timestamp is turned into
        seconds once per row (a materialized CTE); then, per step, a histogram of durations (exact to the second
        below 10 minutes, to 6 s below 2 hours, to the minute beyond) and the count within the rules' deadline.
        Only small rows come back, whatever the size of the period. Returns the targets per agency and, per
        (agency, measure), buckets of (minutes, count, count within the deadline)."""
        assert self.session.bind is not None
        dialect = self.session.bind.dialect.name
        t = IncidentTarget
        moments = (select(t.agency_key.label("agency"), _epoch(dialect, Incident.created_at).label("created"),
                          _epoch(dialect, t.acknowledged_at).label("acknowledged"),
                          _epoch(dialect, t.claimed_at).label("claimed"),
                          _epoch(dialect, t.arrived_at).label("arrived"), _epoch(dialect, t.done_at).label("done"),
                          *(_deadline_seconds(deadlines[kind]).label(f"{kind}_due")
                            for kind in ("acknowledge", "on_scene", "resolve")))
                   .join(Incident, Incident.id == t.incident_id)
                   .where(*_between(start, end), t.agency_key.in_(responders))
                   .cte("moments").prefix_with("MATERIALIZED"))
        parts = [select(literal("targets").label("measure"), moments.c.agency, literal(-1.0).label("bucket"),
                        func.count().label("n"), literal(0).label("inside")).group_by(moments.c.agency)]
        for name, ((first, last), deadline) in MEASURES.items():
            seconds = func.round(moments.c[last] - moments.c[first], 3)
            bucket = case((seconds < 600, func.floor(seconds)),
                          (seconds < 7200, 600 + func.floor((seconds - 600) / 6) * 6),
                          else_=7200 + func.floor((seconds - 7200) / 60) * 60)
            inside = func.sum(case((seconds <= moments.c[f"{deadline}_due"], 1), else_=0)) if deadline \
                else literal(0)
            parts.append(select(literal(name).label("measure"), moments.c.agency, bucket.label("bucket"),
                                func.count().label("n"), inside.label("inside"))
                         .where(moments.c[first].is_not(None), moments.c[last].is_not(None))
                         .group_by(moments.c.agency, bucket))
        rows = (await self.session.execute(union_all(*parts))).all()
        histograms: Histograms = defaultdict(list)
        targets: dict[str, int] = {}
        for measure, agency, value, count, inside in rows:
            if measure == "targets":
                targets[agency] = int(count)
            else:
                histograms[(agency, measure)].append((max(0.0, float(value)) / 60, int(count), int(inside or 0)))
        return targets, histograms

    # health -------------------------------------------------------------------------------------------------
    async def ping(self) -> None:
        await self.session.execute(text("SELECT 1"))

    async def outbox_backlog(self) -> list[tuple[str, int, datetime]]:
        """Pending deliveries per route (an agency's key, or a chat id as text): how many, the oldest created."""
        rows = (await self.session.execute(
            select(func.coalesce(Delivery.agency_key, cast(Delivery.chat_id, String)),
                   func.count(), func.min(Delivery.created_at))
            .where(Delivery.status == "pending").group_by(Delivery.agency_key, Delivery.chat_id))).all()
        return [(str(key), int(n), oldest) for key, n, oldest in rows]

    async def oldest_due_followup(self, now: datetime) -> datetime | None:
        return await self.session.scalar(select(func.min(Followup.due_at)).where(
            Followup.status == "pending", Followup.due_at <= now))

    async def heartbeats(self) -> list[Heartbeat]:
        return list((await self.session.scalars(select(Heartbeat).order_by(Heartbeat.instance_id))).all())

    async def beat(self, instance_id: str, last_update_at: datetime | None, now: datetime) -> None:
        """This instance is alive: its last sweep is now, and its last update (kept when it has none to report)."""
        row = await self.session.get(Heartbeat, instance_id)
        if row is None:
            row = Heartbeat(instance_id=instance_id)
            self.session.add(row)
        row.last_update_at = last_update_at or row.last_update_at
        row.last_sweep_at = row.updated_at = now


def _between(start: datetime, end: datetime) -> tuple[Any, Any]:
    return Incident.created_at >= start, Incident.created_at < end


def _epoch(dialect: str, column: Any) -> Any:
    """A timestamp as seconds (SQLite keeps them as text: julianday parses it, once per row here)."""
    if dialect == "postgresql":
        return func.extract("epoch", column)
    return func.julianday(column) * 86400.0


def _deadline_seconds(deadline: tuple[dict[str, float], dict[str, float]]) -> Any:
    """Each incident's deadline for one step: its category's if the rules set one, else its priority's."""
    by_priority_map, by_category_map = deadline
    by_priority = case(*((Incident.priority == p, seconds) for p, seconds in by_priority_map.items()), else_=0)
    if not by_category_map:
        return by_priority
    return case(*((Incident.category == c, seconds) for c, seconds in by_category_map.items()), else_=by_priority)
