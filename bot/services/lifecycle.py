"""Lifecycle use cases: an agency's step buttons and replies, and what follows from them (every copy of the
card re-rendered, the caller confirmation once every agency is done). State changes hold the incident's row
lock, so two simultaneous presses are applied one after the other and the second is told what happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..db import models as db
from ..db.uow import UnitOfWork
from ..domain.lifecycle import (
    DECLINES,
    RESULT_OF,
    Action,
    IncidentStatus,
    TargetStatus,
    Verdict,
    all_done,
    decide,
    says_claim,
)
from ..domain.model import numbers_in
from ..domain.rule_schemas import AgencyKind
from . import deliveries, followups
from .context import Actor, Services
from .group_health import topic_in
from .views import target_views

CALL_CENTER = "call_center"
DIGEST_NAMED = 10  # numbers of a digest listed when a reply to it names none of them
_STEP_COLUMN = {TargetStatus.ACKNOWLEDGED: "acknowledged_at", TargetStatus.CLAIMED: "claimed_at",
                TargetStatus.ON_SCENE: "arrived_at", TargetStatus.DONE: "done_at"}
# Claiming implies having acknowledged; arriving implies both. Done implies nothing (PLN may finish remotely).
_IMPLIED = {TargetStatus.CLAIMED: (TargetStatus.ACKNOWLEDGED,),
            TargetStatus.ON_SCENE: (TargetStatus.ACKNOWLEDGED, TargetStatus.CLAIMED)}


@dataclass(frozen=True)
class PressResult:
    verdict: Verdict | str  # a Verdict, or "unknown" for an incident that does not exist
    agency_key: str | None = None
    number: str | None = None
    status: TargetStatus | None = None


@dataclass(frozen=True)
class ReplyResult:
    kind: str  # reply_claimed | reply_noted | reply_comment | reply_closed | or a press.* verdict key
    number: str
    agency_key: str | None = None


async def press(services: Services, actor: Actor, chat_id: int, incident_id: int, action: Action,
                now: datetime, copy_id: int | None = None, thread_id: int | None = None) -> PressResult:
    """A step button in an agency group: permission from the database, never from the button. `copy_id`: the
    pressed message, when it is a card of this incident (a copy whose send was never recorded is adopted)."""
    async with services.db.uow() as uow:
        incident = await uow.repo.lock_incident(incident_id)
        if incident is None:
            return PressResult("unknown")
        if copy_id is not None:
            await adopt_copy(uow, incident.id, chat_id, copy_id, now, thread_id)
        target_or_verdict = await acting_target(uow, services, actor, chat_id, incident, thread_id)
        if not isinstance(target_or_verdict, db.IncidentTarget):
            return PressResult(target_or_verdict[0], target_or_verdict[1], incident.number)
        target = target_or_verdict
        verdict = decide(action, TargetStatus(target.status), incident.status)
        if verdict != Verdict.OK:
            return PressResult(verdict, target.agency_key, incident.number, TargetStatus(target.status))
        await _step(uow, services, incident, target, RESULT_OF[action], actor, chat_id, now)
        if RESULT_OF[action] in DECLINES:
            await _tell_call_center(uow, services, incident, target, actor, now)
        await after_change(uow, services, incident, now)
        if await uow.repo.posted_for_agency(incident.id, target.agency_key) is None \
                and not await uow.repo.card_waiting(incident.id, target.agency_key):
            # Pressed in a surge digest: the group gets the full card now, to go on with (and kept in sync).
            deliveries.card(uow.repo, incident.id, target.agency_key, True, now)
        await uow.commit()
        return PressResult(Verdict.OK, target.agency_key, incident.number, TargetStatus(target.status))


async def reply(services: Services, actor: Actor, chat_id: int, reply_to: int, text: str,
                now: datetime, message_id: int | None = None, card_of: int | None = None,
                about: str | None = None, thread_id: int | None = None) -> ReplyResult | None:
    """A reply to a card: an agency claims with the text as a note (later replies are progress notes);
    readers' replies are comments. None when the replied message is about no incident. `card_of`: the incident
    whose step buttons the replied message carries, so that a copy whose send was never recorded works too;
    `about`: the one incident number the replied message (the bot's) names, for a reminder whose send was never
    recorded. `message_id`: the reply itself; the same reply processed again (replayed from the inbox) adds
    nothing."""
    async with services.db.uow() as uow:
        incident = await _replied_incident(uow, chat_id, reply_to, card_of, now, about, text, thread_id)
        if isinstance(incident, list):  # a digest of several reports, and the reply names none of them
            return ReplyResult("reply_digest_which", ", ".join(incident[:DIGEST_NAMED]))
        if incident is None:
            return None
        note = text.strip()[:1000]
        acting = await acting_target(uow, services, actor, chat_id, incident, thread_id)
        detail: dict[str, object] = {"note": note, "message_id": message_id}
        if message_id is not None and await _seen(uow, incident.id, chat_id, actor.id, message_id):
            kind = "reply_comment" if not isinstance(acting, db.IncidentTarget) else "reply_noted"
            return ReplyResult(kind, incident.number, acting.agency_key if isinstance(acting, db.IncidentTarget)
                               else acting[1])
        if not isinstance(acting, db.IncidentTarget):
            kind = "reply_comment" if acting[0] == Verdict.READ_ONLY else f"press.{acting[0]}"
            if acting[0] == Verdict.READ_ONLY:
                uow.repo.event(now, "comment", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                               chat_id=chat_id, agency_key=acting[1], detail=detail)
            await uow.commit()  # keeps an adopted copy too
            return ReplyResult(kind, incident.number, acting[1])
        target = acting
        uow.repo.event(now, "note", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, agency_key=target.agency_key, detail=detail)
        target.note, target.note_at, target.note_by_name, target.note_by_desk = note, now, actor.name, False
        kind = "reply_noted"
        if incident.status == IncidentStatus.CLOSED:
            kind = "reply_closed"
        elif decide(Action.CLAIM, TargetStatus(target.status), incident.status) == Verdict.OK \
                and says_claim(note, services.rules.claim_words):
            await _step(uow, services, incident, target, TargetStatus.CLAIMED, actor, chat_id, now)
            kind = "reply_claimed"
        else:
            await followups.on_news(uow, services, incident, target.agency_key, now)
        await after_change(uow, services, incident, now)
        await uow.commit()
        return ReplyResult(kind, incident.number, target.agency_key)


async def _tell_call_center(uow: UnitOfWork, services: Services, incident: db.Incident, target: db.IncidentTarget,
                            actor: Actor, now: datetime) -> None:
    """An agency said no: the call center hears it at once, as a reply to its copy of the card."""
    text = services.tr("decline_alert", number=incident.number, agency=services.rules.agency_name(target.agency_key),
                       step=services.tr(f"step_word.{target.status}"), name=actor.name)
    deliveries.notice_to_agency(uow.repo, CALL_CENTER, text, now, incident_id=incident.id, reply_to_card=True)


async def _replied_incident(uow: UnitOfWork, chat_id: int, reply_to: int, card_of: int | None, now: datetime,
                            about: str | None = None, text: str = "",
                            thread_id: int | None = None) -> db.Incident | list[str] | None:
    """The incident a reply is about, locked: a recorded copy of its card, a copy never recorded (adopted now),
    any other message the bot sent about it here (a reminder, an escalation, a digest — of several, the one the
    reply names), or a message of the bot's naming it whose send was never recorded (in a group it was sent to).
    The numbers of a digest of several when the reply names none of them."""
    posted = await uow.repo.posted_message(chat_id, reply_to)
    incident_id = posted.incident_id if posted is not None else card_of
    if incident_id is not None:
        incident = await uow.repo.lock_incident(incident_id)
        if incident is not None and (posted is not None or await adopt_copy(uow, incident.id, chat_id, reply_to,
                                                                             now, thread_id)):
            return incident
        return None
    sent_about = await uow.repo.incidents_of_sent(chat_id, reply_to)
    if len(sent_about) > 1:
        return await _named_in_digest(uow, sent_about, text)
    if sent_about:
        return await uow.repo.lock_incident(sent_about.pop())
    return await _named_by_unrecorded(uow, chat_id, about, thread_id) if about else None


async def _named_in_digest(uow: UnitOfWork, incident_ids: set[int], text: str) -> db.Incident | list[str]:
    """A reply to a digest of several reports counts for the one report it names; otherwise which one?"""
    rows = [row for i in sorted(incident_ids) if (row := await uow.repo.incident(i)) is not None]
    named = [row for row in rows if row.number in numbers_in(text)]
    if len(named) == 1:
        return await uow.repo.lock_incident(named[0].id) or [r.number for r in rows]
    return [r.number for r in rows]


async def _named_by_unrecorded(uow: UnitOfWork, chat_id: int, number: str,
                               thread_id: int | None = None) -> db.Incident | None:
    """A message of the bot's about one incident, sent here but not recorded (its answer was lost or is late):
    it counts like the card, in a group the incident was sent to."""
    row = await uow.repo.incident_by_number(number)
    group = await uow.repo.group_by_chat(chat_id, thread_id)
    if row is None or group is None or await uow.repo.target(row.id, group.agency_key) is None:
        return None
    return await uow.repo.lock_incident(row.id)


async def _seen(uow: UnitOfWork, incident_id: int, chat_id: int, actor_id: int, message_id: int) -> bool:
    return any((e.detail or {}).get("message_id") == message_id
               for e in await uow.repo.recent_notes(incident_id, chat_id, actor_id))


async def adopt_copy(uow: UnitOfWork, incident_id: int, chat_id: int, message_id: int, now: datetime,
                     thread_id: int | None = None) -> bool:
    """A card in a group that was never recorded (Telegram accepted a send whose answer was lost, and the send
    was tried again) becomes a recorded copy: from now on it is edited with every change, and replies to it
    count. Only in a group the incident was sent to. True when the message is (now) a recorded copy."""
    if await uow.repo.posted_message(chat_id, message_id) is not None:
        return True
    group = await uow.repo.group_by_chat(chat_id, thread_id)
    if group is None or await uow.repo.target(incident_id, group.agency_key) is None:
        return False
    await uow.repo.add_posted(incident_id, group.agency_key, chat_id, message_id, now)
    return True


async def acting_target(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int,
                         incident: db.Incident, thread_id: int | None = None) -> db.IncidentTarget | tuple[Verdict,
                                                                                                       str | None]:
    """The agency this person acts for here (group membership is the credential; in a shared forum supergroup,
    the agency of the topic), or why they cannot."""
    group = await uow.repo.group_by_chat(chat_id, thread_id)
    key = group.agency_key if group else None
    agency = services.rules.agencies.get(key or "")
    if agency is None or agency.kind != AgencyKind.RESPONDER:
        return Verdict.READ_ONLY, key
    target = await uow.repo.target(incident.id, key or "")
    if target is None:
        return Verdict.NOT_TARGET, key
    if agency.require_registration:
        person = await uow.repo.person(actor.id)
        if person is None or person.agency_key != key:
            return Verdict.UNREGISTERED, key
    return target


async def _step(uow: UnitOfWork, services: Services, incident: db.Incident, target: db.IncidentTarget,
                to: TargetStatus, actor: Actor, chat_id: int, now: datetime, by_desk: bool = False) -> None:
    """One agency's step; `by_desk`: the call center recorded it for the agency (the name is the desk person's)."""
    before = target.status
    for implied in (*_IMPLIED.get(to, ()), to):
        column = _STEP_COLUMN.get(implied)  # a decline has no column of its own: status_at says when
        if column is not None and getattr(target, column) is None:
            setattr(target, column, now)
    target.status, target.status_at, target.status_by, target.status_by_name = to, now, actor.id, actor.name
    target.status_by_desk = by_desk
    incident.updated_at = now
    uow.repo.event(now, "step", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name, chat_id=chat_id,
                   agency_key=target.agency_key, from_state=before, to_state=to,
                   detail={"by_desk": True} if by_desk else None)
    await followups.on_step(uow, services, incident, target.agency_key, before, to, now)
    await followups.on_news(uow, services, incident, target.agency_key, now)


async def after_change(uow: UnitOfWork, services: Services, incident: db.Incident, now: datetime) -> None:
    """Re-render every copy; when every responding agency is done, ask the call taker to confirm."""
    if incident.status == IncidentStatus.OPEN and all_done(await target_views(uow, services, incident.id)):
        incident.status = IncidentStatus.AWAITING_CONFIRMATION
        uow.repo.event(now, "awaiting_confirmation", incident_id=incident.id, from_state=IncidentStatus.OPEN,
                       to_state=IncidentStatus.AWAITING_CONFIRMATION)
        deliveries.confirm(uow.repo, incident.id, incident.created_chat_id, now,
                           thread_id=await topic_in(uow, incident.created_chat_id))
    await deliveries.enqueue_card_edits(uow.repo, incident.id, now)


# The incident a reply in a group is about (media replies use it too: see services/media.py).
replied_incident = _replied_incident
