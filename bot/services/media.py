"""Media use cases: a call taker attaches photos, videos, voice notes, audio or documents to a report (a reply to
the bot's message about it, after /lampir, or while a draft is open); a responder's media reply to a card is
evidence from the field. Items are kept by file_id as they arrive, an album is gathered by a timer row, and each
item or album is relayed through the outbox to the groups the rules allow, as a reply to each group's card."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.lifecycle import Verdict
from ..domain.media import MediaKind, batches, chat_link
from ..domain.model import INTAKE_ROLES, resolve_number
from ..domain.rule_schemas import AgencyKind
from . import deliveries, followups
from .context import Actor, Services, role_of
from .group_health import topic_in
from .lifecycle import CALL_CENTER, acting_target, replied_incident

ATTACH_FOR = timedelta(minutes=10)  # /lampir <nomor>: media sent within this time go to that report
DRAFT_NUMBER = re.compile(r"112-\d{4}-\d{5,9}")


@dataclass(frozen=True)
class Incoming:
    """A media message as the handler read it."""

    kind: str  # a MediaKind
    file_id: str
    file_unique_id: str | None
    mime_type: str | None
    file_size: int | None
    caption: str | None
    chat_id: int
    message_id: int
    media_group_id: str | None = None
    reply_to: int | None = None  # the replied message's id
    reply_to_bot_text: str | None = None  # the replied message's text or caption, when the bot wrote it
    card_of: int | None = None  # the incident whose step buttons the replied message carries
    thread_id: int | None = None  # the forum topic it was sent in (an agency bound to a topic speaks there)


@dataclass(frozen=True)
class Attached:
    """Kept. `groups`: where it goes (empty while an album is still gathering); `agency_key`: field evidence."""

    number: str
    kinds: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    gathering: bool = False
    agency_key: str | None = None
    first: bool = True  # the first item of its album (or a single item): the one to answer
    in_draft: bool = False  # kept with the open draft: relayed when the report is sent


@dataclass(frozen=True)
class Refused:
    reason: str  # a catalogue key, or "ignore" (say nothing)
    number: str = ""  # the catalogue text's {number}: the reports of a digest, when the reply names none of them


@dataclass(frozen=True)
class _Place:
    """Where an item goes: an incident (locked), or an open draft (relayed once it is sent); whose it is."""

    incident: db.Incident | None
    draft_id: int | None = None
    agency_key: str | None = None  # a responding agency's evidence; None: the call center's


async def receive(services: Services, actor: Actor, private: bool, item: Incoming, now: datetime) -> Attached | Refused:
    async with services.db.uow() as uow:
        album = await _album_of(uow, item)
        place = await _where(uow, services, actor, private, item, album, now)
        if isinstance(place, Refused):
            return place
        incident, key = place.incident, place.agency_key
        row = await uow.repo.add_media_item(
            incident_id=incident.id if incident else None, draft_id=place.draft_id, kind=item.kind,
            file_id=item.file_id[:255], file_unique_id=(item.file_unique_id or "")[:100] or None,
            mime_type=(item.mime_type or "")[:100] or None, file_size=item.file_size,
            caption=(item.caption or "")[:1024] or None, source_chat_id=item.chat_id,
            source_message_id=item.message_id, actor_id=actor.id, actor_name=actor.name, agency_key=key,
            created_at=now)
        if row is None:  # replayed: kept already
            await uow.commit()
            return Refused("ignore")
        number = incident.number if incident else ""
        if item.media_group_id:
            first = album is None
            album = await uow.repo.gather_album(item.chat_id, item.media_group_id[:64],
                                                now + services.rules.media.album_window,
                                                incident_id=incident.id if incident else None,
                                                draft_id=place.draft_id, actor_id=actor.id, actor_name=actor.name,
                                                agency_key=key, created_at=now)
            if album.status == "gathering":
                row.album_id = album.id
                await uow.commit()
                return Attached(number, [item.kind], gathering=True, agency_key=key, first=first)
        if incident is None:  # kept with the open draft: relayed when it is sent
            await uow.commit()
            return Attached("", [item.kind], in_draft=True)
        groups = await _relay(uow, services, incident, [row], key, actor, now)
        await uow.commit()
        return Attached(number, [item.kind], groups, agency_key=key)


async def adopt_draft(uow: UnitOfWork, services: Services, draft_id: int, incident: db.Incident,
                      now: datetime) -> None:
    """A draft became a report: what was sent while it was open goes out now, after the new cards, and its sender
    is told where (an album still gathering follows when its window passes)."""
    rows = [r for r in await uow.repo.draft_items(draft_id)
            if r.album_id is None or await _album_done(uow, r.album_id)]
    if not rows:
        return
    for row in rows:
        row.incident_id = incident.id
    actor = Actor(rows[0].actor_id, rows[0].actor_name)
    groups = await _relay(uow, services, incident, rows, None, actor, now)
    deliveries.notice(uow.repo, rows[0].source_chat_id, _told(services, incident.number, [r.kind for r in rows],
                                                              groups, None), now, incident_id=incident.id)


async def _album_done(uow: UnitOfWork, album_id: int) -> bool:
    album = await uow.session.get(db.MediaAlbum, album_id)
    return album is not None and album.status != "gathering"


async def attach_to(services: Services, actor: Actor, chat_id: int, private: bool, number_text: str,
                    now: datetime) -> str | Refused:
    """/lampir <nomor>: this person's media in this chat go to that report for the next ten minutes."""
    async with services.db.uow() as uow:
        if await role_of(uow.repo, services, actor.id) not in INTAKE_ROLES:
            return Refused("ignore" if private else "media_not_desk")
        number = resolve_number(number_text, now, services.tz)
        incident = await uow.repo.incident_by_number(number) if number else None
        if incident is None:
            return Refused("media_unknown_number")
        await uow.repo.set_attach_target(chat_id, actor.id, incident.id, now + ATTACH_FOR)
        await uow.commit()
        return incident.number


