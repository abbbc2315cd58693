"""Queries behind statistics and the health check: aggregates computed in the database, small rows back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Delivery, Followup, Heartbeat, Incident, IncidentTarget


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

    async def response_moments(self, start: datetime, end: datetime) -> list[tuple[Any, ...]]:
        """Every agency's step times of the incidents of the period: (agency, priority, category, reported,
        acknowledged, claimed, arrived, done). For the direct computation only (the recap reads the roll-ups)."""
        t = IncidentTarget
        rows = await self.session.execute(
            select(t.agency_key, Incident.priority, Incident.category, Incident.created_at, t.acknowledged_at,
                   t.claimed_at, t.arrived_at, t.done_at)
            .join(Incident, Incident.id == t.incident_id).where(*_between(start, end)))
        return [tuple(r) for r in rows.all()]

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
