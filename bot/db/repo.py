"""The repository: every query the services use, in one place (each family in its own module, joined here).
No commits here (the unit of work commits)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, exists, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm
from .board_queries import BoardQueries
from .call_queries import CallQueries
from .dialect import fits
from .feed_queries import FeedQueries
from .inbox_queries import InboxQueries
from .incident_queries import IncidentQueries
from .map_queries import MapQueries
from .mappers import draft_to_domain, group_to_domain, person_to_domain
from .media_queries import MediaQueries
from .models import AgencyGroup, Call, Draft, Incident, Person
from .outbox_queries import OutboxQueries
from .report_queries import ReportQueries
from .rollups import RollupQueries
from .schedule_queries import ScheduleQueries


@functools.cache  # on every report's way: built once
def _replace_open_drafts() -> Any:
    return update(Draft).where(Draft.chat_id == bindparam("in_chat"), Draft.user_id == bindparam("of_user"),
                               Draft.status == "open").values(status="replaced", updated_at=bindparam("now"))


@functools.cache
def _lapor_first_read() -> Any:
    return select(
        select(Person.role).where(Person.telegram_id == bindparam("user_id")).scalar_subquery(),
        select(Incident.number).where(Incident.source_key == bindparam("source_key")).scalar_subquery(),
        select(func.count()).select_from(Incident).where(Incident.created_by == bindparam("user_id"),
                                                         Incident.created_at >= bindparam("since")).scalar_subquery(),
        exists().where(Call.chat_id == bindparam("in_chat"), Call.created_by == bindparam("user_id"),
                       Call.details_open == true()),
        exists().where(Draft.chat_id == bindparam("in_chat"), Draft.user_id == bindparam("user_id"),
                       Draft.status == "open"))


class LaporFirstRead(NamedTuple):
    role: str | None  # the person's stored role (None: not registered)
    existing: str | None  # the number of the incident this message already made
    recent: int  # incidents this person filed since the given moment
    call_open: bool  # a call of theirs here waits for its phone or note
    draft_open: bool  # they have an open draft here


@functools.cache
def _groups() -> Any:
    return select(AgencyGroup).order_by(AgencyGroup.agency_key)


class Repository(CallQueries, IncidentQueries, ScheduleQueries, OutboxQueries, InboxQueries, ReportQueries,
                 MapQueries, FeedQueries, MediaQueries, BoardQueries, RollupQueries):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._batched = {}
        # People read in this unit of work, held: the session's identity map keeps a row only while someone
        # refers to it, and a use case asks who someone is more than once (the gate, then the SOP override).
        self._people: dict[int, Person] = {}

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()
        await self.insert_batched()

    async def refresh(self, row: object) -> None:
        """Read a loaded row again (after taking a lock, to see what others committed meanwhile)."""
        await self.session.refresh(row)

    # people -------------------------------------------------------------------------------------------------
    async def lapor_first_read(self, user_id: int, chat_id: int, source_key: str, since: datetime) -> LaporFirstRead:
        """What a /lapor needs to know before it writes, in one round trip: who is filing, whether this message
        made a report already, how many this person filed since `since`, and what of theirs here it closes."""
        row = (await self.session.execute(_lapor_first_read(), {
            "user_id": user_id, "in_chat": chat_id, "source_key": source_key, "since": since})).one()
        return LaporFirstRead(row[0], row[1], int(row[2] or 0), bool(row[3]), bool(row[4]))

    async def person(self, telegram_id: int) -> dm.Person | None:
        row = await self.session.get(Person, telegram_id)
        if row is not None:
            self._people[telegram_id] = row
        return person_to_domain(row) if row is not None else None

    async def people(self) -> list[dm.Person]:
        rows = await self.session.scalars(select(Person).order_by(Person.role, Person.name))
        return [person_to_domain(row) for row in rows.all()]

    async def save_person(self, telegram_id: int, name: str, role: str, agency_key: str | None,
                          now: datetime) -> dm.Person:
        """Register someone, or change their name, role and agency."""
        row = await self.session.get(Person, telegram_id)
        if row is None:
            row = Person(telegram_id=telegram_id, created_at=now)
            self.session.add(row)
        row.name, row.role, row.agency_key, row.updated_at = name, role, agency_key, now
        return person_to_domain(row)

    async def remove_person(self, telegram_id: int) -> bool:
        self._people.pop(telegram_id, None)
        result = await self.session.execute(delete(Person).where(Person.telegram_id == telegram_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def people_with_role(self, roles: set[str]) -> list[dm.Person]:
        rows = await self.session.scalars(select(Person).where(Person.role.in_(roles)))
        return [person_to_domain(row) for row in rows.all()]

    # groups -------------------------------------------------------------------------------------------------
    async def group_by_key(self, key: str) -> dm.AgencyGroup | None:
        row = await self.session.scalar(select(AgencyGroup).where(AgencyGroup.agency_key == key))
        return group_to_domain(row) if row is not None else None

    async def group_by_chat(self, chat_id: int, thread_id: int | None = None) -> dm.AgencyGroup | None:
        """The agency a message here speaks for: the one bound to its topic, else the one bound to the whole
        group (a message outside any bound topic of a shared supergroup speaks for none)."""
        rows = (await self.session.scalars(select(AgencyGroup).where(
            AgencyGroup.chat_id == chat_id, AgencyGroup.thread_id.in_({thread_id or 0, 0})))).all()
        row = next((r for r in rows if r.thread_id == (thread_id or 0)), None) or next(iter(rows), None)
        return group_to_domain(row) if row is not None else None

    async def group_at(self, chat_id: int, thread_id: int | None) -> dm.AgencyGroup | None:
        """The binding of exactly this place (the whole group when `thread_id` is None)."""
        row = await self.session.scalar(select(AgencyGroup).where(AgencyGroup.chat_id == chat_id,
                                                                  AgencyGroup.thread_id == (thread_id or 0)))
        return group_to_domain(row) if row is not None else None

    async def groups_in_chat(self, chat_id: int) -> list[dm.AgencyGroup]:
        rows = await self.session.scalars(select(AgencyGroup).where(AgencyGroup.chat_id == chat_id)
                                          .order_by(AgencyGroup.thread_id))
        return [group_to_domain(row) for row in rows.all()]

    async def groups(self) -> list[dm.AgencyGroup]:
        rows = await self.session.scalars(_groups())
        return [group_to_domain(row) for row in rows.all()]

    async def add_group(self, key: str, chat_id: int, title: str | None, now: datetime,
                        thread_id: int | None = None) -> None:
        self.session.add(AgencyGroup(agency_key=key, chat_id=chat_id, thread_id=thread_id or 0, title=title,
                                     status=dm.GroupStatus.OK, created_at=now, updated_at=now))

    async def remove_group(self, key: str) -> None:
        await self.session.execute(delete(AgencyGroup).where(AgencyGroup.agency_key == key))
        await self.session.flush()

    async def set_group_status(self, key: str, status: dm.GroupStatus, reason: str | None, now: datetime) -> None:
        await self.session.execute(update(AgencyGroup).where(AgencyGroup.agency_key == key).values(
            status=status, status_reason=reason, status_changed_at=now))

    async def retitle_group(self, key: str, title: str | None, now: datetime) -> None:
        """The same group bound again: its title as it is now, and reachable."""
        await self.session.execute(update(AgencyGroup).where(AgencyGroup.agency_key == key).values(
            title=title, status=dm.GroupStatus.OK, status_reason=None, updated_at=now))

    async def rekey_group(self, key: str, new_chat: int, now: datetime) -> None:
        """The group became a supergroup: same agency, new chat id."""
        await self.session.execute(update(AgencyGroup).where(AgencyGroup.agency_key == key).values(
            chat_id=new_chat, updated_at=now))

    # drafts -------------------------------------------------------------------------------------------------
    async def open_draft(self, chat_id: int, user_id: int) -> dm.Draft | None:
        row = await self.session.scalar(
            select(Draft).where(Draft.chat_id == chat_id, Draft.user_id == user_id, Draft.status == "open")
            .order_by(Draft.id.desc()).limit(1))
        return draft_to_domain(row) if row is not None else None

    async def replace_open_drafts(self, chat_id: int, user_id: int, now: datetime) -> None:
        """A new report here: the person's open draft (if any) is replaced, in one statement."""
        await self.session.execute(_replace_open_drafts(), {"in_chat": chat_id, "of_user": user_id, "now": now})

    async def draft(self, draft_id: int) -> dm.Draft | None:
        if not fits(draft_id):
            return None
        row = await self.session.get(Draft, draft_id)
        return draft_to_domain(row) if row is not None else None

    async def add_draft(self, chat_id: int, user_id: int, fields: dict[str, str], step: str | None,
                        now: datetime) -> dm.Draft:
        row = Draft(chat_id=chat_id, user_id=user_id, status="open", fields=fields, step=step, created_at=now,
                    updated_at=now)
        self.session.add(row)
        await self.session.flush()
        return draft_to_domain(row)

    async def update_draft(self, draft_id: int, **values: object) -> None:
        """Change a draft's columns (fields, step, status, last_message_id, incident_id, updated_at)."""
        await self.session.execute(update(Draft).where(Draft.id == draft_id).values(**values))

    async def set_draft_status(self, draft_id: int, from_status: str, to_status: str, now: datetime,
                               incident_id: int | None = None) -> bool:
        """Conditional update: only one of two racing presses of 'Kirim' gets to submit a draft."""
        values: dict[str, object] = {"status": to_status, "updated_at": now}
        if incident_id is not None:
            values["incident_id"] = incident_id
        result = await self.session.execute(
            update(Draft).where(Draft.id == draft_id, Draft.status == from_status).values(**values))
        return bool(result.rowcount)  # type: ignore[attr-defined]
