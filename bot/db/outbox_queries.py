"""Queries of the outbox: routes with due rows, leases, outcomes, and the copies waiting for an edit."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm
from .models import Delivery, DeliveryAttempt, Incident


class OutboxQueries:
    session: AsyncSession

    async def waiting_edits(self, incident_id: int, now: datetime) -> set[tuple[int | None, int | None]]:
        """Copies with an edit that is pending and not yet taken by a sender."""
        rows = await self.session.execute(
            select(Delivery.chat_id, Delivery.message_id).where(
                Delivery.incident_id == incident_id, Delivery.kind == dm.DeliveryKind.EDIT,
                Delivery.status == dm.DeliveryStatus.PENDING,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now)))
        return {(r[0], r[1]) for r in rows.all()}

    async def card_waiting(self, incident_id: int, agency_key: str) -> bool:
        """Whether an agency's card of this incident is still to be posted."""
        return await self.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.incident_id == incident_id, Delivery.agency_key == agency_key,
            Delivery.kind == dm.DeliveryKind.CARD, Delivery.status == dm.DeliveryStatus.PENDING)) != 0

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

    async def next_due(self, agency_key: str | None, chat_id: int | None, now: datetime,
                       passed: Collection[int] = ()) -> Delivery | None:
        """The most urgent due delivery of a route; `passed`: rows this claim could not lease (another transaction
        is changing them), not offered again."""
        query = select(Delivery).where(_due(now), _route(agency_key, chat_id))
        if passed:
            query = query.where(Delivery.id.not_in(list(passed)))
        return await self.session.scalar(query.order_by(Delivery.priority, Delivery.id).limit(1))

    async def due_cards(self, agency_key: str, now: datetime, limit: int) -> list[Delivery]:
        """New posts waiting for one agency's group, oldest first (a surge is measured by these)."""
        return list((await self.session.scalars(
            select(Delivery).where(_due(now), Delivery.agency_key == agency_key, Delivery.kind == dm.DeliveryKind.CARD)
            .order_by(Delivery.id).limit(limit))).all())

    async def due_cards_of(self, agency_keys: list[str], now: datetime, limit: int) -> dict[str, list[Delivery]]:
        """due_cards() of several agencies' groups in one query: the oldest `limit` of each."""
        rank = func.row_number().over(partition_by=Delivery.agency_key, order_by=Delivery.id).label("rank")
        ranked = (select(Delivery.id, rank).where(_due(now), Delivery.agency_key.in_(agency_keys),
                                                  Delivery.kind == dm.DeliveryKind.CARD).subquery())
        rows = await self.session.scalars(
            select(Delivery).join(ranked, ranked.c.id == Delivery.id).where(ranked.c.rank <= limit)
            .order_by(Delivery.id))
        out: dict[str, list[Delivery]] = {}
        for row in rows.all():
            out.setdefault(row.agency_key or "", []).append(row)
        return out

    async def routes_with_due(self, agency_keys: list[str], chat_ids: list[int],
                              now: datetime) -> set[tuple[str | None, int | None]]:
        """Of these routes (agencies' groups, and chats addressed directly), those with a delivery due now: (agency
        key, None) or (None, chat id)."""
        if not agency_keys and not chat_ids:
            return set()
        rows = await self.session.execute(select(Delivery.agency_key, Delivery.chat_id).where(_due(now), or_(
            Delivery.agency_key.in_(agency_keys),
            and_(Delivery.agency_key.is_(None), Delivery.chat_id.in_(chat_ids)))).distinct())
        return {(k, None) if k is not None else (None, c) for k, c in rows.all()}

    async def due_notices(self, agency_key: str | None, chat_id: int | None, now: datetime,
                          limit: int) -> list[Delivery]:
        """Ready texts (reminders, escalations, reports) waiting for one route, in the order they would go."""
        return list((await self.session.scalars(
            select(Delivery).where(_due(now), _route(agency_key, chat_id), Delivery.kind == dm.DeliveryKind.NOTICE)
            .order_by(Delivery.priority, Delivery.id).limit(limit))).all())

    async def lease(self, delivery_id: int, now: datetime, until: datetime, holder: str) -> bool:
        return bool(await self.lease_all([delivery_id], now, until, holder))

    async def lease_all(self, delivery_ids: list[int], now: datetime, until: datetime, holder: str) -> set[int]:
        """Lease several due rows in one conditional UPDATE (two instances never both win): the ids this holder
        won. A row another transaction is changing now is passed over, not waited for (SKIP LOCKED on
        PostgreSQL; SQLite has one writer at a time): a sender never waits while holding rows it leased, so it
        is never one side of a deadlock with a handler changing that row's incident or board — the row is due
        again once that change is committed, and shows it."""
        if not delivery_ids:
            return set()
        free = select(Delivery.id).where(Delivery.id.in_(delivery_ids), _due(now)).with_for_update(skip_locked=True)
        result = await self.session.execute(
            update(Delivery).where(Delivery.id.in_(free), _due(now))
            .values(lease_until=until, leased_by=holder).returning(Delivery.id)
            .execution_options(synchronize_session="fetch"))  # rows loaded in this session show the lease
        return set(result.scalars().all())

    async def sent_since(self, since: datetime) -> list[tuple[str | None, int, datetime]]:
        """(agency, chat, when) of every post and edit that went out since `since` (through the sent_at index)."""
        rows = await self.session.execute(
            select(Delivery.agency_key, Delivery.sent_chat_id, Delivery.sent_at).where(
                Delivery.sent_at >= since, Delivery.status == dm.DeliveryStatus.SENT,
                Delivery.sent_chat_id.is_not(None)).order_by(Delivery.sent_at))
        return [(key, int(chat), at) for key, chat, at in rows.all() if chat is not None and at is not None]

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

    async def incidents_of_deliveries(self, delivery_ids: list[int]) -> list[int]:
        """The incidents these deliveries are about, in id order."""
        if not delivery_ids:
            return []
        rows = await self.session.scalars(select(Delivery.incident_id).where(
            Delivery.id.in_(delivery_ids), Delivery.incident_id.is_not(None)).distinct())
        return sorted(int(i) for i in rows.all() if i is not None)

    async def deliveries_by_ids(self, delivery_ids: list[int]) -> dict[int, Delivery]:
        """These deliveries as the database holds them now (rows already loaded are read again)."""
        if not delivery_ids:
            return {}
        rows = await self.session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids))
                                          .execution_options(populate_existing=True))
        return {row.id: row for row in rows.all()}

    async def deliveries_for(self, incident_id: int, kind: dm.DeliveryKind) -> list[Delivery]:
        return list((await self.session.scalars(
            select(Delivery).where(Delivery.incident_id == incident_id, Delivery.kind == kind)
            .order_by(Delivery.id))).all())

    async def mark_delivery_reported(self, incident_id: int, now: datetime) -> bool:
        result = await self.session.execute(
            update(Incident).where(Incident.id == incident_id, Incident.delivery_reported_at.is_(None))
            .values(delivery_reported_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def incidents_of_sent(self, chat_id: int, message_id: int) -> set[int]:
        """The incidents a message the bot sent is about: one for a reminder, an escalation or a digest of one
        incident; several for a digest of several; none for anything else."""
        return {i for i in (await self.session.scalars(select(Delivery.incident_id).where(
            Delivery.sent_chat_id == chat_id, Delivery.message_id == message_id,
            Delivery.status == dm.DeliveryStatus.SENT, Delivery.incident_id.is_not(None)))).all() if i is not None}

    async def due_now_for_agencies(self, agency_keys: list[str], now: datetime) -> int:
        """Posts held for these agencies' groups (tried, waiting, not leased; not their boards, which keep their
        own pace) are due now."""
        result = await self.session.execute(
            update(Delivery).where(Delivery.status == dm.DeliveryStatus.PENDING,
                                   Delivery.agency_key.in_(agency_keys), Delivery.next_attempt_at > now,
                                   Delivery.attempts > 0, Delivery.lease_until.is_(None),
                                   Delivery.kind != dm.DeliveryKind.BOARD)
            .values(next_attempt_at=now).execution_options(synchronize_session=False))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def pending_for_chat(self, chat_id: int) -> list[Delivery]:
        return list((await self.session.scalars(
            select(Delivery).where(Delivery.status == dm.DeliveryStatus.PENDING, Delivery.chat_id == chat_id)
        )).all())

    def attempt(self, delivery_id: int, now: datetime, outcome: str, detail: str | None = None) -> None:
        self.session.add(DeliveryAttempt(delivery_id=delivery_id, at=now, outcome=outcome,
                                         detail=(detail or "")[:300] or None))


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return and_(Delivery.status == dm.DeliveryStatus.PENDING, Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))


def _route(agency_key: str | None, chat_id: int | None):  # type: ignore[no-untyped-def]
    if agency_key is not None:
        return Delivery.agency_key == agency_key
    return and_(Delivery.agency_key.is_(None), Delivery.chat_id == chat_id)
