"""The inbox (STYLE.md practice 16): what comes in is stored before it is acknowledged, as what goes out is stored
before it is sent. Updates are kept by Telegram's update id, processed in that order, marked when their handlers
finished, and pruned after a while. Rows left unprocessed by a crash are processed again at start-up, so every
handler must be idempotent (a replayed /lapor finds its incident by message, a replayed reply its note)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .context import Services

RETENTION = timedelta(days=2)  # longer than Telegram keeps an unconfirmed update (24 h)


@dataclass(frozen=True)
class Stored:
    update_id: int
    payload: dict[str, Any]


async def store(services: Services, payloads: list[dict[str, Any]], holder: str, now: datetime) -> list[Stored]:
    """One transaction for the whole batch: once this returns, Telegram may forget them. Returns the updates
    stored now, in id order (not one delivered again after it was stored)."""
    async with services.db.uow() as uow:
        new = await uow.repo.store_updates(payloads, holder, now)
        await uow.commit()
    return sorted((Stored(int(p["update_id"]), p) for p in payloads if int(p["update_id"]) in new),
                  key=lambda s: s.update_id)


async def pending(services: Services, holder: str, limit: int) -> list[Stored]:
    """This instance's unprocessed updates, oldest first."""
    async with services.db.uow() as uow:
        rows = await uow.repo.unprocessed_updates(holder, limit)
        return [Stored(row.update_id, dict(row.payload)) for row in rows]


async def mark_processed(services: Services, update_ids: list[int], now: datetime) -> None:
    async with services.db.uow() as uow:
        await uow.repo.mark_updates_processed(update_ids, now)
        await uow.commit()


async def prune(services: Services, now: datetime) -> int:
    async with services.db.uow() as uow:
        removed = await uow.repo.prune_updates(now - RETENTION)
        await uow.commit()
        return removed
