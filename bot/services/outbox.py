"""Outbox use cases: which chats have due messages, lease one, render it, record what Telegram answered."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ..db import models as db
from ..db.mappers import to_domain
from ..db.uow import UnitOfWork
from ..domain.callback_data import AgencyPress, ConfirmPress
from ..domain.delivery import backoff
from ..domain.model import DeliveryKind, DeliveryStatus, Priority, Role
from ..domain.privacy import Audience, audience_of, caller_text, phone_button
from ..domain.render import card_buttons, render_card, render_digest
from ..domain.rules import AgencyKind
from ..domain.text import TEXT_LIMIT, visible_len
from ..i18n import Html
from . import deliveries
from .context import Services
from .views import target_views

LEASE = timedelta(seconds=30)
# A group whose posts keep failing for this long (timeouts, 5xx) is reported to the call center and the admins.
DEGRADED_AFTER = timedelta(minutes=3)
# The reason of a delivery Telegram refused for its content (too long, bad HTML) even after the sender's fallbacks:
# that message failed, the group is still reachable.
CONTENT = "content"


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"          # transient: timeouts, 5xx, network; try again later
    RATE_LIMITED = "429"     # wait retry_after, this chat only
    MIGRATED = "migrated"    # the group became a supergroup: re-key, send again
    PERMANENT = "permanent"  # kicked, chat not found, forbidden: the group is unreachable


@dataclass(frozen=True)
class Route:
    """Where a delivery goes: an agency's group (resolved at send time) or a fixed chat."""

    agency_key: str | None
    chat_id: int | None


# New posts, whose message id is unknown until Telegram accepts them.
NOTED_KINDS = (DeliveryKind.CARD, DeliveryKind.NOTICE)
UNKNOWN_VERSION = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    delivery_id: int
    chat_id: int
    text: str
    kind: str  # card (new post) | edit (re-render a posted card) | notice (ready text)
    route: Route
    message_id: int | None = None  # the message an edit replaces
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()  # rows of (label, callback data)
    # The incident's updated_at as rendered: if it differs when the send is recorded, the incident changed
    # meanwhile and this copy needs an edit. (Compared for equality, not order: a change may carry a clock
    # reading taken before it got the incident's lock, earlier than the render it follows.)
    rendered_version: datetime | None = None
    reply_to: int | None = None
    chart_month: str | None = None  # a chart delivery: the month to draw (rendered after the claim)
    delivery_ids: tuple[int, ...] = ()  # a digest: every new post it stands for


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message_id: int | None = None
    detail: str = ""
    reason: str = ""  # catalogue key under reason.* for people
    retry_after: float = 0.0
    new_chat_id: int | None = None


async def schedule(services: Services, now: datetime) -> tuple[list[tuple[Route, datetime]], datetime | None]:
    """Every route with something to send and when its first delivery is due; when a lease held now runs out."""
    async with services.db.uow() as uow:
        routes, lease_ends = await uow.repo.route_schedule(now)
    return [(Route(key, chat), due) for key, chat, due in routes], lease_ends


async def resolve_chat(services: Services, route: Route) -> int | None:
    async with services.db.uow() as uow:
        return await _route_chat(uow, route)


async def release_leases(services: Services, holder: str, now: datetime) -> int:
    """At start-up: this instance's previous life died holding these. Those Telegram had accepted (noted by
    note_sent) are recorded as sent; the others are due again now."""
    async with services.db.uow() as uow:
        accepted = await uow.repo.accepted_unrecorded(holder, NOTED_KINDS)
    for delivery in accepted:
        assert delivery.sent_chat_id is not None
        job = Job(delivery.id, delivery.sent_chat_id, "", delivery.kind, Route(delivery.agency_key, delivery.chat_id),
                  rendered_version=UNKNOWN_VERSION)  # the card may be older than the incident: re-render it
        await record(services, job, Result(Outcome.SENT, delivery.message_id, "recorded after a restart"), now)
    async with services.db.uow() as uow:
        count = await uow.repo.release_leases(holder)
        await uow.commit()
        return count + len(accepted)


