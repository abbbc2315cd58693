"""Unit of work: one session, one commit per use case; rolled back if the use case did not commit."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.rollups import Policy
from . import rollups
from .repo import Repository


class Gate:
    """One unit of work at a time on SQLite (it has one writer, and every unit of work begins IMMEDIATE). Left to
    SQLite, waiting writers poll its lock with sleeps of up to 100 ms; queueing them here hands the database over
    at once. Urgent units of work go first: recording that Telegram accepted a message, because until it is
    recorded a crash would send that message again; and before those, the outbox's claims (`first`): a claim is
    all that stands between a report and its groups, while a record only has to come before the next crash.
    A unit of work opened inside another in the same task would wait for itself: that is refused."""

    def __init__(self) -> None:
        self._busy = False
        self._owner: asyncio.Task[object] | None = None
        # (0 first / 1 urgent / 2 normal, arrival, future)
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    async def acquire(self, urgent: bool = False, first: bool = False) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise RuntimeError("a unit of work was opened inside another one (SQLite would wait for itself)")
        if self._busy or self._waiters:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (0 if first else 1 if urgent else 2, next(self._arrivals), future))
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():  # handed the gate just as it was cancelled
                    self._hand_over()
                raise
        self._busy = True
        self._owner = task

    def release(self) -> None:
        self._owner = None
        self._hand_over()

    def _hand_over(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():  # a cancelled waiter is skipped
                future.set_result(None)
                return  # the gate stays busy: it passes straight to that waiter
        self._busy = False


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], gate: Gate | None = None,
                 urgent: bool = False, rollups: Policy | None = None, first: bool = False) -> None:
        self._factory = session_factory
        self._gate = gate
        self._urgent = urgent
        self._rollups = rollups
        self._first = first

    async def __aenter__(self) -> UnitOfWork:
        if self._gate is not None:
            await self._gate.acquire(self._urgent, self._first)
        self.session = self._factory()
        if self._rollups is not None:  # the statistics roll-ups follow every change (rollups.py)
            self.session.sync_session.info[rollups.POLICY] = self._rollups
        self.repo = Repository(self.session)
        # What several use cases sharing this unit of work read alike (a batch of claims renders one incident's
        # cards for 8 groups): read once, from this transaction's snapshot.
        self.cache: dict[object, object] = {}
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed, and leaves loaded objects readable (detached).
        try:
            await self.session.close()
        finally:
            if self._gate is not None:
                self._gate.release()

    async def commit(self) -> None:
        await self.repo.insert_batched()  # before the roll-ups read the transaction's rows (rollups.py)
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()


class Database:
    """What the services need from persistence: a way to open a unit of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        bind = session_factory.kw.get("bind")
        self._gate = Gate() if bind is not None and bind.dialect.name == "sqlite" else None
        self.rollups: Policy | None = None

    def keep_rollups(self, policy: Policy) -> None:
        """From now on every unit of work keeps the statistics roll-ups in step (Services sets it)."""
        self.rollups = policy

    def uow(self, urgent: bool = False, first: bool = False) -> UnitOfWork:
        """`urgent`: ahead of the others waiting for SQLite's one writer; `first`: ahead of the urgent ones too
        (see Gate)."""
        return UnitOfWork(self.session_factory, self._gate, urgent, self.rollups, first)
