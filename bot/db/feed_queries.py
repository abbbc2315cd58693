"""Queries about outside feeds (BMKG events seen, each feed's state, CAP alerts posted) and about an agency's
place moving (a forum topic bound anew)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.model import DeliveryStatus
from .dialect import insert_for
from .models import BmkgQuake, CapAlert, Delivery, FeedState


class FeedQueries:
    session: AsyncSession

    async def bmkg_quake(self, event_key: str) -> BmkgQuake | None:
        return await self.session.scalar(select(BmkgQuake).where(BmkgQuake.event_key == event_key))

    async def bmkg_quakes_between(self, start: datetime, end: datetime) -> list[BmkgQuake]:
        """Events whose latest time lies in [start, end] (a revision of one of them may have moved it)."""
        return list((await self.session.scalars(
            select(BmkgQuake).where(BmkgQuake.event_at >= start, BmkgQuake.event_at <= end)
            .order_by(BmkgQuake.id).limit(50))).all())

    async def claim_bmkg_quake(self, event_key: str, magnitude: float, depth_km: float | None, fingerprint: str,
                               at: datetime, lat: float, lon: float, feed: str,
                               now: datetime) -> BmkgQuake | None:
        """The event's row, new: None when another poll (another instance) stored it first."""
        insert = insert_for(self.session)
        result = await self.session.execute(
            insert(BmkgQuake).values(event_key=event_key, magnitude=magnitude, depth_km=depth_km,
                                     fingerprint=fingerprint, event_at=at, lat=lat, lon=lon,
                                     feed_fingerprints={feed: fingerprint}, first_seen_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["event_key"]).returning(BmkgQuake.id))
        new_id = result.scalar_one_or_none()
        return await self.session.get(BmkgQuake, new_id) if new_id is not None else None

    async def claim_shakemap(self, quake_id: int, shakemap: str) -> bool:
        """Whether this poll is the first to have the quake's shakemap (and sends its picture): another instance,
        or another feed's copy, may have it already."""
        result = await self.session.execute(
            update(BmkgQuake).where(BmkgQuake.id == quake_id, BmkgQuake.shakemap.is_(None))
            .values(shakemap=shakemap).execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def feed_state(self, name: str, now: datetime) -> FeedState:
        row = await self.session.get(FeedState, name)
        if row is None:
            row = FeedState(name=name, updated_at=now)
            self.session.add(row)
        return row

    async def feed_states(self) -> list[FeedState]:
        return list((await self.session.scalars(select(FeedState).order_by(FeedState.name))).all())

    async def cap_seen(self, identifier: str) -> bool:
        return await self.session.get(CapAlert, identifier) is not None

    async def claim_cap_alert(self, identifier: str, now: datetime) -> bool:
        """True the first time an alert is seen (then it is posted); False ever after."""
        insert = insert_for(self.session)
        result = await self.session.execute(
            insert(CapAlert).values(identifier=identifier, posted_at=now)
            .on_conflict_do_nothing(index_elements=["identifier"]).returning(CapAlert.identifier))
        return result.scalar_one_or_none() is not None

    async def hurry_agency(self, agency_key: str, now: datetime) -> int:
        """An agency was bound to a new place: what waits for it (held for a closed or deleted topic, or backing off)
        is due now, not at its next retry."""
        result = await self.session.execute(
            update(Delivery).where(Delivery.agency_key == agency_key, Delivery.status == DeliveryStatus.PENDING,
                                   Delivery.next_attempt_at > now, Delivery.lease_until.is_(None))
            .values(next_attempt_at=now))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
