"""Turning leased outbox rows into messages ready to send: a card as its group sees it, the caller confirmation,
a ready text, and in a surge one digest of many new posts or ready texts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from ..db import models as db
from ..db.mappers import to_domain
from ..db.uow import UnitOfWork
from ..domain.callback_data import AgencyPress, ConfirmPress
from ..domain.lifecycle import TargetView
from ..domain.media import ICONS, MediaItem, MediaKind, count_line
from ..domain.model import AgencyGroup, DeliveryKind, Incident
from ..domain.privacy import Audience, audience_of, caller_text, phone_button
from ..domain.render import (
    DeskUpdate,
    card_buttons,
    card_decline_buttons,
    format_time,
    map_url,
    render_card,
    render_digest,
)
from ..domain.rule_schemas import AgencyKind
from ..i18n import Html
from ..i18n.text import CAPTION_LIMIT, TEXT_LIMIT, fit, visible_len
from .boards import board_job
from .context import Services
from .dispatch import CONTENT, LEASE, Outgoing, Route
from .group_health import fail
from .lifecycle import CALL_CENTER
from .views import bound_groups, latest_update, new_target_views, target_views

# A digest lists at most this many reports (a message a phone can still read, one button per report).
DIGEST_MAX = 30


async def card_digest(uow: UnitOfWork, services: Services, route: Route, holder: str, now: datetime,
                      waiting: list[db.Delivery]) -> Outgoing | None:
    """In a surge, lease a group's waiting new posts together and render one digest of them."""
    assert route.agency_key is not None
    group = await uow.repo.group_by_key(route.agency_key)
    if group is None:
        return None
    leased = [d for d in waiting if await uow.repo.lease(d.id, now, now + LEASE, holder)]
    incidents = [await uow.repo.incident(d.incident_id or 0) for d in leased]
    items = [to_domain(i) for i in incidents if i is not None]
    actionable = services.rules.agency_kind(route.agency_key) == AgencyKind.RESPONDER
    text = render_digest(items, services.rules, services.tr, services.tz, actionable)
    buttons = tuple(((f"✅ {i.number}", AgencyPress(i.id, "ack").encode()),) for i in items) if actionable else ()
    return Outgoing(0, group.chat_id, text, DeliveryKind.DIGEST, route, buttons=buttons,
                    delivery_ids=tuple(d.id for d in leased), thread_id=group.thread_id)


NOTICE_BATCH_MAX = 20


NOTICE_BATCH_CHARS = TEXT_LIMIT - 300  # room for the title, counted as Telegram counts (visible UTF-16 units)


async def notice_batch(uow: UnitOfWork, services: Services, route: Route, holder: str, now: datetime,
                       batch_at: int) -> Outgoing | None:
    waiting = await uow.repo.due_notices(route.agency_key, route.chat_id, now, NOTICE_BATCH_MAX)
    group = await uow.repo.group_by_key(route.agency_key) if route.agency_key is not None else None
    chat_id = await route_chat(uow, route)
    if len(waiting) < batch_at or chat_id is None:
        return None
    leased: list[db.Delivery] = []
    size = 200  # the title
    for delivery in waiting:
        size += visible_len(delivery.text or "") + 2
        if leased and size > NOTICE_BATCH_CHARS:
            break
        if await uow.repo.lease(delivery.id, now, now + LEASE, holder):
            leased.append(delivery)
    if len(leased) == 1:  # the others were taken meanwhile: this one goes as it is
        return await job_for(uow, services, leased[0], route, now)
    if not leased:
        return None
    title = services.tr("notice_batch_title", count=len(leased))
    text = "\n\n".join([str(title), *(d.text or "" for d in leased)])
    return Outgoing(0, chat_id, text, DeliveryKind.DIGEST, route, delivery_ids=tuple(d.id for d in leased),
                    thread_id=group.thread_id if group else None)


async def route_chat(uow: UnitOfWork, route: Route) -> int | None:
    if route.agency_key is None:
        return route.chat_id
    group = await uow.repo.group_by_key(route.agency_key)
    return group.chat_id if group else None


async def render_leased(uow: UnitOfWork, services: Services, cards: list[db.Delivery], now: datetime,
                        filed: Sequence[str] | None = None) -> list[Outgoing]:
    """New cards leased in the transaction that created them (dispatch.FastLane), rendered as their groups see
    them: last in that transaction, so that they show all of it. The incident is read again (what the transaction
    wrote with a bulk UPDATE, such as its version, is not loaded) — unless `filed` names the agencies of a
    report filed in one go, which nothing changed after create_incident wrote it: every agency waiting, no
    `/kabari`, no media. It is rendered from that, without reading back what was just written."""
    await uow.repo.flush()  # what it changed through the ORM (media adopted from the draft) is read below
    for incident_id in sorted({card.incident_id for card in cards if card.incident_id is not None}):
        uow.cache.pop(("snapshot", incident_id), None)  # a snapshot taken earlier in it is out of date
        incident = await uow.repo.incident(incident_id)
        if incident is None:
            continue
        if filed is not None:
            uow.cache[("snapshot", incident_id)] = _Snapshot(incident, new_target_views(services, filed), None, [])
        else:
            await uow.repo.refresh(incident)
    return [job for card in cards
            if (job := await job_for(uow, services, card, Route(card.agency_key, None), now)) is not None]


