"""Queries of the call log: record a call once per source, a number's history, repeat nuisance numbers, the
retention of phones, and the counts the statistics put beside the reports'."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.calls import PastCall
from ..domain.exchange_formats import CallRecord
from .models import Call, Incident


@functools.cache  # on every report's way: built once
def _close_call_details() -> Any:
    return update(Call).where(Call.chat_id == bindparam("in_chat"), Call.created_by == bindparam("actor_id"),
                              Call.details_open == true()).values(details_open=False)


class CallQueries:
    session: AsyncSession

    async def call_by_source(self, source_key: str) -> Call | None:
        return await self.session.scalar(select(Call).where(Call.source_key == source_key))

    def add_call(self, source_key: str, kind: str, phone: str | None, note: str | None, called_at: datetime,
                 chat_id: int, actor_id: int, actor_name: str, now: datetime, incident_id: int | None = None,
                 details_open: bool = False) -> Call:
        row = Call(source_key=source_key, kind=kind, phone=phone, note=note, called_at=called_at,
                   incident_id=incident_id, chat_id=chat_id, created_by=actor_id, created_by_name=actor_name,
                   created_at=now, updated_at=now, details_open=details_open)
        self.session.add(row)
        return row

    async def open_call_of(self, chat_id: int, actor_id: int, since: datetime) -> Call | None:
        """This person's latest call here still waiting for a phone or note."""
        return await self.session.scalar(select(Call).where(
            Call.chat_id == chat_id, Call.created_by == actor_id, Call.details_open == true(),
            Call.updated_at >= since).order_by(Call.id.desc()).limit(1))

    async def close_call_details(self, chat_id: int, actor_id: int) -> None:
        """This person moved on here (a report started): no call of theirs waits for a phone or note any more."""
        await self.session.execute(_close_call_details(), {"in_chat": chat_id, "actor_id": actor_id})

    async def kinds_of_phone(self, phone: str, since: datetime, until: datetime,
                             exclude_id: int | None = None) -> list[tuple[str, int, datetime]]:
        """(kind, how many, the latest) of a number's calls between `since` and `until`: counted here, not read."""
        query = (select(Call.kind, func.count(), func.max(Call.called_at))
                 .where(Call.phone == phone, Call.called_at >= since, Call.called_at <= until).group_by(Call.kind))
        if exclude_id is not None:
            query = query.where(Call.id != exclude_id)
        return [(r[0], int(r[1]), r[2]) for r in (await self.session.execute(query)).all()]

    async def calls_of_phone(self, phone: str, since: datetime, exclude_id: int | None = None) -> list[PastCall]:
        query = (select(Call.called_at, Call.kind, Call.note, Incident.number)
                 .outerjoin(Incident, Incident.id == Call.incident_id)
                 .where(Call.phone == phone, Call.called_at >= since).order_by(Call.called_at.desc()).limit(200))
        if exclude_id is not None:
            query = query.where(Call.id != exclude_id)
        rows = await self.session.execute(query)
        return [PastCall(r[0], r[1], r[2], r[3]) for r in rows.all()]

    async def nuisance_numbers(self, kinds: list[str], start: datetime,
                               end: datetime) -> list[tuple[str, int, datetime]]:
        rows = await self.session.execute(
            select(Call.phone, func.count(), func.max(Call.called_at))
            .where(Call.kind.in_(kinds), Call.phone.is_not(None), Call.called_at >= start, Call.called_at < end)
            .group_by(Call.phone))
        return [(str(r[0]), int(r[1]), r[2] if r[2].tzinfo else r[2].replace(tzinfo=start.tzinfo))
                for r in rows.all()]

    async def forget_phones(self, before: datetime, now: datetime) -> int:
        result = await self.session.execute(
            update(Call).where(Call.phone.is_not(None), Call.called_at < before)
            .values(phone=None, phone_removed_at=now).execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def count_calls_by_kind(self, start: datetime, end: datetime) -> dict[str, int]:
        rows = await self.session.execute(
            select(Call.kind, func.count()).where(Call.called_at >= start, Call.called_at < end)
            .group_by(Call.kind))
        return {r[0]: int(r[1]) for r in rows.all()}

    async def call_to_report(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """(call came in, report filed) of the reports filed in the period."""
        rows = await self.session.execute(
            select(Call.called_at, Incident.created_at).join(Incident, Incident.id == Call.incident_id)
            .where(Incident.created_at >= start, Incident.created_at < end))
        return [(r[0], r[1]) for r in rows.all()]

    async def called_at_of(self, incident_ids: list[int]) -> dict[int, datetime]:
        if not incident_ids:
            return {}
        rows = await self.session.execute(
            select(Call.incident_id, Call.called_at).where(Call.incident_id.in_(incident_ids)))
        return {int(r[0] or 0): r[1] for r in rows.all()}

    async def calls_between(self, start: datetime, end: datetime) -> list[CallRecord]:
        rows = await self.session.execute(
            select(Call.called_at, Call.kind, Call.phone, Call.note, Incident.number, Call.created_by_name)
            .outerjoin(Incident, Incident.id == Call.incident_id)
            .where(Call.called_at >= start, Call.called_at < end).order_by(Call.called_at, Call.id))
        return [CallRecord(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows.all()]
