"""Queries of the inbox: updates stored before they are handled, replayed after a crash."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .dialect import insert_for
from .models import InboxUpdate


class InboxQueries:
    session: AsyncSession

    async def store_updates(self, payloads: list[dict[str, Any]], holder: str, now: datetime) -> set[int]:
        """Insert each update by its id; one seen before (a redelivery) is ignored. The ids inserted now."""
        if not payloads:
            return set()
        insert = insert_for(self.session)
        rows = [{"update_id": int(p["update_id"]), "payload": p, "received_by": holder, "received_at": now,
                 "processed_at": None} for p in payloads]
        result = await self.session.execute(insert(InboxUpdate).values(rows).on_conflict_do_nothing(
            index_elements=["update_id"]).returning(InboxUpdate.update_id))
        return {int(i) for i in result.scalars().all()}

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
