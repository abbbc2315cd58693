"""Unit of work: one session, one commit per use case; rolled back if the use case did not commit."""

from __future__ import annotations

import asyncio
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .repo import Repository


class Gate:
    """One unit of work at a time on SQLite (it has one writer, and every unit of work begins IMMEDIATE). Left to
    SQLite, waiting writers poll its lock with sleeps of up to 100 ms; queueing them here hands the database over
    at once. A unit of work opened inside another in the same task would wait for itself: that is refused."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[object] | None = None

    async def acquire(self) -> None:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            raise RuntimeError("a unit of work was opened inside another one (SQLite would wait for itself)")
        await self._lock.acquire()
        self._owner = task

    def release(self) -> None:
        self._owner = None
        self._lock.release()


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], gate: Gate | None = None) -> None:
        self._factory = session_factory
        self._gate = gate

    async def __aenter__(self) -> UnitOfWork:
        if self._gate is not None:
            await self._gate.acquire()
        self.session = self._factory()
        self.repo = Repository(self.session)
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
        await self.session.commit()


class Database:
    """What the services need from persistence: a way to open a unit of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        bind = session_factory.kw.get("bind")
        self._gate = Gate() if bind is not None and bind.dialect.name == "sqlite" else None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self._gate)
