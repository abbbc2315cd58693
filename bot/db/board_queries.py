"""Queries of the live boards: which groups have one, the board rows waiting, what a board shows."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import model as dm
from ..domain.lifecycle import TargetStatus
from .map_queries import UNCLOSED  # through the status index (no index answers !=)
from .mappers import DOMAIN_COLUMNS, incident_of
from .models import AgencyGroup, Board, Delivery, Incident, IncidentTarget

UNRANKED = 99  # a priority the rules do not rank goes last


class BoardQueries:
    session: AsyncSession

    async def board_keys(self) -> list[tuple[str, datetime | None]]:
        """Every bound group with a board, and when its board was last sent (an unreachable group gets none until
        it is reachable again: its next change brings the board up to date)."""
        rows = await self.session.execute(_board_keys())
        return [(str(k), at) for k, at in rows.all()]

    async def board(self, agency_key: str) -> Board | None:
        return await self.session.get(Board, agency_key)

    async def keep_boards(self, keys: list[str], now: datetime) -> None:
        """The groups with a board are exactly `keys` (BOARD_GROUPS): new ones are added, others forgotten."""
        await self.session.execute(delete(Board).where(Board.agency_key.not_in(keys)))
        have = set((await self.session.scalars(select(Board.agency_key))).all())
        for key in keys:
            if key not in have:
                self.session.add(Board(agency_key=key, created_at=now))

    async def waiting_boards(self, now: datetime) -> set[str]:
        """Groups with a board row pending and not taken by a sender."""
        rows = await self.session.scalars(select(Delivery.agency_key).where(*_waiting(now)))
        return {str(k) for k in rows.all() if k is not None}

    async def claim_waiting_boards(self, agency_keys: list[str], now: datetime) -> set[str]:
        """Make the groups' waiting board rows show this change too (and no longer a mere tick): one UPDATE, so
        that the rows stay locked until this transaction commits — a sender passes them over meanwhile (SKIP
        LOCKED) and renders the committed change after. They are locked in group order (FOR UPDATE in an ordered
        subquery), as every transaction takes them: two never wait for each other. The groups whose row was
        claimed; the others need a new row (none waits, or a sender took it first)."""
        if not agency_keys:
            return set()
        result = await self.session.execute(_claim_waiting_boards(), {"now": now, "keys": agency_keys})
        return {str(k) for k in result.scalars().all() if k is not None}

    async def board_sent(self, agency_key: str, chat_id: int, message_id: int, pinned: bool | None,
                         now: datetime, thread_id: int | None = None) -> bool:
        """Record a board send; True when it was a new message (posted or re-posted), not an edit."""
        board = await self.session.get(Board, agency_key)
        if board is None:
            return False
        new = board.message_id != message_id or board.chat_id != chat_id
        if new:
            board.chat_id, board.message_id, board.posted_at, board.pinned = chat_id, message_id, now, pinned
            board.thread_id = thread_id
        elif pinned is not None:
            board.pinned = pinned
        board.updated_at = now
        return new

    async def posted_after(self, chat_id: int, message_id: int) -> bool:
        """Whether the bot has posted in this chat since `message_id` (the board is no longer at the bottom)."""
        return bool(await self.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == dm.DeliveryStatus.SENT, Delivery.sent_chat_id == chat_id,
            Delivery.message_id > message_id, Delivery.kind != dm.DeliveryKind.BOARD)))

    async def open_incidents(self, limit: int, ranks: Mapping[str, int]) -> tuple[list[dm.Incident], Counter[str]]:
        """The `limit` most urgent open reports (priority rank, then the oldest first) and, per priority, how many
        more are open: the key columns of every open row are read (cheap), the columns the domain needs of the
        first only, as plain rows (a board is rendered often: no ORM objects to build)."""
        keys = sorted((await self.session.execute(select(Incident.id, Incident.priority, Incident.created_at)
                                                  .where(Incident.status.in_(UNCLOSED)))).all(),
                      key=lambda k: (ranks.get(k.priority, UNRANKED), k.created_at, k.id))
        first = [k.id for k in keys[:limit]]
        rows = {r[0]: r for r in (await self.session.execute(_incident_rows(), {"ids": first})).all()} if first else {}
        return [incident_of(rows[i]) for i in first if i in rows], Counter(k.priority for k in keys[limit:])

    async def waiting_targets(self, incident_ids: list[int]) -> list[tuple[int, str]]:
        """(incident id, agency key) of the agencies that have not acted on these reports yet, in the order they
        were added."""
        if not incident_ids:
            return []
        rows = await self.session.execute(_waiting_targets(), {"ids": incident_ids})
        return [(r[0], r[1]) for r in rows.all()]

    async def count_open(self) -> int:
        return int(await self.session.scalar(
            select(func.count()).select_from(Incident).where(Incident.status.in_(UNCLOSED))) or 0)

    async def day_counts(self, start: datetime, end: datetime) -> tuple[int, int]:
        """Reports received and reports closed between start and end."""
        new = await self.session.scalar(select(func.count()).select_from(Incident).where(
            and_(Incident.created_at >= start, Incident.created_at < end)))
        closed = await self.session.scalar(select(func.count()).select_from(Incident).where(
            and_(Incident.closed_at >= start, Incident.closed_at < end)))
        return int(new or 0), int(closed or 0)


@functools.cache
def _incident_rows() -> Any:
    return select(*(getattr(Incident, name) for name in DOMAIN_COLUMNS)).where(
        Incident.id.in_(bindparam("ids", expanding=True)))


@functools.cache
def _waiting_targets() -> Any:
    return (select(IncidentTarget.incident_id, IncidentTarget.agency_key)
            .where(IncidentTarget.incident_id.in_(bindparam("ids", expanding=True)),
                   IncidentTarget.status == TargetStatus.PENDING).order_by(IncidentTarget.id))


@functools.cache  # on every report's way: built once
def _board_keys() -> Any:
    return (select(Board.agency_key, Board.updated_at).join(AgencyGroup, AgencyGroup.agency_key == Board.agency_key)
            .where(AgencyGroup.status != dm.GroupStatus.UNREACHABLE).order_by(Board.agency_key))


@functools.cache
def _claim_waiting_boards() -> Any:
    now: Any = bindparam("now")
    rows = (select(Delivery.id).where(*_waiting(now), Delivery.agency_key.in_(bindparam("keys", expanding=True)))
            .order_by(Delivery.agency_key, Delivery.id).with_for_update())
    return (update(Delivery).where(Delivery.id.in_(rows), *_waiting(now)).values(text=None)
            .returning(Delivery.agency_key).execution_options(synchronize_session=False))


def _waiting(now: datetime):  # type: ignore[no-untyped-def]
    return (Delivery.kind == dm.DeliveryKind.BOARD, Delivery.status == dm.DeliveryStatus.PENDING,
            or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
