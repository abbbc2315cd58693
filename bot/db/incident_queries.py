"""Queries about incidents: numbering, the rows, their agencies, posted copies and the event log."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .batched import BatchedInserts
from .dialect import fits, insert_for, insert_of
from .map_queries import UNCLOSED
from .models import (
    Event,
    Incident,
    IncidentCounter,
    IncidentTarget,
    PostedMessage,
)


@functools.cache  # the statements on every report's way, built once (building the clauses costs more than running them)
def _next_seq(dialect: str) -> Any:
    statement = insert_of(dialect)(IncidentCounter).values(
        year=bindparam("year"), last_seq=1)
    return statement.on_conflict_do_update(  # one upsert: the year's first number, or the next one
        index_elements=["year"], set_={"last_seq": IncidentCounter.last_seq + 1}).returning(IncidentCounter.last_seq)


class IncidentQueries(BatchedInserts):
    session: AsyncSession

    async def next_seq(self, year: int) -> int:
        """Take the next number of the year. The UPDATE locks the counter row until commit, so concurrent
        submissions queue and numbers stay gapless (a rolled-back incident gives its number back)."""
        assert self.session.bind is not None
        result = await self.session.execute(_next_seq(self.session.bind.dialect.name), {"year": year})
        return int(result.scalar_one())

    async def lock_counter(self, year: int) -> int:
        """The year's last number (the counter made at 0 if missing), its row locked until commit like
        `next_seq`'s: an import numbers its rows itself, then raises the counter once."""
        insert = insert_for(self.session)
        await self.session.execute(
            insert(IncidentCounter).values(year=year, last_seq=0).on_conflict_do_nothing(index_elements=["year"]))
        result = await self.session.execute(
            update(IncidentCounter).where(IncidentCounter.year == year)
            .values(last_seq=IncidentCounter.last_seq).returning(IncidentCounter.last_seq))
        return int(result.scalar_one())

    async def raise_counter(self, year: int, seq: int) -> None:
        """An imported number: later numbers of that year come after it."""
        insert = insert_for(self.session)
        await self.session.execute(
            insert(IncidentCounter).values(year=year, last_seq=0).on_conflict_do_nothing(index_elements=["year"]))
        await self.session.execute(update(IncidentCounter).where(IncidentCounter.year == year,
                                                                 IncidentCounter.last_seq < seq).values(last_seq=seq))

    async def incident(self, incident_id: int) -> Incident | None:
        if not fits(incident_id):
            return None
        return await self.session.get(Incident, incident_id)

    async def lock_incident(self, incident_id: int) -> Incident | None:
        """Row lock (PostgreSQL) so that concurrent updates about one incident see each other's commits;
        SQLite already serialises writers with BEGIN IMMEDIATE."""
        if not fits(incident_id):
            return None
        return await self.session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())

    async def touch_incident(self, incident_id: int, now: datetime) -> None:
        await self.session.execute(update(Incident).where(Incident.id == incident_id)
                                   .values(updated_at=now, version=Incident.version + 1))

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

    def add_target(self, incident_id: int, agency_key: str, created_at: datetime,
                   status: str = "pending") -> None:
        """An agency the incident is sent to (status: a TargetStatus)."""
        self.session.add(IncidentTarget(incident_id=incident_id, agency_key=agency_key, created_at=created_at,
                                        status=status))

    def add_new_target(self, incident_id: int, agency_key: str, created_at: datetime) -> None:
        """add_target() for an incident made in this transaction (inserted with its others at the next flush)."""
        self.add_batched(IncidentTarget, dict(incident_id=incident_id, agency_key=agency_key, created_at=created_at,
                                              status="pending"))

    async def target(self, incident_id: int, agency_key: str) -> IncidentTarget | None:
        return await self.session.scalar(select(IncidentTarget).where(IncidentTarget.incident_id == incident_id,
                                                                      IncidentTarget.agency_key == agency_key))

    async def targets(self, incident_id: int) -> list[IncidentTarget]:
        return list((await self.session.scalars(
            select(IncidentTarget).where(IncidentTarget.incident_id == incident_id).order_by(IncidentTarget.id)
        )).all())

    async def add_posted(self, incident_id: int, agency_key: str, chat_id: int, message_id: int,
                         now: datetime) -> None:
        """Record a copy of a card in a group: from now on every change re-renders it. Once: a press or a reply on a
        copy whose send was not yet recorded adopts it first (lifecycle.adopt_copy), and the record that follows
        (or runs at the same time, in another transaction) must not fail on it — a failing record would leave the
        delivery leased and its group's queue waiting behind it."""
        await self.session.flush()
        await self.session.execute(insert_for(self.session)(PostedMessage).values(
            incident_id=incident_id, agency_key=agency_key, chat_id=chat_id, message_id=message_id,
            created_at=now).on_conflict_do_nothing(index_elements=["chat_id", "message_id"]))

    async def posted_message(self, chat_id: int, message_id: int) -> PostedMessage | None:
        return await self.session.scalar(select(PostedMessage).where(PostedMessage.chat_id == chat_id,
                                                                     PostedMessage.message_id == message_id))

    async def posted_messages(self, incident_id: int) -> list[PostedMessage]:
        return list((await self.session.scalars(
            select(PostedMessage).where(PostedMessage.incident_id == incident_id).order_by(PostedMessage.id)
        )).all())

    async def posted_for_agency(self, incident_id: int, agency_key: str) -> PostedMessage | None:
        return await self.session.scalar(select(PostedMessage).where(
            PostedMessage.incident_id == incident_id, PostedMessage.agency_key == agency_key)
            .order_by(PostedMessage.id.desc()).limit(1))

    async def unclosed_incidents(self, limit: int = 50) -> list[Incident]:
        return list((await self.session.scalars(
            select(Incident).where(Incident.status.in_(UNCLOSED))  # IN, not !=: read through the status index
            .order_by(Incident.created_at).limit(limit))).all())

    async def incidents_created_between(self, start: datetime, end: datetime) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Incident).where(Incident.created_at >= start,
                                                              Incident.created_at < end)) or 0)

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

    async def latest_event(self, incident_id: int, kind: str) -> Event | None:
        return await self.session.scalar(select(Event).where(Event.incident_id == incident_id, Event.kind == kind)
                                         .order_by(Event.id.desc()).limit(1))

    async def recent_notes(self, incident_id: int, chat_id: int, actor_id: int) -> list[Event]:
        """This person's latest notes and comments on an incident from one chat (to recognise a replayed reply)."""
        return list((await self.session.scalars(
            select(Event).where(Event.incident_id == incident_id, Event.chat_id == chat_id,
                                Event.actor_id == actor_id, Event.kind.in_(("note", "comment")))
            .order_by(Event.id.desc()).limit(20))).all())