async def flush_albums(services: Services, now: datetime) -> int:
    """Relay every album whose gathering window has passed; tell its sender where it went. Returns how many."""
    async with services.db.uow() as uow:
        due = [(a.id, a.incident_id, a.draft_id) for a in await uow.repo.due_albums(now)]
    done = 0
    for album_id, incident_id, draft_id in due:
        async with services.db.uow() as uow:
            if incident_id is None and draft_id is not None:  # sent while a draft was open: was it sent since?
                draft = await uow.session.get(db.Draft, draft_id)
                incident_id = draft.incident_id if draft is not None else None
            incident = await uow.repo.lock_incident(incident_id) if incident_id else None  # lock order: incident
            if not await uow.repo.take_album(album_id, now):
                await uow.commit()
                continue
            album = await uow.session.get(db.MediaAlbum, album_id)
            items = await uow.repo.album_items(album_id)
            assert album is not None
            kinds = [i.kind for i in items]
            if incident is None:  # the draft is still open: the album goes out with it
                deliveries.notice(uow.repo, album.chat_id, _told(services, "", kinds, [], None, in_draft=True), now,
                                  thread_id=await topic_in(uow, album.chat_id, album.agency_key))
                await uow.commit()
                done += 1
                continue
            album.incident_id = incident.id
            for row in items:
                row.incident_id = incident.id
            actor = Actor(album.actor_id, album.actor_name)
            groups = await _relay(uow, services, incident, items, album.agency_key, actor, now)
            deliveries.notice(uow.repo, album.chat_id, _told(services, incident.number, kinds, groups,
                                                             album.agency_key), now, incident_id=incident.id,
                              thread_id=await topic_in(uow, album.chat_id, album.agency_key))
            await uow.commit()
            done += 1
    return done


async def next_album_due(services: Services) -> datetime | None:
    async with services.db.uow() as uow:
        return await uow.repo.next_album_due()


def told(services: Services, result: Attached) -> str:
    """What the sender is told: what was attached to which report, and where it went."""
    return _told(services, result.number, result.kinds, result.groups, result.agency_key, result.in_draft)


def _told(services: Services, number: str, kinds: list[str], groups: list[str], agency_key: str | None,
          in_draft: bool = False) -> str:
    tr, rules = services.tr, services.rules
    what = ", ".join(f"{kinds.count(k)} {tr(f'media_kind.{k}')}" for k in MediaKind if kinds.count(k))
    if in_draft:
        return tr("media_in_draft", what=what)
    where = ", ".join(rules.agency_name(k) for k in groups) or tr("media_nowhere")
    if agency_key is not None:
        return tr("media_evidence_kept", what=what, number=number, agency=rules.agency_name(agency_key),
                  groups=where)
    return tr("media_attached", what=what, number=number, groups=where)


async def _album_of(uow: UnitOfWork, item: Incoming) -> db.MediaAlbum | None:
    return await uow.repo.album_by_group(item.chat_id, item.media_group_id[:64]) if item.media_group_id else None


