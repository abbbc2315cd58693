"""Unit of work: one session, one commit per use case; rolled back if the use case did not commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .repo import Repository


class UnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = session_factory

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._factory()
        self.repo = Repository(self.session)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        # close() rolls back whatever was not committed, and leaves loaded objects readable (detached).
        await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()


class Database:
    """What the services need from persistence: a way to open a unit of work."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)
