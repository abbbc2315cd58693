"""New rows nothing reads back as objects (a new report's follow-ups and agencies), inserted together: one
executemany per table at the next flush or at commit, instead of the ORM's one INSERT … RETURNING per row (SQLite
gets no batched RETURNING from SQLAlchemy). Like a pending ORM object, such a row is seen by queries after the
next flush. Not for a change the statistics roll-ups must see (rollups.py follows the ORM's rows): only rows of
an incident made in the same transaction, which the roll-ups read whole at commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession


class BatchedInserts:
    session: AsyncSession
    _batched: dict[type[Any], list[dict[str, Any]]]

    def add_batched(self, model: type[Any], values: dict[str, Any]) -> None:
        self._batched.setdefault(model, []).append(values)

    async def insert_batched(self) -> None:
        batched, self._batched = self._batched, {}
        for model, rows in batched.items():
            await self.session.execute(insert(model), rows)
