"""Queries about what is due when: follow-up rungs, scheduled posts claimed once, shift check-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm
from .batched import BatchedInserts
from .dialect import insert_for
from .mappers import followup_to_domain
from .models import (
    Event,
    Followup,
    Incident,
    IncidentTarget,
    ScheduledRun,
    ShiftCheckin,
)


class ScheduleQueries(BatchedInserts):
    session: AsyncSession

    async def due_followups(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        rows = await self.session.execute(
            select(Followup.id, Followup.step).where(Followup.status == "pending", Followup.due_at <= now)
            .order_by(Followup.due_at).limit(limit))
        return [(r[0], r[1]) for r in rows.all()]

    async def followup(self, followup_id: int) -> dm.Followup | None:
        row = await self.session.get(Followup, followup_id)
        return followup_to_domain(row) if row is not None else None

    def add_followup(self, incident_id: int, agency_key: str, kind: str, now: datetime,
                     due_at: datetime | None) -> None:
        """Arm an obligation: its first rung due at `due_at` (None: a ladder with no rungs, exhausted at once)."""
        self.add_batched(Followup, dict(incident_id=incident_id, agency_key=agency_key, kind=kind, started_at=now,
                                        step=0, due_at=due_at, status="pending" if due_at is not None else "exhausted",
                                        created_at=now, settled_at=None))

    async def move_followup(self, followup_id: int, from_step: int, to_step: int, due_at: datetime | None,
                            started_at: datetime | None = None) -> bool:
        """Take a rung: only if nobody took it first (same step, still pending)."""
        values: dict[str, object] = {"step": to_step, "due_at": due_at}
        if started_at is not None:
            values["started_at"] = started_at
        if due_at is None:
            values["status"] = "exhausted"
        result = await self.session.execute(
            update(Followup).where(Followup.id == followup_id, Followup.step == from_step,
                                   Followup.status == "pending").values(**values)
            .execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def rung_siblings(self, incident_id: int, kind: str, step: int, now: datetime) -> list[dm.Followup]:
        """The other agencies' obligations of one incident due at the same rung (one escalation names them all)."""
        rows = await self.session.scalars(select(Followup).where(
            Followup.incident_id == incident_id, Followup.kind == kind, Followup.step == step,
            Followup.status == "pending", Followup.due_at <= now).order_by(Followup.id))
        return [followup_to_domain(row) for row in rows.all()]

    async def settle_followups(self, incident_id: int, agency_key: str | None, kinds: tuple[str, ...],
                               now: datetime, status: str = "settled") -> int:
        conditions = [Followup.incident_id == incident_id, Followup.status == "pending", Followup.kind.in_(kinds)]
        if agency_key is not None:
            conditions.append(Followup.agency_key == agency_key)
        result = await self.session.execute(update(Followup).where(*conditions)
                                            .values(status=status, settled_at=now, due_at=None)
                                            .execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def pending_followups(self, incident_id: int) -> list[Followup]:
        return list((await self.session.scalars(select(Followup).where(
            Followup.incident_id == incident_id, Followup.status == "pending", Followup.due_at.is_not(None))
            .order_by(Followup.id))).all())

    async def has_followup(self, incident_id: int, agency_key: str, kind: str) -> bool:
        return (await self.session.scalar(select(func.count()).select_from(Followup).where(
            Followup.incident_id == incident_id, Followup.agency_key == agency_key, Followup.kind == kind,
            Followup.status == "pending")) or 0) > 0

    async def run_claimed(self, kind: str, period_key: str) -> bool:
        return await self.session.scalar(select(func.count()).select_from(ScheduledRun).where(
            ScheduledRun.kind == kind, ScheduledRun.period_key == period_key)) != 0

    async def claim_run(self, kind: str, period_key: str, now: datetime) -> bool:
        """Insert-if-absent: True for the one process that records this period first."""
        insert = insert_for(self.session)
        result = await self.session.execute(
            insert(ScheduledRun).values(kind=kind, period_key=period_key, created_at=now)
            .on_conflict_do_nothing(index_elements=["kind", "period_key"]))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def checkins_between(self, start: datetime, end: datetime) -> list[ShiftCheckin]:
        """Check-ins that overlap [start, end)."""
        return list((await self.session.scalars(select(ShiftCheckin).where(
            ShiftCheckin.started_at < end, or_(ShiftCheckin.ended_at.is_(None), ShiftCheckin.ended_at > start))
        )).all())

    async def open_checkin(self, person_id: int) -> ShiftCheckin | None:
        return await self.session.scalar(select(ShiftCheckin).where(
            ShiftCheckin.person_id == person_id, ShiftCheckin.ended_at.is_(None)).limit(1))

    def check_in(self, person_id: int, name: str, now: datetime) -> None:
        self.session.add(ShiftCheckin(person_id=person_id, person_name=name, started_at=now))

    async def check_out(self, person_id: int, now: datetime) -> bool:
        """End this person's open check-in; False when they had none."""
        row = await self.open_checkin(person_id)
        if row is None:
            return False
        row.ended_at = now
        return True

    async def incidents_between(self, start: datetime, end: datetime) -> list[Incident]:
        return list((await self.session.scalars(select(Incident).where(
            Incident.created_at >= start, Incident.created_at < end).order_by(Incident.id))).all())

    async def targets_of(self, incident_ids: list[int]) -> list[IncidentTarget]:
        if not incident_ids:
            return []
        return list((await self.session.scalars(
            select(IncidentTarget).where(IncidentTarget.incident_id.in_(incident_ids)))).all())

    async def escalations_between(self, start: datetime, end: datetime) -> list[tuple[str, str | None]]:
        rows = await self.session.execute(
            select(Incident.number, Event.agency_key).join(Incident, Incident.id == Event.incident_id)
            .where(Event.kind == "escalated", Event.at >= start, Event.at < end))
        return [(r[0], r[1]) for r in rows.all()]