async def job_for(uow: UnitOfWork, services: Services, delivery: db.Delivery, route: Route,
                  now: datetime) -> Outgoing | None:
    if delivery.kind == DeliveryKind.BOARD:
        return await board_job(uow, services, delivery, route, now)
    if delivery.kind == DeliveryKind.NOTICE:
        assert delivery.text is not None
        chat_id, thread_id = delivery.chat_id, delivery.thread_id
        if chat_id is None:  # addressed to an agency: its group (or topic) now
            group = await uow.repo.group_by_key(delivery.agency_key or "")
            if group is None:
                await fail(uow, services, delivery, "no_group", now)
                return None
            chat_id, thread_id = group.chat_id, group.thread_id
        reply_to = delivery.reply_to_message_id
        if delivery.reply_to_card and delivery.incident_id is not None and delivery.agency_key:
            posted = await uow.repo.posted_for_agency(delivery.incident_id, delivery.agency_key)
            if posted is None and await uow.repo.card_waiting(delivery.incident_id, delivery.agency_key):
                _after_the_card(delivery, now)
                return None
            reply_to = _reply_in(posted, chat_id)
        return Outgoing(delivery.id, chat_id, delivery.text, delivery.kind, route, reply_to=reply_to,
                        thread_id=thread_id)
    if delivery.kind == DeliveryKind.MEDIA:
        return await _media_job(uow, services, delivery, route, now)
    if delivery.kind == DeliveryKind.CHART:
        group = await uow.repo.group_by_key(delivery.agency_key or "")
        if group is None:
            await fail(uow, services, delivery, "no_group", now)
            return None
        return Outgoing(delivery.id, group.chat_id, "", DeliveryKind.CHART, route, chart_month=delivery.text,
                        thread_id=group.thread_id)
    snapshot = await _snapshot(uow, services, delivery.incident_id or 0)
    if snapshot is None:
        await fail(uow, services, delivery, "no_group", now)
        return None
    incident = snapshot.incident
    if delivery.kind == DeliveryKind.PHOTO:
        return await _photo_job(uow, services, delivery, incident, route, now)
    if delivery.kind == DeliveryKind.CONFIRM:
        return _confirm_job(services, delivery, incident, route)
    group = await _group(uow, delivery.agency_key or "")
    if group is None:
        await fail(uow, services, delivery, "no_group", now)
        return None
    text, buttons = _card(services, snapshot, group.agency_key)
    if delivery.kind == DeliveryKind.EDIT:
        return Outgoing(delivery.id, delivery.chat_id or group.chat_id, text, DeliveryKind.EDIT, route,
                        delivery.message_id, buttons, incident.version)
    return Outgoing(delivery.id, group.chat_id, text, delivery.kind, route, buttons=buttons,
                    rendered_version=incident.version, thread_id=group.thread_id)


def _reply_in(posted: db.PostedMessage | None, chat_id: int) -> int | None:
    """The card to answer in this chat: a card left in the chat an agency was bound to before is no message
    here (its id would name an unrelated message)."""
    return posted.message_id if posted is not None and posted.chat_id == chat_id else None


# How long a reply waits before looking again for its card, which is still on its way to the group.
CARD_WAIT = timedelta(seconds=2)


def _after_the_card(delivery: db.Delivery, now: datetime) -> None:
    """A text about an incident goes after its card in that group, as a reply to it: not yet."""
    delivery.next_attempt_at, delivery.lease_until, delivery.leased_by = now + CARD_WAIT, None, None


@dataclass(frozen=True)
class _Snapshot:
    """What every group's copy of a card is rendered from, read once per unit of work (the cards of one report
    claimed together render from the same committed state)."""

    incident: db.Incident
    views: list[TargetView]
    update: DeskUpdate | None
    media: list[MediaItem]
    # Rendered once per audience and media line, not once per group: of a report's 8 copies, most read alike.
    texts: dict[tuple[Audience, str | None], str] = field(default_factory=dict, compare=False)

    @cached_property
    def domain(self) -> Incident:
        return to_domain(self.incident)


async def _snapshot(uow: UnitOfWork, services: Services, incident_id: int) -> _Snapshot | None:
    key = ("snapshot", incident_id)
    if key not in uow.cache:
        incident = await uow.repo.incident(incident_id)
        uow.cache[key] = None if incident is None else _Snapshot(
            incident, await target_views(uow, services, incident.id), await latest_update(uow, incident.id),
            list(await uow.repo.incident_media(incident.id)))
    return uow.cache[key]  # type: ignore[return-value]


async def _group(uow: UnitOfWork, agency_key: str) -> AgencyGroup | None:
    return (await bound_groups(uow)).get(agency_key)


