"""The repository: every query the services use, in one place. No commits here (the unit of work commits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm
from .models import (
    AgencyGroup,
    Delivery,
    DeliveryAttempt,
    Draft,
    Event,
    Followup,
    InboxUpdate,
    Incident,
    IncidentCounter,
    IncidentTarget,
    Person,
    PostedMessage,
    ScheduledRun,
    ShiftCheckin,
)
from .report_queries import ReportQueries


class Repository(ReportQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def refresh(self, row: object) -> None:
        """Read a loaded row again (after taking a lock, to see what others committed meanwhile)."""
        await self.session.refresh(row)

    # people -------------------------------------------------------------------------------------------------
    async def person(self, telegram_id: int) -> Person | None:
        return await self.session.get(Person, telegram_id)

    async def people(self) -> list[Person]:
        return list((await self.session.scalars(select(Person).order_by(Person.role, Person.name))).all())

    async def remove_person(self, telegram_id: int) -> bool:
        result = await self.session.execute(delete(Person).where(Person.telegram_id == telegram_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def people_with_role(self, roles: set[str]) -> list[Person]:
        return list((await self.session.scalars(select(Person).where(Person.role.in_(roles)))).all())

    # groups -------------------------------------------------------------------------------------------------
    async def group_by_key(self, key: str) -> AgencyGroup | None:
        return await self.session.scalar(select(AgencyGroup).where(AgencyGroup.agency_key == key))

    async def group_by_chat(self, chat_id: int) -> AgencyGroup | None:
        return await self.session.scalar(select(AgencyGroup).where(AgencyGroup.chat_id == chat_id))

    async def groups(self) -> list[AgencyGroup]:
        return list((await self.session.scalars(select(AgencyGroup).order_by(AgencyGroup.agency_key))).all())

    async def remove_group(self, group: AgencyGroup) -> None:
        await self.session.delete(group)
        await self.session.flush()

    # incidents ----------------------------------------------------------------------------------------------
    async def next_seq(self, year: int) -> int:
        """Take the next number of the year. The UPDATE locks the counter row until commit, so concurrent
        submissions queue and numbers stay gapless (a rolled-back incident gives its number back)."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(IncidentCounter).values(year=year, last_seq=0).on_conflict_do_nothing(index_elements=["year"]))
        result = await self.session.execute(
            update(IncidentCounter).where(IncidentCounter.year == year)
            .values(last_seq=IncidentCounter.last_seq + 1).returning(IncidentCounter.last_seq))
        return int(result.scalar_one())

    async def raise_counter(self, year: int, seq: int) -> None:
        """An imported number: later numbers of that year come after it."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        await self.session.execute(
            insert(IncidentCounter).values(year=year, last_seq=0).on_conflict_do_nothing(index_elements=["year"]))
        await self.session.execute(update(IncidentCounter).where(IncidentCounter.year == year,
                                                                 IncidentCounter.last_seq < seq).values(last_seq=seq))

    async def incident(self, incident_id: int) -> Incident | None:
        if not _fits(incident_id):
            return None
        return await self.session.get(Incident, incident_id)

    async def lock_incident(self, incident_id: int) -> Incident | None:
        """Row lock (PostgreSQL) so that concurrent updates about one incident see each other's commits;
        SQLite already serialises writers with BEGIN IMMEDIATE."""
        if not _fits(incident_id):
            return None
        return await self.session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())

    async def touch_incident(self, incident_id: int, now: datetime) -> None:
        await self.session.execute(update(Incident).where(Incident.id == incident_id).values(updated_at=now))

    async def incident_by_source(self, source_key: str) -> Incident | None:
        return await self.session.scalar(select(Incident).where(Incident.source_key == source_key))

    async def existing_numbers(self, numbers: list[str]) -> set[str]:
        return set((await self.session.scalars(select(Incident.number).where(Incident.number.in_(numbers)))).all())

    async def incident_by_number(self, number: str) -> Incident | None:
        return await self.session.scalar(select(Incident).where(Incident.number == number))

    async def latest_incident_by(self, user_id: int, since: datetime) -> Incident | None:
        return await self.session.scalar(
            select(Incident).where(Incident.created_by == user_id, Incident.created_at >= since)
            .order_by(Incident.id.desc()).limit(1))

    async def incidents_created_by(self, user_id: int, since: datetime) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Incident).where(Incident.created_by == user_id,
                                                              Incident.created_at >= since)) or 0)

    async def target(self, incident_id: int, agency_key: str) -> IncidentTarget | None:
        return await self.session.scalar(select(IncidentTarget).where(IncidentTarget.incident_id == incident_id,
                                                                      IncidentTarget.agency_key == agency_key))

    async def posted_message(self, chat_id: int, message_id: int) -> PostedMessage | None:
        return await self.session.scalar(select(PostedMessage).where(PostedMessage.chat_id == chat_id,
                                                                     PostedMessage.message_id == message_id))

    async def waiting_edits(self, incident_id: int, now: datetime) -> set[tuple[int | None, int | None]]:
        """Copies with an edit that is pending and not yet taken by a sender."""
        rows = await self.session.execute(
            select(Delivery.chat_id, Delivery.message_id).where(
                Delivery.incident_id == incident_id, Delivery.kind == dm.DeliveryKind.EDIT,
                Delivery.status == dm.DeliveryStatus.PENDING,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)))
        return {(r[0], r[1]) for r in rows.all()}

    async def unclosed_incidents(self, limit: int = 50) -> list[Incident]:
        return list((await self.session.scalars(
            select(Incident).where(Incident.status != "closed").order_by(Incident.created_at).limit(limit))).all())

    async def targets(self, incident_id: int) -> list[IncidentTarget]:
        return list((await self.session.scalars(
            select(IncidentTarget).where(IncidentTarget.incident_id == incident_id).order_by(IncidentTarget.id)
        )).all())

    async def posted_messages(self, incident_id: int) -> list[PostedMessage]:
        return list((await self.session.scalars(
            select(PostedMessage).where(PostedMessage.incident_id == incident_id).order_by(PostedMessage.id)
        )).all())

    async def incidents_created_between(self, start: datetime, end: datetime) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Incident).where(Incident.created_at >= start,
                                                              Incident.created_at < end)) or 0)

    # follow-ups ---------------------------------------------------------------------------------------------
    async def due_followups(self, now: datetime, limit: int) -> list[tuple[int, int]]:
        rows = await self.session.execute(
            select(Followup.id, Followup.step).where(Followup.status == "pending", Followup.due_at <= now)
            .order_by(Followup.due_at).limit(limit))
        return [(r[0], r[1]) for r in rows.all()]

    async def followup(self, followup_id: int) -> Followup | None:
        return await self.session.get(Followup, followup_id)

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

    async def settle_followups(self, incident_id: int, agency_key: str | None, kinds: tuple[str, ...],
                               now: datetime, status: str = "settled") -> int:
        conditions = [Followup.incident_id == incident_id, Followup.status == "pending", Followup.kind.in_(kinds)]
        if agency_key is not None:
            conditions.append(Followup.agency_key == agency_key)
        result = await self.session.execute(update(Followup).where(*conditions)
                                            .values(status=status, settled_at=now, due_at=None)
                                            .execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def has_followup(self, incident_id: int, agency_key: str, kind: str) -> bool:
        return await self.session.scalar(select(func.count()).select_from(Followup).where(
            Followup.incident_id == incident_id, Followup.agency_key == agency_key, Followup.kind == kind,
            Followup.status == "pending")) > 0

    async def card_waiting(self, incident_id: int, agency_key: str) -> bool:
        """Whether an agency's card of this incident is still to be posted."""
        return await self.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.incident_id == incident_id, Delivery.agency_key == agency_key,
            Delivery.kind == dm.DeliveryKind.CARD, Delivery.status == dm.DeliveryStatus.PENDING)) != 0

    async def posted_for_agency(self, incident_id: int, agency_key: str) -> PostedMessage | None:
        return await self.session.scalar(select(PostedMessage).where(
            PostedMessage.incident_id == incident_id, PostedMessage.agency_key == agency_key)
            .order_by(PostedMessage.id.desc()).limit(1))

    async def claim_run(self, kind: str, period_key: str, now: datetime) -> bool:
        """Insert-if-absent: True for the one process that records this period first."""
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
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

    # drafts -------------------------------------------------------------------------------------------------
    async def open_draft(self, chat_id: int, user_id: int) -> Draft | None:
        return await self.session.scalar(
            select(Draft).where(Draft.chat_id == chat_id, Draft.user_id == user_id, Draft.status == "open")
            .order_by(Draft.id.desc()).limit(1))

    async def draft(self, draft_id: int) -> Draft | None:
        if not _fits(draft_id):
            return None
        return await self.session.get(Draft, draft_id)

    async def set_draft_status(self, draft_id: int, from_status: str, to_status: str, now: datetime,
                               incident_id: int | None = None) -> bool:
        """Conditional update: only one of two racing presses of 'Kirim' gets to submit a draft."""
        values: dict[str, object] = {"status": to_status, "updated_at": now}
        if incident_id is not None:
            values["incident_id"] = incident_id
        result = await self.session.execute(
            update(Draft).where(Draft.id == draft_id, Draft.status == from_status).values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # outbox -------------------------------------------------------------------------------------------------
    async def route_schedule(self, now: datetime) -> tuple[list[tuple[str | None, int | None, datetime]],
                                                           datetime | None]:
        """For every route with pending unleased deliveries, when its earliest one is due (an agency's group is
        one route, whatever chat id its rows carry); and when the first lease held now runs out."""
        free = and_(Delivery.status == dm.DeliveryStatus.PENDING,
                    or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
        rows = (await self.session.execute(
            select(Delivery.agency_key, Delivery.chat_id, func.min(Delivery.next_attempt_at)).where(free)
            .group_by(Delivery.agency_key, Delivery.chat_id))).all()
        routes: dict[tuple[str | None, int | None], datetime] = {}
        for agency_key, chat_id, due in rows:
            key = (agency_key, None) if agency_key is not None else (None, chat_id)
            routes[key] = min(due, routes.get(key, due))
        lease_ends = await self.session.scalar(
            select(func.min(Delivery.lease_until)).where(Delivery.status == dm.DeliveryStatus.PENDING,
                                                         Delivery.lease_until >= now))
        return [(k[0], k[1], due) for k, due in routes.items()], lease_ends

    async def next_due(self, agency_key: str | None, chat_id: int | None, now: datetime) -> Delivery | None:
        return await self.session.scalar(
            select(Delivery).where(_due(now), _route(agency_key, chat_id))
            .order_by(Delivery.priority, Delivery.id).limit(1))

    async def due_cards(self, agency_key: str, now: datetime, limit: int) -> list[Delivery]:
        """New posts waiting for one agency's group, oldest first (a surge is measured by these)."""
        return list((await self.session.scalars(
            select(Delivery).where(_due(now), Delivery.agency_key == agency_key, Delivery.kind == dm.DeliveryKind.CARD)
            .order_by(Delivery.id).limit(limit))).all())

    async def due_notices(self, agency_key: str | None, chat_id: int | None, now: datetime,
                          limit: int) -> list[Delivery]:
        """Ready texts (reminders, escalations, reports) waiting for one route, in the order they would go."""
        return list((await self.session.scalars(
            select(Delivery).where(_due(now), _route(agency_key, chat_id), Delivery.kind == dm.DeliveryKind.NOTICE)
            .order_by(Delivery.priority, Delivery.id).limit(limit))).all())

    async def lease(self, delivery_id: int, now: datetime, until: datetime, holder: str) -> bool:
        result = await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, _due(now))
            .values(lease_until=until, leased_by=holder))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release_leases(self, holder: str) -> int:
        result = await self.session.execute(
            update(Delivery).where(Delivery.leased_by == holder, Delivery.status == dm.DeliveryStatus.PENDING)
            .values(lease_until=None, leased_by=None))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def note_delivery_sent(self, delivery_id: int, chat_id: int, message_id: int) -> None:
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id, Delivery.status == dm.DeliveryStatus.PENDING,
                                   Delivery.message_id.is_(None))
            .values(message_id=message_id, sent_chat_id=chat_id))

    async def accepted_unrecorded(self, holder: str, kinds: tuple[str, ...]) -> list[Delivery]:
        """New posts Telegram accepted (message id noted) whose record a crash of this holder interrupted."""
        return list((await self.session.scalars(
            select(Delivery).where(Delivery.leased_by == holder, Delivery.status == dm.DeliveryStatus.PENDING,
                                   Delivery.kind.in_(kinds), Delivery.message_id.is_not(None))
            .order_by(Delivery.id))).all())

    async def delivery(self, delivery_id: int) -> Delivery | None:
        return await self.session.get(Delivery, delivery_id)

    async def deliveries_for(self, incident_id: int, kind: dm.DeliveryKind) -> list[Delivery]:
        return list((await self.session.scalars(
            select(Delivery).where(Delivery.incident_id == incident_id, Delivery.kind == kind)
            .order_by(Delivery.id))).all())

    async def mark_delivery_reported(self, incident_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Incident).where(Incident.id == incident_id, Incident.delivery_reported_at.is_(None))
            .values(delivery_reported_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def pending_for_chat(self, chat_id: int) -> list[Delivery]:
        return list((await self.session.scalars(
            select(Delivery).where(Delivery.status == dm.DeliveryStatus.PENDING, Delivery.chat_id == chat_id)
        )).all())

    def attempt(self, delivery_id: int, now: datetime, outcome: str, detail: str | None = None) -> None:
        self.session.add(DeliveryAttempt(delivery_id=delivery_id, at=now, outcome=outcome,
                                         detail=(detail or "")[:300] or None))

    def event(self, now: datetime, kind: str, *, incident_id: int | None = None, actor_id: int | None = None,
              actor_name: str | None = None, chat_id: int | None = None, agency_key: str | None = None,
              from_state: str | None = None, to_state: str | None = None,
              detail: dict[str, object] | None = None) -> None:
        self.session.add(Event(at=now, kind=kind, incident_id=incident_id, actor_id=actor_id,
                               actor_name=actor_name, chat_id=chat_id, agency_key=agency_key,
                               from_state=from_state, to_state=to_state, detail=detail))

    async def events_of(self, incident_ids: list[int]) -> list[Event]:
        if not incident_ids:
            return []
        return list((await self.session.scalars(
            select(Event).where(Event.incident_id.in_(incident_ids)).order_by(Event.id))).all())

    async def events(self, incident_id: int) -> list[Event]:
        return list((await self.session.scalars(
            select(Event).where(Event.incident_id == incident_id).order_by(Event.id))).all())

    async def recent_notes(self, incident_id: int, chat_id: int, actor_id: int) -> list[Event]:
        """This person's latest notes and comments on an incident from one chat (to recognise a replayed reply)."""
        return list((await self.session.scalars(
            select(Event).where(Event.incident_id == incident_id, Event.chat_id == chat_id,
                                Event.actor_id == actor_id, Event.kind.in_(("note", "comment")))
            .order_by(Event.id.desc()).limit(20))).all())

    # inbox --------------------------------------------------------------------------------------------------
    async def store_updates(self, payloads: list[dict[str, Any]], holder: str, now: datetime) -> None:
        """Insert each update by its id; one seen before (a redelivery) is ignored."""
        if not payloads:
            return
        insert = pg_insert if self.session.bind.dialect.name == "postgresql" else sqlite_insert
        rows = [{"update_id": int(p["update_id"]), "payload": p, "received_by": holder, "received_at": now,
                 "processed_at": None} for p in payloads]
        await self.session.execute(insert(InboxUpdate).values(rows).on_conflict_do_nothing(
            index_elements=["update_id"]))

    async def unprocessed_updates(self, holder: str, limit: int) -> list[InboxUpdate]:
        return list((await self.session.scalars(
            select(InboxUpdate).where(InboxUpdate.received_by == holder, InboxUpdate.processed_at.is_(None))
            .order_by(InboxUpdate.update_id).limit(limit))).all())

    async def mark_updates_processed(self, update_ids: list[int], now: datetime) -> None:
        await self.session.execute(update(InboxUpdate).where(InboxUpdate.update_id.in_(update_ids))
                                   .values(processed_at=now))

    async def prune_updates(self, before: datetime) -> int:
        result = await self.session.execute(delete(InboxUpdate).where(InboxUpdate.processed_at.is_not(None),
                                                                      InboxUpdate.processed_at < before))
        return int(result.rowcount)  # type: ignore[attr-defined]


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return and_(Delivery.status == dm.DeliveryStatus.PENDING, Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))


def _route(agency_key: str | None, chat_id: int | None):  # type: ignore[no-untyped-def]
    if agency_key is not None:
        return Delivery.agency_key == agency_key
    return and_(Delivery.agency_key.is_(None), Delivery.chat_id == chat_id)


def _fits(row_id: int) -> bool:
    """Ids from callback data or commands may be forged: one past a 32-bit column names no row (and PostgreSQL
    would refuse the query instead of finding nothing)."""
    return 0 < row_id <= dm.MAX_DB_ID
