"""What follows when sends fail or succeed again: a group marked unreachable (or recovered) with the call center
and the admins told, the caller confirmation rerouted, and the call taker's report once every group's post is
settled."""

from __future__ import annotations

from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.model import AgencyGroup, DeliveryKind, DeliveryPriority, DeliveryStatus, GroupStatus, Role
from ..i18n import Html
from . import deliveries
from .context import Services
from .dispatch import CONTENT


async def topic_in(uow: UnitOfWork, chat_id: int, agency_key: str | None = None) -> int | None:
    """The forum topic to answer in, in a group chat: that of `agency_key`'s binding there, else that of the call
    center's (a report filed or a BMKG incident created in the call center's topic); None: the whole chat (or a
    private chat)."""
    for key in dict.fromkeys(k for k in (agency_key, "call_center") if k):
        group = await uow.repo.group_by_key(key)
        if group is not None and group.chat_id == chat_id:
            return group.thread_id
    return None


HELD_REASONS = ("topic_closed", "topic_not_found")


async def topic_reopened(services: Services, chat_id: int, thread_id: int, now: datetime) -> int:
    """Telegram says a forum topic was reopened: the posts held for an agency bound to it (its group marked
    unreachable for a closed topic) go now, not at their next try up to 30 s later. Nothing else is hurried: a
    member reopening topics in a loop changes nothing once the group is reachable again. Returns how many posts
    were made due."""
    async with services.db.uow() as uow:  # a read first: most reopened topics are no agency's
        keys = [g.agency_key for g in await uow.repo.groups_in_chat(chat_id) if g.thread_id == thread_id
                and g.status == GroupStatus.UNREACHABLE and g.status_reason in HELD_REASONS]
    if not keys:
        return 0
    async with services.db.uow() as uow:
        count = await uow.repo.due_now_for_agencies(keys, now)
        await uow.commit()
        return count


async def degraded(uow: UnitOfWork, services: Services, delivery: db.Delivery, now: datetime) -> None:
    """Minutes of timeouts or server errors: not permanent, but people must know the group is not getting posts."""
    group = await uow.repo.group_by_key(delivery.agency_key or "") if delivery.agency_key else None
    if group is not None and group.status == GroupStatus.OK:
        await uow.repo.set_group_status(group.agency_key, GroupStatus.UNREACHABLE, "unreachable", now)
        await _alert_unreachable(uow, services, group, "unreachable", now)


async def held(uow: UnitOfWork, services: Services, delivery: db.Delivery, reason: str, now: datetime) -> None:
    """The agency's forum topic is closed or deleted: its posts wait (none is lost); the call center and the
    admins are told once, until a post gets through again."""
    group = await uow.repo.group_by_key(delivery.agency_key or "") if delivery.agency_key else None
    if group is not None and group.status == GroupStatus.OK:
        await uow.repo.set_group_status(group.agency_key, GroupStatus.UNREACHABLE, reason, now)
        await _alert_unreachable(uow, services, group, reason, now)


async def fail(uow: UnitOfWork, services: Services, delivery: db.Delivery, reason: str, now: datetime,
               chat_id: int | None = None) -> None:
    delivery.status, delivery.last_error = DeliveryStatus.FAILED, reason
    delivery.lease_until = delivery.leased_by = None
    if delivery.kind == DeliveryKind.CONFIRM and reason in ("forbidden", "kicked", "chat_not_found"):
        await _confirm_in_call_center(uow, services, delivery, now)
    if delivery.kind != DeliveryKind.CARD or delivery.agency_key is None:
        return
    group = await uow.repo.group_by_key(delivery.agency_key)
    if group is not None and group.status != GroupStatus.UNREACHABLE and reason not in ("no_group", CONTENT):
        await uow.repo.set_group_status(group.agency_key, GroupStatus.UNREACHABLE, reason, now)
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
    why = services.tr("confirm_fallback", name=incident.created_by_name)
    deliveries.confirm(uow.repo, incident.id, call_center.chat_id, now, why, DeliveryPriority(delivery.priority),
                       call_center.thread_id)


async def recovered(uow: UnitOfWork, services: Services, agency_key: str, now: datetime) -> None:
    group = await uow.repo.group_by_key(agency_key)
    if group is None or group.status != GroupStatus.UNREACHABLE:
        return
    await uow.repo.set_group_status(agency_key, GroupStatus.OK, None, now)
    await _tell(uow, services, group, services.tr("group_recovered", agency=services.rules.agency_name(agency_key)),
                now)
    uow.repo.event(now, "group_recovered", chat_id=group.chat_id, agency_key=agency_key, to_state="ok")


async def _alert_chats(uow: UnitOfWork, services: Services, group: AgencyGroup) -> list[int]:
    """Every admin, privately."""
    return sorted({p.telegram_id for p in await uow.repo.people_with_role({Role.ADMIN.value})}
                  | set(services.admin_ids))


async def _tell(uow: UnitOfWork, services: Services, group: AgencyGroup, text: str, now: datetime) -> None:
    """The call center (its group or topic, unless that is the place in trouble) and every admin, privately."""
    call_center = await uow.repo.group_by_key("call_center")
    if call_center is not None and (call_center.chat_id, call_center.thread_id) != (group.chat_id, group.thread_id):
        if call_center.thread_id is None:
            deliveries.notice(uow.repo, call_center.chat_id, text, now)
        else:  # the call center is a topic of a forum: resolved when sent, to land in the topic
            deliveries.notice_to_agency(uow.repo, "call_center", text, now)
    for chat in await _alert_chats(uow, services, group):
        deliveries.notice(uow.repo, chat, text, now)


async def _alert_unreachable(uow: UnitOfWork, services: Services, group: AgencyGroup, reason: str,
                             now: datetime) -> None:
    """Tell the call center group and every admin (privately) that an agency's group no longer gets posts."""
    text = services.tr("group_unreachable_alert", agency=services.rules.agency_name(group.agency_key),
                       chat_id=group.chat_id, reason=services.tr(f"reason.{reason}"), key=group.agency_key)
    await _tell(uow, services, group, text, now)
    uow.repo.event(now, "group_unreachable", chat_id=group.chat_id, agency_key=group.agency_key,
                   to_state="unreachable", detail={"reason": reason})


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
                      incident_id, await topic_in(uow, incident.created_chat_id))


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
