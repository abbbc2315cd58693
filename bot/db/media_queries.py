"""Queries of an incident's media: items kept by file_id, albums being gathered (timer rows), /lampir targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.media import MediaItem as Item
from ..domain.model import DeliveryKind, DeliveryStatus
from .dialect import insert_for
from .models import Delivery, MediaAlbum, MediaAttach, MediaItem


def item_to_domain(row: MediaItem) -> Item:
    return Item(row.id, row.incident_id, row.kind, row.file_id, row.mime_type, row.file_size, row.caption,
                row.actor_name, row.agency_key, row.created_at, row.source_chat_id, row.source_message_id)


class MediaQueries:
    session: AsyncSession

    async def add_media_item(self, **values: object) -> MediaItem | None:
        """Keep an item; None when this message was kept already (an update replayed from the inbox)."""
        insert = insert_for(self.session)
        result = await self.session.execute(insert(MediaItem).values(**values).on_conflict_do_nothing(
            index_elements=["source_chat_id", "source_message_id"]).returning(MediaItem.id))
        new_id = result.scalar_one_or_none()
        return None if new_id is None else await self.session.get(MediaItem, new_id)

    async def gather_album(self, chat_id: int, media_group_id: str, due_at: datetime,
                           **values: object) -> MediaAlbum:
        """The album this item belongs to, created by its first item; every item moves its timer on."""
        insert = insert_for(self.session)
        await self.session.execute(insert(MediaAlbum).values(
            chat_id=chat_id, media_group_id=media_group_id, due_at=due_at, status="gathering", **values)
            .on_conflict_do_nothing(index_elements=["chat_id", "media_group_id"]))
        album = await self.session.scalar(select(MediaAlbum).where(
            MediaAlbum.chat_id == chat_id, MediaAlbum.media_group_id == media_group_id).with_for_update())
        assert album is not None
        if album.status == "gathering":
            album.due_at = max(album.due_at, due_at)
        return album

    async def album_by_group(self, chat_id: int, media_group_id: str) -> MediaAlbum | None:
        return await self.session.scalar(select(MediaAlbum).where(
            MediaAlbum.chat_id == chat_id, MediaAlbum.media_group_id == media_group_id))

    async def due_albums(self, now: datetime, limit: int = 50) -> list[MediaAlbum]:
        return list((await self.session.scalars(select(MediaAlbum).where(
            MediaAlbum.status == "gathering", MediaAlbum.due_at <= now).order_by(MediaAlbum.due_at).limit(limit)
        )).all())

    async def next_album_due(self) -> datetime | None:
        return await self.session.scalar(select(MediaAlbum.due_at).where(MediaAlbum.status == "gathering")
                                         .order_by(MediaAlbum.due_at).limit(1))

    async def take_album(self, album_id: int, now: datetime) -> bool:
        """Mark a due album relayed (a conditional UPDATE: of two instances, one wins)."""
        result = await self.session.execute(update(MediaAlbum).where(
            MediaAlbum.id == album_id, MediaAlbum.status == "gathering", MediaAlbum.due_at <= now)
            .values(status="relayed"))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def album_items(self, album_id: int) -> list[MediaItem]:
        return list((await self.session.scalars(select(MediaItem).where(MediaItem.album_id == album_id)
                                                .order_by(MediaItem.source_message_id, MediaItem.id))).all())

    async def media_by_ids(self, ids: list[int]) -> list[Item]:
        rows = (await self.session.scalars(select(MediaItem).where(MediaItem.id.in_(ids)))).all()
        by_id = {row.id: item_to_domain(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def incident_media(self, incident_id: int) -> list[Item]:
        return [item_to_domain(row) for row in (await self.session.scalars(
            select(MediaItem).where(MediaItem.incident_id == incident_id).order_by(MediaItem.id))).all()]

    async def media_of(self, incident_ids: list[int]) -> list[Item]:
        """The media of many incidents at once (the exports), in chunks the databases accept."""
        out: list[Item] = []
        for start in range(0, len(incident_ids), 500):
            chunk = incident_ids[start:start + 500]
            out += [item_to_domain(row) for row in (await self.session.scalars(
                select(MediaItem).where(MediaItem.incident_id.in_(chunk)).order_by(MediaItem.id))).all()]
        return out

    async def draft_items(self, draft_id: int) -> list[MediaItem]:
        """What was sent while a draft was open and has no report yet, in the order it came."""
        return list((await self.session.scalars(select(MediaItem).where(
            MediaItem.draft_id == draft_id, MediaItem.incident_id.is_(None)).order_by(MediaItem.id))).all())

    async def sent_media(self, incident_id: int, agency_key: str) -> list[Delivery]:
        """The media deliveries of an incident an agency's group got."""
        return list((await self.session.scalars(select(Delivery).where(
            Delivery.incident_id == incident_id, Delivery.agency_key == agency_key,
            Delivery.kind == DeliveryKind.MEDIA, Delivery.status == DeliveryStatus.SENT))).all())

    async def set_attach_target(self, chat_id: int, user_id: int, incident_id: int, until: datetime) -> None:
        await self.session.execute(delete(MediaAttach).where(MediaAttach.chat_id == chat_id,
                                                             MediaAttach.user_id == user_id))
        self.session.add(MediaAttach(chat_id=chat_id, user_id=user_id, incident_id=incident_id, until=until))

    async def attach_target(self, chat_id: int, user_id: int, now: datetime) -> int | None:
        return await self.session.scalar(select(MediaAttach.incident_id).where(
            MediaAttach.chat_id == chat_id, MediaAttach.user_id == user_id, MediaAttach.until > now))