async def note_sent(services: Services, job: Job, message_id: int) -> None:
    """Telegram accepted a new post: note its message id at once, in a small transaction ahead of the full
    record (which may wait for the incident's lock), so that a crash in between does not send it again."""
    if job.kind not in NOTED_KINDS:
        return
    async with services.db.uow(urgent=True) as uow:
        await uow.repo.note_delivery_sent(job.delivery_id, job.chat_id, message_id)
        await uow.commit()


async def claim(services: Services, route: Route, holder: str, now: datetime, digest_at: int = 0) -> Job | None:
    """Lease what a route sends next (conditional UPDATEs: two instances never both win): when `digest_at` or more
    new posts wait for a group, all of them as one digest; otherwise the most urgent due delivery — and when that
    is a ready text and `digest_at` or more of them wait (a flood of reminders and escalations), those as one."""
    async with services.db.uow() as uow:
        cards: list[db.Delivery] = []  # an agency's new posts come first (PRIORITY_NEW_POST), oldest first
        if route.agency_key is not None and digest_at:
            cards = await uow.repo.due_cards(route.agency_key, now, DIGEST_MAX)
            if len(cards) >= max(digest_at, 2):
                digest = await _card_digest(uow, services, route, holder, now, cards)
                if digest is not None:
                    await uow.commit()
                    return digest
        while True:
            delivery = cards.pop(0) if cards else await uow.repo.next_due(route.agency_key, route.chat_id, now)
            if delivery is None:
                await uow.commit()
                return None
            if delivery.kind == DeliveryKind.NOTICE and digest_at >= 2:
                batch = await _notice_batch(uow, services, route, holder, now, digest_at)
                if batch is not None:
                    await uow.commit()
                    return batch
            if delivery.incident_id is not None and delivery.kind != DeliveryKind.NOTICE:
                # Lock order incident -> delivery, as in every state change: the render below then sees
                # the latest committed state, and a change made meanwhile finds this edit taken.
                await uow.repo.lock_incident(delivery.incident_id)
            if not await uow.repo.lease(delivery.id, now, now + LEASE, holder):
                continue
            job = await _job(uow, services, delivery, route, now)
            if job is not None:
                await uow.commit()
                return job
            await uow.repo.flush()


# A digest lists at most this many reports (a message a phone can still read, one button per report).
DIGEST_MAX = 30


async def _card_digest(uow: UnitOfWork, services: Services, route: Route, holder: str, now: datetime,
                       waiting: list[db.Delivery]) -> Job | None:
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
    return Job(0, group.chat_id, text, DeliveryKind.DIGEST, route, buttons=buttons,
               delivery_ids=tuple(d.id for d in leased))


NOTICE_BATCH_MAX = 20
NOTICE_BATCH_CHARS = TEXT_LIMIT - 300  # room for the title, counted as Telegram counts (visible UTF-16 units)


async def _notice_batch(uow: UnitOfWork, services: Services, route: Route, holder: str, now: datetime,
                        batch_at: int) -> Job | None:
    waiting = await uow.repo.due_notices(route.agency_key, route.chat_id, now, NOTICE_BATCH_MAX)
    chat_id = await _route_chat(uow, route)
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
        return await _job(uow, services, leased[0], route, now)
    if not leased:
        return None
    title = services.tr("notice_batch_title", count=len(leased))
    return Job(0, chat_id, "\n\n".join([str(title), *(d.text or "" for d in leased)]), DeliveryKind.DIGEST, route,
               delivery_ids=tuple(d.id for d in leased))


async def _route_chat(uow: UnitOfWork, route: Route) -> int | None:
    if route.agency_key is None:
        return route.chat_id
    group = await uow.repo.group_by_key(route.agency_key)
    return group.chat_id if group else None


async def record_digest(services: Services, job: Job, result: Result, now: datetime) -> None:
    """Every post the digest stands for gets the digest's outcome (sent, or back in the queue)."""
    for delivery_id in job.delivery_ids:
        await record(services, Job(delivery_id, job.chat_id, "", DeliveryKind.DIGEST, job.route), result, now)