def _card(services: Services, snapshot: _Snapshot,
          agency_key: str) -> tuple[str, tuple[tuple[tuple[str, str], ...], ...]]:
    """The card as this agency's group sees it: the caller as its audience may see them, its own buttons
    (the steps in one row, 🚫 and ⏸ in the next, 📞 last)."""
    tr, rules = services.tr, services.rules
    kind = rules.agency_kind(agency_key)
    views = snapshot.views
    domain = snapshot.domain
    audience, media = audience_of(kind), _media_count(services, snapshot, agency_key)
    if (text := snapshot.texts.get((audience, media))) is None:
        text = snapshot.texts[(audience, media)] = render_card(domain, rules, tr, services.tz, audience=audience,
                                                               targets=views, update=snapshot.update, media=media)
    own = next((v.status for v in views if v.agency_key == agency_key), None)
    phone = phone_button(domain, kind, own)
    rows = [card_buttons(domain, kind, own), card_decline_buttons(domain, kind, own), [phone] if phone else []]
    return text, tuple(tuple((str(tr(label)), data) for label, data in row) for row in rows if row)


def _confirm_job(services: Services, delivery: db.Delivery, incident: db.Incident, route: Route) -> Outgoing:
    tr = services.tr
    caller = caller_text(to_domain(incident).report, Audience.DESK, tr)  # the call taker, privately
    text = tr("confirm_ask", number=incident.number, caller=f" ({caller})" if caller != tr("caller_unknown") else "")
    buttons = ((str(tr("btn_confirm_ok")), ConfirmPress(incident.id, "ok").encode()),
               (str(tr("btn_confirm_nc")), ConfirmPress(incident.id, "nc").encode()))
    if delivery.text:  # sent to the call center group instead of the call taker: why
        text = Html(text + "\n" + delivery.text)
    assert delivery.chat_id is not None
    return Outgoing(delivery.id, delivery.chat_id, text, DeliveryKind.CONFIRM, route, buttons=(buttons,),
                    thread_id=delivery.thread_id)


async def _photo_job(uow: UnitOfWork, services: Services, delivery: db.Delivery, incident: db.Incident,
                     route: Route, now: datetime) -> Outgoing | None:
    """A picture for an agency's group, as a reply to its card there (sent first: new posts go first)."""
    group = await uow.repo.group_by_key(delivery.agency_key or "")
    if group is None or not delivery.text:
        await fail(uow, services, delivery, "no_group", now)
        return None
    posted = await uow.repo.posted_for_agency(incident.id, group.agency_key)
    caption = services.tr("bmkg_shakemap_caption", number=incident.number)
    return Outgoing(delivery.id, group.chat_id, caption, DeliveryKind.PHOTO, route,
                    reply_to=_reply_in(posted, group.chat_id), photo_url=delivery.text, thread_id=group.thread_id)


# --- media (issue 13) ------------------------------------------------------------------------------------------
def _media_count(services: Services, snapshot: _Snapshot, agency_key: str) -> str | None:
    """'📷 3 · 🎥 1 · 🎙 1' on the copies of the groups that see this incident's media."""
    if not services.rules.media_to(snapshot.incident.category, agency_key):
        return None
    return count_line(i.kind for i in snapshot.media) or None


async def _media_job(uow: UnitOfWork, services: Services, delivery: db.Delivery, route: Route,
                     now: datetime) -> Outgoing | None:
    """One item or one album by file_id for an agency's group, under its card, each with a caption naming the
    incident and who sent it (never the forward's origin)."""
    group = await uow.repo.group_by_key(delivery.agency_key or "")
    incident = await uow.repo.incident(delivery.incident_id or 0)
    ids = [int(i) for i in (delivery.text or "").split(",") if i.strip().isdigit()]
    items = await uow.repo.media_by_ids(ids)
    if group is None or incident is None or not items:
        await fail(uow, services, delivery, "no_group" if group is None else CONTENT, now)
        return None
    posted = await uow.repo.posted_for_agency(incident.id, group.agency_key)
    media = tuple((i.kind, i.file_id, media_caption(services, incident.number, i)) for i in items)
    return Outgoing(delivery.id, group.chat_id, "", DeliveryKind.MEDIA, route, media=media,
                    reply_to=_reply_in(posted, group.chat_id), thread_id=group.thread_id)


def media_caption(services: Services, number: str, item: MediaItem) -> str:
    tr, rules = services.tr, services.rules
    source = rules.agency_name(item.agency_key) if item.agency_key else rules.agency_name(CALL_CENTER)
    text = tr("media_caption", icon=ICONS[MediaKind(item.kind)], number=number, name=item.by_name, source=source,
              time=format_time(item.at, services.tz))
    if item.caption:
        text = Html(text + "\n" + tr("media_caption_text", text=item.caption))
    if item.kind == MediaKind.LOCATION:  # sent as a text with the map link (a location has no caption)
        lat, _, lon = item.file_id.partition(",")
        text = Html(text + "\n" + tr("media_location", url=map_url(float(lat), float(lon)), lat=lat, lon=lon))
    return fit(text, CAPTION_LIMIT)