async def _where(uow: UnitOfWork, services: Services, actor: Actor, private: bool, item: Incoming,
                 album: db.MediaAlbum | None, now: datetime) -> _Place | Refused:
    """The incident (locked) or open draft this item goes to, and whose evidence it is."""
    if album is not None and (album.incident_id is not None or album.draft_id is not None):
        incident = await uow.repo.lock_incident(album.incident_id) if album.incident_id else None
        return _Place(incident, album.draft_id if incident is None else None, album.agency_key)
    group = None if private else await uow.repo.group_by_chat(item.chat_id, item.thread_id)
    if group is not None and services.rules.agency_kind(group.agency_key) != AgencyKind.CALL_CENTER:
        return await _from_field(uow, services, actor, item, now)
    if await role_of(uow.repo, services, actor.id) not in INTAKE_ROLES:
        return Refused("ignore")
    incident_id = None
    if item.reply_to_bot_text is not None:  # a reply to the bot's message about one report ("Laporan tercatat")
        numbers = set(DRAFT_NUMBER.findall(item.reply_to_bot_text))
        if len(numbers) == 1:
            found = await uow.repo.incident_by_number(numbers.pop())
            incident_id = found.id if found else None
    if incident_id is None and item.reply_to is not None and group is not None:
        sent_about = await uow.repo.incidents_of_sent(item.chat_id, item.reply_to)
        incident_id = sent_about.pop() if len(sent_about) == 1 else None
    if incident_id is None:
        incident_id = await uow.repo.attach_target(item.chat_id, actor.id, now)
    if incident_id is None:
        draft = await uow.repo.open_draft(item.chat_id, actor.id)
        if draft is not None:
            return _Place(None, draft.id)
        return Refused("media_where")
    incident = await uow.repo.lock_incident(incident_id)
    return _Place(incident) if incident is not None else Refused("media_where")


async def _from_field(uow: UnitOfWork, services: Services, actor: Actor, item: Incoming,
                      now: datetime) -> _Place | Refused:
    """A responder's media: only as a reply to a card (or another bot message about one incident) counts."""
    if item.reply_to is None:
        return Refused("ignore")
    incident = await replied_incident(uow, item.chat_id, item.reply_to, item.card_of, now, text=item.caption or "",
                                      thread_id=item.thread_id)
    if isinstance(incident, list):  # a digest of several reports, and the caption names none of them
        return Refused("reply_digest_which", ", ".join(incident))
    if incident is None:
        return Refused("ignore")
    acting = await acting_target(uow, services, actor, item.chat_id, incident, item.thread_id)
    if isinstance(acting, db.IncidentTarget):
        return _Place(incident, agency_key=acting.agency_key)
    verdict, key = acting
    if key is None or verdict != Verdict.READ_ONLY:  # not this agency's report, or not registered for it
        return Refused("ignore")
    return _Place(incident, agency_key=key)  # a reader's group (leaders, monitoring): passed to the call center


async def _relay(uow: UnitOfWork, services: Services, incident: db.Incident, rows: list[db.MediaItem],
                 agency_key: str | None, actor: Actor, now: datetime) -> list[str]:
    """Outbox rows for the groups that see this incident's media (field evidence: the call center), one per
    album Telegram allows; the event in the timeline; every copy's count; for an agency, its news."""
    rules = services.rules
    keys = [t.agency_key for t in await uow.repo.targets(incident.id)]
    if CALL_CENTER not in keys:
        keys.insert(0, CALL_CENTER)
    if agency_key is not None:  # evidence from the field: the call center (and whom rules/media.yaml adds)
        keys = [k for k in keys if k != agency_key and rules.agency_kind(k) in rules.media.evidence_to]
    keys = [k for k in keys if rules.media_to(incident.category, k)]
    items = await uow.repo.media_by_ids([r.id for r in rows])
    for batch in batches(items):
        for key in keys:
            deliveries.media(uow.repo, incident.id, key, [i.id for i in batch], now)
    kinds = [r.kind for r in rows]
    uow.repo.event(now, "media", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                   chat_id=rows[0].source_chat_id, agency_key=agency_key,
                   detail={"kinds": kinds, "items": [r.id for r in rows], "groups": keys,
                           "links": [link for r in rows if (link := chat_link(r.source_chat_id, r.source_message_id))]})
    if agency_key is not None and rules.agency_kind(agency_key) == AgencyKind.RESPONDER:
        await followups.on_news(uow, services, incident, agency_key, now)
    incident.updated_at = now
    await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
    return keys


async def item_links(uow: UnitOfWork, incident_id: int) -> dict[int, str]:
    """A t.me link for each of an incident's items where there is one: the message it came in (a supergroup), or
    else its copy in the call center group (an album's items are consecutive messages there)."""
    links: dict[int, str] = {}
    for delivery in await uow.repo.sent_media(incident_id, CALL_CENTER):
        ids = [int(i) for i in (delivery.text or "").split(",") if i.strip().isdigit()]
        for n, item_id in enumerate(ids):
            if delivery.sent_chat_id is not None and delivery.message_id is not None:
                link = chat_link(delivery.sent_chat_id, delivery.message_id + n)
                if link:
                    links[item_id] = link
    for item in await uow.repo.incident_media(incident_id):
        if link := chat_link(item.source_chat_id, item.source_message_id):
            links[item.id] = link
    return links