async def _job(uow: UnitOfWork, services: Services, delivery: db.Delivery, route: Route,
               now: datetime) -> Job | None:
    if delivery.kind == DeliveryKind.NOTICE:
        assert delivery.text is not None
        chat_id = delivery.chat_id
        if chat_id is None:  # addressed to an agency: its group now
            group = await uow.repo.group_by_key(delivery.agency_key or "")
            if group is None:
                await _fail(uow, services, delivery, "no_group", now)
                return None
            chat_id = group.chat_id
        return Job(delivery.id, chat_id, delivery.text, delivery.kind, route, reply_to=delivery.reply_to_message_id)
    if delivery.kind == DeliveryKind.CHART:
        group = await uow.repo.group_by_key(delivery.agency_key or "")
        if group is None:
            await _fail(uow, services, delivery, "no_group", now)
            return None
        return Job(delivery.id, group.chat_id, "", DeliveryKind.CHART, route, chart_month=delivery.text)
    incident = await uow.repo.incident(delivery.incident_id or 0)
    if incident is None:
        await _fail(uow, services, delivery, "no_group", now)
        return None
    if delivery.kind == DeliveryKind.CONFIRM:
        return _confirm_job(services, delivery, incident, route)
    group = await uow.repo.group_by_key(delivery.agency_key or "")
    if group is None:
        await _fail(uow, services, delivery, "no_group", now)
        return None
    text, buttons = await _card(uow, services, incident, group.agency_key)
    if delivery.kind == DeliveryKind.EDIT:
        return Job(delivery.id, delivery.chat_id or group.chat_id, text, DeliveryKind.EDIT, route,
                   delivery.message_id, buttons, incident.updated_at)
    return Job(delivery.id, group.chat_id, text, delivery.kind, route, buttons=buttons,
               rendered_version=incident.updated_at)


async def _card(uow: UnitOfWork, services: Services, incident: db.Incident,
                agency_key: str) -> tuple[str, tuple[tuple[tuple[str, str], ...], ...]]:
    """The card as this agency's group sees it: the caller as its audience may see them, its own buttons
    (the steps in one row, 📞 in the next)."""
    tr, rules = services.tr, services.rules
    kind = rules.agency_kind(agency_key)
    views = await target_views(uow, services, incident.id)
    domain = to_domain(incident)
    text = render_card(domain, rules, tr, services.tz, audience=audience_of(kind), targets=views)
    own = next((v.status for v in views if v.agency_key == agency_key), None)
    phone = phone_button(domain, kind, own)
    rows = [card_buttons(domain, kind, own), [phone] if phone else []]
    return text, tuple(tuple((str(tr(label)), data) for label, data in row) for row in rows if row)


def _confirm_job(services: Services, delivery: db.Delivery, incident: db.Incident, route: Route) -> Job:
    tr = services.tr
    caller = caller_text(to_domain(incident).report, Audience.DESK, tr)  # the call taker, privately
    text = tr("confirm_ask", number=incident.number, caller=f" ({caller})" if caller != tr("caller_unknown") else "")
    buttons = ((str(tr("btn_confirm_ok")), ConfirmPress(incident.id, "ok").encode()),
               (str(tr("btn_confirm_nc")), ConfirmPress(incident.id, "nc").encode()))
    if delivery.text:  # sent to the call center group instead of the call taker: why
        text = Html(text + "\n" + delivery.text)
    assert delivery.chat_id is not None
    return Job(delivery.id, delivery.chat_id, text, DeliveryKind.CONFIRM, route, buttons=(buttons,))


async def record(services: Services, job: Job, result: Result, now: datetime) -> None:
    async with services.db.uow(urgent=True) as uow:  # until recorded, a crash would send it again
        delivery = await uow.repo.delivery(job.delivery_id)
        if delivery is not None and delivery.incident_id is not None:
            # Lock first: the last of several concurrent records must see the others, to report once.
            await uow.repo.lock_incident(delivery.incident_id)
            await uow.repo.refresh(delivery)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return
        delivery.attempts += 1
        delivery.lease_until = delivery.leased_by = None
        uow.repo.attempt(delivery.id, now, result.outcome.value, result.detail)
        if result.outcome == Outcome.SENT:
            await _sent(uow, services, delivery, job, result, now)
        elif result.outcome == Outcome.PERMANENT:
            await _fail(uow, services, delivery, result.reason or "unreachable", now, job.chat_id)
        elif result.outcome == Outcome.MIGRATED and result.new_chat_id is not None:
            await _migrate(uow, delivery, job.chat_id, result.new_chat_id, now)
        else:
            delay = result.retry_after if result.outcome == Outcome.RATE_LIMITED \
                else backoff(delivery.attempts, random.uniform(0.8, 1.2))
            delivery.next_attempt_at = now + timedelta(seconds=delay)
            delivery.last_error = result.detail[:300]
            if result.outcome == Outcome.RETRY and now - delivery.created_at >= DEGRADED_AFTER:
                await _degraded(uow, services, delivery, now)
        await uow.commit()


