"""The call center's desk: close with an outcome, reopen, add an agency, change priority, note, the timeline,
the open list, and the caller confirmation. Call takers and supervisors, in private or the call center group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..db import models as db
from ..db.mappers import to_domain
from ..db.uow import UnitOfWork
from ..domain import model as dm
from ..domain.lifecycle import DECLINES, CloseOutcome, IncidentStatus, TargetStatus, TargetView
from ..domain.model import INTAKE_ROLES, Role, resolve_number
from ..domain.privacy import Audience
from ..domain.render import place_text
from ..domain.rule_schemas import AgencyKind, parse_duration
from ..domain.timeline import ActiveItem, Entry
from . import deliveries, followups, media
from .context import Actor, Services, role_of
from .lifecycle import after_change
from .views import target_views

HOUR = timedelta(hours=1)
# A pause of the chase on an emergency longer than a day is a report that should be closed, not snoozed.
MAX_SNOOZE = timedelta(hours=24)


@dataclass(frozen=True)
class DeskResult:
    key: str  # catalogue key of the answer
    params: dict[str, str]


@dataclass(frozen=True)
class Timeline:
    number: str
    incident: dm.Incident
    targets: list[TargetView]
    entries: list[Entry]
    audience: Audience = Audience.DESK  # leaders and oversight groups see the card without the caller


async def _desk_gate(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int, private: bool) -> str | None:
    role = await role_of(uow.repo, services, actor.id)
    if role is None:
        return "ignore"
    if role not in INTAKE_ROLES:
        return "desk_not_allowed"
    if not private:
        group = await uow.repo.group_by_chat(chat_id, actor.topic)  # a desk bound to a topic, too
        if group is None:
            return "ignore"
        if group.agency_key != "call_center":
            return "desk_wrong_chat"
    return None


async def _read_gate(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int,
                     private: bool) -> tuple[str | None, Audience]:
    """Who may read what is open (/aktif, /status): the desk with the caller; leaders (in private or in the
    leadership and monitoring groups) and those groups' members without — read-only either way."""
    refused = await _desk_gate(uow, services, actor, chat_id, private)
    if refused is None:
        return None, Audience.DESK
    group = None if private else await uow.repo.group_by_chat(chat_id, actor.topic)
    oversight_group = group is not None and services.rules.agency_kind(group.agency_key) in (
        AgencyKind.LEADERSHIP, AgencyKind.MONITORING)
    if oversight_group or (private and await role_of(uow.repo, services, actor.id) == Role.LEADER):
        return None, Audience.OVERSIGHT
    return refused, Audience.OVERSIGHT


async def refusal(services: Services, actor: Actor, chat_id: int, private: bool) -> str | None:
    """Why this person may not use the desk in this chat (a catalogue key; "ignore": say nothing), or None."""
    async with services.db.uow() as uow:
        return await _desk_gate(uow, services, actor, chat_id, private)


async def _incident(uow: UnitOfWork, services: Services, text: str, now: datetime) -> db.Incident | DeskResult:
    number = resolve_number(text, now, services.tz)
    if number is None:
        return DeskResult("desk_bad_number", {"value": text})
    row = await uow.repo.incident_by_number(number)
    if row is None:
        return DeskResult("desk_no_incident", {"number": number})
    locked = await uow.repo.lock_incident(row.id)
    assert locked is not None
    return locked


async def _gated_incident(uow: UnitOfWork, services: Services, actor: Actor, chat_id: int, private: bool,
                          number: str, now: datetime) -> db.Incident | DeskResult:
    """Who may use the desk here, then the incident named (locked for the change), or why not."""
    if refused := await _desk_gate(uow, services, actor, chat_id, private):
        return DeskResult(refused, {})
    return await _incident(uow, services, number, now)


async def close(services: Services, actor: Actor, chat_id: int, private: bool, number: str, outcome: str,
                note: str, now: datetime) -> DeskResult:
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if outcome not in {o.value for o in CloseOutcome}:
            choices = ", ".join(o.value for o in CloseOutcome)
            return DeskResult("desk_bad_outcome", {"value": outcome, "choices": choices})
        if incident.status == IncidentStatus.CLOSED:
            return DeskResult("desk_already_closed", {"number": incident.number})
        duplicate_of = None
        if outcome == CloseOutcome.DUPLICATE:
            duplicate_of = resolve_number(note.split()[0], now, services.tz) if note.split() else None
            if duplicate_of is None or await uow.repo.incident_by_number(duplicate_of) is None:
                return DeskResult("desk_duplicate_needs_number", {"number": incident.number})
        _close(uow, incident, outcome, note, duplicate_of, actor, chat_id, now)
        await followups.cancel_all(uow, incident.id, now)
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("desk_closed", {"number": incident.number, "outcome": outcome})