async def _degraded(uow: UnitOfWork, services: Services, delivery: db.Delivery, now: datetime) -> None:
    """Minutes of timeouts or server errors: not permanent, but people must know the group is not getting posts."""
    group = await uow.repo.group_by_key(delivery.agency_key or "") if delivery.agency_key else None
    if group is not None and group.status == "ok":
        group.status, group.status_reason, group.status_changed_at = "unreachable", "unreachable", now
        await _alert_unreachable(uow, services, group, "unreachable", now)


async def _sent(uow: UnitOfWork, services: Services, delivery: db.Delivery, job: Job, result: Result,
                now: datetime) -> None:
    delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
    if delivery.agency_key:
        await _recovered(uow, services, delivery.agency_key, now)
    delivery.sent_chat_id, delivery.message_id = job.chat_id, result.message_id
    if delivery.kind == DeliveryKind.CARD and job.kind == DeliveryKind.DIGEST and delivery.incident_id:
        await report_if_settled(uow, services, delivery.incident_id, now)  # the digest is not a card to re-render
    elif delivery.kind == DeliveryKind.CARD and delivery.incident_id and result.message_id:
        uow.repo.add(db.PostedMessage(incident_id=delivery.incident_id, agency_key=delivery.agency_key or "",
                                      chat_id=job.chat_id, message_id=result.message_id, created_at=now))
        await uow.repo.flush()
        await _catch_up(uow, delivery.incident_id, job, now)
        await report_if_settled(uow, services, delivery.incident_id, now)
    elif delivery.kind == DeliveryKind.EDIT and delivery.incident_id:
        await _catch_up(uow, delivery.incident_id, job, now)


async def _catch_up(uow: UnitOfWork, incident_id: int, job: Job, now: datetime) -> None:
    """The incident changed while this copy was on its way: it was not yet in the list of copies to re-render
    (or its edit was already taken), so give it an edit of its own."""
    incident = await uow.repo.incident(incident_id)
    if incident is not None and job.rendered_version is not None and incident.updated_at != job.rendered_version:
        await deliveries.enqueue_card_edits(uow.repo, incident_id, now)


async def _fail(uow: UnitOfWork, services: Services, delivery: db.Delivery, reason: str, now: datetime,
                chat_id: int | None = None) -> None:
    delivery.status, delivery.last_error = DeliveryStatus.FAILED, reason
    delivery.lease_until = delivery.leased_by = None
    if delivery.kind == DeliveryKind.CONFIRM and reason in ("forbidden", "kicked", "chat_not_found"):
        await _confirm_in_call_center(uow, services, delivery, now)
    if delivery.kind != DeliveryKind.CARD or delivery.agency_key is None:
        return
    group = await uow.repo.group_by_key(delivery.agency_key)
    if group is not None and group.status != "unreachable" and reason not in ("no_group", CONTENT):
        group.status, group.status_reason, group.status_changed_at = "unreachable", reason, now
        await _alert_unreachable(uow, services, group, reason, now)
    if delivery.incident_id:
        await report_if_settled(uow, services, delivery.incident_id, now)