def _close(uow: UnitOfWork, incident: db.Incident, outcome: str, note: str, duplicate_of: str | None,
           actor: Actor, chat_id: int, now: datetime) -> None:
    before = incident.status
    incident.status, incident.outcome, incident.outcome_note = IncidentStatus.CLOSED, outcome, note or None
    incident.duplicate_of, incident.closed_at, incident.closed_by_name = duplicate_of, now, actor.name
    incident.updated_at = now
    uow.repo.event(now, "closed", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name, chat_id=chat_id,
                   from_state=before, to_state=IncidentStatus.CLOSED,
                   detail={"outcome": outcome, "note": note, "duplicate_of": duplicate_of})


async def reopen(services: Services, actor: Actor, chat_id: int, private: bool, number: str,
                 now: datetime) -> DeskResult:
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if incident.status != IncidentStatus.CLOSED:
            return DeskResult("desk_not_closed", {"number": incident.number})
        incident.status, incident.outcome, incident.outcome_note = IncidentStatus.OPEN, None, None
        incident.duplicate_of = incident.closed_at = incident.closed_by_name = incident.confirmation = None
        incident.updated_at = now
        uow.repo.event(now, "reopened", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, from_state=IncidentStatus.CLOSED, to_state=IncidentStatus.OPEN)
        await followups.rearm_after_reopen(uow, services, incident, now)
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("desk_reopened", {"number": incident.number})


async def add_agency(services: Services, actor: Actor, chat_id: int, private: bool, number: str, key: str,
                     now: datetime) -> DeskResult:
    """A later agency: it gets its own post, and every copy shows it in the status lines. An agency that said no
    or was released (/lepas) is asked again: its card gets its buttons back and its chase starts anew."""
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if key not in services.rules.agencies:
            return DeskResult("bind_unknown_key", {"key": key, "keys": ", ".join(services.rules.agencies)})
        name = services.rules.agency_name(key)
        existing = await uow.repo.target(incident.id, key)
        if existing is not None and existing.status not in DECLINES:
            return DeskResult("desk_agency_already", {"number": incident.number, "agency": name})
        group = await uow.repo.group_by_key(key)
        if existing is not None:  # it said no, or was released: asked again, on the card it already has
            existing.status, existing.status_at, existing.status_by_desk = TargetStatus.PENDING, now, False
            existing.status_by, existing.status_by_name = actor.id, actor.name
        else:
            uow.repo.add_target(incident.id, key, now)
        if existing is None or (await uow.repo.posted_for_agency(incident.id, key) is None
                                and not await uow.repo.card_waiting(incident.id, key)):
            deliveries.card(uow.repo, incident.id, key, group is not None, now)
        if incident.status == IncidentStatus.AWAITING_CONFIRMATION:
            incident.status = IncidentStatus.OPEN  # a new agency has not finished yet
        if services.rules.agency_kind(key) == AgencyKind.RESPONDER:
            followups.arm_new_target(uow, services, incident, key, now)
        uow.repo.event(now, "agency_added", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, agency_key=key)
        await uow.repo.flush()
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("desk_agency_added" if group else "desk_agency_added_no_group",
                          {"number": incident.number, "agency": name})


async def set_priority(services: Services, actor: Actor, chat_id: int, private: bool, number: str, priority: str,
                       now: datetime) -> DeskResult:
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if priority not in services.rules.priorities:
            return DeskResult("desk_bad_priority", {"value": priority, "choices": ", ".join(services.rules.priorities)})
        before, incident.priority, incident.updated_at = incident.priority, priority, now
        uow.repo.event(now, "priority", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, from_state=before, to_state=priority)
        await followups.hasten(uow, services, incident)  # raised: the chase already waiting speeds up too
        await deliveries.enqueue_card_edits(uow.repo, incident.id, now)
        await uow.commit()
        return DeskResult("desk_priority", {"number": incident.number,
                                            "priority": services.rules.priorities[priority].label})


async def add_note(services: Services, actor: Actor, chat_id: int, private: bool, number: str, note: str,
                   now: datetime) -> DeskResult:
    async with services.db.uow() as uow:
        incident = await _gated_incident(uow, services, actor, chat_id, private, number, now)
        if isinstance(incident, DeskResult):
            return incident
        if not note.strip():
            return DeskResult("desk_usage", {})
        uow.repo.event(now, "note", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, agency_key="call_center", detail={"note": note.strip()[:1000]})
        await uow.commit()
        return DeskResult("desk_noted", {"number": incident.number})


async def timeline(services: Services, actor: Actor, chat_id: int, private: bool, number: str,
                   now: datetime) -> Timeline | DeskResult:
    async with services.db.uow() as uow:
        refused, audience = await _read_gate(uow, services, actor, chat_id, private)
        if refused:
            return DeskResult(refused, {})
        full = resolve_number(number, now, services.tz)
        row = await uow.repo.incident_by_number(full) if full else None
        if row is None:
            return DeskResult("desk_no_incident", {"number": full or number})
        rules = services.rules
        links = await media.item_links(uow, row.id)  # each photo or video's message, where there is a link
        entries = [Entry(e.at, e.kind, e.actor_name, rules.agency_name(e.agency_key) if e.agency_key else None,
                         e.from_state, e.to_state, _with_links(e.kind, e.detail or {}, links))
                   for e in await uow.repo.events(row.id)]
        return Timeline(row.number, to_domain(row), await target_views(uow, services, row.id), entries, audience)


def _with_links(kind: str, detail: dict[str, Any], links: dict[int, str]) -> dict[str, Any]:
    if kind != "media":
        return detail
    return {**detail, "links": [links[i] for i in detail.get("items", []) if i in links]}


async def active(services: Services, actor: Actor, chat_id: int, private: bool) -> list[ActiveItem] | DeskResult:
    async with services.db.uow() as uow:
        if refused := (await _read_gate(uow, services, actor, chat_id, private))[0]:
            return DeskResult(refused, {})
        return await active_items(uow, services)


async def active_items(uow: UnitOfWork, services: Services) -> list[ActiveItem]:
    items = []
    for row in await uow.repo.unclosed_incidents():
        views = await target_views(uow, services, row.id)
        items.append(ActiveItem(
            row.number, services.rules.category_label(row.category, row.subtype),
            place_text(to_domain(row).report, services.tr, services.rules) or "-", row.created_at, row.status,
            [v.agency_name for v in views if v.status == TargetStatus.PENDING]))
    return items


async def confirm(services: Services, actor: Actor, chat_id: int, incident_id: int, answer: str,
                  now: datetime) -> DeskResult:
    """The call taker called the caller back: confirmed, or could not reach them. Either closes the incident."""
    async with services.db.uow() as uow:
        if await role_of(uow.repo, services, actor.id) not in INTAKE_ROLES:
            return DeskResult("desk_not_allowed", {})
        incident = await uow.repo.lock_incident(incident_id)
        if incident is None or incident.status != IncidentStatus.AWAITING_CONFIRMATION:
            return DeskResult("confirm_not_waiting", {})
        result = "confirmed" if answer == "ok" else "unreachable"
        incident.confirmation, incident.confirmed_at = result, now
        uow.repo.event(now, "caller_confirmation", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, to_state=result)
        _close(uow, incident, CloseOutcome.HANDLED, "", None, actor, chat_id, now)
        await followups.cancel_all(uow, incident.id, now)
        await after_change(uow, services, incident, now)
        await uow.commit()
        return DeskResult("confirm_done", {"number": incident.number, "result": result})


async def snooze(services: Services, actor: Actor, chat_id: int, private: bool, number: str, duration: str,
                 reason: str, now: datetime) -> DeskResult:
    """/tunda: a supervisor pauses the chase on one incident for a while, with a reason on record."""
    async with services.db.uow() as uow:
        role = await role_of(uow.repo, services, actor.id)
        if refused := await _desk_gate(uow, services, actor, chat_id, private):
            return DeskResult(refused, {})
        if role not in (Role.SUPERVISOR, Role.ADMIN):
            return DeskResult("snooze_supervisors_only", {})
        try:
            length = parse_duration(duration)
        except (ValueError, OverflowError):
            return DeskResult("snooze_bad_duration", {"value": duration[:20]})
        if length > MAX_SNOOZE:
            return DeskResult("snooze_too_long", {"value": duration[:20], "hours": str(MAX_SNOOZE // HOUR)})
        if not reason.strip():
            return DeskResult("usage.tunda", {})
        incident = await _incident(uow, services, number, now)
        if isinstance(incident, DeskResult):
            return incident
        until = now + length
        incident.snoozed_until = until
        uow.repo.event(now, "snoozed", incident_id=incident.id, actor_id=actor.id, actor_name=actor.name,
                       chat_id=chat_id, to_state=until.isoformat(), detail={"reason": reason.strip()[:500]})
        await uow.commit()
        return DeskResult("snoozed", {"number": incident.number, "until": until.astimezone(services.tz).strftime(
            "%H.%M"), "reason": reason.strip()[:200]})