async def _confirm_in_call_center(uow: UnitOfWork, services: Services, delivery: db.Delivery,
                                  now: datetime) -> None:
    """The call taker blocked the bot (or never opened a chat with it): the caller must still be called back,
    so the call center group gets the request, saying why it came there."""
    call_center = await uow.repo.group_by_key("call_center")
    incident = await uow.repo.incident(delivery.incident_id or 0)
    if call_center is None or incident is None or delivery.chat_id == call_center.chat_id:
        return
    deliveries.confirm(uow.repo, incident.id, call_center.chat_id, now,
                       services.tr("confirm_fallback", name=incident.created_by_name), Priority(delivery.priority))


async def _recovered(uow: UnitOfWork, services: Services, agency_key: str, now: datetime) -> None:
    group = await uow.repo.group_by_key(agency_key)
    if group is None or group.status != "unreachable":
        return
    group.status, group.status_reason, group.status_changed_at = "ok", None, now
    text = services.tr("group_recovered", agency=services.rules.agency_name(agency_key))
    for chat in await _alert_chats(uow, services, group):
        deliveries.notice(uow.repo, chat, text, now)
    uow.repo.event(now, "group_recovered", chat_id=group.chat_id, agency_key=agency_key, to_state="ok")


async def _alert_chats(uow: UnitOfWork, services: Services, group: db.AgencyGroup) -> list[int]:
    """The call center group (unless it is the group in trouble) and every admin, privately."""
    call_center = await uow.repo.group_by_key("call_center")
    chats = {p.telegram_id for p in await uow.repo.people_with_role({Role.ADMIN.value})} | set(services.admin_ids)
    if call_center is not None and call_center.chat_id != group.chat_id:
        chats.add(call_center.chat_id)
    return sorted(chats)


async def _alert_unreachable(uow: UnitOfWork, services: Services, group: db.AgencyGroup, reason: str,
                             now: datetime) -> None:
    """Tell the call center group and every admin (privately) that an agency's group no longer gets posts."""
    text = services.tr("group_unreachable_alert", agency=services.rules.agency_name(group.agency_key),
                       chat_id=group.chat_id, reason=services.tr(f"reason.{reason}"), key=group.agency_key)
    for chat in await _alert_chats(uow, services, group):
        deliveries.notice(uow.repo, chat, text, now)
    uow.repo.event(now, "group_unreachable", chat_id=group.chat_id, agency_key=group.agency_key,
                   to_state="unreachable", detail={"reason": reason})


async def _migrate(uow: UnitOfWork, delivery: db.Delivery, old_chat: int, new_chat: int, now: datetime) -> None:
    group = await uow.repo.group_by_chat(old_chat)
    if group is not None:
        group.chat_id, group.updated_at = new_chat, now
        uow.repo.event(now, "group_migrated", chat_id=new_chat, agency_key=group.agency_key,
                       detail={"from": old_chat, "to": new_chat})
    if delivery.chat_id == old_chat:
        delivery.chat_id = new_chat
    delivery.next_attempt_at = now


async def report_if_settled(uow: UnitOfWork, services: Services, incident_id: int, now: datetime) -> None:
    """Once every group's post is sent or has failed, tell the call taker once: all arrived, or which failed."""
    cards = await uow.repo.deliveries_for(incident_id, DeliveryKind.CARD)
    if any(d.status == DeliveryStatus.PENDING for d in cards):
        return
    if not await uow.repo.mark_delivery_reported(incident_id, now):
        return
    incident = await uow.repo.incident(incident_id)
    assert incident is not None
    deliveries.notice(uow.repo, incident.created_chat_id, _delivery_report(services, incident.number, cards), now,
                      incident_id)


def _delivery_report(services: Services, number: str, cards: list[db.Delivery]) -> Html:
    tr, rules = services.tr, services.rules
    ok = [rules.agency_name(d.agency_key or "") for d in cards if d.status == DeliveryStatus.SENT]
    failed = [tr("delivery_failed_item", agency=rules.agency_name(d.agency_key or ""),
                 reason=tr(f"reason.{d.last_error}") if tr.has(f"reason.{d.last_error}") else d.last_error or "")
              for d in cards if d.status == DeliveryStatus.FAILED]
    if not failed:
        return tr("delivery_all_ok", number=number, count=len(ok), groups=", ".join(ok))
    return tr("delivery_some_failed", number=number, ok=", ".join(ok) or tr("none"),
              failed=Html("; ".join(failed)))
